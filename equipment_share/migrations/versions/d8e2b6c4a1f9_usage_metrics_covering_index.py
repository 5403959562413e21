"""usage records: a covering index for metrics over a period

Revision ID: d8e2b6c4a1f9
Revises: c3f8a2d9e614
Create Date: 2026-12-06 20:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "d8e2b6c4a1f9"
down_revision = "c3f8a2d9e614"
branch_labels = None
depends_on = None

COLUMNS = [
    "occurred_at",
    "platform_id",
    "organization_id",
    "status",
    "kind",
    "actual_minutes",
    "fee",
]


def upgrade():
    op.drop_index("ix_usage_records_occurred_at", table_name="usage_records")
    op.create_index("ix_usage_records_metrics", "usage_records", COLUMNS, unique=False)


def downgrade():
    op.drop_index("ix_usage_records_metrics", table_name="usage_records")
    op.create_index("ix_usage_records_occurred_at", "usage_records", ["occurred_at"], unique=False)
