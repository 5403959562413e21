"""User accounts (admin)."""

from sqlalchemy import select

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.fields import ID_CONVERTER as ID
from equipment_share.api.pagination import PaginationArgs, paginate
from equipment_share.api.schemas import (
    UserCreateSchema,
    UserPageSchema,
    UserSchema,
    UserUpdateSchema,
)
from equipment_share.models import Role, User
from equipment_share.services.access import require_role
from equipment_share.services.users import create_user, get_user, update_user

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


@blp.route(f"/users/<{ID}:user_id>")
@blp.response(200, UserSchema)
@blp.errors(403, 404)
def get(user_id):
    """One user (admin)"""
    return get_user(current_actor(), user_id)


@blp.route(f"/users/<{ID}:user_id>", methods=["PATCH"])
@blp.arguments(UserUpdateSchema, required=False)  # no body changes nothing
@blp.response(200, UserSchema)
@blp.errors(403, 404, 422)
def update(changes, user_id):
    """Edit a user (admin): name, role, organization, active; omitted fields keep their value.
    A deactivated user's sessions and tokens stop working at once"""
    return update_user(current_actor(), user_id, changes)
