"""index for a DCC agent's dashboard counts

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_leads_dcc_stage", "leads",
                    ["dcc_agent_id", "stage_id", "expected_purchase_date", "created_at"], unique=False)


def downgrade():
    op.drop_index("ix_leads_dcc_stage", table_name="leads")
