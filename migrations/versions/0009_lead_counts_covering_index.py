"""lead counts by store and creation time read only an index (store and merged_into_id in them)

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_leads_store_created", table_name="leads")
    op.create_index("ix_leads_store_created", "leads", ["store_id", "created_at", "merged_into_id"], unique=False)
    op.drop_index("ix_leads_created_at", table_name="leads")
    op.create_index("ix_leads_created_at", "leads", ["created_at", "store_id", "merged_into_id"], unique=False)
    # New indexes have no statistics until ANALYZE: SQLite's planner then misjudges them (the
    # director's lead list took 2.7 s instead of 12 ms at a million leads).
    op.execute("ANALYZE leads")


def downgrade():
    op.drop_index("ix_leads_created_at", table_name="leads")
    op.create_index("ix_leads_created_at", "leads", ["created_at"], unique=False)
    op.drop_index("ix_leads_store_created", table_name="leads")
    op.create_index("ix_leads_store_created", "leads", ["store_id", "created_at"], unique=False)
    op.execute("ANALYZE leads")
