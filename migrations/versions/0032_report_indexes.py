"""report and queue indexes: visits by arrival time, the DCC agents' leads, a store's open work, the pool

Revision ID: 0032
Revises: 0031

The arrivals report pages through the visits of a period newest first. A store's list used the
(store_id, arrived_at) index; the group's had none that gives that order, so PostgreSQL read and
sorted the month's visits for every page (132,000 visits in November at 1,000,000 leads, 115 ms
for the first page under load). With (arrived_at, id) a page is a backward index scan of 100
entries (0.07 ms); the total comes from the daily aggregates.

The DCC report counts, per agent, the leads invited, shown and created in the period among the
leads an agent looks after (95,000 of 1,000,000, spread over 10,000 pages of the table): 555 ms
of scattered reads for November under load. A partial index of those leads holding every column
the report reads answers it from the index alone (83 ms in the same minute).

The discipline and prospects reports count a store's open leads (32,000 in the busiest store)
per owner, stage and grade with their plan and expected-purchase dates, reading them from 24,600
table pages (about 300 ms each). With those columns carried in a partial index of unmerged leads
by (store, stage), PostgreSQL counts them from the index alone: discipline 302 -> 8-14 ms,
prospects 297 -> 21 ms (50 MB, 1.7 s to build at 1,000,000 leads).

A store's pool lists its unassigned leads, important ones first, then the newest: a partial index
of unassigned, unmerged leads in that order gives the page from the index (0.16-0.5 ms against
4-25 ms for the (store, owner) index and the heap reads).
"""

import sqlalchemy as sa

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


LIVE = "merged_into_id IS NULL"
DCC_LEADS = "dcc_agent_id IS NOT NULL AND " + LIVE


def upgrade() -> None:
    op.create_index("ix_showroom_visits_arrived", "showroom_visits", ["arrived_at", "id"])
    op.create_index(
        "ix_leads_store_open_work",
        "leads",
        ["store_id", "stage_id"],
        postgresql_include=[
            "owner_id",
            "grade_id",
            "next_plan_due",
            "expected_purchase_date",
            "last_effective_followup_at",
        ],
        postgresql_where=sa.text(LIVE),
        sqlite_where=sa.text(LIVE),
    )
    op.create_index(
        "ix_leads_pool",
        "leads",
        ["store_id", "is_important", "created_at"],
        postgresql_where=sa.text("owner_id IS NULL AND " + LIVE),
        sqlite_where=sa.text("owner_id IS NULL AND " + LIVE),
    )
    op.create_index(
        "ix_leads_dcc_report",
        "leads",
        ["dcc_agent_id", "store_id", "invited_at", "created_at", "arrived_at"],
        postgresql_where=sa.text(DCC_LEADS),
        sqlite_where=sa.text(DCC_LEADS),
    )


def downgrade() -> None:
    op.drop_index("ix_leads_dcc_report", table_name="leads")
    op.drop_index("ix_leads_store_open_work", table_name="leads")
    op.drop_index("ix_leads_pool", table_name="leads")
    op.drop_index("ix_showroom_visits_arrived", table_name="showroom_visits")
