"""daily report aggregates by store × day × channel (daily_channels): daily_stats summed over
consultant and grade, filled from daily_stats

Revision ID: 0028
Revises: 0027

A report of a store or of the whole group by source channel (lead sources) or by period (trends,
headline figures) summed daily_stats or daily_totals rows of every consultant (and grade): 3.4 M
rows in all at 1,000,000 leads, several hundred thousand for the group's month. The same counters
per store, day and channel are a few thousand rows a month. Kept with daily_stats in the same
transaction and rebuilt from it (app/reports/aggregates.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

COUNTERS = (
    "new_leads", "new_visited", "new_won",
    "followups", "effective", "m_phone", "m_sms", "m_wechat", "m_email", "m_visit", "m_showroom", "followed_leads",
    "visits", "first_visits", "return_visits", "retained", "test_drives", "people",
    "invitations", "defeat_requests", "won",
)


def upgrade():
    op.create_table(
        "daily_channels",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in COUNTERS],
        sa.PrimaryKeyConstraint("store_id", "day", "channel_id"),
    )
    op.create_index("ix_daily_channels_day", "daily_channels", ["day", "store_id"])
    columns = ", ".join(COUNTERS)
    sums = ", ".join(f"SUM({name})" for name in COUNTERS)
    op.execute(
        f"INSERT INTO daily_channels (store_id, day, channel_id, {columns}) "
        f"SELECT store_id, day, channel_id, {sums} FROM daily_stats GROUP BY store_id, day, channel_id"
    )


def downgrade():
    op.drop_index("ix_daily_channels_day", table_name="daily_channels")
    op.drop_table("daily_channels")
