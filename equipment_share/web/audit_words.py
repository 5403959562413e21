"""The audit log in the reader's words: one place that turns a stored entry (codes, ids, JSON
values) into what a finance officer reads, used by the audit page and by its XLSX and CSV
exports alike, so the files say exactly what the page says.

Statuses become the words the other pages use (a booking's, a usage record's, a claim's, an
organisation's, an account's), booleans become yes/no, money is ¥1,234.50, instants are in the
deployment's time zone, field names are labels, and ids name what they point to where a batch
query can find it (accounts, organisations, instruments, the booking of a usage record).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask import g, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from equipment_share.domain.usage import UsageKind
from equipment_share.i18n import format_money
from equipment_share.models import AuditEntry
from equipment_share.services.audit_lists import AuditNames
from equipment_share.web.helpers import to_local
from equipment_share.web.labels import label, purpose_label
from equipment_share.web.usage import KIND_LABELS
from equipment_share.web.usage import STATUS_LABELS as USAGE_STATUS_LABELS

# how json_value writes an instant: ISO 8601 in UTC
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00$")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
NOTHING = "—"

OBJECT_TYPES = {
    "booking": _l("Booking"),
    "usage": _l("Usage record"),
    "rate_card": _l("Rate card"),
    "equipment": _l("Instrument"),
    "user": _l("User account"),
    "organization": _l("Organisation"),
    "claim": _l("Subsidy claim"),
    "subsidy_policy": _l("Subsidy policy"),
    "budget": _l("Budget"),
    "period_lock": _l("Locked period"),
    "adjustment": _l("Fee adjustment"),
}
ACTIONS = {
    "create": _l("created"),
    "revise": _l("revised"),
    "approve": _l("approved"),
    "reject": _l("rejected"),
    "cancel": _l("cancelled"),
    "no_show": _l("marked as no-show"),
    "complete": _l("completed"),
    "check_in": _l("checked in"),
    "check_out": _l("checked out"),
    "record": _l("use recorded"),
    "charge": _l("charged"),
    "confirm": _l("confirmed"),
    "auto_confirm": _l("confirmed automatically"),
    "dispute": _l("disputed"),
    "correct": _l("corrected"),
    "waive": _l("waived"),
    "apply_rate_card": _l("listed rates follow the rate card in force"),
    "update": _l("edited"),
    "lock": _l("locked"),
    "unlock": _l("unlocked"),
    "prorate": _l("scaled pro rata to the budget"),
    "submit": _l("submitted"),
    "withdraw": _l("withdrawn"),
    "notice": _l("public notice set"),
    "pay": _l("paid"),
    "invoice": _l("invoice recorded"),
    "invoice_change": _l("invoice changed"),
    "new_version": _l("new version made"),
}
# States by object type, where the stored word is not the one label() gives
STATE_WORDS = {
    "usage": {status.value: word for status, word in USAGE_STATUS_LABELS.items()},
    "user": {"locked": _l("locked"), "active": _l("active")},
    "organization": {"pending": _l("awaiting approval")},
    "budget": {"open": _l("open")},
    "adjustment": {"open": _l("open")},
    "period_lock": {"locked": _l("locked")},
}
FIELD_LABELS = {
    # usage records
    "kind": _l("Kind"),
    "status": _l("Status"),
    "actual_start": _l("Actual start"),
    "actual_end": _l("Actual end"),
    "billable_minutes": _l("Billable minutes"),
    "fee": _l("Fee"),
    "items": _l("Items"),
    "overrun": _l("Overrun"),
    "note": _l("Note"),
    # accounts
    "name": _lp("organisation", "Name"),  # a policy's or a funding source's name
    "role": _l("Role"),
    "organization_id": _l("Organisation"),
    "active": _l("Active"),
    # rate cards and instruments
    "equipment_id": _l("Instrument"),
    "effective_from": _l("Effective from"),
    "hourly_rate": _l("Hourly rate"),
    "setup_fee": _l("Setup fee"),
    "min_charge_minutes": _l("Minimum charge (minutes)"),
    "billing_increment_minutes": _l("Billing increment (minutes)"),
    "rate_windows": _l("Rate windows"),
    "no_show_fee_kind": _l("No-show fee: kind"),
    "no_show_fee_value": _l("No-show fee: amount"),
    "late_cancellation_fee_kind": _l("Late-cancellation fee: kind"),
    "late_cancellation_fee_value": _l("Late-cancellation fee: amount"),
    "start": _l("Start"),
    "end": _l("End"),
    "code": _l("Code"),
    "unit_price": _l("Unit price"),
    "description": _l("Description"),
    "quantity": _l("Quantity"),
    # claims, budgets, policies
    "total_fee": _l("Total fee"),
    "eligible_fee": _l("Eligible fee"),
    "subsidy": _l("Subsidy"),
    "claims_total": _l("Claims total"),
    "factor": _l("Factor"),
    "budget": _l("Budget"),
    "version": _l("Version"),
    "rate_card_from": _l("Rate card in force from"),
    "notice_from": _l("Public notice from"),
    "notice_to": _l("Public notice until"),
    "paid_on": _l("Paid on"),
    "payment_reference": _l("Payment reference"),
    "year": _l("Year"),
    "source": _l("Funding source"),
    "amount": _l("Amount"),
    "period_from": _l("From"),
    "period_to": _l("To (included)"),
    "usage_id": _l("Usage record"),
    "fee_delta": _l("Fee change"),
    "invoice_no": _l("Invoice number"),
    "invoice_date": _l("Invoice date"),
    "valid_from": _l("Valid from"),
    "valid_to": _l("Valid until"),
    "min_claim_amount": _l("Minimum claim amount"),
    "eligible_categories": _l("Eligible categories"),
    "eligible_purposes": _l("Eligible purposes"),
    "require_tech_sme": _l("Certified tech SMEs only"),
    "exclude_related_parties": _l("Related parties excluded"),
    "group_caps": _l("Related enterprises share the caps"),
    "require_invoice": _l("Invoice required"),
    "platform_reward_rate": _l("Platform reward rate"),
    "sources": _l("Funding sources"),
    "rate": _l("Rate"),
    "annual_cap": _l("Annual cap"),
    "per_claim_cap": _l("Cap per claim"),
}
MONEY_FIELDS = frozenset(
    {
        "fee",
        "hourly_rate",
        "setup_fee",
        "unit_price",
        "total_fee",
        "eligible_fee",
        "subsidy",
        "claims_total",
        "amount",
        "fee_delta",
        "min_claim_amount",
        "annual_cap",
        "per_claim_cap",
    }
)
RATE_FIELDS = frozenset({"rate", "platform_reward_rate"})
MINUTE_FIELDS = frozenset({"billable_minutes", "min_charge_minutes", "billing_increment_minutes"})
# where an object's field has a word of its own
OWN_FIELD_LABELS = {"user": {"name": _lp("person", "Name")}}
CHARGE_KINDS = {"fixed": _l("fixed amount"), "percent": _l("percentage of the estimate")}


def _memo(key: tuple, compute) -> str:
    """A word computed once per request: an export words thousands of entries, and each
    translation lookup costs a trip through Flask-Babel's context."""
    cache = g.setdefault("audit_words", {})
    if key not in cache:
        cache[key] = str(compute())
    return cache[key]


