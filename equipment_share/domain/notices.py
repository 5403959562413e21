"""Notices: what each kind says, and the group robots that carry them (WeCom, DingTalk).

A notice stores its kind and the values to fill in; the sentence is chosen and translated when
it is read, so each reader sees it in their own language. Pure: no Flask, no database.
"""

import base64
import hashlib
import hmac
import json
from urllib.parse import quote_plus, urlsplit

from equipment_share.domain.errors import N_

# kind -> the sentence, an English msgid with %(name)s values (translated at the edge)
TEMPLATES = {
    "booking_requested": N_("%(enterprise)s requests %(equipment)s for %(when)s."),
    "booking_confirmed": N_("%(enterprise)s booked %(equipment)s for %(when)s."),
    "booking_approved": N_("Your booking of %(equipment)s for %(when)s is approved."),
    "booking_rejected": N_("Your booking of %(equipment)s for %(when)s is rejected: %(reason)s"),
    "booking_cancelled": N_(
        "The booking of %(equipment)s for %(when)s by %(enterprise)s is cancelled: %(reason)s"
    ),
    "usage_recorded": N_(
        "Use of %(equipment)s (%(when)s) is recorded at %(fee)s: please confirm or dispute it."
    ),
    "usage_charged": N_(
        "A charge of %(fee)s is recorded on your booking of %(equipment)s (%(when)s): "
        "please confirm or dispute it."
    ),
    "usage_corrected": N_(
        "The usage record of %(equipment)s (%(when)s) is corrected to %(fee)s: "
        "please confirm or dispute it."
    ),
    "usage_disputed": N_(
        "%(enterprise)s disputes the usage record of %(equipment)s (%(when)s): %(reason)s"
    ),
    "claim_submitted": N_(
        "%(enterprise)s submitted subsidy claim no. %(claim)s (%(period)s) for %(subsidy)s."
    ),
    "claim_withdrawn": N_("%(enterprise)s withdrew subsidy claim no. %(claim)s (%(period)s)."),
    "claim_approved": N_("Subsidy claim no. %(claim)s (%(period)s) is approved: %(subsidy)s."),
    "claim_rejected": N_("Subsidy claim no. %(claim)s (%(period)s) is rejected: %(reason)s"),
    "claim_notice": N_("Subsidy claim no. %(claim)s is in public notice until %(notice_to)s."),
    "claim_paid": N_("Subsidy claim no. %(claim)s is paid: %(subsidy)s."),
    "claim_prorated": N_(
        "Subsidy claim no. %(claim)s is scaled to the budget: %(before)s → %(subsidy)s."
    ),
    "adjustment_recorded": N_(
        "Finance adjusted the fee of usage record no. %(usage)s by %(delta)s: %(reason)s"
    ),
}
# values that are amounts of money (decimal strings), formatted for the reader
MONEY_PARAMS = frozenset({"fee", "subsidy", "before", "delta"})
# values stored in two languages: `name` and `name_en` (the English one may be empty)
BILINGUAL_PARAMS = frozenset({"equipment", "enterprise"})

WECOM, DINGTALK = "wecom", "dingtalk"
WEBHOOK_KINDS = (WECOM, DINGTALK)
WEBHOOK_URL_MAX = 500
WEBHOOK_SECRET_MAX = 200


def is_http_url(url: str) -> bool:
    """Only http(s) addresses with a host: no file:, ftp:, javascript: or bare paths."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url


def webhook_problems(kind: str, url: str, secret: str) -> dict[str, str]:
    """Field -> problem (a msgid) for a group robot's settings; empty when they are fine."""
    problems = {}
    if kind not in WEBHOOK_KINDS:
        problems["kind"] = N_("Choose WeCom or DingTalk.")
    if not url:
        problems["url"] = N_("Enter the robot's webhook address.")
    elif len(url) > WEBHOOK_URL_MAX or not is_http_url(url):
        problems["url"] = N_("Enter an http:// or https:// address.")
    if len(secret) > WEBHOOK_SECRET_MAX:
        problems["secret"] = N_("The secret is too long.")
    elif secret and kind != DINGTALK:
        problems["secret"] = N_("Only DingTalk robots are signed with a secret.")
    return problems


def webhook_payload(kind: str, text: str) -> dict:
    """The JSON body both robots accept for a plain text message."""
    return {"msgtype": "text", "text": {"content": text}}


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: HMAC-SHA256 of "timestamp\\nsecret" keyed with the secret, in
    Base64, URL-encoded, added to the address with the timestamp (milliseconds)."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest))
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={sign}"


def robot_error(body: bytes) -> str | None:
    """Both robots answer HTTP 200 with {"errcode": 0, "errmsg": "ok"}; anything else is an
    error worth keeping (a wrong key, a bad signature, a rate limit)."""
    try:
        answer = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return f"unreadable answer: {body[:200]!r}"
    if not isinstance(answer, dict):
        return f"unexpected answer: {body[:200]!r}"
    if answer.get("errcode", 0) not in (0, "0"):
        return f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}"[:2000]
    return None
