"""Fixtures: a fresh app and database per test (SQLite file, or DATABASE_URL when set), and
factories with sensible defaults for organisations, users, instruments and API tokens."""

import gc
import itertools
import logging
import os
import shutil
from datetime import time
from functools import partial

import flask
import pytest
from sqlalchemy import create_engine, make_url, text
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash

from equipment_share import create_app, page_cache, unchanged_reads
from equipment_share.domain.organizations import uscc_with_check_character
from equipment_share.extensions import db
from equipment_share.models import (
    Base,
    Equipment,
    IdleWindow,
    IdleWindowKind,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Role,
    User,
)
from equipment_share.services import page_fingerprints, rate_cards
from equipment_share.services.tokens import issue_token

PASSWORD = "correct-horse-9"
_numbers = itertools.count(1)


def reset_postgres_schema() -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


# Everything of the public schema that a test could change and create_all makes: relations,
# columns, defaults, constraints, indexes, triggers with their enabled state, functions (the
# audit guard's, btree_gist's) and enum types. Any difference means the schema is made again.
SCHEMA_SIGNATURE = text(
    """
    SELECT md5(string_agg(item, E'\\n' ORDER BY item)) FROM (
        SELECT 'relation ' || c.relname || ' ' || c.relkind::text
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public'
        UNION ALL
        SELECT 'column ' || c.relname || '.' || a.attname || ' '
            || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text || ' '
            || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT 'constraint ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
        FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
        WHERE n.nspname = 'public'
        UNION ALL
        SELECT 'index ' || pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public'
        UNION ALL
        SELECT 'trigger ' || t.tgenabled::text || ' ' || pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND NOT t.tgisinternal
        UNION ALL
        SELECT 'function ' || p.oid::regprocedure::text || ' ' || md5(coalesce(p.prosrc, ''))
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public'
        UNION ALL
        SELECT 'enum ' || t.typname || ' ' || e.enumsortorder::text || ' ' || e.enumlabel
        FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public'
    ) AS items(item)
    """
)
# The schema's signature right after create_all, by database URL (this process's own database
# under xdist); none yet means the schema is made afresh, whatever an earlier run left.
_made_schemas: dict[str, str] = {}


def fresh_postgres_database() -> None:
    """Every table empty and every id sequence back at 1, as on a schema just created. When the
    schema is still exactly the one create_all made, the tables are emptied (TRUNCATE, with the
    audit table's refusal of TRUNCATE switched off inside that transaction only: a test that
    tries TRUNCATE still meets it); a test that changed the schema (migrations, a dropped or
    disabled trigger, an empty schema) makes it dropped and created again."""
    url = db.engine.url.render_as_string(hide_password=False)
    with db.engine.begin() as connection:
        made = _made_schemas.get(url)
        if made is not None and made == connection.scalar(SCHEMA_SIGNATURE):
            tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
            connection.execute(text(f"ALTER TABLE audit_entries DISABLE TRIGGER {NO_TRUNCATE}"))
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            connection.execute(text(f"ALTER TABLE audit_entries ENABLE TRIGGER {NO_TRUNCATE}"))
            return
    _made_schemas.pop(url, None)
    reset_postgres_schema()
    db.create_all()
    with db.engine.connect() as connection:
        _made_schemas[url] = connection.scalar(SCHEMA_SIGNATURE)


NO_TRUNCATE = "audit_entries_no_truncate"  # equipment_share/models/audit.py


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch):
    """Every test makes users and many sign in; a cheap hash keeps the suite fast and changes no
    behaviour (the production default stays werkzeug's)."""
    monkeypatch.setattr(
        "equipment_share.models.users.generate_password_hash",
        partial(generate_password_hash, method="pbkdf2:sha256:1000"),
    )


@pytest.fixture(scope="session", autouse=True)
def url_builders_compiled_once():
    """Werkzeug writes and compiles two small functions for each of the app's ~150 routes (they
    build its URLs) whenever an app is made: about 50 ms of CPU, paid by every test. They depend
    only on the route and keep no state (the rule comes in as their first argument), so this
    process compiles each once and the next apps reuse it, as a server's one app does anyway."""
    compile_builder = Rule._compile_builder
    builders = {}

    def compile_once(rule: Rule, append_unknown: bool = True):
        converters = tuple((name, type(converter)) for name, converter in rule._converters.items())
        key = (rule.rule, tuple(rule._trace), repr(rule.defaults), converters, append_unknown)
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", compile_once)
        yield


@pytest.fixture(scope="session")
def worker_database_url():
    """DATABASE_URL for this test process: under pytest-xdist each worker gets its own database
    (`test_gw0`, `test_gw1`, …, made on first use), since every test resets the schema."""
    url = os.environ.get("DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = make_url(url)
    worker_url = base.set(database=f"{base.database}_{worker}")
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": worker_url.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{worker_url.database}"'))
    engine.dispose()
    return worker_url.render_as_string(hide_password=False)


@pytest.fixture
def database_url(tmp_path, worker_database_url):
    return worker_database_url or f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory):
    """An empty SQLite database with every table, made once per test process: copying the file is
    much cheaper than creating ~30 tables with their indexes for every test."""
    path = tmp_path_factory.mktemp("schema") / "schema.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture(autouse=True)