def _(msgid: str, **params) -> str:
    """gettext, its translation looked up once per request."""
    template = _memo(("gettext", msgid), lambda: gettext(msgid))
    return template % params if params else template


@dataclass(frozen=True)
class Change:
    """One field of an entry: `old` is None when the entry records a value, not a change."""

    field: str
    old: str | None
    new: str


@dataclass(frozen=True)
class ReadableEntry:
    position: int
    when: str
    who: str
    who_detail: str  # the e-mail address under a name
    object_text: str
    object_url: str | None
    booking_id: int | None  # the booking a usage record belongs to
    action: str
    states: str  # "pending approval → confirmed", or ""
    reason: str
    changes: tuple[Change, ...]

    def changes_text(self) -> str:
        """The changes as lines "Field: old → new", for a spreadsheet cell."""
        return "\n".join(change_text(change) for change in self.changes)


def change_text(change: Change) -> str:
    if change.old is None:
        return _("%(field)s: %(value)s", field=change.field, value=change.new)
    return _("%(field)s: %(old)s → %(new)s", field=change.field, old=change.old, new=change.new)


def readable_entries(
    entries: Sequence[AuditEntry], names: AuditNames, *, links: bool = True, admin: bool = False
) -> list[ReadableEntry]:
    return [_readable(entry, names, links=links, admin=admin) for entry in entries]


