"""index for a store's expired opportunities (open stage, expected purchase date passed)

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_leads_store_stage_expected", "leads", ["store_id", "stage_id", "expected_purchase_date"],
                    unique=False)


def downgrade():
    op.drop_index("ix_leads_store_stage_expected", table_name="leads")
