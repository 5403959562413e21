"""Forms parse and type what the browser sends; the services decide what is valid."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    Form,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from equipment_share.domain.bookings import PURPOSE_CATEGORIES
from equipment_share.domain.equipment import CATEGORIES, split_keywords
from equipment_share.web.labels import PURPOSES


def strip_spaces(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def invalid_attrs(field, **attrs) -> dict:
    """A field's HTML attributes, with aria-invalid and aria-describedby (naming the element
    that holds its errors, `<id>-error`) when it has errors."""
    if field.errors:
        return attrs | {"aria-invalid": "true", "aria-describedby": f"{field.id}-error"}
    return attrs


class TranslatedForm(Form):
    """A form without CSRF of its own (a row of a FieldList, a GET filter) whose WTForms
    messages ("Not a valid integer value.") are in the page's language, as FlaskForm's are."""

    class Meta:
        def get_translations(self, form):
            return wtforms_translations


class Parsed:
    """First of a field's validators: a value that did not parse ends the check, so its parse
    error is the field's one message (not also "must be between 1 and …" about nothing)."""

    def __call__(self, form, field) -> None:
        if field.process_errors:
            raise StopValidation()


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


WEEKDAYS = [
    (0, _l("Mon")),
    (1, _l("Tue")),
    (2, _l("Wed")),
    (3, _l("Thu")),
    (4, _l("Fri")),
    (5, _l("Sat")),
    (6, _l("Sun")),
]


class KeywordsField(StringField):
    """Keywords in one box, separated by commas: the data is a list, shown joined again."""

    def process_formdata(self, valuelist):
        self.data = split_keywords(valuelist[0]) if valuelist else []

    def _value(self) -> str:
        return ", ".join(self.data or [])


def category_choices() -> list[SelectChoice]:
    return options((key, _l(label)) for key, label in CATEGORIES.items())


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[InputRequired()])
    password = PasswordField(_l("Password"), validators=[InputRequired()])


class OrganizationFields(FlaskForm):
    name = StringField(_l("Organisation name"))
    name_en = StringField(_l("English name"))
    uscc = StringField(_l("Unified Social Credit Code"))
    tech_sme_certified = BooleanField(_l("Certified tech SME (in the city's cultivation list)"))
    tech_sme_cert_no = StringField(_l("Tech-SME certificate number"))
    industry = StringField(_l("Industry"))
    address = StringField(_l("Address"))
    contact_name = StringField(_l("Contact person"))
    contact_phone = StringField(_l("Contact phone"))
    description = TextAreaField(_l("Description"))


class ContactDetailsForm(FlaskForm):
    address = OrganizationFields.address
    contact_name = OrganizationFields.contact_name
    contact_phone = OrganizationFields.contact_phone


class RegistrationForm(OrganizationFields):
    user_name = StringField(_l("Your name"))
    email = EmailField(_l("E-mail"))
    password = PasswordField(_l("Password"))


class OrganizationForm(OrganizationFields):
    kind = SelectField(
        _l("Kind"), choices=options([("sme", _l("SME")), ("platform", _l("Platform"))])
    )
    related_organization_ids = SelectMultipleField(_l("Related parties"), coerce=int)


class UserForm(FlaskForm):
    email = EmailField(_l("E-mail"))
    name = StringField(_lp("person", "Name"))
    password = PasswordField(_l("Password"))
    role = SelectField(
        _l("Role"),
        choices=options(
            [
                ("sme", _l("SME user")),
                ("platform", _l("Platform manager")),
                ("finance", _l("Finance officer")),
                ("admin", _l("Administrator")),
            ]
        ),
    )
    organization_id = SelectField(_l("Organisation"), coerce=int, validate_choice=False)


class UserEditForm(FlaskForm):
    """What an admin changes about an account; the e-mail and password stay the user's own."""

    name = StringField(_lp("person", "Name"))
    role = UserForm.role
    organization_id = SelectField(_l("Organisation"), coerce=int, validate_choice=False)
    active = BooleanField(_l("Active: may sign in and use API tokens"))


