"""Bearer tokens: every API request but the OpenAPI document acts as the token's user."""

from flask import Response, current_app, g, request

from equipment_share.database import request_may_write
from equipment_share.domain.errors import N_, DomainError
from equipment_share.models import User
from equipment_share.services.tokens import (
    TokenHolder,
    holder_of,
    holder_of_token,
    load_user,
    user_for_token,
)

BEARER_CHALLENGE = 'Bearer realm="equipment_share"'


class NotAuthenticated(DomainError):
    code = "unauthenticated"


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def holder_acts(view):
    """Decorate an API view (under its route decorator) whose change needs of its actor only
    what the token check reads, the id, role and organisation (services take a TokenHolder as
    the actor): its request loads no User. The token check is the same one, read from the
    database in the request's transaction, so a revoked token or a deactivated user is refused
    at once all the same."""
    view.holder_acts = True
    return view


def authenticate() -> None:
    """before_request of every API blueprint: the token's holder in g.token_holder, or 401."""
    if request.method == "OPTIONS":
        return
    token = bearer_token()
    user = holder = None
    if token and request_may_write() and not _view_has_holder_act():
        # a change acts as the user: the user with the token check, in one statement
        user = user_for_token(token)
        holder = None if user is None else holder_of(user)
    elif token:
        holder = holder_of_token(token)  # the user is loaded when a view asks (current_actor)
    if holder is None:
        raise NotAuthenticated(
            N_("A valid API token is required: send the header Authorization: Bearer <token>.")
        )
    g.token_holder = holder
    g.api_user = user


def _view_has_holder_act() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "holder_acts", False)


def challenge_unauthenticated(response: Response) -> Response:
    """after_request: a 401 tells the client which scheme to use (RFC 6750)."""
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", BEARER_CHALLENGE)
    return response


def current_actor() -> User:
    """The user the request acts for; services take it explicitly. Loaded when first asked
    for: an answer that needs no user (a public instrument's cached week) loads none."""
    user = g.get("api_user")
    if user is None:
        user = g.api_user = load_user(g.token_holder.id)
    return user


def token_holder() -> TokenHolder:
    """Who the request acts for, as the token check read them (no ORM objects): enough for
    answers that only show the user."""
    return g.token_holder
