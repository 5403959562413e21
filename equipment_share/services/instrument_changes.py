"""Keeping the database's notes of changed instruments (models/instrument_changes.py) few."""

from sqlalchemy import text

from equipment_share.extensions import db

# One statement, one snapshot: the notes it deletes are those it saw, so a note of a transaction
# still open (whatever its id) survives and moves the fingerprint when it commits.
_COMPACT = text(
    """
    WITH many AS (
        SELECT equipment_id, max(id) AS latest FROM instrument_changes
        GROUP BY equipment_id HAVING count(*) > 1
    ), renewed AS (
        INSERT INTO instrument_changes (equipment_id)
        SELECT equipment_id FROM many ORDER BY equipment_id
    )
    DELETE FROM instrument_changes AS note USING many
    WHERE note.equipment_id = many.equipment_id AND note.id <= many.latest
    """
)


def compact() -> int:
    """Replace each instrument's many notes by one new note; the number of notes removed.

    A fingerprint reads the notes' count, sum and greatest id. The new note's id is greater than
    any seen before, so the fingerprint after compacting is one no page was kept under (keeping
    the latest note instead could bring back an earlier value: one note, that id). SQLite keeps
    one note an instrument already."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return 0
    return connection.execute(_COMPACT).rowcount
