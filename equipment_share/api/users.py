"""User accounts (admin)."""

from sqlalchemy import select

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.pagination import PaginationArgs, paginate
from equipment_share.api.schemas import UserCreateSchema, UserPageSchema, UserSchema
from equipment_share.models import Role, User
from equipment_share.services.access import require_role
from equipment_share.services.users import create_user

blp = ApiBlueprint("users", __name__, description="User accounts (admin only).")


@blp.route("/users")
@blp.arguments(PaginationArgs, location="query")
@blp.response(200, UserPageSchema)
@blp.errors(403)
def list_users(page_args):
    """All users (admin)"""
    require_role(current_actor(), Role.ADMIN)
    return paginate(select(User).order_by(User.id), page_args)


@blp.route("/users", methods=["POST"])
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
@blp.errors(403, 422)
def create(values):
    """Create a user (admin)"""
    return create_user(current_actor(), values)
