"""The PostgreSQL reset between tests (tests/conftest.py, fresh_postgres_database): it empties
the tables of a schema that is still create_all's, makes the schema again when a test changed
it, and leaves the audit table's refusal of TRUNCATE in force."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from equipment_share.extensions import db
from equipment_share.models import Organization
from tests.conftest import count_rows, fresh_postgres_database

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture(autouse=True)
def postgres_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite copies a fresh file for each test")


def table_oid() -> int:
    return db.session.scalar(text("SELECT 'organizations'::regclass::oid"))


def reset() -> None:
    db.session.remove()  # the session's transaction would hold the locks the reset waits for
    fresh_postgres_database()


def test_the_tables_are_emptied_and_the_ids_start_again(make_org):
    make_org("platform")
    make_org("sme")
    db.session.commit()
    oid = table_oid()

    reset()

    assert count_rows(Organization) == 0
    assert table_oid() == oid  # emptied, not made again
    assert make_org("sme").id == 1


def test_the_audit_table_still_refuses_truncate_after_a_reset():
    reset()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("TRUNCATE audit_entries"))
    db.session.rollback()


@pytest.mark.parametrize(
    "change",
    [
        "ALTER TABLE audit_entries DISABLE TRIGGER USER",
        "DROP TRIGGER audit_entries_no_truncate ON audit_entries",
        "CREATE TABLE left_behind (id integer)",
        "ALTER TABLE organizations ADD COLUMN left_behind integer",
        "DROP INDEX ix_production_runs_range",
    ],
)
def test_a_schema_a_test_changed_is_made_again(change):
    oid = table_oid()
    db.session.execute(text(change))
    db.session.commit()

    reset()

    assert table_oid() != oid
    triggers = db.session.execute(
        text(
            "SELECT tgname, tgenabled FROM pg_trigger"
            " WHERE tgrelid = 'audit_entries'::regclass AND NOT tgisinternal"
        )
    ).all()
    assert sorted(triggers) == [
        ("audit_entries_append_only", "O"),
        ("audit_entries_chain_head", "O"),
        ("audit_entries_no_truncate", "O"),
    ]
    assert db.session.scalar(text("SELECT to_regclass('left_behind')")) is None
    assert db.session.scalar(text("SELECT to_regclass('ix_production_runs_range')")) is not None
