"""Group robots (企业微信 WeCom, 钉钉 DingTalk): an optional channel per organisation.

A notice for an organisation's users is also queued as a post to its robot, in the same
transaction as the change (like mail); `flask send-webhooks` posts the queue, with a short
time-out, and keeps the error and retries a failed post on its next runs. A post that fails
never touches the change it reports.
"""

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterable

from sqlalchemy import select

from equipment_share.domain.errors import Message, ValidationFailed
from equipment_share.domain.notices import (
    DINGTALK,
    dingtalk_signed_url,
    robot_error,
    webhook_payload,
    webhook_problems,
)
from equipment_share.extensions import db
from equipment_share.models import Organization, Role, User, WebhookChannel, WebhookMessage, utcnow
from equipment_share.services.access import require_role

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 5
PREFIX = "【仪器共享】"


def channel_of(organization_id: int | None) -> WebhookChannel | None:
    if organization_id is None:
        return None
    return db.session.get(WebhookChannel, organization_id)


def _require_own_organization(actor: User) -> Organization:
    require_role(actor, Role.PLATFORM, Role.SME)
    return actor.organization


def set_channel(actor: User, kind: str, url: str, secret: str | None) -> WebhookChannel:
    """Set the actor's organisation's robot. `secret` None keeps the stored one (the form never
    shows it back); a secret is only for DingTalk."""
    organization = _require_own_organization(actor)
    kind, url = (kind or "").strip(), (url or "").strip()
    channel = db.session.get(WebhookChannel, organization.id, with_for_update=True)
    if secret is None:
        secret = channel.secret if channel is not None and kind == DINGTALK else ""
    secret = secret.strip()
    problems = webhook_problems(kind, url, secret)
    if problems:
        raise ValidationFailed({name: Message(text) for name, text in problems.items()})
    if channel is None:
        channel = WebhookChannel(organization_id=organization.id)
        db.session.add(channel)
    channel.kind, channel.url, channel.secret = kind, url, secret
    channel.updated_at = utcnow()
    db.session.flush()
    return channel


def remove_channel(actor: User) -> bool:
    organization = _require_own_organization(actor)
    channel = db.session.get(WebhookChannel, organization.id, with_for_update=True)
    if channel is None:
        return False
    db.session.delete(channel)
    db.session.flush()
    return True


def queue(organization_ids: Iterable[int], text: str) -> list[WebhookMessage]:
    """A post of `text` to each organisation's robot, for those that have one."""
    ids = sorted(set(organization_ids))
    if not ids:
        return []
    channels = db.session.scalars(
        select(WebhookChannel).where(WebhookChannel.organization_id.in_(ids))
    ).all()
    messages = [
        WebhookMessage(
            organization_id=channel.organization_id,
            kind=channel.kind,
            url=channel.url,
            payload=json.dumps(webhook_payload(channel.kind, PREFIX + text), ensure_ascii=False),
            attempts=0,
            last_error="",
        )
        for channel in channels
    ]
    db.session.add_all(messages)
    return messages


def queue_test(actor: User) -> WebhookMessage | None:
    """A test post to the actor's organisation's robot (from its settings page)."""
    organization = _require_own_organization(actor)
    messages = queue(
        [organization.id],
        "连接测试：此群将收到本单位的通知。 / Test: this group will receive the organisation's notices.",
    )
    return messages[0] if messages else None


def _post(message: WebhookMessage) -> None:
    """One post; raises OSError (URLError, time-out) or ValueError (the robot said no)."""
    url = message.url
    if message.kind == DINGTALK:
        channel = channel_of(message.organization_id)
        if channel is not None and channel.secret:
            url = dingtalk_signed_url(url, channel.secret, int(time.time() * 1000))
    request = urllib.request.Request(
        url,
        data=message.payload.encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    # the address is checked to be http(s) when it is saved (domain.notices.is_http_url)
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310  # nosec B310
        body = answer.read(64 * 1024)
    error = robot_error(body)
    if error is not None:
        raise ValueError(error)


def send_pending(limit: int = 100, max_attempts: int = MAX_ATTEMPTS) -> tuple[int, int]:
    """Post unsent messages, oldest first; returns (sent, failed). Each message is committed on
    its own, so one slow or failing robot does not hold the others back."""
    pending = db.session.scalars(
        select(WebhookMessage)
        .where(WebhookMessage.sent_at.is_(None), WebhookMessage.attempts < max_attempts)
        .order_by(WebhookMessage.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    for message in pending:
        message.attempts += 1
        try:
            _post(message)
        except (OSError, ValueError) as error:
            message.last_error = str(error)[:2000] or type(error).__name__
            failed += 1
            log.warning(
                "webhook %s to organisation %s failed: %s",
                message.id,
                message.organization_id,
                error,
            )
        else:
            message.sent_at = utcnow()
            message.last_error = ""
            sent += 1
        db.session.commit()
    return sent, failed
