"""`flask seed-demo`: a believable dealership group, deterministic for a given seed.

Stores, one login per role, consultants sized to the lead volume, leads from every channel,
grade and stage, six months of follow-ups, open plans (some overdue), stage and owner history,
showroom visits, defeat requests and orders. Rows go in by COPY (PostgreSQL) or executemany
(SQLite) in chunks, so a million leads load in minutes.
"""

import random
import time
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select

from app.accounts.mfa import mfa_required
from app.accounts.models import Role, Store, User
from app.accounts.passwords import hash_password
from app.admin.defaults import ensure_reference_data
from app.admin.reference import channels, defeat_reasons, grades, stages, vehicle_models
from app.core.timeutil import local_today, utcnow
from app.core.vin import with_check_digit
from app.demo.bulk import bulk_insert, fast_load_settings, fix_sequences, max_id, secondary_indexes_dropped
from app.extensions import db

DEMO_PASSWORD = "leadloop-demo-2026"  # noqa: S105 - printed demo login, demo data only
# The demo's admin, director, managers and marketing (who export) confirm logins with a TOTP code:
# they are enrolled with this printed key (demo data only; real users enrol their own phones).
DEMO_TOTP_SECRET = "LEADLOOPDEMOTOTPKEY23456"  # noqa: S105
CHUNK = 50_000
# From this many leads on, indexes are dropped during the load and built once at the end.
REINDEX_FROM = 100_000
BULK_TABLES = (
    "leads",
    "followups",
    "plans",
    "stage_changes",
    "owner_changes",
    "showroom_visits",
    "defeat_requests",
    "lead_orders",
)

