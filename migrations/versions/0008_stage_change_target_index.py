"""index on stage changes by target stage and time (group-wide orders per store)

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_stage_changes_to_created", "stage_changes",
                    ["to_stage_id", "created_at", "store_id", "lead_id"], unique=False)


def downgrade():
    op.drop_index("ix_stage_changes_to_created", table_name="stage_changes")
