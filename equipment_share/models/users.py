import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import DDL, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from equipment_share.models.base import Base, UTCDateTime, utcnow
from equipment_share.models.organizations import Organization, enum_column


class Role(enum.StrEnum):
    ADMIN = "admin"
    PLATFORM = "platform"
    SME = "sme"
    FINANCE = "finance"


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(10), default="")
    # SHA-256 of the secret in the user's calendar feed link (the secret itself is not stored)
    calendar_feed_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of the session's user id: raising it (sign-out, password change, lockout) ends every
    # session signed in before, copied cookies included.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    failed_sign_ins: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set after too many wrong passwords in a row; an admin lifts it.
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization | None] = relationship(back_populates="users")
    tokens = relationship("ApiToken", back_populates="user", cascade="all, delete-orphan")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """Flask-Login keeps this in the session; see session_generation."""
        return f"{self.id}.{self.session_generation}"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses inactive users; a pending organisation's users wait for approval."""
        if not self.active:
            return False
        return self.organization is None or self.organization.is_approved

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


_dummy_password_hash: str | None = None


def check_dummy_password(password: str) -> None:
    """Costs what checking a real user's password costs, so that an unknown e-mail address is
    not told apart by how fast the sign-in answers."""
    global _dummy_password_hash
    if _dummy_password_hash is None:
        _dummy_password_hash = generate_password_hash("no user has this password")
    check_password_hash(_dummy_password_hash, password)


class ApiToken(Base):
    """A bearer token for the API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")


# PostgreSQL tells every connection that listens on this channel when anything a token check
# reads (services/tokens.TOKEN_CHECK) is written, by any statement, ORM or not, at the writer's
# commit: unchanged_reads keeps a check's answer on a connection until then. A token's last use
# (written once a minute) and its label are not read by the check, so they tell nobody.
TOKEN_CHECKS_CHANNEL = "token_checks"  # nosec B105  # a LISTEN channel, not a secret
TOKEN_CHECK_COLUMNS = {
    "api_tokens": ("token_hash", "user_id"),
    "users": ("active", "role", "organization_id", "email", "name"),
    "organizations": ("status", "name", "kind"),
}
TOKEN_CHECK_NOTICES = {
    "postgresql": [
        "CREATE OR REPLACE FUNCTION token_checks_changed() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN PERFORM pg_notify('{TOKEN_CHECKS_CHANNEL}', ''); RETURN NULL; END $$",
        *(
            f"CREATE TRIGGER {table}_token_checks AFTER INSERT OR DELETE OR TRUNCATE "
            f"OR UPDATE OF {', '.join(columns)} ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION token_checks_changed()"
            for table, columns in TOKEN_CHECK_COLUMNS.items()
        ),
    ],
}
# on the metadata: the triggers need every table they watch
for dialect, statements in TOKEN_CHECK_NOTICES.items():
    for statement in statements:
        event.listen(Base.metadata, "after_create", DDL(statement).execute_if(dialect=dialect))
