"""idle spans with their coverage; GiST range indexes for the cross-platform free-time search

Revision ID: f4b1d7e9a2c6
Revises: d8e2b6c4a1f9
Create Date: 2026-12-06 23:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f4b1d7e9a2c6"
down_revision = "d8e2b6c4a1f9"
branch_labels = None
depends_on = None

RANGE_INDEXES = {
    "ix_idle_spans_range": ("idle_spans", ""),
    "ix_bookings_active_range": ("bookings", " WHERE (status IN ('confirmed', 'pending'))"),
    "ix_production_runs_range": ("production_runs", ""),
    "ix_maintenance_blocks_range": ("maintenance_blocks", ""),
}


def upgrade():
    op.create_table(
        "idle_span_coverage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idle_span_coverage")),
    )
    op.create_table(
        "idle_spans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("start_at < end_at", name=op.f("ck_idle_spans_start_before_end")),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_idle_spans_equipment_id_equipment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idle_spans")),
    )
    op.create_index(
        "ix_idle_spans_equipment_start", "idle_spans", ["equipment_id", "start_at"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        for name, (table, where) in RANGE_INDEXES.items():
            op.execute(
                f"CREATE INDEX {name} ON {table} USING gist "
                f"(tstzrange(start_at, end_at, '[)')){where}"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in RANGE_INDEXES:
            op.execute(f"DROP INDEX {name}")
    op.drop_index("ix_idle_spans_equipment_start", table_name="idle_spans")
    op.drop_table("idle_spans")
    op.drop_table("idle_span_coverage")
