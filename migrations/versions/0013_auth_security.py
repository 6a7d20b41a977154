"""authentication security: shared rate-limit counters, TOTP second factor with recovery codes,
and a hash chain over the append-only audit log

Revision ID: 0013
Revises: 0012
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _row_hash(row: dict, prev_hash: str) -> str:
    # Same canonical form as app.audit.chain.row_hash (kept here so the migration never
    # changes when the application code does).
    created = row["created_at"]
    payload = {
        "id": row["id"],
        "created_at": created.isoformat(timespec="microseconds") if created else None,
        "user_id": row["user_id"],
        "username": row["username"],
        "action": row["action"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "detail": json.loads(row["detail"]) if isinstance(row["detail"], str) else row["detail"],
        "ip": row["ip"],
        "prev_hash": prev_hash,
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade():
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counters")),
    )
    op.create_index("ix_rate_limit_counters_expires_at", "rate_limit_counters", ["expires_at"], unique=False)

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(64), nullable=True))
        batch.add_column(sa.Column("mfa_enrolled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))

    op.create_table(
        "mfa_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_mfa_recovery_codes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_recovery_codes")),
    )
    op.create_index("ix_mfa_recovery_codes_user_id", "mfa_recovery_codes", ["user_id"], unique=False)

    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=False, server_default=""))

    # Chain the rows already there, oldest first.
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, created_at, user_id, username, action, object_type, object_id, detail, ip "
            "FROM audit_log ORDER BY id"
        )
    ).mappings()
    prev = ""
    updates = []
    for row in rows:
        row = dict(row)
        if isinstance(row["created_at"], str):
            from datetime import datetime

            row["created_at"] = datetime.fromisoformat(row["created_at"])
        digest = _row_hash(row, prev)
        updates.append({"id": row["id"], "prev": prev, "hash": digest})
        prev = digest
    if updates:
        conn.execute(sa.text("UPDATE audit_log SET prev_hash = :prev, hash = :hash WHERE id = :id"), updates)

    if conn.dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
            END;
            $$
        """)
        op.execute("""
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
        """)


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
    op.drop_index("ix_mfa_recovery_codes_user_id", table_name="mfa_recovery_codes")
    op.drop_table("mfa_recovery_codes")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("mfa_enrolled_at")
        batch.drop_column("totp_secret")
    op.drop_index("ix_rate_limit_counters_expires_at", table_name="rate_limit_counters")
    op.drop_table("rate_limit_counters")
