"""/healthz and /readyz; the database down answers 503 with a bilingual page and service
resumes when it is back; request ids in headers, logs and error pages; JSON logs."""

import json
import logging
import select
import socket
import sqlite3
import threading
from contextlib import closing, suppress

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from equipment_share import create_app, database
from equipment_share.database import MIGRATIONS_DIRECTORY, _head_of, migration_head
from equipment_share.extensions import db
from equipment_share.logs import configure_logging
from equipment_share.models import User
from tests.conftest import count_rows
from tests.test_start_imports import run_python

# a PostgreSQL port nothing listens on, or an SQLite file in a folder that does not exist
UNREACHABLE = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:9/nothing?connect_timeout=2",
    "sqlite": "sqlite:////nonexistent-folder/equipment_share.sqlite3",
}


def make_app(database_url: str, tmp_path, **settings):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "health-test-secret",
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
        | settings
    )


@pytest.fixture
def down_app(database_url, tmp_path):
    """The app with its database unreachable, of the backend under test."""
    backend = make_url(database_url).get_backend_name()
    return make_app(UNREACHABLE[backend], tmp_path)


def test_healthz_answers_without_the_database(down_app):
    response = down_app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_unavailable_without_the_database(down_app):
    response = down_app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_readyz_is_unavailable_until_the_migrations_are_applied(empty_app):
    client = empty_app.test_client()
    before = client.get("/readyz")

    empty_app.test_cli_runner().invoke(args=["init-db"])
    after = client.get("/readyz")

    assert before.status_code == 503
    assert before.get_json()["migrations"]["database"] is None
    assert after.status_code == 200, after.get_json()
    assert after.get_json()["migrations"]["database"] == after.get_json()["migrations"]["code"]


def test_the_migration_head_is_alembic_s(app):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIRECTORY)
    with app.app_context():
        assert migration_head() == ScriptDirectory.from_config(config).get_current_head()


def test_a_merge_of_two_branches_is_the_head():
    graph = {"base": (), "left": ("base",), "right": ("base",), "merge": ("left", "right")}
    assert _head_of(graph) == "merge"


def test_readyz_does_not_import_alembic_into_the_worker(tmp_path):
    code = (
        "import sys\n"
        "from equipment_share import create_app\n"
        "app = create_app()\n"
        "answer = app.test_client().get('/readyz')\n"
        "print(answer.status_code, 'alembic' in sys.modules)\n"
    )
    # a fresh instance: no schema yet, so the probe compares a missing revision with the head
    assert run_python(code, tmp_path).split() == ["503", "False"]


def test_the_database_down_gives_a_bilingual_503_page(down_app):
    response = down_app.test_client().get("/", headers={"X-Request-ID": "req-0123456789"})

    text = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "数据库暂时无法访问" in text and "The database is not available" in text
    assert "req-0123456789" in text
    assert response.headers["X-Request-ID"] == "req-0123456789"
    assert response.headers["Retry-After"] == "30"


def test_the_database_down_gives_503_json_on_the_api(down_app):
    response = down_app.test_client().get(
        "/api/v1/me", headers={"Authorization": "Bearer es_whatever"}
    )

    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["details"]["request_id"] == response.headers["X-Request-ID"]


class TcpRelay:
    """A relay between the app and PostgreSQL that can be cut (the database 'goes down': open
    connections break, new ones are refused) and restored, on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.running:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with closing(source), closing(sink):
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass

    def cut(self) -> None:
        self.running = False
        for connection in self.connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.connections.clear()

    def restore(self) -> None:
        self.running = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


def test_service_resumes_when_the_database_is_back_without_a_restart(app, database_url, tmp_path):
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("a network database to cut: PostgreSQL")
    relay = TcpRelay((url.host or "127.0.0.1", url.port or 5432))
    relayed = make_app(
        url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False),
        tmp_path,
    )
    client = relayed.test_client()
    try:
        assert client.get("/").status_code == 200
        relay.cut()
        assert client.get("/").status_code == 503
        assert client.get("/readyz").status_code == 503
        relay.restore()
        answers = [client.get("/").status_code for _ in range(3)]
    finally:
        relay.close()
        with relayed.app_context():
            db.engine.dispose()
    assert answers == [200, 200, 200]


def test_a_connection_the_server_closed_is_replaced_before_use_without_a_ping(
    app, database_url, tmp_path, monkeypatch
):
    """PostgreSQL restarted, or an idle timeout: the server closed a pooled connection. The next
    request gets a new one, found without a `SELECT 1` before every request's first statement."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("a server that closes connections: PostgreSQL")
    served = make_app(database_url, tmp_path)
    client = served.test_client()
    pings = []
    monkeypatch.setattr(type(db.engine.dialect), "do_ping", lambda *args: pings.append(args))
    try:
        with served.app_context():
            with db.engine.connect() as connection:  # the pool's one connection
                closed_by_the_server = _backend_pid(connection)
                driver_connection = connection.connection.dbapi_connection
            outside_the_pool = create_engine(database_url, poolclass=NullPool)
            with outside_the_pool.connect() as other:
                other.exec_driver_sql(f"SELECT pg_terminate_backend({closed_by_the_server})")
            _wait_until_readable(driver_connection)
            assert client.get("/").status_code == 200
            with db.engine.connect() as connection:
                assert _backend_pid(connection) != closed_by_the_server
    finally:
        with served.app_context():
            db.engine.dispose()
    assert pings == []


