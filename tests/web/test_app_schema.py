"""The migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


def test_every_model_table_is_registered(app):
    # app/models.py must import every domain's models (Alembic only sees imported tables).
    expected = {
        "leads",
        "users",
        "stores",
        "followups",
        "plans",
        "events",
        "invitations",
        "checkins",
        "messages",
        "audit_log",
        "showroom_visits",
        "stage_changes",
        "owner_changes",
    }
    assert expected <= set(db.metadata.tables)
