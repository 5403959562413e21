"""Every booking mail carries the booking as an .ics file, read here with vobject (not the
icalendar library the app writes with), and SMTP delivery attaches it as text/calendar.

The booking's transaction writes one row per event; sending addresses it (recipients and the
.ics as the booking is then), which `mails_since` does first, as `send_pending` would."""

from datetime import datetime, timedelta

import pytest
import vobject
from sqlalchemy import select, update

from equipment_share.extensions import db
from equipment_share.models import OutboxMessage
from equipment_share.services import bookings, notifications
from equipment_share.services.booking_calendar import single_booking_feed
from equipment_share.services.notifications import expand_booking_events, send_pending
from tests.clock import SHANGHAI, local

DAY = datetime.now(SHANGHAI).date() + timedelta(days=7)


@pytest.fixture
def setting(make_org, make_user, make_equipment):
    platform = make_org("platform", name="煤炭检测平台")
    equipment = make_equipment(platform, name="拉曼光谱仪", requires_approval=True)
    sme_user = make_user("sme", make_org("sme", name="晋能新材料"))
    return equipment, sme_user, make_user("platform", platform)


def book(setting):
    equipment, sme_user, _ = setting
    booking = bookings.create_booking(
        sme_user, equipment.id, local(DAY, 10), local(DAY, 12), "XRD 样品"
    )
    db.session.commit()
    return booking


def mails_since(last_id: int) -> list[OutboxMessage]:
    expand_booking_events()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id > last_id).order_by(OutboxMessage.id)
        )
    )


def last_mail_id() -> int:
    expand_booking_events()
    return db.session.scalar(select(db.func.max(OutboxMessage.id))) or 0


def the_event(mail: OutboxMessage):
    calendar = vobject.readOne(mail.attachment)
    assert calendar.method.value == "PUBLISH"
    [event] = calendar.vevent_list
    return event


def test_booking_approving_and_cancelling_each_mail_the_updated_event(setting):
    _, sme_user, platform_user = setting
    both = sorted([sme_user.email, platform_user.email])

    booked = book(setting)
    booked_mails = mails_since(0)
    mark = last_mail_id()
    bookings.approve(platform_user, booked)
    db.session.commit()
    approved_mails = mails_since(mark)
    mark = last_mail_id()
    bookings.cancel(sme_user, booked, "样品未准备好")
    db.session.commit()
    cancelled_mails = mails_since(mark)

    assert sorted(mail.recipient for mail in booked_mails) == both
    assert [mail.recipient for mail in approved_mails] == [sme_user.email]
    assert sorted(mail.recipient for mail in cancelled_mails) == both
    steps = [("TENTATIVE", 0), ("CONFIRMED", 1), ("CANCELLED", 2)]
    for mails, (status, sequence) in zip(
        (booked_mails, approved_mails, cancelled_mails), steps, strict=True
    ):
        for mail in mails:
            assert mail.attachment_name == f"booking-{booked.id}.ics"
            event = the_event(mail)
            assert event.uid.value == f"booking-{booked.id}@equipment-share"
            assert event.status.value == status
            assert int(event.sequence.value) == sequence
            assert event.dtstart.value == local(DAY, 10)
            assert event.dtend.value == local(DAY, 12)


def test_a_rejected_booking_is_cancelled_in_the_calendar(setting):
    _, sme_user, platform_user = setting
    booked = book(setting)
    mark = last_mail_id()

    bookings.reject(platform_user, booked, "仪器校准")
    db.session.commit()

    [mail] = mails_since(mark)
    assert mail.recipient == sme_user.email
    event = the_event(mail)
    assert event.status.value == "CANCELLED" and int(event.sequence.value) == 1


def test_each_recipient_gets_the_file_they_would_download(setting):
    _, sme_user, platform_user = setting

    booked = book(setting)

    attachments = {mail.recipient: mail.attachment for mail in mails_since(0)}
    for user in (sme_user, platform_user):
        assert attachments[user.email] == single_booking_feed(user, booked).body.decode()
    # The platform's copy names the SME, as its download does; the SME's does not need to.
    assert "晋能新材料" in attachments[platform_user.email]
    assert "晋能新材料" not in attachments[sme_user.email]


class RecordingSMTP:
    """Stands in for smtplib.SMTP and keeps what would have been sent."""

    sent: list = []

    def __init__(self, host, port=25, timeout=None):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, mail):
        self.sent.append(mail)