def collectable_objects():
    """An app made without TESTING freezes every object for the collector (create_app): let
    the test's garbage be collected again after it."""
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def empty_page_cache():
    """Each test starts on a new database, where the same fingerprint may mean another page."""
    page_cache.clear()
    page_fingerprints.forget_zones()


@pytest.fixture
def paths_calling(monkeypatch):
    """Watch a method: the paths of the requests in which it ran (it still runs), to tell which
    request hooks run where."""

    def watch(owner, name: str) -> list[str]:
        paths: list[str] = []
        original = getattr(owner, name)

        def recorded(self, *args, **kwargs):
            paths.append(flask.request.path)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(owner, name, recorded)
        return paths

    return watch


@pytest.fixture
def every_read_asked(monkeypatch):
    """No answers kept from one transaction to the next (unchanged_reads.py), for the tests that
    count a request's queries: on SQLite an unchanged database would spare them."""
    monkeypatch.setattr(unchanged_reads, "kept", lambda key, read, channel=None: read())


@pytest.fixture
def app_config(tmp_path, database_url) -> dict:
    """What the `app` fixture's app is made with."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        # off for speed and independence; tests/web/test_sign_in_protection.py turns it on
        "RATELIMIT_ENABLED": False,
        # a test sends the outbox when it wants to look (tests/services/test_mail_after_commit.py
        # tests the sending after the commit)
        "SEND_AFTER_COMMIT": False,
    }


@pytest.fixture
def app(tmp_path, monkeypatch, database_url, sqlite_schema, app_config):
    if database_url == f"sqlite:///{tmp_path / 'test.sqlite3'}":
        shutil.copyfile(sqlite_schema, tmp_path / "test.sqlite3")
    monkeypatch.setenv("EQUIPMENT_SHARE_INSTANCE", str(tmp_path / "instance"))
    app = create_app(app_config)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            fresh_postgres_database()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def restore_logging():
    """Alembic's env.py runs logging.fileConfig, which replaces the root logger's handlers;
    put logging back as it was for the tests that follow."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def empty_app(tmp_path, monkeypatch, database_url, restore_logging):
    """An app on an empty database (a fresh SQLite file, or an emptied PostgreSQL schema), for
    what migrates the schema itself: init-db, demo-data."""
    monkeypatch.setenv("EQUIPMENT_SHARE_INSTANCE", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": database_url,
            "RATELIMIT_ENABLED": False,
            "SEND_AFTER_COMMIT": False,
        }
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            reset_postgres_schema()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def next_number() -> int:
    return next(_numbers)


def valid_uscc() -> str:
    return uscc_with_check_character(f"91141100MA{next_number():07d}")


@pytest.fixture
def make_org(app):
    def make(kind="sme", *, status=OrganizationStatus.APPROVED, **values) -> Organization:
        number = next_number()
        organization = Organization(
            name=values.pop("name", f"{kind} organisation {number}"),
            kind=OrganizationKind(kind),
            status=status,
            uscc=values.pop("uscc", valid_uscc()),
            **values,
        )
        db.session.add(organization)
        db.session.commit()
        return organization

    return make


@pytest.fixture
def make_user(app, make_org):
    def make(role="sme", organization=None, *, email=None, password=PASSWORD, **values) -> User:
        role = Role(role)
        if organization is None and role in (Role.SME, Role.PLATFORM):
            organization = make_org(role.value)
        user = User(
            email=email or f"{role.value}{next_number()}@test.example",
            role=role,
            organization=organization,
            **values,
        )
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_equipment(app, make_org):
    def make(platform=None, *, weekly=None, **values) -> Equipment:
        """An active instrument, idle Mon-Sun 08:00-20:00 local unless `weekly` says otherwise."""
        fields = {
            "name": f"Instrument {next_number()}",
            "category": "chemical_analysis",
            "hourly_rate": "300.00",
            "setup_fee": "0.00",
        } | values
        equipment = Equipment(platform=platform or make_org("platform"), **fields)
        if weekly is None:
            weekly = [((0, 1, 2, 3, 4, 5, 6), time(8), time(20))]
        for weekdays, start, end in weekly:
            equipment.idle_windows.append(
                IdleWindow(
                    kind=IdleWindowKind.WEEKLY,
                    weekdays=",".join(map(str, weekdays)),
                    start_time=start,
                    end_time=end,
                )
            )
        db.session.add(equipment)
        db.session.flush()
        rate_cards.start_version(None, equipment)
        db.session.commit()
        return equipment

    return make


@pytest.fixture
def platform_user(make_user):
    return make_user("platform")


@pytest.fixture
def sme_user(make_user):
    return make_user("sme")


@pytest.fixture
def login(client):
    def sign_in(user: User, password: str = PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, "sign-in failed"
        return response

    return sign_in


@pytest.fixture
def api_headers(app):
    def headers_for(user: User) -> dict:
        token = issue_token(user, "test")
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers_for


def count_rows(model, *conditions) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model).where(*conditions))
