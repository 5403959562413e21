"""Organisations: platforms and SMEs; admins create and edit them."""

from sqlalchemy import and_, or_, select

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.fields import ID_CONVERTER as ID
from equipment_share.api.pagination import PaginationArgs, paginate
from equipment_share.api.schemas import (
    OrganizationCreateSchema,
    OrganizationPageSchema,
    OrganizationSchema,
    OrganizationUpdateSchema,
)
from equipment_share.domain.errors import N_, Message, ValidationFailed
from equipment_share.models import (
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Role,
    User,
)
from equipment_share.services.access import require_role, visible_organization
from equipment_share.services.organizations import (
    create_organization,
    set_status,
    update_organization,
)

blp = ApiBlueprint("organizations", __name__, description="Platforms and SMEs.")


def visible_organizations(viewer: User):
    """The query form of services.access.can_see_organization (a test keeps the two in step)."""
    query = select(Organization).order_by(Organization.id)
    if viewer.role in (Role.ADMIN, Role.FINANCE):
        return query
    approved_platform = and_(
        Organization.kind == OrganizationKind.PLATFORM,
        Organization.status == OrganizationStatus.APPROVED,
    )
    return query.where(or_(Organization.id == viewer.organization_id, approved_platform))


def parse_status(value: str) -> OrganizationStatus:
    try:
        return OrganizationStatus(value)
    except ValueError:
        raise ValidationFailed(
            {"status": Message(N_("Choose pending, approved or rejected."))}
        ) from None


@blp.route("/organizations")
@blp.arguments(PaginationArgs, location="query")
@blp.response(200, OrganizationPageSchema)
def list_organizations(page_args):
    """Organizations: all for admin and finance; otherwise one's own and the approved platforms"""
    return paginate(visible_organizations(current_actor()), page_args)


@blp.route("/organizations", methods=["POST"])
@blp.arguments(OrganizationCreateSchema)
@blp.response(201, OrganizationSchema)
@blp.errors(403, 422)
def create(values):
    """Create an organization (admin); it is approved at once"""
    return create_organization(current_actor(), values)


@blp.route(f"/organizations/<{ID}:organization_id>")
@blp.response(200, OrganizationSchema)
@blp.errors(404)
def get(organization_id):
    """One organization"""
    return visible_organization(current_actor(), organization_id)


@blp.route(f"/organizations/<{ID}:organization_id>", methods=["PATCH"])
@blp.arguments(OrganizationUpdateSchema, required=False)  # no body changes nothing
@blp.response(200, OrganizationSchema)
@blp.errors(403, 404, 422)
def update(changes, organization_id):
    """Edit an organization, its related parties or its status (admin)"""
    actor = current_actor()
    organization = visible_organization(actor, organization_id)
    require_role(actor, Role.ADMIN)
    status = parse_status(changes.pop("status")) if "status" in changes else None
    if changes:
        update_organization(actor, organization, changes)
    if status is not None:
        set_status(actor, organization, status)
    return organization
