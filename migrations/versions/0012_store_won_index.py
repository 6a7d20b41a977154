"""a store's leads won in a period, from an index (the order cycle of the follow-up report)

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_leads_store_won", "leads", ["store_id", "won_at"], unique=False)
    op.execute("ANALYZE leads")  # a new index has no statistics until then


def downgrade():
    op.drop_index("ix_leads_store_won", table_name="leads")
