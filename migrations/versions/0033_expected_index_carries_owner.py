"""the (store, stage, expected purchase date) index carries the owner and the merge mark

Revision ID: 0033
Revises: 0032

The penalty board (dashboards, the discipline report, its export and the monthly PDF) counts each
consultant's open opportunities whose expected purchase date fell on a day of the month. For the
group PostgreSQL read them from the covering index of a store's open work, whose key stops at the
stage: all 680,000 open leads at 1,000,000 leads, 106 ms, for 650 rows. With the owner and the
merge mark included in the (store, stage, expected date) index, the month is a range of it read
from the index alone: the board's statement 123 -> 21 ms for 20 stores. Same key, so every other
reader of the index keeps it; on SQLite the index is as before.
"""

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

NAME = "ix_leads_store_stage_expected"
KEY = ["store_id", "stage_id", "expected_purchase_date"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, table_name="leads")
    op.create_index(NAME, "leads", KEY, postgresql_include=["owner_id", "merged_into_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, table_name="leads")
    op.create_index(NAME, "leads", KEY)
