"""The schema comes from Alembic migrations, and the migrations match the models."""

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from equipment_share.database import MIGRATIONS_DIRECTORY
from equipment_share.extensions import db
from equipment_share.models import Base
from equipment_share.models.users import TOKEN_CHECKS_CHANNEL


def head_revision() -> str:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIRECTORY)
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_init_db_creates_the_schema_with_alembic(empty_app):
    assert inspect(db.engine).get_table_names() == []

    result = empty_app.test_cli_runner().invoke(args=["init-db"])

    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    assert current_revision() == head_revision()


def test_init_db_twice_is_harmless(empty_app):
    runner = empty_app.test_cli_runner()
    runner.invoke(args=["init-db"])
    db.session.execute(
        text(
            "INSERT INTO organizations (name, name_en, kind, status, tech_sme_certified, "
            "tech_sme_cert_no, industry, address, contact_name, contact_phone, description, "
            "created_at) VALUES ('kept', '', 'sme', 'approved', false, '', '', '', '', '', '', "
            "CURRENT_TIMESTAMP)"
        )
    )
    db.session.commit()

    result = runner.invoke(args=["init-db"])

    assert result.exit_code == 0, result.output
    assert current_revision() == head_revision()
    assert db.session.scalar(text("SELECT name FROM organizations")) == "kept"


# SQLite cannot reflect expression indexes; the GiST range indexes are PostgreSQL's only anyway.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_migrated_schema_matches_the_models(empty_app):
    empty_app.test_cli_runner().invoke(args=["init-db"])

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert differences == []


def test_a_migrated_database_keeps_the_catalogue_revision(empty_app):
    """The triggers that create_all makes (models/catalogue.py) come with the migration too."""
    empty_app.test_cli_runner().invoke(args=["init-db"])
    before = db.session.scalar(text("SELECT token FROM catalogue_revision WHERE id = 1"))

    db.session.execute(
        text(
            "INSERT INTO organizations (name, name_en, kind, status, tech_sme_certified, "
            "tech_sme_cert_no, industry, address, contact_name, contact_phone, description, "
            "created_at) VALUES ('新平台', '', 'platform', 'approved', false, '', '', '', '', "
            "'', '', CURRENT_TIMESTAMP)"
        )
    )
    db.session.commit()

    after = db.session.scalar(text("SELECT token FROM catalogue_revision WHERE id = 1"))
    assert before and after and after != before


def test_a_migrated_postgresql_database_notifies_changes_to_token_checks(empty_app):
    """The triggers that create_all makes (models/users.py) come with the migration too."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY: PostgreSQL")
    empty_app.test_cli_runner().invoke(args=["init-db"])
    db.session.commit()
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as listener:  # outside the app's pool
        listener.execute(f"LISTEN {TOKEN_CHECKS_CHANNEL}")

        db.session.execute(text("UPDATE users SET active = false"))
        db.session.commit()

        heard = list(listener.notifies(timeout=5, stop_after=1))
    assert [notification.channel for notification in heard] == [TOKEN_CHECKS_CHANNEL]


def test_there_is_one_head(empty_app):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIRECTORY)

    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
