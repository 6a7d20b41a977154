"""The bootstrap command line: stores, users, deactivation with a successor."""

from sqlalchemy import func, select

from app.accounts.models import Role, Store, User
from app.audit.models import AuditLog
from app.followups.models import Plan, PlanStatus
from app.leads.models import Lead


def run(app, *args, input=None):
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    return result


def test_stores_create_and_list(app, db):
    result = run(app, "stores", "create", "--code", "HZ09", "--name", "滨江店", "--region", "浙江")
    assert result.exit_code == 0, result.output
    assert db.session.execute(select(Store).where(Store.code == "HZ09")).scalar_one().region == "浙江"
    again = run(app, "stores", "create", "--code", "HZ09", "--name", "重复")
    assert again.exit_code != 0 and "already exists" in again.output
    listing = run(app, "stores", "list")
    assert "HZ09\t滨江店\t浙江\tactive" in listing.output


def test_users_create_reads_the_password_from_stdin(app, db, factory):
    factory.store(code="BJ77")
    db.session.commit()
    result = run(
        app,
        "users",
        "create",
        "--username",
        "boss",
        "--role",
        "manager",
        "--store",
        "BJ77",
        "--password-stdin",
        input="granite window seven\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).where(User.username == "boss")).scalar_one()
    assert user.role == Role.MANAGER and user.password_hash.startswith("$argon2id$")
    assert "granite window seven" not in result.output
    weak = run(
        app,
        "users",
        "create",
        "--username",
        "weak",
        "--role",
        "manager",
        "--store",
        "BJ77",
        "--password-stdin",
        input="12345678\n",
    )
    assert weak.exit_code != 0 and "too_common" in weak.output
    no_stdin = run(app, "users", "create", "--username", "x", "--role", "admin")
    assert no_stdin.exit_code != 0
    listing = run(app, "users", "list")
    assert "boss\tmanager\tBJ77\tactive" in listing.output


def test_users_deactivate_moves_open_leads_and_plans(app, db, factory):
    store = factory.store()
    leaver = factory.user(Role.CONSULTANT, store, username="leaver")
    heir = factory.user(Role.CONSULTANT, store, username="heir")
    open_lead = factory.lead(owner=leaver, stage="invited")
    closed_lead = factory.lead(owner=leaver, stage="lost")
    db.session.add(
        Plan(
            lead_id=open_lead.id,
            assignee_id=leaver.id,
            store_id=store.id,
            kind="follow_up",
            due_date=open_lead.expected_purchase_date,
            content="回访",
            status=PlanStatus.OPEN,
        )
    )
    db.session.commit()
    result = run(app, "users", "deactivate", "--username", "leaver", "--successor", "heir")
    assert result.exit_code == 0, result.output
    assert "moved 1 leads and 1 plans to heir" in result.output
    db.session.expire_all()
    assert db.session.get(Lead, open_lead.id).owner_id == heir.id
    assert db.session.get(Lead, closed_lead.id).owner_id == leaver.id
    assert db.session.scalar(select(Plan.assignee_id)) == heir.id
    assert not db.session.get(User, leaver.id).active
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "user.deactivate")).scalar_one()
    assert row.detail == {"successor": "heir", "leads": 1, "plans": 1}
    missing = run(app, "users", "deactivate", "--username", "nobody")
    assert missing.exit_code != 0


def test_seed_reference_is_idempotent(app, db):
    from app.admin.models import PipelineStage

    before = db.session.scalar(select(func.count()).select_from(PipelineStage))
    assert run(app, "seed-reference").exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(PipelineStage)) == before


def test_reset_password_logout_everywhere_and_audit(app, db, factory, login):
    from tests.factories import TEST_PASSWORD

    user = factory.user(username="forgetful")
    db.session.commit()
    session = login(user)
    result = run(app, "users", "logout-everywhere", "--username", "forgetful")
    assert result.exit_code == 0 and session.get("/").status_code == 302
    weak = run(app, "users", "reset-password", "--username", "forgetful", "--password-stdin", input="123\n")
    assert weak.exit_code != 0 and "too_short" in weak.output
    ok = run(
        app,
        "users",
        "reset-password",
        "--username",
        "forgetful",
        "--password-stdin",
        input="amber meadow clock\n",
    )
    assert ok.exit_code == 0, ok.output
    assert login(user, password="amber meadow clock").get("/").status_code == 200
    assert (
        session.post("/login", data={"username": "forgetful", "password": TEST_PASSWORD}).status_code == 200
    )
    audit = run(app, "audit", "--action", "user.", "--username", "")
    lines = audit.output.strip().splitlines()
    assert [line.split("\t")[2] for line in lines] == ["user.password_reset", "user.sessions_revoked"]