def test_a_connection_idle_in_the_pool_for_long_is_pinged_first(database_url, monkeypatch):
    """A server whose host restarted leaves nothing to read on the connection: one idle for
    PING_AFTER_IDLE_SECONDS answers a `SELECT 1` first, or is replaced; one just returned is
    used as it is."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("a server connection: PostgreSQL")
    engine = create_engine(database_url)  # its pool: one connection, used in turn
    try:
        with engine.connect() as connection:
            first = _backend_pid(connection)
        pinged = []
        answers = database._answers
        monkeypatch.setattr(
            database, "_answers", lambda connection: pinged.append(1) or answers(connection)
        )
        with engine.connect() as connection:
            assert _backend_pid(connection) == first
        assert pinged == []  # just returned

        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
        with engine.connect() as connection:
            assert _backend_pid(connection) == first
        assert pinged == [1]  # idle "long": asked, and it answered

        monkeypatch.setattr(database, "_answers", lambda connection: False)
        with engine.connect() as connection:
            assert _backend_pid(connection) != first  # no answer: replaced
    finally:
        engine.dispose()


def _backend_pid(connection) -> int:
    return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def _wait_until_readable(driver_connection, seconds: float = 5.0) -> None:
    """The server's goodbye arrives a moment after pg_terminate_backend answers."""
    poll = select.poll()
    poll.register(driver_connection.fileno(), select.POLLIN)
    assert poll.poll(seconds * 1000), "the server did not close the connection"


def test_an_unexpected_error_page_shows_the_request_id(app, client):
    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/broken-for-the-test", view_func=broken)

    response = client.get("/broken-for-the-test")

    assert response.status_code == 500
    assert response.headers["X-Request-ID"] in response.get_data(as_text=True)


@pytest.mark.parametrize("offered", ["", "short", "has spaces in it!", "x" * 65])
def test_an_unusable_request_id_is_replaced(client, offered):
    response = client.get("/healthz", headers={"X-Request-ID": offered})

    assert response.headers["X-Request-ID"] != offered
    assert len(response.headers["X-Request-ID"]) == 32


@pytest.fixture
def package_logger():
    logger = logging.getLogger("equipment_share")
    saved = logger.handlers[:], logger.level, logger.propagate
    yield logger
    logger.handlers[:], level, logger.propagate = saved
    logger.setLevel(level)


def test_json_logs_carry_the_request_id(app, client, capsys, package_logger):
    app.config["LOG_FORMAT"] = "json"
    configure_logging(app)

    client.get("/healthz", headers={"X-Request-ID": "req-json-123456"})

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    request_line = next(line for line in lines if line["logger"] == "equipment_share.requests")
    assert request_line["request_id"] == "req-json-123456"
    assert (request_line["method"], request_line["path"], request_line["status"]) == (
        "GET",
        "/healthz",
        200,
    )


def test_a_locked_sqlite_file_gives_a_clear_503_and_changes_nothing(
    app, database_url, tmp_path, monkeypatch, make_user, api_headers
):
    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("SQLite's file lock")
    admin = make_user("admin")
    headers = api_headers(admin)
    monkeypatch.setattr("equipment_share.database.SQLITE_BUSY_TIMEOUT_MS", 50)
    # errors after the view (the commit) are answered as in production, not raised to the test
    locked_app = make_app(database_url, tmp_path, PROPAGATE_EXCEPTIONS=False)
    holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    try:
        # reading the token and the user works (WAL); creating a user must wait for the lock
        response = locked_app.test_client().post(
            "/api/v1/users",
            headers=headers,
            json={"email": "new@test.example", "password": "long-enough-secret", "role": "finance"},
        )
        # reading works (WAL), writing waits for the lock: a wrong password is counted
        page = locked_app.test_client().post(
            "/login", data={"email": admin.email, "password": "wrong-password-1"}
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        with locked_app.app_context():
            db.engine.dispose()

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"
    assert page.status_code == 503
    assert "The database is not available" in page.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.failed_sign_ins == 0  # nothing was written
    assert count_rows(User) == 1
