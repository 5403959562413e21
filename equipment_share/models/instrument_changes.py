from sqlalchemy import DDL, BigInteger, Index, Integer, event
from sqlalchemy.orm import Mapped, mapped_column

from equipment_share.models.base import Base


class InstrumentChange(Base):
    """A note, written by the database itself (TRIGGERS below), that an instrument's time
    changed: a booking, idle window, production run or maintenance block of it was added,
    changed or removed, by any statement, ORM or not. What an instrument's free and busy time
    is made of is then its row, its platform's and these notes' count, sum and greatest id:
    one index read (services/page_fingerprints.py), however many bookings it has.

    Notes are only ever added, never updated, so writing one takes no lock: a booking and a
    job that cancels bookings of many instruments cannot deadlock over them. A note of a
    transaction still open is counted once it commits, whatever its id. On PostgreSQL one note
    per instrument per statement (statement triggers over the changed rows); on SQLite, whose
    writers take turns, each change replaces the instrument's one note with a new one (ids
    never come back: AUTOINCREMENT). `compact` (services/instrument_changes.py) keeps the
    PostgreSQL notes few.
    """

    __tablename__ = "instrument_changes"
    __table_args__ = (
        Index("ix_instrument_changes_equipment_id", "equipment_id", "id"),
        {"sqlite_autoincrement": True},
    )

    # no foreign key: checking one would lock the instrument's row (KEY SHARE)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    equipment_id: Mapped[int] = mapped_column()


WATCHED_TABLES = ("bookings", "idle_windows", "production_runs", "maintenance_blocks")

# SQLite: per row, the instrument's note replaced by a new one (OLD and NEW of an update both)
_SQLITE_ROWS = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}
_SQLITE_NOTE = (
    "DELETE FROM instrument_changes WHERE equipment_id = {row}.equipment_id; "
    "INSERT INTO instrument_changes (equipment_id) VALUES ({row}.equipment_id);"
)
# PostgreSQL: per statement, one note for each instrument among the changed rows (a transition
# table may serve one event only, so three triggers a table)
_POSTGRESQL_ROWS = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}
_POSTGRESQL_NOTE = """
CREATE OR REPLACE FUNCTION instrument_changes_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO instrument_changes (equipment_id)
        SELECT DISTINCT equipment_id FROM new_rows ORDER BY 1;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO instrument_changes (equipment_id)
        SELECT equipment_id FROM old_rows UNION SELECT equipment_id FROM new_rows ORDER BY 1;
    ELSE
        INSERT INTO instrument_changes (equipment_id)
        SELECT DISTINCT equipment_id FROM old_rows ORDER BY 1;
    END IF;
    RETURN NULL;
END $$
"""
TRIGGERS = {
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS {table}_changes_{verb.lower()} AFTER {verb} ON {table} "
        f"BEGIN {' '.join(_SQLITE_NOTE.format(row=row) for row in rows)} END"
        for table in WATCHED_TABLES
        for verb, rows in _SQLITE_ROWS.items()
    ],
    "postgresql": [
        _POSTGRESQL_NOTE,
        *(
            f"CREATE TRIGGER {table}_changes_{verb.lower()} AFTER {verb} ON {table} "
            f"REFERENCING {rows} FOR EACH STATEMENT EXECUTE FUNCTION instrument_changes_note()"
            for table in WATCHED_TABLES
            for verb, rows in _POSTGRESQL_ROWS.items()
        ),
    ],
}
# on the metadata, not the table: the triggers need the tables they watch to exist first
for dialect, statements in TRIGGERS.items():
    for statement in statements:
        event.listen(Base.metadata, "after_create", DDL(statement).execute_if(dialect=dialect))
