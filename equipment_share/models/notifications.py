from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from equipment_share.models.base import Base, UTCDateTime, utcnow


class OutboxMessage(Base):
    """A mail written in the same transaction as the change it reports; sent after commit."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # The booking as an iCalendar file (text/calendar), so calendar clients add or update it.
    attachment_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    attachment: Mapped[str | None] = mapped_column(Text)
    # A booking event not yet addressed, named by the notice it leaves ("booking_requested",
    # "booking_cancelled", ...): the booking's transaction writes one such row, and sending turns
    # it into the in-app notices and one mail per recipient, each with the booking's .ics
    # (services/notifications.expand_booking_events). Empty for a mail.
    event: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # Who made the change the event reports: they get no notice of it. (A user is never deleted.)
    actor_id: Mapped[int | None] = mapped_column()


class Notification(Base):
    """A notice in the app for one user, written in the same transaction as the change it
    reports, or for a booking's change when its outbox event is sent. Only the kind and its
    values are stored: the text is rendered in the reader's language when it is shown
    (services/notice_text.py)."""

    __tablename__ = "notifications"
    __table_args__ = (
        # the list: one user's notices, newest first
        Index("ix_notifications_user_id_id", "user_id", "id"),
        # the bell on every page: COUNT of one user's unread notices, from a small index
        Index(
            "ix_notifications_unread",
            "user_id",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int | None] = mapped_column()
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookChannel(Base):
    """An organisation's group robot (WeCom or DingTalk): where its notices are posted too."""

    __tablename__ = "webhook_channels"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(String(500))
    # DingTalk's signing secret ("SEC…"); it signs each post, so it is kept as given.
    secret: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookMessage(Base):
    """A post to a group robot, queued in the change's transaction and sent by `send-webhooks`,
    retried like mail. The robot's kind and address are copied at queueing; the DingTalk secret
    is read from the channel when sending."""

    __tablename__ = "webhook_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(String(500))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
