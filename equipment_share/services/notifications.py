"""Mail about bookings: written to the outbox in the booking's transaction, sent after commit.
Each event also leaves a notice in the app and a group-robot post (services/notices.announce).

Mails are bilingual (Chinese first), since the recipient's language is not known when a
platform's shared mailbox receives them. Each carries the booking as an .ics file, the one
/bookings/<id>.ics serves to the recipient, so a calendar client adds the booking and updates it
with each later mail (same UID, higher SEQUENCE, STATUS:CANCELLED once cancelled or rejected).

The booking's transaction writes one outbox row per event, naming the kind of notice it leaves
and who made the change; the mail's subject and text, who is told, their notices and
group-robot posts, and the .ics each mail recipient gets are worked out when it is sent
(`expand_booking_events`), outside the booking's transaction, which no longer reads the
platform's users nor formats dates and fees. A booking's notices so appear when its mail is
sent: right after the commit where SMTP is configured, else at the next `flask send-mail`
(every minute from the timer). The mail's text states the booking's status and reason as the
event left them (`EVENT_STATUS`; a rejection and a cancellation are final, so their reason is
still the booking's); the instrument's and the enterprise's names, the .ics and the notice's
values are as they are then: a mail sent after a later change carries the newer state (a higher
SEQUENCE), which a calendar client keeps anyway.

Sending takes each row under a row lock that other senders skip (PostgreSQL: FOR UPDATE SKIP
LOCKED), so two app servers or two `flask send-mail` running at once send every mail once.
SQLite has no row locks: run one sender there (scale-out needs PostgreSQL).
"""

import logging
import smtplib
import threading
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import insert, select

from equipment_share.database import note_write, request_committed
from equipment_share.domain.bookings import BookingStatus
from equipment_share.extensions import db
from equipment_share.i18n import format_money, format_money_code
from equipment_share.models import (
    Booking,
    OutboxMessage,
    Role,
    UsageRecord,
    User,
    as_loaded,
    utcnow,
)
from equipment_share.services.booking_calendar import single_booking_feed
from equipment_share.services.notices import announce, booking_params, usage_params

log = logging.getLogger(__name__)
OUTBOX_WRITTEN = "outbox_written"

# A booking event is named by the notice it leaves; its mail's subject words.
EVENTS = {
    "booking_requested": ("新预约", "New booking"),
    "booking_confirmed": ("新预约", "New booking"),
    "booking_approved": ("预约已确认", "Booking approved"),
    "booking_rejected": ("预约被拒绝", "Booking rejected"),
    "booking_cancelled": ("预约已取消", "Booking cancelled"),
}
# Events queued before the notices moved to send time: their notices were written with the
# change, so sending them writes the mail only.
EARLIER_EVENTS = {
    "booked": "booking_confirmed",
    "approved": "booking_approved",
    "rejected": "booking_rejected",
    "cancelled": "booking_cancelled",
}
# The booking's status right after each event, which its mail states even when the booking has
# moved on by the time the mail is written (approved before its request's mail went out, say).
EVENT_STATUS = {
    "booking_requested": BookingStatus.PENDING,
    "booking_confirmed": BookingStatus.CONFIRMED,
    "booking_approved": BookingStatus.CONFIRMED,
    "booking_rejected": BookingStatus.REJECTED,
    "booking_cancelled": BookingStatus.CANCELLED,
}
# Events that leave a reason on the booking; the others leave none (states they leave are final).
EVENTS_WITH_REASON = ("booking_rejected", "booking_cancelled")
STATUS_WORDS = {
    "pending": ("待审核", "pending approval"),
    "confirmed": ("已确认", "confirmed"),
    "rejected": ("已拒绝", "rejected"),
    "cancelled": ("已取消", "cancelled"),
    "completed": ("已完成", "completed"),
    "no_show": ("未到场", "no-show"),
}


