"""API tokens: shown once, stored only as a SHA-256, refused for inactive users."""

import hashlib

from equipment_share.extensions import db
from equipment_share.models import ApiToken, OrganizationStatus
from equipment_share.services.tokens import issue_token, revoke_token, user_for_token


def test_only_the_hash_of_a_token_is_stored(make_user):
    user = make_user("sme")

    token = issue_token(user, "LIMS")
    db.session.commit()

    stored = db.session.scalar(db.select(ApiToken))
    assert token.startswith("es_") and len(token) > 40
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored.token_hash, stored.label)
    assert issue_token(user) != token


def test_token_finds_its_user_and_records_the_use(make_user):
    user = make_user("sme")
    token = issue_token(user)
    db.session.commit()

    assert user_for_token(token) is user
    db.session.commit()  # the use is recorded in a transaction of its own
    assert db.session.scalar(db.select(ApiToken.last_used_at)) is not None
    assert user_for_token(token + "x") is None
    assert user_for_token("") is None


def test_token_of_an_inactive_user_or_pending_organisation_is_refused(make_user, make_org):
    blocked = make_user("sme", active=False)
    pending = make_user("sme", make_org("sme", status=OrganizationStatus.PENDING))

    assert user_for_token(issue_token(blocked)) is None
    assert user_for_token(issue_token(pending)) is None


def test_a_user_revokes_only_their_own_tokens(make_user):
    owner, other = make_user("sme"), make_user("sme")
    token = issue_token(owner)
    token_id = db.session.scalar(db.select(ApiToken.id))

    assert revoke_token(other, token_id) is False
    assert user_for_token(token) is owner
    assert revoke_token(owner, token_id) is True
    db.session.flush()
    assert user_for_token(token) is None
    assert revoke_token(owner, 99999) is False
