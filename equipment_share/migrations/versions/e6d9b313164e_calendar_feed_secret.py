"""calendar feed secret

Revision ID: e6d9b313164e
Revises: 214014939827
Create Date: 2026-11-27 07:18:32.982824

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e6d9b313164e"
down_revision = "214014939827"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_feed_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_users_calendar_feed_hash"), ["calendar_feed_hash"]
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_calendar_feed_hash"), type_="unique")
        batch_op.drop_column("calendar_feed_hash")
