"""a customer's second phone number, kept from a merged duplicate

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secondary_phone", sa.String(length=20), nullable=True))
        batch_op.create_index("ix_leads_secondary_phone", ["secondary_phone"], unique=False)


def downgrade():
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_secondary_phone")
        batch_op.drop_column("secondary_phone")
