"""Default reference data for a new install (from the seed documents); idempotent."""

from sqlalchemy import select

from app.admin.models import (
    ChannelCategory,
    DefeatReason,
    IntentGrade,
    PipelineStage,
    Setting,
    SourceChannel,
    StageKind,
    VehicleModel,
)
from app.extensions import db

CHANNELS = [
    ("walk_in", "展厅到店", "Showroom walk-in", ChannelCategory.OFFLINE),
    ("event", "活动", "Event / promotion", ChannelCategory.OFFLINE),
    ("research", "市场调研", "Market research", ChannelCategory.OFFLINE),
    ("referral", "转介绍", "Referral", ChannelCategory.OFFLINE),
    ("repeat", "续购", "Repeat purchase", ChannelCategory.OFFLINE),
    ("website", "官网", "Website form", ChannelCategory.ONLINE),
    ("social", "社交媒体", "WeChat / Weibo / Douyin", ChannelCategory.ONLINE),
    ("ecommerce", "电商", "E-commerce", ChannelCategory.ONLINE),
    ("online_ads", "在线广告", "Online ads", ChannelCategory.ONLINE),
    ("hotline_400", "400 呼入", "400 hotline", ChannelCategory.ONLINE),
    ("showroom_call", "展厅来电", "Showroom phone call", ChannelCategory.OFFLINE),
    ("partner", "合作伙伴", "Partner", ChannelCategory.ONLINE),
]

# code, zh, en, buys within (days), follow up every (days)
GRADES = [
    ("H", "H 级（7天内购买）", "H (buys within 7 days)", 7, 3),
    ("A", "A 级（15天内购买）", "A (buys within 15 days)", 15, 7),
    ("B", "B 级（30天内购买）", "B (buys within 30 days)", 30, 15),
    ("C", "C 级（一个月以上）", "C (over a month)", None, 30),
]

STAGES = [
    ("new", "新线索", "New", StageKind.OPEN, 5),
    ("contacted", "已联系", "Contacted", StageKind.OPEN, 10),
    ("invited", "已邀约", "Invited", StageKind.OPEN, 20),
    ("visited", "已到店", "Visited", StageKind.OPEN, 35),
    ("test_drive", "试驾/方案", "Test drive / proposal", StageKind.OPEN, 50),
    ("negotiation", "报价谈判", "Negotiation", StageKind.OPEN, 70),
    ("won", "成交", "Won", StageKind.WON, 100),
    ("lost", "战败", "Lost", StageKind.LOST, 0),
]

DEFEAT_REASONS = [
    ("price", "价格因素", "Price"),
    ("competitor", "购买竞品", "Bought a competitor"),
    ("other_dealer", "在其他经销商购买", "Bought from another dealer"),
    ("postponed", "暂缓购买", "Postponed purchase"),
    ("no_budget", "预算不足", "No budget"),
    ("loan_rejected", "贷款未通过", "Loan rejected"),
    ("unreachable", "长期联系不上", "Cannot be reached"),
    ("service", "对服务不满意", "Unhappy with service"),
    ("other", "其他", "Other"),
]

VEHICLES = [
    ("星途", "凌云", "凌云 400T 星领版", 159900),
    ("星途", "凌云", "凌云 300T 星享版", 139900),
    ("星途", "揽月", "揽月 400T 四驱版", 209900),
    ("星途", "揽月", "揽月 390T 两驱版", 186900),
    ("星途", "追风", "追风 1.6T 酷享版", 119900),
    ("星途", "瑶光", "瑶光 C-DM 旗舰版", 179900),
    ("星途", "星纪元", "星纪元 ES 纯电版", 229900),
    ("星途", "星纪元", "星纪元 ET 增程版", 209900),
]

DEFAULT_SETTINGS = {
    # What customers see: public page titles, e-mail sender name and the SMS signature fallback.
    "brand_name": "",
    "sms_signature": "",
    "first_contact_hours": 24,
    "reclaim_days": 30,
    "invited_not_arrived_days": 30,
    # The discipline penalty (app/followups/penalties.py): 50 yuan, doubling on each repeat within
    # the calendar month, at most 800 yuan an item and 2,000 yuan a person a month.
    "penalty": {
        "base": 50,
        "doubling": True,
        "manager_share": 0.5,
        "repeat_period": "month",
        "item_cap": 800,
        "monthly_cap": 2000,
    },
    "export_row_cap": 2000,
    "rsvp_cutoff_hours": 2,
    "board_move_dialogs": {"visited": "visit"},
}


def ensure_reference_data() -> None:
    """Insert default channels, grades, stages, reasons, vehicles and settings when missing."""
    existing = set(db.session.execute(select(SourceChannel.code)).scalars())
    for i, (code, zh, en, cat) in enumerate(CHANNELS):
        if code not in existing:
            db.session.add(SourceChannel(code=code, name_zh=zh, name_en=en, category=cat, sort_order=i))
    existing = set(db.session.execute(select(IntentGrade.code)).scalars())
    for i, (code, zh, en, within, cadence) in enumerate(GRADES):
        if code not in existing:
            db.session.add(
                IntentGrade(
                    code=code,
                    name_zh=zh,
                    name_en=en,
                    purchase_within_days=within,
                    cadence_days=cadence,
                    sort_order=i,
                )
            )
    existing = set(db.session.execute(select(PipelineStage.code)).scalars())
    for i, (code, zh, en, kind, prob) in enumerate(STAGES):
        if code not in existing:
            db.session.add(
                PipelineStage(code=code, name_zh=zh, name_en=en, kind=kind, probability=prob, sort_order=i)
            )
    existing = set(db.session.execute(select(DefeatReason.code)).scalars())
    for i, (code, zh, en) in enumerate(DEFEAT_REASONS):
        if code not in existing:
            db.session.add(DefeatReason(code=code, name_zh=zh, name_en=en, sort_order=i))
    if not db.session.execute(select(VehicleModel.id).limit(1)).first():
        for i, (brand, series, name, price) in enumerate(VEHICLES):
            db.session.add(VehicleModel(brand=brand, series=series, name=name, price=price, sort_order=i))
    existing = set(db.session.execute(select(Setting.key)).scalars())
    for key, value in DEFAULT_SETTINGS.items():
        if key not in existing:
            db.session.add(Setting(key=key, value=value))
    db.session.flush()
    from app.admin.reference import clear_cache

    clear_cache()


def get_setting(key: str):
    """Return a setting's value, falling back to the default."""
    row = db.session.get(Setting, key)
    return row.value if row is not None else DEFAULT_SETTINGS.get(key)
