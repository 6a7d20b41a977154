"""daily report aggregates by store × day × channel (daily_channels) and by store × day
(daily_stores): daily_stats summed over consultant and grade, and over channel too; filled from
daily_stats

Revision ID: 0028
Revises: 0027

A report of a store or of the whole group by source channel (lead sources) or by period (trends,
headline figures) summed daily_stats or daily_totals rows of every consultant (and grade): 3.4 M
rows in all at 1,000,000 leads, several hundred thousand for the group's month. The same counters
per store, day and channel are a few thousand rows a month, per store and day a few hundred. Kept
with daily_stats in the same transaction and rebuilt from it (app/reports/aggregates.py).
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


ROLLUPS = {"daily_channels": ("store_id", "day", "channel_id"), "daily_stores": ("store_id", "day")}


def upgrade():
    columns = ", ".join(COUNTERS)
    sums = ", ".join(f"SUM({name})" for name in COUNTERS)
    for table, keys in ROLLUPS.items():
        op.create_table(
            table,
            *[sa.Column(key, sa.Date() if key == "day" else sa.Integer(), nullable=False) for key in keys],
            *[sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in COUNTERS],
            sa.PrimaryKeyConstraint(*keys),
        )
        op.create_index(f"ix_{table}_day", table, ["day", "store_id"])
        key_list = ", ".join(keys)
        op.execute(
            f"INSERT INTO {table} ({key_list}, {columns}) "
            f"SELECT {key_list}, {sums} FROM daily_stats GROUP BY {key_list}"
        )


def downgrade():
    for table in reversed(list(ROLLUPS)):
        op.drop_index(f"ix_{table}_day", table_name=table)
        op.drop_table(table)
