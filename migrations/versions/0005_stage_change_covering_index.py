"""covering index on stage changes for funnels and trends

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_stage_changes_store_created", table_name="stage_changes")
    op.create_index("ix_stage_changes_store_created", "stage_changes",
                    ["store_id", "created_at", "to_stage_id", "lead_id"], unique=False)


def downgrade():
    op.drop_index("ix_stage_changes_store_created", table_name="stage_changes")
    op.create_index("ix_stage_changes_store_created", "stage_changes", ["store_id", "created_at"], unique=False)
