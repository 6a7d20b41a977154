"""store SMS sending window (local hours in which customers receive SMS) and SMS signature; e-mail sender name;
event calendar sequence

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sms_window_start", sa.String(length=5), server_default="09:00", nullable=False)
        )
        batch_op.add_column(
            sa.Column("sms_window_end", sa.String(length=5), server_default="20:30", nullable=False)
        )

        batch_op.add_column(sa.Column("sms_signature", sa.String(length=32), nullable=True))

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_name", sa.String(length=100), nullable=True))

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("sequence")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("sender_name")
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_column("sms_signature")
        batch_op.drop_column("sms_window_end")
        batch_op.drop_column("sms_window_start")
