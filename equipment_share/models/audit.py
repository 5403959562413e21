from datetime import datetime

from sqlalchemy import DDL, JSON, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from equipment_share.models.base import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    """One change to a business object: who, when, what, from and to, why. Append-only.

    Entries form a hash chain in `position` order: `entry_hash` covers the entry's content and
    `previous_hash`, the hash of the entry before it, so an edited, deleted or reordered entry
    breaks the chain (domain/audit_chain.py; `flask verify-audit`). The database itself refuses
    to update or delete an entry (APPEND_ONLY triggers below); a SQLite batch migration that
    rebuilds this table must create them again.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_object", "object_type", "object_id"),
        Index("ix_audit_entries_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(40), default="")
    to_state: Mapped[str] = mapped_column(String(40), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The audit chain's last entry: one row (id 1) with its position and hash. Appending an
    entry locks this row and reads the previous position and hash in one statement
    (services/audit.py); a trigger on audit_entries moves it on with every entry written, however
    written (CHAIN_HEAD_FOLLOWS). Missing until the first entry is appended through the app."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    position: Mapped[int]
    entry_hash: Mapped[str] = mapped_column(String(64))


# Each new entry moves the chain's head on (never back, whatever order entries are written in).
_FOLLOW = (
    "INSERT INTO audit_chain_head (id, position, entry_hash) "
    "VALUES (1, NEW.position, NEW.entry_hash) "
    "ON CONFLICT (id) DO UPDATE SET position = excluded.position, "
    "entry_hash = excluded.entry_hash WHERE audit_chain_head.position < excluded.position;"
)
CHAIN_HEAD_FOLLOWS = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_entries_chain_head AFTER INSERT ON audit_entries "
        f"BEGIN {_FOLLOW} END"
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_chain_head_follows() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN {_FOLLOW} RETURN NULL; END $$",
        "CREATE TRIGGER audit_entries_chain_head AFTER INSERT ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION audit_chain_head_follows()",
    ],
}

# The database refuses to change or remove an entry, whatever the application does.
APPEND_ONLY = {
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS audit_entries_no_{verb.lower()} BEFORE {verb} "
        "ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END"
        for verb in ("UPDATE", "DELETE")
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit entries are append-only'; END $$",
        "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
        "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()",
    ],
}
for dialect, statements in APPEND_ONLY.items():
    for statement in (*statements, *CHAIN_HEAD_FOLLOWS[dialect]):
        event.listen(
            AuditEntry.__table__, "after_create", DDL(statement).execute_if(dialect=dialect)
        )
