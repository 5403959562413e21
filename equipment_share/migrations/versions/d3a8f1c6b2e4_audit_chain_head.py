"""audit chain head: one row with the chain's last position and hash, kept by a trigger, so that
appending an entry locks it and reads the previous hash in one statement

Before, an append took a transaction advisory lock and then read the last entry: two statements.
The head row's lock (SELECT ... FOR UPDATE) is the same serialisation, and the row it returns is
the one the transaction that held the lock left. A trigger on audit_entries moves the head on with
every entry, however written. The head starts from the last entry (none: the app makes it with
the first entry).

Revision ID: d3a8f1c6b2e4
Revises: e3b8d1f6a4c2
Create Date: 2026-12-07 08:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d3a8f1c6b2e4"
down_revision = "e3b8d1f6a4c2"
branch_labels = None
depends_on = None

FOLLOW = (
    "INSERT INTO audit_chain_head (id, position, entry_hash) "
    "VALUES (1, NEW.position, NEW.entry_hash) "
    "ON CONFLICT (id) DO UPDATE SET position = excluded.position, "
    "entry_hash = excluded.entry_hash WHERE audit_chain_head.position < excluded.position;"
)
TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_entries_chain_head AFTER INSERT ON audit_entries "
        f"BEGIN {FOLLOW} END"
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_chain_head_follows() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN {FOLLOW} RETURN NULL; END $$",
        "CREATE TRIGGER audit_entries_chain_head AFTER INSERT ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION audit_chain_head_follows()",
    ],
}


def upgrade():
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.execute(
        "INSERT INTO audit_chain_head (id, position, entry_hash) "
        "SELECT 1, position, entry_hash FROM audit_entries ORDER BY position DESC LIMIT 1"
    )
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_chain_head ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS audit_chain_head_follows()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_chain_head")
    op.drop_table("audit_chain_head")
