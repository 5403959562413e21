"""models.as_loaded builds a row written outside the unit of work (the booking, its outbox row,
its audit entry) straight into the instance's state; it must give what the constructor and
make_transient_to_detached gave: the same values, identity, loaded and unloaded attributes, and
nothing to flush once in the session."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import inspect
from sqlalchemy.orm import make_transient_to_detached

from equipment_share.domain.bookings import BookingStatus, PurposeCategory
from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Booking, OutboxMessage, as_loaded

WHEN = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
ROWS = [
    (
        Booking,
        {
            "id": 41,
            "equipment_id": 3,
            "organization_id": 5,
            "booked_by_id": 7,
            "start_at": WHEN,
            "end_at": WHEN.replace(hour=4),
            "status": BookingStatus.PENDING,
            "purpose": "spectra",
            "purpose_category": PurposeCategory.CERTIFICATION,
            "hourly_rate": Decimal("150.00"),
            "setup_fee": Decimal("60.00"),
            "min_charge_minutes": 60,
            "billing_increment_minutes": 30,
            "rate_card_id": None,
            "estimated_fee": Decimal("360.00"),
            "status_reason": "",
            "late_cancellation": False,
            "sequence": 0,
            "created_at": WHEN,
            "updated_at": WHEN,
        },
    ),
    (
        OutboxMessage,
        {
            "id": 9,
            "recipient": "",
            "subject": "",
            "body": "",
            "booking_id": 41,
            "created_at": WHEN,
            "sent_at": None,
            "attempts": 0,
            "last_error": "",
            "attachment_name": "",
            "attachment": None,
            "event": "booking_requested",
            "actor_id": None,
        },
    ),
    (
        AuditEntry,
        {
            "id": 12,
            "position": 12,
            "created_at": WHEN,
            "actor_id": 7,
            "object_type": "booking",
            "object_id": 41,
            "action": "create",
            "from_state": "",
            "to_state": "pending",
            "reason": "",
            "changes": {"estimated_fee": {"from": None, "to": "360.00"}},
            "previous_hash": "0" * 64,
            "entry_hash": "f" * 64,
        },
    ),
]


def constructed(model, values):
    instance = model(**values)
    make_transient_to_detached(instance)
    return instance


def described(instance) -> dict:
    state = inspect(instance)
    return {
        "values": {attr.key: getattr(instance, attr.key) for attr in state.mapper.column_attrs},
        "key": state.key,
        "unloaded": set(state.unloaded),
        "committed": dict(state.committed_state),
        "modified": state.modified,
        "detached": state.detached,
    }


@pytest.mark.parametrize(
    ("model", "values"), ROWS, ids=lambda value: getattr(value, "__name__", "")
)
def test_as_loaded_is_what_the_constructor_made(app, model, values):
    fast, general = as_loaded(model, dict(values)), constructed(model, dict(values))

    assert described(fast) == described(general)
    assert described(fast)["key"] == (model, (values["id"],), None)

    db.session.add(fast)
    state = inspect(fast)
    assert state.persistent and not state.modified and not db.session.dirty and not db.session.new
    db.session.expunge(fast)
