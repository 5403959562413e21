"""API bearer tokens: shown once, stored only as a SHA-256 hash."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.models import ApiToken, User, utcnow

TOKEN_PREFIX = "es_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, label: str = "") -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_digest(token), label=label[:100]))
    db.session.flush()
    return token


def user_for_token(token: str) -> User | None:
    api_token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if api_token is None or not api_token.user.is_active:
        return None
    now = utcnow()
    # Recorded at most once a minute, so that reading through the API rarely writes.
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_RESOLUTION:
        api_token.last_used_at = now
    return api_token.user


def revoke_token(user: User, token_id: int) -> bool:
    api_token = db.session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user.id:
        return False
    db.session.delete(api_token)
    return True
