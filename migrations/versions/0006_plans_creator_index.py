"""index on plans by creator, kind and time for the DCC figures

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_plans_creator_kind_created", "plans", ["created_by_id", "kind", "created_at"], unique=False)


def downgrade():
    op.drop_index("ix_plans_creator_kind_created", table_name="plans")
