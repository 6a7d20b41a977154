"""Account operations: authenticate, create, change password, deactivate with a successor."""

from sqlalchemy import select, update

from app.accounts.models import Role, Store, User
from app.accounts.passwords import DUMMY_HASH, hash_password, password_problem, verify_password
from app.audit.services import record
from app.core.errors import DomainError
from app.core.timeutil import utcnow
from app.extensions import db


def authenticate(username: str, password: str) -> User | None:
    """Return the active user for these credentials, else None (same work either way)."""
    user = db.session.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()
    if user is None:
        verify_password(DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    return user


def create_user(
    username: str,
    password: str,
    role: Role | str,
    store: Store | None = None,
    display_name: str | None = None,
    email: str | None = None,
    actor: User | None = None,
    check_password: bool = True,
    **extra,
) -> User:
    """Create a user after checking the password policy."""
    username = username.strip()
    if not username:
        raise DomainError("username_required", "username required")
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise DomainError("username_taken", "username already exists")
    if check_password:
        problem = password_problem(password, username)
        if problem:
            raise DomainError(problem, problem)
    role = Role(role)
    if role not in {Role.DIRECTOR, Role.ADMIN} and store is None:
        raise DomainError("store_required", "this role needs a store")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        store_id=store.id if store else None,
        email=email,
        password_hash=hash_password(password),
        **extra,
    )
    if role in {Role.MANAGER, Role.DIRECTOR}:
        user.can_export = extra.get("can_export", True)
    db.session.add(user)
    db.session.flush()
    record("user.create", actor, "user", user.id, {"username": username, "role": str(role)})
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Change the user's password; other sessions of the user end."""
    if not verify_password(user.password_hash, current):
        raise DomainError("wrong_password", "current password is wrong")
    problem = password_problem(new, user.username)
    if problem:
        raise DomainError(problem, problem)
    user.password_hash = hash_password(new)
    user.session_version += 1
    record("user.password_change", user, "user", user.id)


def deactivate_user(user: User, successor: User | None, actor: User | None = None, reason: str = "") -> dict:
    """Deactivate a user at once and hand open leads and plans to the successor (交接)."""
    from app.followups.models import Plan, PlanStatus
    from app.leads.models import Lead, OwnerChange
    from app.leads.queries import open_stage_ids

    if successor is not None and (not successor.active or successor.id == user.id):
        raise DomainError("bad_successor", "the successor must be another active user")
    now = utcnow()
    moved_leads = moved_plans = 0
    if successor is not None:
        open_ids = open_stage_ids()
        lead_ids = db.session.execute(
            select(Lead.id, Lead.store_id).where(Lead.owner_id == user.id, Lead.stage_id.in_(open_ids))
        ).all()
        if lead_ids:
            db.session.execute(
                OwnerChange.__table__.insert(),
                [
                    {
                        "lead_id": lid,
                        "from_user_id": user.id,
                        "to_user_id": successor.id,
                        "from_store_id": sid,
                        "to_store_id": successor.store_id or sid,
                        "kind": "handover",
                        "reason": reason or "deactivation",
                        "changed_by_id": getattr(actor, "id", None),
                        "created_at": now,
                    }
                    for lid, sid in lead_ids
                ],
            )
            db.session.execute(
                update(Lead)
                .where(Lead.id.in_([lid for lid, _ in lead_ids]))
                .values(owner_id=successor.id, assigned_at=now, version=Lead.version + 1)
                .execution_options(synchronize_session=False)
            )
        moved_leads = len(lead_ids)
        result = db.session.execute(
            update(Plan)
            .where(Plan.assignee_id == user.id, Plan.status == PlanStatus.OPEN)
            .values(assignee_id=successor.id)
            .execution_options(synchronize_session=False)
        )
        moved_plans = result.rowcount or 0
        if user.role == Role.DCC:
            db.session.execute(
                update(Lead)
                .where(Lead.dcc_agent_id == user.id)
                .values(dcc_agent_id=successor.id, version=Lead.version + 1)
                .execution_options(synchronize_session=False)
            )
    user.active = False
    user.deactivated_at = now
    user.successor_id = successor.id if successor else None
    user.session_version += 1  # every open session of this user stops on its next request
    detail = {
        "successor": successor.username if successor else None,
        "leads": moved_leads,
        "plans": moved_plans,
    }
    record("user.deactivate", actor, "user", user.id, detail)
    return detail
