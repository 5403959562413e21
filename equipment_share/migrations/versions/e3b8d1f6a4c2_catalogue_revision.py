"""a catalogue revision token that the database replaces on every change to an instrument or an
organisation, so that the public catalogue's fingerprint is one row instead of a scan of every
instrument (at 100,000 instruments that scan took 20-90 ms of every catalogue page)

Revision ID: e3b8d1f6a4c2
Revises: c7e4a9d2f5b8
Create Date: 2026-12-07 08:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e3b8d1f6a4c2"
down_revision = "c7e4a9d2f5b8"
branch_labels = None
depends_on = None

TABLES = ("equipment", "organizations")
VERBS = ("INSERT", "UPDATE", "DELETE")


def upgrade():
    op.create_table(
        "catalogue_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_revision")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION catalogue_revision_bump() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "IF current_setting('equipment_share.catalogue_revised', true) "
            "IS DISTINCT FROM 'yes' "
            "THEN PERFORM set_config('equipment_share.catalogue_revised', 'yes', true); "
            "INSERT INTO catalogue_revision (id, token) VALUES (1, gen_random_uuid()::text) "
            "ON CONFLICT (id) DO UPDATE SET token = excluded.token; END IF; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_catalogue_revision "
                f"AFTER INSERT OR UPDATE OR DELETE ON {table} DEFERRABLE INITIALLY DEFERRED "
                "FOR EACH ROW EXECUTE FUNCTION catalogue_revision_bump()"
            )
        op.execute("INSERT INTO catalogue_revision (id, token) VALUES (1, gen_random_uuid()::text)")
    else:
        for table in TABLES:
            for verb in VERBS:
                op.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_catalogue_{verb.lower()} "
                    f"AFTER {verb} ON {table} BEGIN INSERT OR REPLACE INTO catalogue_revision "
                    "(id, token) VALUES (1, lower(hex(randomblob(16)))); END"
                )
        op.execute(
            "INSERT INTO catalogue_revision (id, token) VALUES (1, lower(hex(randomblob(16))))"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_catalogue_revision ON {table}")
        op.execute("DROP FUNCTION catalogue_revision_bump()")
    else:
        for table in TABLES:
            for verb in VERBS:
                op.execute(f"DROP TRIGGER {table}_catalogue_{verb.lower()}")
    op.drop_table("catalogue_revision")
