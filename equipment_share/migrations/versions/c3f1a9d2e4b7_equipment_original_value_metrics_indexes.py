"""equipment original value and purchase year; indexes for the metrics

Revision ID: c3f1a9d2e4b7
Revises: b7e2c9d41a05
Create Date: 2026-12-06 19:55:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c3f1a9d2e4b7"
down_revision = "b7e2c9d41a05"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_value", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("purchase_year", sa.Integer(), nullable=True))
    op.create_index(
        "ix_usage_records_equipment_period",
        "usage_records",
        ["equipment_id", "occurred_at"],
        unique=False,
    )
    op.create_index("ix_usage_records_occurred_at", "usage_records", ["occurred_at"], unique=False)


def downgrade():
    op.drop_index("ix_usage_records_occurred_at", table_name="usage_records")
    op.drop_index("ix_usage_records_equipment_period", table_name="usage_records")
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.drop_column("purchase_year")
        batch_op.drop_column("original_value")
