"""Answers kept on a SQLite connection while the database is unchanged (unchanged_reads.py):
read again after any commit elsewhere or any write of the connection's own, never kept from a
transaction that wrote. On PostgreSQL only the token check's answer is kept, until the
database's notification of a change to what it reads. The token checks that rely on it are in
tests/api/test_token_checks.py."""

import select
import sqlite3

import psycopg
import pytest
from sqlalchemy import event, text

from equipment_share import create_app, unchanged_reads
from equipment_share.extensions import db
from equipment_share.models.users import TOKEN_CHECKS_CHANNEL
from tests.api.test_token_checks import WINDOW


def test_sqlite_data_version_is_the_snapshots_for_the_whole_read_transaction(tmp_path):
    """What the module rests on: inside a read transaction, data_version does not move when
    another connection commits, and it moves in the next transaction, which sees the commit."""
    path = tmp_path / "versions.sqlite3"
    reader, writer = (sqlite3.connect(path, isolation_level=None) for _ in range(2))
    reader.execute("PRAGMA journal_mode=WAL")
    reader.execute("CREATE TABLE t (x)")

    def version():
        return reader.execute("PRAGMA data_version").fetchone()[0]

    def rows():
        return reader.execute("SELECT count(*) FROM t").fetchone()[0]

    for first in (version, rows):  # the snapshot taken by the PRAGMA or by a read
        reader.execute("BEGIN DEFERRED")
        first()
        seen = version(), rows()
        writer.execute("INSERT INTO t VALUES (1)")
        assert (version(), rows()) == seen
        reader.execute("COMMIT")
        assert version() != seen[0] and rows() == seen[1] + 1


@pytest.fixture
def reads():
    """A read that counts how often it ran: the number of rows in users, as the database has
    it now in this transaction."""

    def read():
        read.count += 1
        return db.session.connection().execute(text("SELECT count(*) FROM users")).scalar()

    read.count = 0
    return read


def kept_in_a_new_transaction(reads):
    db.session.commit()
    return unchanged_reads.kept(("users",), reads)


def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("answers are kept on SQLite only")


def test_an_answer_is_kept_until_another_connection_commits(app, reads, make_user):
    sqlite_only(app)
    make_user("sme")
    db.session.commit()
    assert [kept_in_a_new_transaction(reads) for _ in range(3)] == [1, 1, 1]
    assert reads.count == 1

    other = sqlite3.connect(db.engine.url.database)  # another worker's connection
    with other:
        other.execute("DELETE FROM users")
    other.close()
    assert kept_in_a_new_transaction(reads) == 0
    assert kept_in_a_new_transaction(reads) == 0
    assert reads.count == 2


def test_an_answer_is_read_again_after_the_connections_own_write(app, reads, make_user):
    sqlite_only(app)
    assert kept_in_a_new_transaction(reads) == 0
    make_user("sme")
    db.session.commit()  # a commit of this connection's own leaves data_version as it was
    assert kept_in_a_new_transaction(reads) == 1
    assert reads.count == 2


def test_nothing_is_kept_from_a_transaction_that_wrote(app, reads, make_user):
    sqlite_only(app)
    make_user("sme")
    db.session.commit()
    assert kept_in_a_new_transaction(reads) == 1

    db.session.commit()
    db.session.connection().execute(text("DELETE FROM users"))  # not flushed: a statement
    assert unchanged_reads.kept(("users",), reads) == 0  # this transaction's own view
    assert unchanged_reads.kept(("users",), reads) == 0
    db.session.rollback()
    assert kept_in_a_new_transaction(reads) == 1  # the deletion never committed
    assert reads.count == 4


def test_a_request_that_may_write_keeps_nothing(app, reads):
    sqlite_only(app)
    with app.test_request_context("/api/v1/bookings", method="POST"):
        assert [kept_in_a_new_transaction(reads) for _ in range(2)] == [0, 0]
    assert reads.count == 2


def postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL side")


def test_postgresql_keeps_no_answer_that_no_channel_covers(app, reads):
    postgresql_only(app)
    assert [kept_in_a_new_transaction(reads) for _ in range(2)] == [0, 0]
    assert reads.count == 2


@pytest.fixture
def second_app(app, app_config):
    """Another app on the test's database, made with changed settings."""
    made = []

    def make(**settings):
        other = create_app(app_config | settings)
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_postgresql_keeps_no_token_check_with_keep_token_checks_off(
    app, second_app, reads, make_user
):
    postgresql_only(app)
    make_user("sme")
    db.session.commit()
    with second_app(KEEP_TOKEN_CHECKS=False).app_context():
        assert [kept_until_notified(reads) for _ in range(2)] == [1, 1]
    assert reads.count == 2


def test_a_server_that_refuses_to_listen_keeps_nothing_and_serves_on(
    app, second_app, reads, make_user, monkeypatch, caplog
):
    postgresql_only(app)
    make_user("sme")
    db.session.commit()
    refused = (TOKEN_CHECKS_CHANNEL, "no such channel")  # the second LISTEN is refused
    monkeypatch.setattr(unchanged_reads, "CHANNELS", refused)
    with second_app().app_context():
        assert [kept_until_notified(reads) for _ in range(2)] == [1, 1]
    assert reads.count == 2
    assert "LISTEN refused" in caplog.text


