"""the arrival list of the group, newest first: an index on showroom visits' arrival time

Revision ID: 0032
Revises: 0029

The arrivals report pages through the visits of a period newest first. A store's list used the
(store_id, arrived_at) index; the group's had none that gives that order, so PostgreSQL read and
sorted the month's visits for every page (132,000 visits in November at 1,000,000 leads, 115 ms
for the first page under load). With (arrived_at, id) a page is a backward index scan of 100
entries (0.07 ms); the total comes from the daily aggregates.
"""

from alembic import op

revision = "0032"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_showroom_visits_arrived", "showroom_visits", ["arrived_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_showroom_visits_arrived", table_name="showroom_visits")
