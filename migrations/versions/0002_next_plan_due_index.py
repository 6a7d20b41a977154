"""index on leads.next_plan_due for the lead list sorted by next plan

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_leads_next_plan_due", "leads", ["next_plan_due"], unique=False)


def downgrade():
    op.drop_index("ix_leads_next_plan_due", table_name="leads")
