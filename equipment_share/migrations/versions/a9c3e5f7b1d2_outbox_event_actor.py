"""outbox: a booking event names who made the change, since its notices are written when it is sent

Revision ID: a9c3e5f7b1d2
Revises: f5a7c3e1b9d0
Create Date: 2026-12-07 02:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a9c3e5f7b1d2"
down_revision = "f5a7c3e1b9d0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("actor_id")
