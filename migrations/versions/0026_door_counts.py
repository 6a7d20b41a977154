"""the door's live counters per event, kept by triggers on invitations

Revision ID: 0026
Revises: 0025

A check-in used to count all of an event's invitations (5,000 at a big launch) on every scan to
show the counters. Now `event_door_counts` holds them, and triggers on `invitations` keep them in
the statement that changes an invitation, whatever code path changes it (RSVP, check-in, walk-in,
corrections, cancellation). The conditions are those of app/invitations/queries.py:
  expected          ACCEPTED = not a walk-in, invited, status 'accepted'
  expected_people   headcount of ACCEPTED
  accepted_arrived  ACCEPTED and checked in
  came_unanswered   not a walk-in, checked in, not invited or not 'accepted'
  walk_ins          walk-in and checked in
  arrived_people    actual_headcount (every invitation)
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

COLUMNS = ("expected", "expected_people", "accepted_arrived", "came_unanswered", "walk_ins", "arrived_people")
WATCHED = "status, headcount, actual_headcount, checked_in_at, invited_at, is_walk_in, event_id"


def shares(row: str) -> list[str]:
    """Each counter's share of one invitation row (NEW or OLD), in SQL both dialects read."""
    accepted = f"(NOT {row}.is_walk_in AND {row}.invited_at IS NOT NULL AND {row}.status = 'accepted')"
    checked_in = f"{row}.checked_in_at IS NOT NULL"
    return [
        f"CASE WHEN {accepted} THEN 1 ELSE 0 END",
        f"CASE WHEN {accepted} THEN {row}.headcount ELSE 0 END",
        f"CASE WHEN {accepted} AND {checked_in} THEN 1 ELSE 0 END",
        f"CASE WHEN NOT {row}.is_walk_in AND {checked_in} AND ({row}.invited_at IS NULL OR {row}.status <> 'accepted')"
        " THEN 1 ELSE 0 END",
        f"CASE WHEN {row}.is_walk_in AND {checked_in} THEN 1 ELSE 0 END",
        f"COALESCE({row}.actual_headcount, 0)",
    ]


def add(row: str, sign: str = "") -> str:
    """Upsert `sign` × the row's shares into its event's counters."""
    values = ", ".join(f"{sign}({share})" for share in shares(row))
    updates = ", ".join(f"{c} = event_door_counts.{c} + excluded.{c}" for c in COLUMNS)
    columns = ", ".join(COLUMNS)
    insert = f"INSERT INTO event_door_counts (event_id, {columns}) VALUES ({row}.event_id, {values}) "  # noqa: S608 - constant SQL
    return insert + f"ON CONFLICT (event_id) DO UPDATE SET {updates}"


def move() -> str:
    """One update of the same event: add NEW's shares and take OLD's away, in one statement."""
    updates = ", ".join(f"{c} = {c} + ({new}) - ({old})"
                        for c, new, old in zip(COLUMNS, shares("NEW"), shares("OLD"), strict=True))
    return f"UPDATE event_door_counts SET {updates} WHERE event_id = NEW.event_id"  # noqa: S608 - constant SQL


def upgrade():
    op.create_table(
        "event_door_counts",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        *[sa.Column(c, sa.Integer(), server_default="0", nullable=False) for c in COLUMNS],
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_door_counts_event_id_events"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_door_counts")),
    )
    sums = ", ".join(f"COALESCE(SUM({share}), 0)" for share in shares("invitations"))
    backfill = f"SELECT event_id, {sums} FROM invitations GROUP BY event_id"  # noqa: S608 - constant SQL
    op.execute(f"INSERT INTO event_door_counts (event_id, {', '.join(COLUMNS)}) {backfill}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
CREATE FUNCTION invitations_door_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.event_id = NEW.event_id THEN
    {move()};
    IF FOUND THEN RETURN NULL; END IF;
    {add("NEW")};
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    {add("OLD", "-")};
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    {add("NEW")};
  END IF;
  RETURN NULL;
END $$""")
        op.execute(f"CREATE TRIGGER invitations_door_counts AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} "
                   "ON invitations FOR EACH ROW EXECUTE FUNCTION invitations_door_counts()")
    else:
        op.execute(f"CREATE TRIGGER invitations_door_counts_insert AFTER INSERT ON invitations "
                   f"BEGIN {add('NEW')}; END")
        op.execute(f"CREATE TRIGGER invitations_door_counts_delete AFTER DELETE ON invitations "
                   f"BEGIN {add('OLD', '-')}; END")
        op.execute(f"CREATE TRIGGER invitations_door_counts_update AFTER UPDATE OF {WATCHED} ON invitations "
                   f"BEGIN {add('OLD', '-')}; {add('NEW')}; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS invitations_door_counts ON invitations")
        op.execute("DROP FUNCTION IF EXISTS invitations_door_counts()")
    else:
        for kind in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS invitations_door_counts_{kind}")
    op.drop_table("event_door_counts")
