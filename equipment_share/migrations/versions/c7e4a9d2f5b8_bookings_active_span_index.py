"""the active bookings' range index as tstzrange(start_at, end_at), an expression of its own

The free search asks "which active bookings overlap this window" across all instruments. The
exclusion constraint's GiST index on (equipment_id, range) matches that question too, but can
only answer it by reading the whole index; at 10 million bookings the planner preferred it to
the range index anyway, being the smaller of the two, and the search took 2-3 s. The range index
is rebuilt on the two-argument tstzrange(start_at, end_at) (its bounds '[)' by default, the same
ranges), which the search writes and the exclusion constraint does not, so only it can match.
Building it takes minutes at national scale and holds off new bookings meanwhile.

Revision ID: c7e4a9d2f5b8
Revises: a9c3e5f7b1d2
Create Date: 2026-12-07 05:10:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c7e4a9d2f5b8"
down_revision = "a9c3e5f7b1d2"
branch_labels = None
depends_on = None

ACTIVE = "WHERE (status IN ('confirmed', 'pending'))"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_bookings_active_span ON bookings USING gist "
            f"(tstzrange(start_at, end_at)) {ACTIVE}"
        )
        op.execute("DROP INDEX ix_bookings_active_range")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_bookings_active_range ON bookings USING gist "
            f"(tstzrange(start_at, end_at, '[)')) {ACTIVE}"
        )
        op.execute("DROP INDEX ix_bookings_active_span")
