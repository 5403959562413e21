"""Creating, editing and approving organisations, and SME self-registration."""

from sqlalchemy import delete, insert, select

from equipment_share.domain.errors import N_, Message, NotFound, ValidationFailed
from equipment_share.domain.fields import clean_reason
from equipment_share.domain.organizations import FIXED_KIND, validate_organization
from equipment_share.extensions import db
from equipment_share.models import (
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Role,
    User,
    organization_relations,
)
from equipment_share.services import audit
from equipment_share.services.access import require_role
from equipment_share.services.locks import lock_row
from equipment_share.services.users import new_user

EDITABLE_FIELDS = (
    "name",
    "name_en",
    "kind",
    "uscc",
    "tech_sme_certified",
    "tech_sme_cert_no",
    "industry",
    "address",
    "contact_name",
    "contact_phone",
    "description",
)


def organization_values(organization: Organization) -> dict:
    values = {name: getattr(organization, name) for name in EDITABLE_FIELDS}
    values["kind"] = organization.kind.value
    return values


def _check_unique(values: dict, organization: Organization | None = None) -> None:
    errors = {}
    for name in ("name", "uscc"):
        other = db.session.scalar(
            select(Organization).where(getattr(Organization, name) == values[name])
        )
        if other is not None and other is not organization:
            errors[name] = Message(N_("Another organisation already has this value."))
    if errors:
        raise ValidationFailed(errors)


def _apply(organization: Organization, values: dict) -> None:
    for name in EDITABLE_FIELDS:
        if name in values and values[name] is not None:
            setattr(organization, name, values[name])
    organization.kind = OrganizationKind(values["kind"])


def create_organization(actor: User | None, values: dict) -> Organization:
    """Made by an admin (or the CLI, actor None): approved at once."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    cleaned = validate_organization(values)
    _check_unique(cleaned)
    organization = Organization(status=OrganizationStatus.APPROVED)
    _apply(organization, cleaned)
    db.session.add(organization)
    db.session.flush()
    return organization


def update_organization(actor: User, organization: Organization, changes: dict) -> Organization:
    """Edit an organisation. Its kind is fixed once made: a platform's users have role
    platform, an SME's role sme, and what others may see of it follows from the kind."""
    require_role(actor, Role.ADMIN)
    if changes.get("kind", organization.kind.value) != organization.kind.value:
        raise ValidationFailed({"kind": FIXED_KIND})
    cleaned = validate_organization(organization_values(organization) | changes)
    _check_unique(cleaned, organization)
    related_ids = changes.get("related_organization_ids")
    if related_ids is not None:
        set_related_organizations(organization, related_ids)
    _apply(organization, cleaned)
    db.session.flush()
    return organization


# What an organisation's own staff may change; its name, code, kind and certificate are what
# the admin checked when approving it, and stay with the admin.
CONTACT_FIELDS = ("address", "contact_name", "contact_phone")


def update_contact_details(actor: User, changes: dict) -> Organization:
    """The actor's own organisation's contact details, edited by its platform or SME staff."""
    require_role(actor, Role.PLATFORM, Role.SME)
    organization = db.session.get(Organization, actor.organization_id)
    if organization is None:
        raise NotFound()
    lock_row(organization)
    contact = {name: changes[name] for name in CONTACT_FIELDS if name in changes}
    cleaned = validate_organization(organization_values(organization) | contact)
    for name in CONTACT_FIELDS:
        setattr(organization, name, cleaned[name])
    db.session.flush()
    return organization


def set_related_organizations(organization: Organization, related_ids: list[int]) -> None:
    """Replace the organisation's related parties; links are symmetric and stored once."""
    related_ids = set(related_ids) - {organization.id}
    found = set(db.session.scalars(select(Organization.id).where(Organization.id.in_(related_ids))))
    if found != related_ids:
        raise ValidationFailed(
            {"related_organization_ids": Message(N_("Unknown organisation in the list."))}
        )
    table = organization_relations
    db.session.execute(
        delete(table).where(
            (table.c.organization_id == organization.id) | (table.c.related_id == organization.id)
        )
    )
    rows = [
        {"organization_id": min(organization.id, other), "related_id": max(organization.id, other)}
        for other in sorted(related_ids)
    ]
    if rows:
        db.session.execute(insert(table), rows)
    db.session.expire(organization)


ACTIONS = {OrganizationStatus.APPROVED: "approve", OrganizationStatus.REJECTED: "reject"}


def set_status(
    actor: User, organization: Organization, status: OrganizationStatus, reason: str = ""
) -> None:
    """Approve or reject (or set back to pending), with the reason in the audit log."""
    require_role(actor, Role.ADMIN)
    reason = clean_reason(reason) if reason and reason.strip() else ""
    lock_row(organization)
    before = organization.status
    if before == status:
        return
    organization.status = status
    db.session.flush()
    audit.record(
        actor,
        "organization",
        organization.id,
        ACTIONS.get(status, "update"),
        from_state=before.value,
        to_state=status.value,
        reason=reason,
    )


def require_rejection_reason(reason: str | None) -> str:
    """A rejection on the page says why (the audit log keeps it): the reason, or
    ValidationFailed."""
    if not reason or not reason.strip():
        raise ValidationFailed({"reason": Message(N_("Say why the organisation is rejected."))})
    return clean_reason(reason)


def register_sme(organization_values: dict, user_values: dict) -> User:
    """Self-registration: a pending SME with its first user, who signs in once an admin approves."""
    errors: dict[str, Message] = {}
    cleaned = {}
    try:
        cleaned = validate_organization(organization_values | {"kind": "sme"})
        _check_unique(cleaned)
    except ValidationFailed as failure:
        errors |= failure.fields
    try:
        user = new_user(user_values | {"role": "sme"})
    except ValidationFailed as failure:
        # the person's name, not the organisation's
        errors |= {("user_name" if key == "name" else key): m for key, m in failure.fields.items()}
    if errors:
        raise ValidationFailed(errors)
    organization = Organization(status=OrganizationStatus.PENDING)
    _apply(organization, cleaned)
    user.organization = organization
    db.session.add_all([organization, user])
    db.session.flush()
    return user


def get_organization(organization_id: int) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise NotFound()
    return organization
