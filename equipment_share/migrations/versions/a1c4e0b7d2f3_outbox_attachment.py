"""outbox attachment: the booking's .ics with every booking mail

Revision ID: a1c4e0b7d2f3
Revises: e6d9b313164e
Create Date: 2026-11-28 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a1c4e0b7d2f3"
down_revision = "e6d9b313164e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attachment_name", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("attachment", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("attachment")
        batch_op.drop_column("attachment_name")
