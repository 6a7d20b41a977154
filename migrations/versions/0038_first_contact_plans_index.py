"""first-contact plans by assignee and due date (a partial index)

Revision ID: 0038
Revises: 0037

The discipline board and report count each consultant's first-contact breaches in a range of
days. Read through the (assignee, status, due date) index, that was every plan of every kind the
group's 1,200 consultants had due in the range (50,000 for the first week of a month at
1,000,000 leads, each fetched from the table to look at its kind: 60–110 ms) for the few
first-contact plans among them. This index holds the first-contact plans alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

NAME = "ix_plans_first_contact_due"
WHERE = sa.text("kind = 'first_contact'")


def upgrade() -> None:
    op.create_index(NAME, "plans", ["assignee_id", "due_date"], postgresql_where=WHERE, sqlite_where=WHERE)


def downgrade() -> None:
    op.drop_index(NAME, table_name="plans")