def _readable(entry: AuditEntry, names: AuditNames, *, links: bool, admin: bool) -> ReadableEntry:
    who, who_detail = _who(entry, names)
    object_text = object_name(entry.object_type, entry.object_id, entry.changes or {}, names)
    action = _memo(
        ("action", entry.action), lambda: ACTIONS.get(entry.action, entry.action.replace("_", " "))
    )
    states = state_change(entry.object_type, entry.from_state, entry.to_state)
    return ReadableEntry(
        position=entry.position,
        when=to_local(entry.created_at).strftime(TIME_FORMAT),
        who=who,
        who_detail=who_detail,
        object_text=object_text,
        object_url=_object_url(entry, names, admin) if links else None,
        booking_id=names.bookings.get((entry.object_type, entry.object_id)),
        action=action,
        states=states,
        reason=entry.reason or "",
        changes=tuple(change_lines(entry.object_type, entry.changes or {}, names)),
    )


def _who(entry: AuditEntry, names: AuditNames) -> tuple[str, str]:
    if entry.actor_id is None:
        return _("system"), ""
    actor = names.users.get(entry.actor_id)
    if actor is None:
        return _("account %(number)d", number=entry.actor_id), ""
    if actor.name:
        return actor.name, actor.email
    return actor.email, ""


def object_name(object_type: str, object_id: int, changes: dict, names: AuditNames) -> str:
    kind = _memo(
        ("kind", object_type),
        lambda: OBJECT_TYPES.get(object_type, object_type.replace("_", " ")),
    )
    if object_type == "equipment" and object_id in names.equipment:
        return _("%(kind)s %(name)s", kind=kind, name=names.equipment[object_id])
    if object_type == "rate_card":
        equipment = names.equipment.get(_int(changes.get("equipment_id")))
        if equipment:
            return _("%(kind)s %(number)d of %(name)s", kind=kind, number=object_id, name=equipment)
    if object_type == "user" and object_id in names.users:
        user = names.users[object_id]
        return _("%(kind)s %(name)s", kind=kind, name=user.name or user.email)
    if object_type == "organization" and object_id in names.organizations:
        return _("%(kind)s %(name)s", kind=kind, name=names.organizations[object_id])
    return _("%(kind)s %(number)d", kind=kind, number=object_id)


def _object_url(entry: AuditEntry, names: AuditNames, admin: bool) -> str | None:
    object_id = entry.object_id
    if entry.object_type == "booking":
        return url_for("bookings.detail", booking_id=object_id)
    if entry.object_type == "claim":
        return url_for("claims.detail", claim_id=object_id)
    if entry.object_type == "equipment":
        return url_for("catalogue.detail", equipment_id=object_id)
    if entry.object_type == "rate_card":
        equipment_id = _int((entry.changes or {}).get("equipment_id"))
        if equipment_id in names.equipment:
            return url_for("catalogue.detail", equipment_id=equipment_id)
    if entry.object_type == "subsidy_policy":
        return url_for("subsidy_policies.detail", policy_id=object_id)
    if admin and entry.object_type == "user":
        return url_for("admin.user_edit", user_id=object_id)
    if admin and entry.object_type == "organization":
        return url_for("admin.organization_edit", organization_id=object_id)
    return None