@pytest.fixture
def smtp(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.test.example")
    monkeypatch.setattr(RecordingSMTP, "sent", [])
    monkeypatch.setattr("equipment_share.services.notifications.smtplib.SMTP", RecordingSMTP)
    return RecordingSMTP


def test_sent_mail_carries_the_calendar_as_text_calendar(setting, smtp):
    _, sme_user, _ = setting
    booked = book(setting)

    assert send_pending() == (2, 0)

    mail = next(mail for mail in smtp.sent if mail["To"] == sme_user.email)
    assert "拉曼光谱仪" in mail.get_body(("plain",)).get_content()
    [part] = mail.iter_attachments()
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("charset") == "utf-8"
    assert part.get_param("method") == "PUBLISH"
    assert part.get_filename() == f"booking-{booked.id}.ics"
    text = part.get_content()
    assert text.count("\r\n") == text.count("\n")  # CRLF line ends, as iCalendar requires
    assert vobject.readOne(text).vevent.uid.value == f"booking-{booked.id}@equipment-share"


def test_a_mail_without_attachment_is_sent_as_plain_text(app, smtp, make_user):
    user = make_user("sme")
    db.session.add(OutboxMessage(recipient=user.email, subject="Hello", body="Plain text\n"))
    db.session.commit()

    assert send_pending() == (1, 0)

    [mail] = smtp.sent
    assert not mail.is_multipart() and mail.get_content_type() == "text/plain"


def test_the_booking_transaction_writes_one_unaddressed_row_per_event(setting):
    _, sme_user, platform_user = setting
    booked = book(setting)

    [row] = db.session.scalars(select(OutboxMessage)).all()
    # named by the notice it leaves (the instrument needs approval: a request)
    assert (row.event, row.recipient, row.attachment) == ("booking_requested", "", None)
    # the text is written when it is sent too
    assert (row.booking_id, row.subject, row.body) == (booked.id, "", "")

    mails = mails_since(0)
    assert sorted(mail.recipient for mail in mails) == sorted([sme_user.email, platform_user.email])
    assert all(mail.event == "" and "拉曼光谱仪" in mail.subject for mail in mails)
    assert db.session.get(OutboxMessage, row.id) is None  # replaced by the addressed mails


def test_each_mail_states_the_booking_as_its_event_left_it(setting, make_equipment):
    """The text written at send time is the text the event's own transaction would have
    written, however the booking moved on before sending: each event's status and reason are
    the booking's right after it (what the text used to be composed from)."""
    equipment, sme_user, platform_user = setting
    at_once = make_equipment(equipment.platform, name="电镜", requires_approval=False)
    stories = [
        (equipment, [("approve", None), ("cancel", "样品未准备好")]),
        (equipment, [("reject", "仪器校准")]),
        (equipment, [("cancel", "改期")]),
        (at_once, [("cancel", "Plans changed")]),
        (at_once, []),
    ]
    expected: list[tuple[int, str, str]] = []
    for number, (instrument, steps) in enumerate(stories):
        booked = bookings.create_booking(
            sme_user, instrument.id, local(DAY, 8 + 2 * number), local(DAY, 9 + 2 * number)
        )
        kind = "booking_requested" if instrument.requires_approval else "booking_confirmed"
        expected.append(_text_now(booked, kind))
        for action, reason in steps:
            actor = sme_user if action == "cancel" else platform_user
            if action == "approve":
                bookings.approve(actor, booked)
            else:
                getattr(bookings, action)(actor, booked, reason)
            kind = {"approve": "booking_approved", "reject": "booking_rejected"}.get(
                action, "booking_cancelled"
            )
            expected.append(_text_now(booked, kind))
        db.session.commit()

    written = {(mail.booking_id, mail.subject, mail.body) for mail in mails_since(0)}

    assert written == set(expected)
    assert len(expected) == 10


def _text_now(booking, kind: str) -> tuple[int, str, str]:
    """The mail's text as the event's transaction would write it, checking that what it is
    composed from (the event's status and reason) is the booking's own state right now."""
    assert notifications.EVENT_STATUS[kind] == booking.status
    if kind not in notifications.EVENTS_WITH_REASON:
        assert booking.status_reason == ""
    return (booking.id, *notifications._compose(booking, kind))


def test_an_event_queued_with_its_text_is_mailed_with_it(setting):
    """Rows queued before the text moved to send time carry their subject and body."""
    booked = book(setting)
    db.session.execute(update(OutboxMessage).values(subject="旧主题", body="旧正文\n"))
    db.session.commit()

    mails = mails_since(0)

    assert len(mails) == 2
    assert all(
        (mail.booking_id, mail.subject, mail.body) == (booked.id, "旧主题", "旧正文\n")
        for mail in mails
    )


def test_a_mail_addressed_after_a_later_change_carries_the_newer_state(setting):
    _, sme_user, platform_user = setting
    booked = book(setting)
    bookings.approve(platform_user, booked)
    db.session.commit()

    booked_mails = [mail for mail in mails_since(0) if "新预约" in mail.subject]

    assert len(booked_mails) == 2
    for mail in booked_mails:
        event = the_event(mail)
        assert (event.status.value, int(event.sequence.value)) == ("CONFIRMED", 1)


def test_a_platform_user_added_before_sending_gets_the_mail(setting, make_user):
    equipment, sme_user, platform_user = setting
    book(setting)
    newcomer = make_user("platform", equipment.platform)

    recipients = {mail.recipient for mail in mails_since(0)}

    assert recipients == {sme_user.email, platform_user.email, newcomer.email}