class EquipmentForm(FlaskForm):
    name = StringField(_lp("instrument", "Name"))
    name_en = StringField(_l("English name"))
    category = SelectField(_l("Category"), choices=category_choices)
    model = StringField(_l("Model"))
    location = StringField(_l("Location"))
    description = TextAreaField(_l("Description"))
    keywords = KeywordsField(
        _l("Keywords: aliases and abbreviations"),
        description=_l("Separated by commas, e.g. SEM, 扫描电镜, 扫描电子显微镜"),
    )
    # a person may type " 300 ": the form trims it, the API does not (domain/fields.py)
    hourly_rate = StringField(_l("Hourly rate (CNY)"), filters=[strip_spaces])
    setup_fee = StringField(_l("Setup fee (CNY)"), filters=[strip_spaces])
    min_charge_minutes = IntegerField(_l("Minimum charge (minutes)"), validators=[InputRequired()])
    billing_increment_minutes = IntegerField(
        _l("Billing increment (minutes)"), validators=[InputRequired()]
    )
    slot_minutes = IntegerField(_l("Slot (minutes)"), validators=[InputRequired()])
    min_booking_minutes = IntegerField(
        _l("Shortest booking (minutes)"), validators=[InputRequired()]
    )
    max_booking_minutes = IntegerField(
        _l("Longest booking (minutes)"), validators=[InputRequired()]
    )
    lead_time_hours = IntegerField(_l("Book at least (hours ahead)"), validators=[InputRequired()])
    horizon_days = IntegerField(_l("Book at most (days ahead)"), validators=[InputRequired()])
    cancellation_deadline_hours = IntegerField(
        _l("Free cancellation until (hours before start)"), validators=[InputRequired()]
    )
    requires_approval = BooleanField(_l("Bookings need the platform's approval"))
    active = BooleanField(_l("Open for booking (untick for maintenance)"))
    timezone = StringField(_l("Time zone"), filters=[strip_spaces])
    original_value = StringField(_l("Original value (CNY)"), filters=[strip_spaces])
    purchase_year = IntegerField(_l("Year of purchase"), validators=[Optional()])
    photo = FileField(_l("Photo (JPEG, PNG or WebP, at most 5 MB)"))


class WeeklyWindowForm(FlaskForm):
    weekdays = SelectMultipleField(
        _l("Weekdays"),
        choices=options(WEEKDAYS),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    start_time = TimeField(_l("From"), validators=[InputRequired()])
    end_time = TimeField(_l("To"), validators=[InputRequired()])
    overnight = BooleanField(_l("Runs overnight (ends the next day)"))
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_to = DateField(_l("Valid until"), validators=[Optional()])


class OneOffWindowForm(FlaskForm):
    start = DateTimeLocalField(_l("From"), validators=[InputRequired()])
    end = DateTimeLocalField(_l("To"), validators=[InputRequired()])


class TokenForm(FlaskForm):
    label = StringField(_l("What the token is for"))


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change something."""


class BookingForm(FlaskForm):
    start = DateTimeLocalField(_l("Start"), validators=[InputRequired()])
    end = DateTimeLocalField(_l("End"), validators=[InputRequired()])
    purpose_category = SelectField(
        _l("Kind of use"),
        choices=options((value, PURPOSES[value]) for value in PURPOSE_CATEGORIES),
        default="research",
        validate_choice=False,  # the booking service names a wrong value
    )
    purpose = TextAreaField(_l("Purpose (what you will measure, for which project)"))


class ReasonForm(FlaskForm):
    """A button that changes a booking and may need a reason (reject, cancel)."""

    reason = StringField(_l("Reason"))


class ProductionCalendarForm(FlaskForm):
    calendar = FileField(
        _l("Production calendar (.ics)"),
        validators=[FileRequired(message=_l("Choose the .ics file to upload."))],
    )
