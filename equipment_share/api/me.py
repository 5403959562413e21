"""GET /api/v1/me: who the token acts for."""

from flask import jsonify

from equipment_share.api.auth import token_holder
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.schemas import MeSchema, me_answer

blp = ApiBlueprint("me", __name__, description="The user the token belongs to.")


@blp.route("/me")
@blp.response(200, MeSchema)
def me():
    """The user, role and organization of the token"""
    return jsonify(me_answer(token_holder()))  # MeSchema's answer, built directly