def _platform_recipients(booking: Booking) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(
                User.organization_id == booking.equipment.platform_id,
                User.role == Role.PLATFORM,
                User.active.is_(True),
            )
        )
    )


def _tells_both_sides(kind: str) -> bool:
    """New and cancelled bookings concern both sides; decisions concern the booking SME."""
    return kind in ("booking_requested", "booking_confirmed", "booking_cancelled")


def _mail_recipients(booking: Booking, platform_users: list[User]) -> list[User]:
    by_email = {user.email: user for user in [booking.booked_by, *platform_users]}
    return [by_email[email] for email in sorted(by_email)]


def _compose(booking: Booking, kind: str) -> tuple[str, str]:
    zone = ZoneInfo(booking.equipment.timezone)
    start = booking.start_at.astimezone(zone)
    end = booking.end_at.astimezone(zone)
    when = (
        f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
        if start.date() == end.date()
        else (f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}")
    )
    event_zh, event_en = EVENTS[kind]
    status_zh, status_en = STATUS_WORDS[EVENT_STATUS[kind].value]
    reason = booking.status_reason if kind in EVENTS_WITH_REASON else ""
    equipment = booking.equipment
    subject = f"【仪器共享】{event_zh} {equipment.name} {when} / {event_en}"
    lines = [
        f"{event_zh}：{equipment.name}",
        f"时间：{when}（{equipment.timezone}）",
        f"企业：{booking.organization.name}",
        f"状态：{status_zh}",
        f"预计费用：{format_money(booking.estimated_fee, 'zh_CN')}",
    ]
    if reason:
        lines.append(f"原因：{reason}")
    lines += [
        "",
        f"{event_en}: {equipment.name_en or equipment.name}",
        f"When: {when} ({equipment.timezone})",
        f"Enterprise: {booking.organization.name_en or booking.organization.name}",
        f"Status: {status_en}",
        f"Estimated fee: {format_money_code(booking.estimated_fee)}",
        f"Booking no. {booking.id}",
    ]
    if reason:
        lines.append(f"Reason: {reason}")
    return subject, "\n".join(lines) + "\n"


def _notice_kind(status: BookingStatus, event: str) -> str:
    if event == "booked":
        return "booking_requested" if status == BookingStatus.PENDING else "booking_confirmed"
    return f"booking_{event}"


def booking_event(booking: Booking, event: str, *, actor: User | None = None) -> OutboxMessage:
    """One outbox row for the event ("booked", "approved", "rejected" or "cancelled"), named by
    the kind of notice it leaves; the mail's text and who is told are worked out when it is sent
    (`expand_booking_events`). `actor`, who made the change, is not told."""
    values = booking_event_values(booking.status, event, actor.id if actor is not None else None)
    values["booking_id"] = booking.id
    # One INSERT of the table, not a flush of a new object through the unit of work, which
    # cost about as much CPU as the statement on the booking path (benchmarks/profile_booking.py).
    values["id"] = db.session.connection().execute(APPEND_EVENT, values).scalar_one()
    note_event_written()
    return as_loaded(OutboxMessage, values)  # the row as written, not pending in the session


def booking_event_values(status: BookingStatus, event: str, actor_id: int | None) -> dict:
    """The outbox row of an event of a booking in `status` (after the change), but for its
    booking_id and id: for booking_event, and for a booking's INSERT that writes its event in
    the same statement (services/bookings)."""
    kind = _notice_kind(status, event)
    if kind not in EVENTS:
        raise ValueError(f"unknown booking event: {event!r}")
    return {
        "recipient": "",
        "subject": "",
        "body": "",
        "created_at": utcnow(),
        "sent_at": None,
        "attempts": 0,
        "last_error": "",
        "attachment_name": "",
        "attachment": None,
        "event": kind,
        "actor_id": actor_id,
    }


def note_event_written() -> None:
    """After an outbox row's INSERT: the transaction has written, and its mail goes after commit."""
    note_write(db.session)
    db.session.info[OUTBOX_WRITTEN] = True


