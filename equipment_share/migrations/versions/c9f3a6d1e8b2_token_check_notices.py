"""PostgreSQL: a notification on the channel token_checks whenever anything a token check reads
is written, so that a connection keeps the check's answer until one arrives (unchanged_reads.py)

Revision ID: c9f3a6d1e8b2
Revises: b6e2d9a4c7f1
Create Date: 2026-12-07 23:00:00

"""

from alembic import op

from equipment_share.models.users import TOKEN_CHECK_COLUMNS, TOKEN_CHECK_NOTICES

# revision identifiers, used by Alembic.
revision = "c9f3a6d1e8b2"
down_revision = "b6e2d9a4c7f1"
branch_labels = None
depends_on = None


def upgrade():
    for statement in TOKEN_CHECK_NOTICES.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TOKEN_CHECK_COLUMNS:
        op.execute(f"DROP TRIGGER {table}_token_checks ON {table}")
    op.execute("DROP FUNCTION token_checks_changed()")
