"""Bearer tokens: every API request but the OpenAPI document acts as the token's user."""

from flask import Response, g, request

from equipment_share.domain.errors import N_, DomainError
from equipment_share.models import User
from equipment_share.services.tokens import user_for_token

BEARER_CHALLENGE = 'Bearer realm="equipment_share"'


class NotAuthenticated(DomainError):
    code = "unauthenticated"


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def authenticate() -> None:
    """before_request of every API blueprint: the token's user in g.api_user, or 401."""
    if request.method == "OPTIONS":
        return
    token = bearer_token()
    user = user_for_token(token) if token else None
    if user is None:
        raise NotAuthenticated(
            N_("A valid API token is required: send the header Authorization: Bearer <token>.")
        )
    g.api_user = user


def challenge_unauthenticated(response: Response) -> Response:
    """after_request: a 401 tells the client which scheme to use (RFC 6750)."""
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", BEARER_CHALLENGE)
    return response


def current_actor() -> User:
    """The user the request acts for; services take it explicitly."""
    return g.api_user
