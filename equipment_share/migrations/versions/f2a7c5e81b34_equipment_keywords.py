"""equipment: keywords (aliases and abbreviations the catalogue search matches)

Revision ID: f2a7c5e81b34
Revises: f4b1d7e9a2c6
Create Date: 2026-12-06 22:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f2a7c5e81b34"
down_revision = "f4b1d7e9a2c6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keywords", sa.Text(), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.drop_column("keywords")
