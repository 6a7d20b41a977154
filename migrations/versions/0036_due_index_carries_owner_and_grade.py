"""the (store, stage, next plan due) index carries the owner, the grade and the merge mark

Revision ID: 0036
Revises: 0035

The prospects report counts, per consultant and grade, the open leads whose next plan is overdue
or due today. With today's open work kept as counts (0035) that is the report's one read of the
leads, and for the group PostgreSQL read every open lead's entry of the covering index of open
work (640,000 at 1,000,000 leads, 210 ms) for the 48,000 due up to today. With the owner, the
grade and the merge mark included in the (store, stage, next plan due) index, they are a range of
it read from the index alone. Same key, so every other reader of the index keeps it; on SQLite
the index is as before.
"""

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

NAME = "ix_leads_store_stage_due"
KEY = ["store_id", "stage_id", "next_plan_due"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, table_name="leads")
    op.create_index(NAME, "leads", KEY, postgresql_include=["owner_id", "grade_id", "merged_into_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, table_name="leads")
    op.create_index(NAME, "leads", KEY)
