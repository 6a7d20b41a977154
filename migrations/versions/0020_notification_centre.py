"""notification centre: endpoint and arguments on notifications, paging index, e-mail choice per
user, WeCom group-robot webhook per store

Revision ID: 0020
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("endpoint", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("args", sa.JSON(), nullable=True))
        batch_op.create_index("ix_notifications_user_id", ["user_id", "id"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_email", sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wecom_webhook_url", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_column("wecom_webhook_url")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("notify_email")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_id")
        batch_op.drop_column("args")
        batch_op.drop_column("endpoint")
