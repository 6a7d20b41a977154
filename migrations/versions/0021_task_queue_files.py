"""files in the database (uploads, generated reports), report jobs, outbox claims

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_type", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_stored_files_owner", "stored_files", ["owner_type", "owner_id", "role"])
    op.create_table(
        "generated_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("store_id", sa.Integer(), sa.ForeignKey("stores.id"), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=True),
        sa.Column("file_id", sa.Integer(), sa.ForeignKey("stored_files.id"), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_generated_files_user", "generated_files", ["user_id", "id"])
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("attachment_file_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))
        batch.create_foreign_key(
            "fk_messages_attachment_file", "stored_files", ["attachment_file_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("fk_messages_attachment_file", type_="foreignkey")
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
        batch.drop_column("attachment_file_id")
    op.drop_index("ix_generated_files_user", table_name="generated_files")
    op.drop_table("generated_files")
    op.drop_index("ix_stored_files_owner", table_name="stored_files")
    op.drop_table("stored_files")
