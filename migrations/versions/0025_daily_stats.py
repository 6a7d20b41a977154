"""daily report aggregates: daily_stats (store × consultant × day × channel × grade) and daily_totals
(store × consultant × day), filled by `flask reports rebuild-aggregates`

Revision ID: 0025
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

COUNTERS = (
    "new_leads", "new_visited", "new_won",
    "followups", "effective", "m_phone", "m_sms", "m_wechat", "m_email", "m_visit", "m_showroom", "followed_leads",
    "visits", "first_visits", "return_visits", "retained", "test_drives", "people",
    "invitations", "defeat_requests", "won",
)


def _counters():
    return [sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in COUNTERS]


def upgrade():
    op.create_table(
        "daily_stats",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("consultant_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("grade_id", sa.Integer(), nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint("store_id", "day", "consultant_id", "channel_id", "grade_id"),
    )
    op.create_index("ix_daily_stats_day", "daily_stats", ["day", "store_id"])
    op.create_table(
        "daily_totals",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("consultant_id", sa.Integer(), nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint("store_id", "day", "consultant_id"),
    )
    op.create_index("ix_daily_totals_day", "daily_totals", ["day", "store_id"])


def downgrade():
    op.drop_index("ix_daily_totals_day", table_name="daily_totals")
    op.drop_table("daily_totals")
    op.drop_index("ix_daily_stats_day", table_name="daily_stats")
    op.drop_table("daily_stats")