def state_word(object_type: str, state: str) -> str:
    words = STATE_WORDS.get(object_type, {})
    return _memo(("state", object_type, state), lambda: words.get(state) or label(state))


def state_change(object_type: str, from_state: str, to_state: str) -> str:
    if from_state and to_state:
        return f"{state_word(object_type, from_state)} → {state_word(object_type, to_state)}"
    if to_state:
        return state_word(object_type, to_state)
    return ""


def change_lines(object_type: str, changes: dict, names: AuditNames) -> list[Change]:
    """A Change per field; a field that went from nothing to nothing (None to "") is left out."""
    lines = []
    for name, value in changes.items():
        field = _field_label(object_type, name)
        if isinstance(value, dict) and set(value) == {"from", "to"}:
            old = value_text(object_type, name, value["from"], names)
            new = value_text(object_type, name, value["to"], names)
            if old != new:
                lines.append(Change(field, old, new))
        else:
            lines.append(Change(field, None, value_text(object_type, name, value, names)))
    return lines


def _field_label(object_type: str, name: str) -> str:
    return _memo(
        ("field", object_type, name),
        lambda: OWN_FIELD_LABELS.get(object_type, {}).get(name) or FIELD_LABELS.get(name, name),
    )


def value_text(object_type: str, name: str, value, names: AuditNames) -> str:
    """One stored value as the reader wants it."""
    if value is None or value == "" or value == []:
        return NOTHING
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return "; ".join(value_text(object_type, name, item, names) for item in value)
    if isinstance(value, dict):
        return ", ".join(
            f"{_field_label(object_type, key)}: {value_text(object_type, key, item, names)}"
            for key, item in value.items()
        )
    if name == "status":
        return state_word(object_type, str(value))
    if name == "role":
        return _memo(("label", value), lambda: label(value))
    if name == "kind" and value in set(UsageKind):
        return _memo(("usage_kind", value), lambda: KIND_LABELS[UsageKind(value)])
    if name.endswith("_kind") and value in CHARGE_KINDS:
        return _memo(("charge_kind", value), lambda: CHARGE_KINDS[value])
    if name == "eligible_categories":
        return _memo(("label", value), lambda: label(value))
    if name == "eligible_purposes":
        return _memo(("purpose", value), lambda: purpose_label(value))
    if name == "organization_id" and _int(value) in names.organizations:
        return names.organizations[_int(value)]
    if name == "equipment_id" and _int(value) in names.equipment:
        return names.equipment[_int(value)]
    if name == "usage_id" and _int(value) is not None:
        return _("Usage record %(number)d", number=_int(value))
    if isinstance(value, str) and INSTANT.match(value):
        return to_local(datetime.fromisoformat(value)).strftime(TIME_FORMAT)
    if name in MONEY_FIELDS and (amount := _decimal(value)) is not None:
        return format_money(amount)
    if name in RATE_FIELDS and (rate := _decimal(value)) is not None:
        return f"{(rate * 100).normalize():f}%"
    if name in MINUTE_FIELDS and _int(value) is not None:
        return _("%(minutes)d min", minutes=_int(value))
    return str(value)


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _decimal(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


# --- the exports: the page's columns, in the same words ---


def export_headers() -> list[str]:
    return [
        _("No."),
        _("When"),
        _("Who"),
        _("E-mail"),
        _("Object"),
        _("What"),
        _("Status"),
        _("Reason"),
        _("Changes"),
    ]


def export_row(entry: ReadableEntry) -> list:
    return [
        entry.position,
        entry.when,
        entry.who,
        entry.who_detail,
        entry.object_text,
        entry.action,
        entry.states,
        entry.reason,
        entry.changes_text(),
    ]
