"""The booking's answer to POST /api/v1/bookings is built as a plain dict
(api/schemas.booking_answer), not dumped field by field through BookingSchema: on a corpus of
bookings in every state, the two are equal, and the POST answers what a GET of it answers."""

from datetime import timedelta

import pytest
from sqlalchemy import delete

from equipment_share.api.schemas import BookingSchema, booking_answer
from equipment_share.extensions import db
from equipment_share.models import Booking, RateCardVersion
from equipment_share.services import bookings, usage
from tests.clock import local, next_weekday

TUESDAY = next_weekday(1)
LAST_WEEK = TUESDAY - timedelta(days=14)


@pytest.fixture
def corpus(make_org, make_user, make_equipment):
    platform = make_org("platform")
    platform_user = make_user("platform", platform)
    sme_user = make_user("sme")
    needs_approval = make_equipment(platform, setup_fee="12.50", cancellation_deadline_hours=72)
    at_once = make_equipment(platform, requires_approval=False, hourly_rate="333.33")
    unversioned = make_equipment(platform, requires_approval=False)
    db.session.execute(
        delete(RateCardVersion).where(RateCardVersion.equipment_id == unversioned.id)
    )
    db.session.commit()

    def book(equipment, hour, day=TUESDAY, **values):
        now = local(day, 0) - timedelta(days=3)
        return bookings.create_booking(
            sme_user, equipment.id, local(day, hour), local(day, hour + 1), now=now, **values
        )

    made = [
        book(needs_approval, 8, purpose='拉曼 Raman 光谱 "quoted"'),
        book(at_once, 8, purpose_category="certification"),
        book(unversioned, 8),
    ]
    approved = book(needs_approval, 10)
    bookings.approve(platform_user, approved)
    rejected = book(needs_approval, 12)
    bookings.reject(platform_user, rejected, "仪器校准")
    cancelled = book(at_once, 10)
    bookings.cancel(sme_user, cancelled, "改期", now=local(TUESDAY, 9))  # late
    no_show = book(at_once, 9, day=LAST_WEEK)
    bookings.mark_no_show(platform_user, no_show, now=local(LAST_WEEK, 11))
    used = book(at_once, 12, day=LAST_WEEK)
    usage.record_usage(
        platform_user, used, local(LAST_WEEK, 12), local(LAST_WEEK, 13), now=local(LAST_WEEK, 14)
    )
    db.session.commit()
    return [*made, approved, rejected, cancelled, no_show, used], sme_user


def test_the_plain_answer_is_the_schemas(corpus):
    made, _ = corpus
    schema = BookingSchema()
    for booking in made:
        assert booking_answer(booking) == schema.dump(booking)
    db.session.expire_all()  # and as loaded from the database
    for booking in made:
        stored = db.session.get(Booking, booking.id)
        assert booking_answer(stored) == schema.dump(stored)


def test_the_corpus_covers_every_field_kind(corpus):
    made, _ = corpus
    answers = [booking_answer(booking) for booking in made]
    assert {answer["status"] for answer in answers} == {
        "pending",
        "confirmed",
        "rejected",
        "cancelled",
        "no_show",
        "completed",
    }
    assert {answer["late_cancellation"] for answer in answers} == {True, False}
    assert {answer["usage_id"] is None for answer in answers} == {True, False}
    assert {answer["rate_card_id"] is None for answer in answers} == {True, False}
    assert {answer["status_reason"] == "" for answer in answers} == {True, False}


def test_a_new_bookings_answer_is_what_reading_it_answers(corpus, client, api_headers):
    _, sme_user = corpus
    headers = api_headers(sme_user)
    equipment_id = corpus[0][1].equipment_id
    body = {
        "equipment_id": equipment_id,
        "start": local(TUESDAY, 15).isoformat(),
        "end": local(TUESDAY, 16).isoformat(),
        "purpose": "answer",
    }

    made = client.post("/api/v1/bookings", json=body, headers=headers)
    read = client.get(f"/api/v1/bookings/{made.get_json()['id']}", headers=headers)

    assert made.status_code == 201 and made.mimetype == "application/json"
    assert made.get_json() == read.get_json()