def kept_until_notified(reads):
    db.session.commit()
    return unchanged_reads.kept(("users",), reads, channel=TOKEN_CHECKS_CHANNEL)


def committed_elsewhere(statement: str) -> None:
    """Committed on a connection outside the app's pool, as another worker process would."""
    url = db.engine.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as other:
        other.execute(statement)


def pooled_socket() -> int:
    """The socket of the connection this test's session uses, the pool's only one, back in the
    pool: PostgreSQL notifies a connection only between its transactions."""
    socket = db.session.connection().connection.dbapi_connection.fileno()
    db.session.commit()
    return socket


def notification_arrives(socket: int, seconds: float) -> bool:
    return bool(select.select([socket], [], [], seconds)[0])


def backend() -> int:
    return db.session.connection().execute(text("SELECT pg_backend_pid()")).scalar()


@pytest.mark.parametrize(
    "change",
    [
        "DELETE FROM users",
        "UPDATE users SET active = false",
        "UPDATE organizations SET status = 'rejected'",
        "UPDATE api_tokens SET user_id = user_id",
        "INSERT INTO api_tokens (user_id, token_hash, label, created_at) "
        "SELECT id, md5(random()::text), '', now() FROM users",
        "TRUNCATE api_tokens",
    ],
)
def test_postgresql_keeps_the_token_checks_answer_until_a_notification_of_change_arrives(
    app, reads, make_user, change
):
    postgresql_only(app)
    make_user("sme")
    db.session.commit()
    assert [kept_until_notified(reads) for _ in range(3)] == [1, 1, 1]
    assert reads.count == 1
    before = backend()
    socket = pooled_socket()

    committed_elsewhere(change)

    assert notification_arrives(socket, seconds=5)
    kept_until_notified(reads)
    assert reads.count == 2  # read again: the notification was read at checkout
    assert backend() == before  # and the connection kept
    assert not notification_arrives(socket, seconds=0)


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE api_tokens SET last_used_at = now(), label = 'laptop'",
        "UPDATE users SET locale = 'en', failed_sign_ins = 1",
        "UPDATE organizations SET address = 'Lvliang', industry = 'chemicals'",
    ],
)
def test_postgresql_tells_nobody_of_a_change_the_token_check_does_not_read(
    app, reads, make_user, api_headers, change
):
    postgresql_only(app)
    api_headers(make_user("sme"))
    db.session.commit()
    kept_until_notified(reads)
    socket = pooled_socket()

    committed_elsewhere(change)

    assert not notification_arrives(socket, seconds=0.2)
    assert kept_until_notified(reads) == 1
    assert reads.count == 1


def test_the_connection_that_changes_hears_its_own_notification_with_its_commit(
    app, reads, make_user
):
    postgresql_only(app)
    make_user("sme")
    db.session.commit()
    kept_until_notified(reads)

    db.session.execute(text("UPDATE users SET name = 'renamed'"))
    db.session.commit()  # the notification arrives with the COMMIT's answer: nothing left unread

    assert kept_until_notified(reads) == 1
    assert reads.count == 2


@pytest.fixture
def selects(app):
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def test_a_cached_week_of_an_unchanged_database_asks_nothing_until_another_process_writes(
    app, client, make_user, make_equipment, api_headers, selects
):
    """The token check and the fingerprint kept: the page cache's answer costs no query. An
    instrument withdrawn by another process is seen at the next request."""
    sqlite_only(app)
    equipment = make_equipment()
    headers = api_headers(make_user("sme"))
    equipment_id = equipment.id
    url = f"/api/v1/equipment/{equipment_id}/availability"
    first = client.get(url, query_string=WINDOW, headers=headers)
    client.get(url, query_string=WINDOW, headers=headers)  # after the token's first use, noted
    selects.clear()

    again = client.get(url, query_string=WINDOW, headers=headers)

    assert (again.status_code, again.data) == (200, first.data)
    assert selects == []
    db.session.rollback()  # the test's own reads start no transaction before the change
    other = sqlite3.connect(db.engine.url.database)
    with other:
        other.execute("UPDATE equipment SET active = 0 WHERE id = ?", (equipment_id,))
    other.close()
    assert client.get(url, query_string=WINDOW, headers=headers).status_code == 404


def test_postgresql_asks_nothing_of_a_kept_token_until_the_notification_of_its_revocation(
    app, client, make_user, api_headers, selects
):
    postgresql_only(app)
    headers = api_headers(make_user("sme"))
    client.get("/api/v1/me", headers=headers)  # read, its first use noted: read again next time
    client.get("/api/v1/me", headers=headers)
    selects.clear()

    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert not [statement for statement in selects if "api_tokens" in statement]
    socket = pooled_socket()
    committed_elsewhere("DELETE FROM api_tokens")

    assert notification_arrives(socket, seconds=5)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
