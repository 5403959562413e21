"""User accounts: creation with checked values, and signing in."""

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from equipment_share.domain.errors import N_, Message, ValidationFailed
from equipment_share.domain.fields import check_text
from equipment_share.extensions import db
from equipment_share.models import Organization, Role, User
from equipment_share.services.access import require_role

MIN_PASSWORD_LENGTH = 8
# Platform staff belong to a platform, SME staff to an SME; admin and finance may belong to none.
ORGANIZATION_KIND_FOR_ROLE = {Role.PLATFORM: "platform", Role.SME: "sme"}


def normalise_email(value: str | None) -> str | None:
    try:
        return validate_email(value or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _organization_error(role: Role, organization: Organization | None) -> Message | None:
    expected_kind = ORGANIZATION_KIND_FOR_ROLE.get(role)
    if expected_kind is None:
        return None
    if organization is None or organization.kind != expected_kind:
        return Message(
            N_("A %(role)s user needs an organisation of that kind."), {"role": role.value}
        )
    return None


def new_user(values: dict) -> User:
    """A checked user, not yet in the session and not yet in an organisation."""
    errors: dict[str, Message] = {}
    email = normalise_email(values.get("email"))
    if email is None or len(email) > 254:
        errors["email"] = Message(N_("Not a valid e-mail address."))
    elif db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        errors["email"] = Message(N_("This e-mail address is already registered."))
    password = values.get("password") or ""
    if not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= 200:
        errors["password"] = Message(
            N_("The password needs %(min)d to 200 characters."), {"min": MIN_PASSWORD_LENGTH}
        )
    if (message := check_text(values.get("name"), 100)) is not None:
        errors["name"] = message
    try:
        role = Role(values.get("role"))
    except ValueError:
        errors["role"] = Message(N_("Choose admin, platform, sme or finance."))
    if errors:
        raise ValidationFailed(errors)
    user = User(email=email, role=role, name=(values.get("name") or "").strip())
    user.set_password(password)
    return user


def create_user(actor: User | None, values: dict) -> User:
    """Made by an admin, or by the CLI (actor None)."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    organization = None
    if values.get("organization_id") is not None:
        organization = db.session.get(Organization, values["organization_id"])
        if organization is None:
            raise ValidationFailed({"organization_id": Message(N_("Unknown organisation."))})
    user = new_user(values)
    if (message := _organization_error(user.role, organization)) is not None:
        raise ValidationFailed({"organization_id": message})
    user.organization = organization
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user with these credentials, or None; the same answer for a wrong e-mail or password."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == (email or "").lower()))
    if user is None or not user.check_password(password or ""):
        return None
    return user


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == (email or "").lower()))
