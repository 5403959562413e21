"""outbox: a booking event is one row, addressed (recipients, .ics) when it is sent

Revision ID: f5a7c3e1b9d0
Revises: f4b7c2e9a1d3
Create Date: 2026-12-06 23:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f5a7c3e1b9d0"
down_revision = "f4b7c2e9a1d3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("event", sa.String(length=20), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("event")