STORES = [
    ("BJ01", "朝阳店", "北京", "北京"),
    ("BJ02", "海淀店", "北京", "北京"),
    ("SH01", "浦东店", "上海", "上海"),
    ("GZ01", "天河店", "广东", "广州"),
    ("SZ01", "南山店", "广东", "深圳"),
    ("CD01", "武侯店", "四川", "成都"),
    ("HZ01", "西湖店", "浙江", "杭州"),
    ("WH01", "江汉店", "湖北", "武汉"),
    ("NJ01", "鼓楼店", "江苏", "南京"),
    ("XA01", "雁塔店", "陕西", "西安"),
    ("CQ01", "渝北店", "重庆", "重庆"),
    ("TJ01", "河西店", "天津", "天津"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆晨欣怡涵宁博文杰轩睿嘉琪雪梅婷倩颖子涵梓萱浩然"
MOBILE_PREFIXES = [
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "182",
    "183",
    "187",
    "188",
    "130",
    "131",
    "132",
    "155",
    "156",
    "185",
    "186",
    "133",
    "153",
    "180",
    "181",
    "189",
    "177",
    "199",
    "166",
    "178",
    "176",
    "191",
    "198",
    "173",
]
STAGE_WEIGHTS = {
    "new": 12,
    "contacted": 20,
    "invited": 10,
    "visited": 12,
    "test_drive": 8,
    "negotiation": 6,
    "won": 15,
    "lost": 17,
}
GRADE_WEIGHTS = {"H": 10, "A": 25, "B": 35, "C": 30}
CONTENTS = [
    "介绍了新款车型配置，客户比较关注油耗",
    "客户询问贷款方案和首付比例",
    "约客户周末到店试驾",
    "客户在对比竞品，强调我们的保养政策",
    "发送了报价单，客户考虑中",
    "客户表示近期会和家人商量",
    "邀请客户参加新车发布会",
    "客户对颜色和内饰比较满意",
    "跟进置换评估结果",
    "客户希望再优惠一些",
]
FEEDBACK = ["比较满意", "还在犹豫", "价格偏高", "想再看看", "家人意见不统一", "近期会到店"]
PLAN_TEXT = ["电话回访，确认到店时间", "发送最新优惠信息", "邀约试驾", "跟进报价反馈", "确认贷款材料"]
REGIONS = {
    "北京": ["朝阳区", "海淀区", "丰台区", "通州区"],
    "上海": ["浦东新区", "徐汇区", "闵行区"],
    "广东": ["天河区", "南山区", "福田区", "番禺区"],
    "四川": ["武侯区", "锦江区"],
    "浙江": ["西湖区", "滨江区"],
    "湖北": ["江汉区", "武昌区"],
    "江苏": ["鼓楼区", "玄武区"],
    "陕西": ["雁塔区", "未央区"],
    "重庆": ["渝北区", "江北区"],
    "天津": ["河西区", "南开区"],
}

LOGINS: list[tuple[str, str, str]] = []


def _phone(i: int) -> str:
    prefix = MOBILE_PREFIXES[i % len(MOBILE_PREFIXES)]
    suffix = ((i // len(MOBILE_PREFIXES)) * 48271 + 1234567) % 100_000_000
    return f"+86{prefix}{suffix:08d}"


def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _vin(rng: random.Random, n: int) -> str:
    chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    body = "LVS" + "".join(rng.choice(chars) for _ in range(5)) + "0" + "R" + "A" + f"{n % 1_000_000:06d}"
    return with_check_digit(body)


def _ensure_stores(n_stores: int) -> list[Store]:
    existing = {s.code: s for s in db.session.execute(select(Store)).scalars()}
    result = []
    for i in range(n_stores):
        code, name, region, city = (
            STORES[i] if i < len(STORES) else (f"ST{i + 1:02d}", f"第{i + 1}店", "江苏", "苏州")
        )
        store = existing.get(code)
        if store is None:
            store = Store(
                code=code,
                name=name,
                region=region,
                city=city,
                address=f"{city}市{name}汽车城 8 号",
                phone="400-820-8820",
            )
            db.session.add(store)
        result.append(store)
    db.session.flush()
    return result


def _ensure_users(stores: list[Store], consultants_per_store: int, rng: random.Random) -> dict:
    """Create the staff; return {store_id: {role: [user ids]}}."""
    pw = hash_password(DEMO_PASSWORD)
    existing = {u.username: u for u in db.session.execute(select(User)).scalars()}
    staff: dict[int, dict[str, list[int]]] = {}

    def add(username, display, role, store=None, **kw):
        user = existing.get(username)
        if user is None:
            user = User(
                username=username,
                display_name=display,
                role=role,
                store_id=store.id if store else None,
                password_hash=pw,
                email=f"{username}@demo.leadloop.local",
                **kw,
            )
            if mfa_required(user):
                user.totp_secret, user.mfa_enrolled_at = DEMO_TOTP_SECRET, utcnow()
            db.session.add(user)
            existing[username] = user
        return user

    LOGINS.clear()
    admin = add("admin", "系统管理员", Role.ADMIN)
    director = add("director", "赵总监", Role.DIRECTOR, can_export=True, can_reveal_phone=True)
    LOGINS.extend([("admin", "admin", "系统管理员"), ("director", "director", "赵总监")])
    for s_index, store in enumerate(stores):
        code = store.code.lower()
        roles: dict[str, list[User]] = {
            "consultant": [],
            "manager": [],
            "marketing": [],
            "clerk": [],
            "dcc": [],
        }
        manager = add(f"{code}-manager", _name(rng), Role.MANAGER, store, can_export=True)
        roles["manager"].append(manager)
        roles["marketing"].append(
            add(f"{code}-marketing", _name(rng), Role.MARKETING, store, can_export=True)
        )
        roles["clerk"].append(add(f"{code}-clerk", _name(rng), Role.CLERK, store))
        roles["dcc"].append(add(f"{code}-dcc", _name(rng), Role.DCC, store))
        for c in range(consultants_per_store):
            display = "王丽" if s_index == 0 and c == 0 else _name(rng)
            roles["consultant"].append(add(f"{code}-sales{c + 1:02d}", display, Role.CONSULTANT, store))
        if s_index == 0:
            LOGINS.extend(
                [
                    ("manager", manager.username, manager.display_name),
                    ("consultant", roles["consultant"][0].username, roles["consultant"][0].display_name),
                    ("dcc", roles["dcc"][0].username, roles["dcc"][0].display_name),
                    ("clerk", roles["clerk"][0].username, roles["clerk"][0].display_name),
                    ("marketing", roles["marketing"][0].username, roles["marketing"][0].display_name),
                ]
            )
        staff[store.id] = roles  # type: ignore[assignment]
    db.session.flush()
    for roles in staff.values():
        for role, users in roles.items():
            roles[role] = [u.id for u in users]  # type: ignore[index]
        manager_id = roles["manager"][0]
        for uid in roles["consultant"]:
            db.session.get(User, uid).manager_id = manager_id
    db.session.flush()
    _ = admin, director
    return staff


# ---- follow-up discipline and targets --------------------------------------------------------

# How many violations (overdue plans, expired opportunities) a consultant has in a month: most a
# handful, some none, a few more — so penalties are tens to hundreds of yuan, now and then capped.
DISCIPLINE_PROFILES = [(0, 25), (1, 28), (2, 22), (3, 14), (4, 7), (6, 4)]
DISCIPLINE_MONTHS = 6


def _months_back(today: date, n: int) -> list[date]:
    months, first = [], today.replace(day=1)
    for _ in range(n):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return months


class _Discipline:
    """Each consultant's violations, handed out to their leads as the leads are generated."""

    def __init__(self, pending: dict[int, list[tuple[str, date]]]):
        self.pending = pending

    def take(self, owner: int, created: date, is_open: bool) -> tuple[str, date] | None:
        """Return (kind, day) for this lead, or None: an expired or overdue one needs an open lead."""
        items = self.pending.get(owner)
        if not items:
            return None
        for index, (kind, day) in enumerate(items):
            if day >= created and (is_open or kind == "late"):
                return items.pop(index)
        return None


def _discipline_budgets(staff: dict, seed: int, today: date) -> _Discipline:
    """Draw each consultant's violations for the last months (their own generator: names stay the same)."""
    rng = random.Random(seed * 7919 + 17)
    values, weights = zip(*DISCIPLINE_PROFILES, strict=True)
    pending: dict[int, list[tuple[str, date]]] = {}
    months = _months_back(today, DISCIPLINE_MONTHS)
    for store_id in sorted(staff):
        for uid in staff[store_id]["consultant"]:
            usual = rng.choices(values, weights)[0]
            items = []
            for age, month in enumerate(months):
                last = min(
                    today - timedelta(days=1), (month + timedelta(days=31)).replace(day=1) - timedelta(days=1)
                )
                n = max(0, usual + rng.choice((-1, 0, 0, 1))) if usual else 0
                for _ in range(n):
                    day = month + timedelta(days=rng.randint(0, max(0, (last - month).days)))
                    if day > last:
                        continue  # the month has not begun a day before today
                    roll = rng.random()
                    if age == 0:
                        kind = "overdue" if roll < 0.6 else "expired"
                    elif age == 1:
                        kind = "late" if roll < 0.7 else "expired"
                    else:
                        kind = "late"
                    items.append((kind, day))
            pending[uid] = items
    return _Discipline(pending)


class _Actuals:
    """What each store and consultant did per month while the leads were generated (for targets)."""

    def __init__(self):
        self.counts: dict[tuple, int] = {}

    def add(self, store_id: int, owner: int | None, month: date, metric: str) -> None:
        for key in (
            ((store_id, None, month, metric), (store_id, owner, month, metric))
            if owner
            else ((store_id, None, month, metric),)
        ):
            self.counts[key] = self.counts.get(key, 0) + 1


TARGET_METRICS = ("new_leads", "visits", "test_drives", "orders")


def _seed_targets(actuals: _Actuals, staff: dict, today: date, seed: int) -> int:
    """Monthly targets a little above what each store and consultant usually does (some are beaten)."""
    from app.invitations.models import MonthlyTarget

    rng = random.Random(seed * 104729 + 3)
    months = _months_back(today, DISCIPLINE_MONTHS)
    existing = set(
        db.session.execute(
            select(
                MonthlyTarget.month, MonthlyTarget.store_id, MonthlyTarget.user_id, MonthlyTarget.metric
            ).where(MonthlyTarget.month.in_(months))
        ).all()
    )
    rows = []
    for store_id in sorted(staff):
        for uid in [None, *staff[store_id]["consultant"]]:
            for metric in TARGET_METRICS:
                past = [actuals.counts.get((store_id, uid, m, metric), 0) for m in months[1:4]]
                usual = sum(past) / len(past) if past else 0
                for month in months:
                    factor = rng.uniform(0.9, 1.25)
                    if (month, store_id, uid, metric) in existing or usual <= 0:
                        continue
                    rows.append(
                        {
                            "month": month,
                            "store_id": store_id,
                            "user_id": uid,
                            "metric": metric,
                            "value": max(1, round(usual * factor)),
                        }
                    )
    if rows:
        db.session.execute(insert(MonthlyTarget), rows)
    return len(rows)


def seed_demo_data(
    n_leads: int = 2000, n_stores: int = 3, seed: int = 42, echo=print, reindex_from: int = REINDEX_FROM
) -> dict:
    """Fill the database with demo data; return row counts."""
    from app.reports import aggregates

    started = time.monotonic()
    db.session.info[aggregates.OFF] = True  # most rows go in around the ORM: one rebuild at the end
    try:
        return _seed(n_leads, n_stores, seed, echo, reindex_from, started)
    finally:
        db.session.info.pop(aggregates.OFF, None)


def _seed(n_leads, n_stores, seed, echo, reindex_from, started) -> dict:  # noqa: C901
    rng = random.Random(seed)
    ensure_reference_data()
    stores = _ensure_stores(max(1, n_stores))
    per_store = max(1, n_leads // len(stores))
    # About 80 new leads per consultant a month (six months of leads): a real showroom's load.
    consultants = min(60, max(4, per_store // 500))
    staff = _ensure_users(stores, consultants, rng)
    db.session.commit()
    echo(f"stores={len(stores)} consultants/store={consultants}")

    discipline = _discipline_budgets(staff, seed, local_today(utcnow()))
    stage_refs = {s.code: s for s in stages()}
    grade_refs = {g.code: g for g in grades()}
    channel_refs = [c for c in channels() if c.active]
    reason_ids = [r.id for r in defeat_reasons()]
    models = [m for m in vehicle_models() if m.active]
    stage_codes = list(STAGE_WEIGHTS)
    stage_w = list(STAGE_WEIGHTS.values())
    grade_codes = list(GRADE_WEIGHTS)
    grade_w = list(GRADE_WEIGHTS.values())
    open_order = ["new", "contacted", "invited", "visited", "test_drive", "negotiation"]
    channel_w = [
        30 if c.code == "walk_in" else 12 if c.code in {"website", "online_ads", "hotline_400"} else 6
        for c in channel_refs
    ]

    now = utcnow().replace(microsecond=0)
    today = local_today(now)  # the stores' day: what is overdue there
    base_lead = max_id("leads")
    ids = {
        t: max_id(t)
        for t in (
            "followups",
            "plans",
            "stage_changes",
            "owner_changes",
            "showroom_visits",
            "defeat_requests",
            "lead_orders",
        )
    }
    counts = dict.fromkeys(
        [
            "leads",
            "followups",
            "plans",
            "stage_changes",
            "owner_changes",
            "showroom_visits",
            "defeat_requests",
            "lead_orders",
        ],
        0,
    )

    lead_cols = (
        "id",
        "version",
        "name",
        "gender",
        "phone",
        "phone_last4",
        "email",
        "birthday",
        "age",
        "region",
        "source_channel_id",
        "source_detail",
        "store_id",
        "owner_id",
        "dcc_agent_id",
        "model_id",
        "budget_min",
        "budget_max",
        "preferences",
        "decision_role",
        "expected_purchase_date",
        "grade_id",
        "stage_id",
        "notes",
        "marketing_consent",
        "consent_source",
        "consent_at",
        "is_fleet",
        "is_important",
        "created_at",
        "updated_at",
        "created_by_id",
        "assigned_at",
        "first_contact_due_at",
        "first_contacted_at",
        "last_followup_at",
        "last_effective_followup_at",
        "next_plan_due",
        "stage_changed_at",
        "won_at",
        "lost_at",
        "invited_at",
        "arrived_at",
    )
    fu_cols = (
        "id",
        "lead_id",
        "user_id",
        "store_id",
        "method",
        "result",
        "content",
        "feedback",
        "occurred_at",
        "is_effective",
        "created_at",
        "grade_after_id",
        "reviewed_at",
    )
    plan_cols = (
        "id",
        "lead_id",
        "assignee_id",
        "store_id",
        "kind",
        "due_date",
        "content",
        "status",
        "created_at",
        "created_by_id",
        "done_at",
        "overdue_marked_at",
    )
    sc_cols = ("id", "lead_id", "from_stage_id", "to_stage_id", "user_id", "store_id", "created_at")
    oc_cols = (
        "id",
        "lead_id",
        "from_user_id",
        "to_user_id",
        "from_store_id",
        "to_store_id",
        "kind",
        "reason",
        "changed_by_id",
        "created_at",
    )
    visit_cols = (
        "id",
        "store_id",
        "lead_id",
        "consultant_id",
        "registered_by_id",
        "source_channel_id",
        "arrived_at",
        "left_at",
        "party_size",
        "is_first_visit",
        "left_contact",
        "test_drive",
        "created_at",
    )
    defeat_cols = (
        "id",
        "lead_id",
        "store_id",
        "requested_by_id",
        "reason_id",
        "detail",
        "stage_before_id",
        "status",
        "decided_by_id",
        "decided_at",
        "comment",
        "created_at",
    )
    order_cols = (
        "id",
        "lead_id",
        "store_id",
        "consultant_id",
        "brand",
        "series",
        "model",
        "configuration",
        "vin",
        "amount",
        "order_date",
        "created_by_id",
        "created_at",
    )

    methods = ["phone", "phone", "phone", "wechat", "sms", "showroom", "visit", "email"]
    actuals = _Actuals()
    with secondary_indexes_dropped(BULK_TABLES, enabled=n_leads >= reindex_from) as dropped:
        done = 0
        while done < n_leads:
            size = min(CHUNK, n_leads - done)
            fast_load_settings()
            leads, fus, plans, scs, ocs, visits, defeats, orders = [], [], [], [], [], [], [], []
            for k in range(size):
                i = base_lead + done + k + 1
                store = stores[(done + k) % len(stores)]
                roles = staff[store.id]
                stage_code = rng.choices(stage_codes, stage_w)[0]
                grade_code = rng.choices(grade_codes, grade_w)[0]
                grade = grade_refs[grade_code]
                channel = rng.choices(channel_refs, channel_w)[0]
                created = now - timedelta(days=rng.random() * 180, minutes=rng.randint(0, 600))
                created = created.replace(microsecond=0)
                pooled = stage_code == "new" and rng.random() < 0.35
                owner = None if pooled else rng.choice(roles["consultant"])
                manager = roles["manager"][0]
                dcc = (
                    roles["dcc"][0]
                    if channel.code in {"hotline_400", "online_ads", "website"} and rng.random() < 0.3
                    else None
                )
                model = rng.choice(models)
                within = grade.purchase_within_days or 60
                expected = (created + timedelta(days=rng.randint(max(1, within // 2), within + 20))).date()
                ahead = rng.randint(3, within + 20)  # drawn every time: same people whatever the day
                gender = rng.choice(("male", "male", "female", "female", "unknown"))
                birthday = (
                    date(1965 + rng.randint(0, 38), rng.randint(1, 12), rng.randint(1, 28))
                    if rng.random() < 0.3
                    else None
                )
                phone = _phone(i)
                consent = rng.random() < 0.75
                # follow-ups: more for later stages
                if stage_code in ("won", "lost"):
                    reached_index = rng.randint(2, 5)
                else:
                    reached_index = open_order.index(stage_code)
                n_fu = 0 if owner is None else max(0, min(8, reached_index + rng.randint(0, 2)))
                fu_times = sorted(
                    created
                    + timedelta(seconds=rng.randint(600, max(601, int((now - created).total_seconds()))))
                    for _ in range(n_fu)
                )
                last_fu = last_eff = first_contact = None
                for t in fu_times:
                    ids["followups"] += 1
                    result = (
                        "reached"
                        if rng.random() < 0.72
                        else rng.choice(("not_reached", "busy", "powered_off"))
                    )
                    effective = result == "reached"
                    content = rng.choice(CONTENTS) if effective else "未接通"
                    fus.append(
                        (
                            ids["followups"],
                            i,
                            owner,
                            store.id,
                            rng.choice(methods),
                            result,
                            content,
                            rng.choice(FEEDBACK) if effective else None,
                            t,
                            effective,
                            t,
                            grade.id,
                            t + timedelta(hours=20) if rng.random() < 0.6 else None,
                        )
                    )
                    last_fu = t
                    if effective:
                        last_eff = t
                    first_contact = first_contact or t
                # stages walked
                path = open_order[: reached_index + 1]
                if stage_code == "won":
                    path = path + ["won"]
                elif stage_code == "lost":
                    path = path + ["lost"]
                prev = None
                step_time = created
                span = max(60, int((now - created).total_seconds()))
                stage_times = {}
                for code in path:
                    if prev is not None:
                        step_time = step_time + timedelta(
                            seconds=rng.randint(60, max(61, span // (len(path) + 1)))
                        )
                    ids["stage_changes"] += 1
                    scs.append(
                        (
                            ids["stage_changes"],
                            i,
                            stage_refs[prev].id if prev else None,
                            stage_refs[code].id,
                            owner,
                            store.id,
                            step_time,
                        )
                    )
                    stage_times[code] = step_time
                    prev = code
                is_open = stage_code not in ("won", "lost")
                if is_open and expected < today:
                    expected = today + timedelta(days=ahead)  # kept up to date by the consultant
                next_due = None
                marked = None
                # Draw every number every time: how many draws happen must not depend on the day
                # the seed runs, or the same seed would give different people.
                shift, plan_text = rng.randint(0, grade.cadence_days), rng.choice(PLAN_TEXT)
                if is_open and owner is not None:
                    base = (last_fu or created).date()
                    next_due = base + timedelta(days=grade.cadence_days)
                    if next_due < today:
                        next_due = today + timedelta(days=shift)  # most consultants follow up on time
                violation = discipline.take(owner, created.date(), is_open) if owner is not None else None
                if violation is not None:
                    kind, day = violation
                    if kind == "expired":
                        expected = day
                    elif kind == "overdue":
                        next_due, marked = (
                            day,
                            datetime.combine(day, datetime.min.time()) + timedelta(hours=16, minutes=5),
                        )
                    else:  # a plan done a few days late
                        ids["plans"] += 1
                        finished = datetime.combine(day, datetime.min.time()) + timedelta(
                            days=1 + (i % 3), hours=2
                        )
                        made = max(
                            created,
                            datetime.combine(day, datetime.min.time()) - timedelta(days=grade.cadence_days),
                        )
                        plans.append(
                            (
                                ids["plans"],
                                i,
                                owner,
                                store.id,
                                "follow_up",
                                day,
                                plan_text,
                                "done",
                                made,
                                owner,
                                finished,
                                datetime.combine(day, datetime.min.time()) + timedelta(hours=16, minutes=5),
                            )
                        )
                if next_due is not None:
                    ids["plans"] += 1
                    plans.append(
                        (
                            ids["plans"],
                            i,
                            owner,
                            store.id,
                            "follow_up",
                            next_due,
                            plan_text,
                            "open",
                            last_fu or created,
                            owner,
                            None,
                            marked,
                        )
                    )
                if owner is not None:
                    ids["owner_changes"] += 1
                    ocs.append(
                        (
                            ids["owner_changes"],
                            i,
                            None,
                            owner,
                            None,
                            store.id,
                            "assign",
                            "首次分配",
                            manager,
                            created + timedelta(minutes=30),
                        )
                    )
                arrived = stage_times.get("visited")
                if arrived is not None:
                    ids["showroom_visits"] += 1
                    arrive_at = arrived.replace(hour=rng.randint(1, 10))
                    visits.append(
                        (
                            ids["showroom_visits"],
                            store.id,
                            i,
                            owner,
                            roles["clerk"][0],
                            channel.id,
                            arrive_at,
                            arrive_at + timedelta(minutes=rng.randint(20, 120)),
                            rng.randint(1, 4),
                            True,
                            True,
                            "test_drive" in stage_times,
                            arrive_at,
                        )
                    )
                if rng.random() < 0.12:  # anonymous walk-ins who left no contact
                    ids["showroom_visits"] += 1
                    t = created.replace(hour=rng.randint(1, 10))
                    visits.append(
                        (
                            ids["showroom_visits"],
                            store.id,
                            None,
                            rng.choice(roles["consultant"]),
                            roles["clerk"][0],
                            None,
                            t,
                            t + timedelta(minutes=rng.randint(10, 60)),
                            rng.randint(1, 3),
                            True,
                            False,
                            False,
                            t,
                        )
                    )
                if stage_code == "lost":
                    ids["defeat_requests"] += 1
                    t = stage_times["lost"]
                    defeats.append(
                        (
                            ids["defeat_requests"],
                            i,
                            store.id,
                            owner or manager,
                            rng.choice(reason_ids),
                            "客户已决定",
                            stage_refs[path[-2]].id if len(path) > 1 else None,
                            "confirmed",
                            manager,
                            t + timedelta(hours=3),
                            "同意",
                            t,
                        )
                    )
                elif is_open and owner is not None and rng.random() < 0.01:
                    ids["defeat_requests"] += 1
                    defeats.append(
                        (
                            ids["defeat_requests"],
                            i,
                            store.id,
                            owner,
                            rng.choice(reason_ids),
                            "客户暂缓购买",
                            stage_refs[stage_code].id,
                            "pending",
                            None,
                            None,
                            None,
                            now - timedelta(hours=rng.randint(1, 48)),
                        )
                    )
                month = created.date().replace(day=1)
                actuals.add(store.id, owner, month, "new_leads")
                if arrived is not None:
                    actuals.add(store.id, owner, arrived.date().replace(day=1), "visits")
                    if "test_drive" in stage_times:
                        actuals.add(store.id, owner, arrived.date().replace(day=1), "test_drives")
                if stage_code == "won":
                    actuals.add(store.id, owner, stage_times["won"].date().replace(day=1), "orders")
                    ids["lead_orders"] += 1
                    t = stage_times["won"]
                    orders.append(
                        (
                            ids["lead_orders"],
                            i,
                            store.id,
                            owner,
                            model.brand,
                            model.series,
                            model.name,
                            "标准配置",
                            _vin(rng, i),
                            (model.price or 150000) - rng.randint(0, 15) * 1000,
                            t.date(),
                            owner,
                            t,
                        )
                    )
                changed_at = stage_times[path[-1]]
                leads.append(
                    (
                        i,
                        1,
                        _name(rng),
                        gender,
                        phone,
                        phone[-4:],
                        None,
                        birthday,
                        None,
                        store.region + rng.choice(REGIONS.get(store.region, ["市区"])),
                        channel.id,
                        None,
                        store.id,
                        owner,
                        dcc,
                        model.id,
                        (model.price or 150000) - 20000,
                        (model.price or 150000) + 20000,
                        None,
                        rng.choice(("self", "self", "spouse", "parent", None)),
                        expected,
                        grade.id,
                        stage_refs[stage_code].id,
                        None,
                        consent,
                        "form" if consent else None,
                        created if consent else None,
                        rng.random() < 0.02,
                        grade_code == "H" and rng.random() < 0.2,
                        created,
                        max(created, last_fu or created),
                        manager,
                        created + timedelta(minutes=30) if owner else None,
                        None,
                        first_contact,
                        last_fu,
                        last_eff,
                        next_due,
                        changed_at,
                        stage_times.get("won"),
                        stage_times.get("lost"),
                        stage_times.get("invited"),
                        arrived,
                    )
                )
            counts["leads"] += bulk_insert("leads", lead_cols, leads)
            counts["followups"] += bulk_insert("followups", fu_cols, fus)
            counts["plans"] += bulk_insert("plans", plan_cols, plans)
            counts["stage_changes"] += bulk_insert("stage_changes", sc_cols, scs)
            counts["owner_changes"] += bulk_insert("owner_changes", oc_cols, ocs)
            counts["showroom_visits"] += bulk_insert("showroom_visits", visit_cols, visits)
            counts["defeat_requests"] += bulk_insert("defeat_requests", defeat_cols, defeats)
            counts["lead_orders"] += bulk_insert("lead_orders", order_cols, orders)
            db.session.commit()
            done += size
            echo(f"  {done}/{n_leads} leads ({time.monotonic() - started:.0f}s)")
        if dropped:
            echo(f"  building {len(dropped)} indexes ({time.monotonic() - started:.0f}s)")
    if dropped:
        echo(f"  indexes built ({time.monotonic() - started:.0f}s)")
    fix_sequences(["leads", *ids.keys()])
    counts["monthly_targets"] = _seed_targets(actuals, staff, today, seed)
    db.session.commit()
    from app.demo.events import seed_events

    counts.update(seed_events(stores, staff, seed, now, echo))
    from app.reports import aggregates, open_work, periods

    db.session.info.pop(aggregates.OFF, None)
    counts["daily_stats"] = aggregates.rebuild()  # the bulk rows went in around the ORM: count them once
    counts["period_stats"] = periods.rebuild()
    counts["open_work"] = open_work.rebuild()
    db.session.commit()
    echo(f"  report aggregates rebuilt ({time.monotonic() - started:.0f}s)")
    _analyze()
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


def _analyze() -> None:
    from sqlalchemy import text

    dialect = db.session.connection().dialect.name
    db.session.commit()
    if dialect == "postgresql":
        # VACUUM sets the visibility map, so counts can be answered from indexes alone at once
        # (autovacuum would get there later on its own).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def print_logins(echo=print) -> None:
    """Print one demo login per role."""
    if not LOGINS:
        rows = db.session.execute(
            select(User.role, User.username, User.display_name)
            .where(User.email.like("%@demo.leadloop.local"))
            .order_by(User.id)
        ).all()
        seen = set()
        for role, username, display in rows:
            if role not in seen:
                seen.add(role)
                LOGINS.append((str(role), username, display))
    if not LOGINS:
        return
    echo("")
    echo("Admin, director, manager and marketing also enter a code from an authenticator app:")
    echo(f"  add the key {DEMO_TOTP_SECRET} to the app (same key for every demo user), or print")
    echo(f"  the current code: python -c \"import pyotp; print(pyotp.TOTP('{DEMO_TOTP_SECRET}').now())\"")
    echo(f"Demo logins (password for all: {DEMO_PASSWORD})")
    for role, username, display in LOGINS:
        echo(f"  {role:<11} {username:<18} {display}")