APPEND_EVENT = insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id)


def _announce_booking(booking: Booking, row: OutboxMessage, platform_users: list[User]) -> None:
    """In the app: a new booking to the platform; a decision to the SME who booked; a
    cancellation to both sides, except whoever cancelled."""
    kind = row.event
    if kind in ("booking_requested", "booking_confirmed"):
        recipients = platform_users
    elif kind == "booking_cancelled":
        recipients = [booking.booked_by, *platform_users]
    else:
        recipients = [booking.booked_by]
    announce(
        kind, "booking", booking.id, booking_params(booking), recipients, exclude_id=row.actor_id
    )


def _expand(row: OutboxMessage, booking: Booking) -> int:
    """The event's notices, and its mails with the .ics; returns how many mails."""
    kind = EARLIER_EVENTS.get(row.event, row.event)
    platform_users = _platform_recipients(booking) if _tells_both_sides(kind) else []
    if row.event in EVENTS:
        _announce_booking(booking, row, platform_users)
    recipients = _mail_recipients(booking, platform_users)
    # an event queued before the text moved to send time has its text
    subject, body = (row.subject, row.body) if row.subject else _compose(booking, kind)
    for recipient in recipients:
        calendar = single_booking_feed(recipient, booking)
        db.session.add(
            OutboxMessage(
                recipient=recipient.email,
                subject=subject,
                body=body,
                booking_id=booking.id,
                created_at=row.created_at,
                attachment_name=calendar.filename,
                attachment=calendar.body.decode("utf-8"),
            )
        )
    return len(recipients)


def expand_booking_events(limit: int = 100) -> int:
    """Turn unsent booking events into their notices and one mail per recipient, each with the
    booking's .ics; returns how many mails were written. Rows another sender holds are
    skipped."""
    events = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.event != "", OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    written = 0
    for row in events:
        booking = db.session.get(Booking, row.booking_id) if row.booking_id else None
        if booking is not None:
            written += _expand(row, booking)
        db.session.delete(row)
    db.session.commit()
    return written


USAGE_EVENTS = {
    "usage_recorded": ("使用记录待确认", "Usage recorded: please confirm"),
    "usage_charged": ("产生费用待确认", "Charge recorded: please confirm"),
    "usage_corrected": ("使用记录已更正，待确认", "Usage corrected: please confirm"),
    "usage_disputed": ("使用记录有异议", "Usage disputed"),
}
USAGE_KIND_WORDS = {
    "usage": ("使用", "use"),
    "no_show": ("未到场费", "no-show fee"),
    "late_cancellation": ("逾期取消费", "late cancellation fee"),
}


def _usage_recipients(record: UsageRecord, event: str) -> list[str]:
    """Disputes go to the platform; everything else asks the booking SME to confirm."""
    if event == "usage_disputed":
        return sorted({user.email for user in _platform_recipients(record.booking)})
    return [record.booking.booked_by.email]


def _compose_usage(record: UsageRecord, event: str) -> tuple[str, str]:
    booking, equipment = record.booking, record.booking.equipment
    zone = ZoneInfo(equipment.timezone)
    start = record.actual_start or booking.start_at
    end = record.actual_end or booking.end_at
    when = f"{start.astimezone(zone):%Y-%m-%d %H:%M} – {end.astimezone(zone):%Y-%m-%d %H:%M}"
    event_zh, event_en = USAGE_EVENTS[event]
    kind_zh, kind_en = USAGE_KIND_WORDS[record.kind.value]
    days = current_app.config.get("USAGE_AUTO_CONFIRM_DAYS", 7)
    subject = f"【仪器共享】{event_zh} {equipment.name} / {event_en}"
    lines = [
        f"{event_zh}：{equipment.name}（{kind_zh}）",
        f"时间：{when}（{equipment.timezone}）",
        f"计费时长：{record.billable_minutes} 分钟",
        f"费用：{format_money(record.fee, 'zh_CN')}",
    ]
    if record.status_reason:
        lines.append(f"原因：{record.status_reason}")
    if event != "usage_disputed":
        lines.append(f"请在 {days} 天内确认或提出异议，逾期将自动确认。")
    lines += [
        "",
        f"{event_en}: {equipment.name_en or equipment.name} ({kind_en})",
        f"When: {when} ({equipment.timezone})",
        f"Billable: {record.billable_minutes} min",
        f"Fee: {format_money_code(record.fee)}",
        f"Booking no. {booking.id}, usage record no. {record.id}",
    ]
    if record.status_reason:
        lines.append(f"Reason: {record.status_reason}")
    if event != "usage_disputed":
        lines.append(f"Please confirm or dispute within {days} days; after that it is confirmed.")
    return subject, "\n".join(lines) + "\n"


