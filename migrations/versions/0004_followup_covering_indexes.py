"""covering indexes on follow-ups for reports and the discipline board

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

STORE_COLS = ["store_id", "occurred_at", "user_id", "lead_id", "is_effective", "method", "result"]
USER_COLS = ["user_id", "occurred_at", "is_effective", "result", "lead_id"]


def upgrade():
    op.drop_index("ix_followups_store_occurred", table_name="followups")
    op.create_index("ix_followups_store_occurred", "followups", STORE_COLS, unique=False)
    op.drop_index("ix_followups_user_occurred", table_name="followups")
    op.create_index("ix_followups_user_occurred", "followups", USER_COLS, unique=False)


def downgrade():
    op.drop_index("ix_followups_user_occurred", table_name="followups")
    op.create_index("ix_followups_user_occurred", "followups", ["user_id", "occurred_at"], unique=False)
    op.drop_index("ix_followups_store_occurred", table_name="followups")
    op.create_index("ix_followups_store_occurred", "followups", ["store_id", "occurred_at"], unique=False)
