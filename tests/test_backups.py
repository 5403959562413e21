"""flask backup PATH and flask restore PATH: a backup restored into a fresh database has every
row of every table and the same audit chain head."""

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from equipment_share import create_app
from equipment_share.extensions import db
from equipment_share.services import audit, bookings
from tests.clock import local, next_weekday


def every_row(engine) -> dict[str, list[tuple]]:
    """Each table's rows as plain tuples, in a stable order."""
    rows = {}
    with engine.connect() as connection:
        for table in sorted(inspect(connection).get_table_names()):
            result = connection.execute(text(f'SELECT * FROM "{table}"'))
            rows[table] = sorted((tuple(row) for row in result), key=repr)
    return rows


@pytest.fixture
def fresh_database_url(database_url, tmp_path):
    """An empty database beside the test's own: a new SQLite file, or a new PostgreSQL
    database dropped afterwards."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"{url.database}_restored"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture
def some_data(app, make_equipment, make_user):
    """Organisations, users, an instrument with its rate card, bookings, an outbox and a
    chain of audit entries."""
    sme_user = make_user("sme")
    equipment = make_equipment()
    day = next_weekday(0)
    for hour in (9, 11, 14):
        bookings.create_booking(
            sme_user, equipment.id, local(day, hour), local(day, hour + 1), f"测试 {hour}"
        )
    db.session.commit()
    assert audit.head()[0] >= 3


def test_a_backup_restores_every_row_and_the_audit_chain_head(
    app, some_data, fresh_database_url, tmp_path
):
    backup_file = tmp_path / "equipment_share.backup"
    source_rows, source_head = every_row(db.engine), audit.head()

    made = app.test_cli_runner().invoke(args=["backup", str(backup_file)])
    restored_app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": fresh_database_url}
    )
    with restored_app.app_context():
        restored = restored_app.test_cli_runner().invoke(args=["restore", str(backup_file)])
        restored_rows, restored_head = every_row(db.engine), audit.head()
        db.session.remove()
        db.engine.dispose()

    assert made.exit_code == 0, made.output
    assert restored.exit_code == 0, restored.output
    assert f"head {source_head[0]} {source_head[1]}" in restored.output
    assert restored_head == source_head
    assert restored_rows == source_rows
    assert sum(map(len, restored_rows.values())) > 10


def test_restore_refuses_a_database_that_is_not_empty(app, some_data, tmp_path):
    backup_file = tmp_path / "equipment_share.backup"
    runner = app.test_cli_runner()
    runner.invoke(args=["backup", str(backup_file)])
    rows_before = every_row(db.engine)

    refused = runner.invoke(args=["restore", str(backup_file)])

    assert refused.exit_code != 0
    assert "not empty" in refused.output
    assert every_row(db.engine) == rows_before
