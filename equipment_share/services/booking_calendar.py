"""A booking as iCalendar, for its parties: the download at /bookings/<id>.ics and the attachment
of every mail about the booking (the same file), so a calendar client adds the booking and updates
it with each later mail (same UID, higher SEQUENCE, STATUS:CANCELLED once cancelled or rejected).

Calendar clients send no language, so fixed texts are bilingual; a user's own feed speaks the
language the user chose (EventWords).
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import force_locale

from equipment_share.domain.availability import Interval
from equipment_share.domain.bookings import STATUS_WORDS, BookingStatus
from equipment_share.domain.calendar_export import CalendarEvent, Feed, build_calendar
from equipment_share.domain.errors import N_
from equipment_share.i18n import translate
from equipment_share.models import Booking, Role, User

STATUS_OF = {
    BookingStatus.PENDING: "TENTATIVE",
    BookingStatus.CANCELLED: "CANCELLED",
    BookingStatus.REJECTED: "CANCELLED",
}


def ical_status(booking) -> str:
    """The iCalendar STATUS of a booking (or of a row with its status)."""
    return STATUS_OF.get(booking.status, "CONFIRMED")


@dataclass(frozen=True)
class EventWords:
    """The fixed words of booking events in one language, translated once per feed."""

    locale: str
    status: str
    enterprise: str
    statuses: dict[BookingStatus, str]

    def name(self, chinese: str, english: str) -> str:
        return english if self.locale == "en" and english else chinese


def event_words(locale: str) -> EventWords:
    with force_locale(locale):
        return EventWords(
            locale=locale,
            status=translate(N_("Status: %(status)s")),
            enterprise=translate(N_("Enterprise: %(name)s")),
            statuses={status: translate(word) for status, word in STATUS_WORDS.items()},
        )


def booking_event(
    booking: Booking, *, with_sme: bool, words: EventWords | None = None
) -> CalendarEvent:
    """A booking for one of its parties: instrument, place, status, and the SME to the platform;
    in the language of `words`, else in both."""
    summary, description = booking_texts(
        booking.status,
        booking.purpose,
        booking.status_reason,
        booking.equipment,
        booking.organization,
        with_sme=with_sme,
        words=words,
    )
    return CalendarEvent(
        uid=f"booking-{booking.id}@equipment-share",
        interval=Interval(booking.start_at, booking.end_at),
        summary=summary,
        description=description,
        location=booking.equipment.location,
        status=ical_status(booking),
        sequence=booking.sequence,
        last_modified=booking.updated_at,
    )


def booking_texts(
    status: BookingStatus,
    purpose: str,
    status_reason: str,
    equipment,
    sme,
    *,
    with_sme: bool,
    words: EventWords | None = None,
) -> tuple[str, str]:
    """A booking's SUMMARY and DESCRIPTION; `equipment` and `sme` are objects or rows with
    name and name_en."""
    if words is None:
        name = equipment.name_en and f"{equipment.name} / {equipment.name_en}" or equipment.name
        sme_name = sme.name
        lines = [f"Status: {status.value}"]
        if with_sme:
            lines.append(f"SME: {sme_name}")
    else:
        name = words.name(equipment.name, equipment.name_en)
        sme_name = words.name(sme.name, sme.name_en)
        lines = [words.status % {"status": words.statuses[status]}]
        if with_sme:
            lines.append(words.enterprise % {"name": sme_name})
    summary = f"{name} – {sme_name}" if with_sme else name
    if purpose:
        lines.append(purpose)
    if status_reason:
        lines.append(status_reason)
    return summary, "\n".join(lines)


def single_booking_feed(viewer: User, booking: Booking) -> Feed:
    """One booking for a party that can see it (the caller checks visibility): the download and
    the attachment of the booking's mails. Its UID stays; SEQUENCE grows with each change of
    state, and a cancelled or rejected booking is STATUS:CANCELLED, so clients update the event.
    """
    with_sme = viewer.role != Role.SME
    event = booking_event(booking, with_sme=with_sme)
    body = build_calendar(
        [event],
        name=f"Booking {booking.id}",
        tz=ZoneInfo(booking.equipment.timezone),
        now=booking.updated_at,
    )
    return Feed(body, booking.updated_at, f"booking-{booking.id}.ics")