def usage_event(record: UsageRecord, event: str) -> list[OutboxMessage]:
    recipients = (
        _platform_recipients(record.booking)
        if event == "usage_disputed"
        else [record.booking.booked_by]
    )
    announce(event, "usage", record.id, usage_params(record), recipients)
    subject, body = _compose_usage(record, event)
    messages = [
        OutboxMessage(recipient=email, subject=subject, body=body, booking_id=record.booking_id)
        for email in _usage_recipients(record, event)
    ]
    db.session.add_all(messages)
    db.session.info[OUTBOX_WRITTEN] = True
    return messages


def _deliver(message: OutboxMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        log.info(
            "mail to %s: %s\n%s%s",
            message.recipient,
            message.subject,
            message.body,
            f"[attached: {message.attachment_name}]" if message.attachment else "",
        )
        return
    mail = EmailMessage()
    mail["From"] = config.get("MAIL_SENDER", "equipment-share@localhost")
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail.set_content(message.body)
    if message.attachment:
        # As bytes (base64), so the file keeps the CRLF line ends iCalendar requires.
        mail.add_attachment(
            message.attachment.encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename=message.attachment_name or "booking.ics",
            params={"charset": "utf-8", "method": "PUBLISH"},
        )
    with smtplib.SMTP(config["MAIL_SERVER"], config.get("MAIL_PORT", 25), timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        smtp.send_message(mail)


def _next_unsent(after_id: int, max_attempts: int) -> OutboxMessage | None:
    """The next unsent mail, locked; one another sender holds is skipped (PostgreSQL)."""
    return db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.id > after_id,
            OutboxMessage.event == "",
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.attempts < max_attempts,
        )
        .order_by(OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def send_pending(limit: int = 100, max_attempts: int = 5) -> tuple[int, int]:
    """Send unsent mail (to the log when no SMTP server is configured); returns (sent, failed).

    One mail at a time, each locked until it is marked sent and committed, so a sender running
    at the same time (another app server, another cron job) never sends it too."""
    expand_booking_events(limit)
    sent = failed = last_id = 0
    for _ in range(limit):
        message = _next_unsent(last_id, max_attempts)
        if message is None:
            break
        last_id = message.id
        message.attempts += 1
        try:
            _deliver(message)
        except (OSError, smtplib.SMTPException) as error:
            message.last_error = str(error)[:2000]
            failed += 1
        else:
            message.sent_at = utcnow()
            sent += 1
        db.session.commit()
    return sent, failed


def init_app(app) -> None:
    request_committed.connect(send_after_commit, sender=app)


def send_after_commit(app) -> None:
    """Send what this request queued, outside the request (SEND_AFTER_COMMIT): the mail, and a
    booking's notices, which are written when its event is sent."""
    if not db.session.info.pop(OUTBOX_WRITTEN, False) or not app.config["SEND_AFTER_COMMIT"]:
        return

    def send_in_background() -> None:
        with app.app_context():
            send_pending()

    threading.Thread(target=send_in_background, daemon=True).start()
