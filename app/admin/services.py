"""Admin operations: users, stores, reference data and settings. Every change is audited.

Callers commit, then call app.admin.reference.clear_cache() for reference and settings changes.
"""

from sqlalchemy import select

from app.accounts.models import Role, Store, User
from app.accounts.passwords import hash_password, password_problem
from app.admin import rules
from app.admin.models import PipelineStage, Setting
from app.audit.services import record
from app.core.errors import ConflictError, DomainError
from app.extensions import db

USER_FIELDS = ("display_name", "email", "role", "store_id", "capacity", "can_export", "can_reveal_phone")
STORE_FIELDS = (
    "code",
    "name",
    "region",
    "city",
    "address",
    "phone",
    "timezone",
    "sms_window_start",
    "sms_window_end",
)
# An empty sending window field keeps the default hours.
STORE_DEFAULTS = {"sms_window_start": "09:00", "sms_window_end": "20:30"}
SECRET_STORE_FIELDS = ("wecom_webhook_url",)
OPTIONAL_STORE_FIELDS = (
    "sms_signature",
)  # empty is stored as NULL  # the robot's key is in its URL: audited masked


def user_values(user: User) -> dict:
    """Return the editable values of a user (audit and concurrency fingerprint)."""
    values = {f: getattr(user, f) for f in USER_FIELDS}
    values["role"] = str(values["role"])
    return values


def update_user(user: User, values: dict, actor: User, expected: str | None = None) -> dict:
    """Change a user's role, store, rights or capacity; refuse a stale form (409)."""
    before = user_values(user)
    if expected and expected != rules.fingerprint(before):
        raise ConflictError("stale", "someone else changed this user")
    after = {f: values[f] for f in USER_FIELDS if f in values}
    after["role"] = str(Role(after.get("role", before["role"])))
    if after["role"] in rules.STORELESS_ROLES and not after.get("store_id"):
        after["store_id"] = None
    rules.check_role_store(after["role"], after.get("store_id"))
    diff = rules.changes(before, after)
    if not diff:
        return {}
    for field, (_, new) in diff.items():
        setattr(user, field, Role(new) if field == "role" else new)
    if "role" in diff or "store_id" in diff:
        # What the user may see changed: open pages must be reloaded under the new rights.
        user.session_version += 1
    record("user.update", actor, "user", user.id, {"username": user.username, "changes": diff})
    return diff


def reset_password(user: User, new_password: str, actor: User | None) -> None:
    """Set a new password chosen by an administrator; the user's sessions end."""
    problem = password_problem(new_password, user.username)
    if problem:
        raise DomainError(problem, problem)
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    record("user.password_reset", actor, "user", user.id, {"username": user.username})


def revoke_sessions(user: User, actor: User | None) -> None:
    """Log the user out everywhere at once."""
    user.session_version += 1
    record("user.sessions_revoked", actor, "user", user.id, {"username": user.username})


def reactivate_user(user: User, actor: User) -> None:
    """Let a deactivated user log in again (leads stay with the successor)."""
    if user.active:
        return
    user.active = True
    user.deactivated_at = None
    record("user.reactivate", actor, "user", user.id, {"username": user.username})


def save_store(store: Store | None, values: dict, actor: User) -> Store:
    """Create a store or change its details."""
    code = values["code"].strip()
    clash = db.session.execute(select(Store.id).where(Store.code == code)).scalar()
    if clash and (store is None or clash != store.id):
        raise DomainError("code_taken", "store code already exists")
    secrets = {f: (values.get(f) or "").strip() or None for f in SECRET_STORE_FIELDS if f in values}
    optional = {f: (values.get(f) or "").strip() or None for f in OPTIONAL_STORE_FIELDS if f in values}
    if store is None:
        store = Store(
            **{f: values.get(f) or STORE_DEFAULTS.get(f, "") for f in STORE_FIELDS}, **secrets, **optional
        )
        db.session.add(store)
        db.session.flush()
        record("store.create", actor, "store", store.id, {"code": code})
        return store
    before = {f: getattr(store, f) for f in STORE_FIELDS}
    diff = rules.changes(before, {f: values.get(f) or STORE_DEFAULTS.get(f, "") for f in STORE_FIELDS})
    for field, (_, new) in diff.items():
        setattr(store, field, new)
    for field, new in optional.items():
        if getattr(store, field) != new:
            diff[field] = [getattr(store, field), new]
            setattr(store, field, new)
    for field, new in secrets.items():
        old = getattr(store, field)
        if old != new:
            setattr(store, field, new)
            diff[field] = [rules.mask_secret(old), rules.mask_secret(new)]
    if diff:
        record("store.update", actor, "store", store.id, {"code": store.code, "changes": diff})
    return store


def set_store_active(store: Store, active: bool, actor: User) -> None:
    """Open or close a store (closed stores take no new leads; history stays)."""
    if store.active == active:
        return
    store.active = active
    record("store.activate" if active else "store.deactivate", actor, "store", store.id, {"code": store.code})


def save_reference(model, row, values: dict, actor: User, kind: str):
    """Create or change a reference row (channel, grade, stage, reason, vehicle)."""
    code = values.get("code")
    if code is not None:
        clash = db.session.execute(select(model.id).where(model.code == code)).scalar()
        if clash and (row is None or clash != row.id):
            raise DomainError("code_taken", "code already exists")
    if row is not None and hasattr(row, "code"):
        values = {k: v for k, v in values.items() if k != "code"}  # codes are referenced; never renamed
    before = {} if row is None else {k: _plain(getattr(row, k)) for k in values}
    if model is PipelineStage:
        _check_stages(row, values)
    if row is None:
        row = model(**values)
        db.session.add(row)
        db.session.flush()
        action = f"reference.{kind}.create"
    else:
        for field, value in values.items():
            setattr(row, field, value)
        action = f"reference.{kind}.update"
    diff = rules.changes(before, {k: _plain(v) for k, v in values.items()})
    if diff:
        record(action, actor, kind, row.id, {"changes": diff})
    db.session.flush()
    return row


def _check_stages(row, values: dict) -> None:
    current = [
        {"id": s.id, "kind": str(s.kind), "active": s.active}
        for s in db.session.execute(select(PipelineStage)).scalars()
    ]
    proposed = [s for s in current if row is None or s["id"] != row.id]
    proposed.append({"id": getattr(row, "id", None), "kind": str(values["kind"]), "active": values["active"]})
    rules.check_stage_set(proposed)


def save_settings(values: dict, actor: User) -> dict:
    """Store changed settings and audit old and new values."""
    rows = {s.key: s for s in db.session.execute(select(Setting)).scalars()}
    diff = {}
    for key, value in values.items():
        row = rows.get(key)
        old = row.value if row is not None else None
        if old == value:
            continue
        diff[key] = [old, value]
        if row is None:
            db.session.add(Setting(key=key, value=value))
        else:
            row.value = value
    if diff:
        record("settings.update", actor, "settings", None, {"changes": diff})
    db.session.flush()
    return diff


def _plain(value):
    return str(value) if hasattr(value, "value") and isinstance(value, str) else value


def deactivate(user: User, successor: User | None, actor: User, reason: str = "") -> dict:
    """Deactivate a user; open leads and plans go to the successor (required when there are any)."""
    from app.accounts.services import deactivate_user
    from app.admin.queries import open_work

    rules.check_successor(user.id, successor.id if successor else None, actor.id)
    if not user.active:
        raise DomainError("already_inactive", "user is already inactive")
    if successor is None and any(open_work(user).values()):
        raise DomainError("successor_required", "this user still has open leads or plans")
    return deactivate_user(user, successor, actor=actor, reason=reason)
