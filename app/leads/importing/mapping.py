"""Column mapping: recognise the usual Chinese and English headers of lead spreadsheets."""

import re
import unicodedata

from flask_babel import lazy_gettext as _l

# field key, label, known headers (normalised: lower case, no spaces or punctuation)
FIELDS = [
    (
        "name",
        _l("Name"),
        ["姓名", "客户姓名", "客户名称", "客户", "联系人", "name", "customername", "fullname"],
    ),
    (
        "phone",
        _l("Mobile"),
        [
            "手机",
            "手机号",
            "手机号码",
            "电话",
            "联系电话",
            "电话号码",
            "移动电话",
            "mobile",
            "phone",
            "phonenumber",
            "mobilephone",
            "tel",
            "telephone",
            "cellphone",
        ],
    ),
    ("gender", _l("Gender"), ["性别", "gender", "sex"]),
    (
        "channel",
        _l("Source channel"),
        ["来源", "渠道", "来源渠道", "线索来源", "客户来源", "信息来源", "source", "channel", "leadsource"],
    ),
    (
        "model",
        _l("Model of interest"),
        ["意向车型", "车型", "意向车系", "关注车型", "model", "vehicle", "modelofinterest", "carmodel"],
    ),
    (
        "grade",
        _l("Intent grade"),
        ["意向级别", "级别", "意向等级", "客户级别", "等级", "grade", "intentgrade", "level", "rating"],
    ),
    (
        "expected_date",
        _l("Expected purchase date"),
        [
            "预购日期",
            "预计购车时间",
            "预计购车日期",
            "预购时间",
            "购车时间",
            "expecteddate",
            "expectedpurchasedate",
            "purchasedate",
        ],
    ),
    ("email", _l("Email"), ["邮箱", "电子邮箱", "电子邮件", "email", "e-mail", "mail"]),
    ("birthday", _l("Birthday"), ["生日", "出生日期", "birthday", "dateofbirth", "dob"]),
    ("age", _l("Age"), ["年龄", "age"]),
    ("region", _l("Region"), ["地区", "区域", "所在地区", "城市", "所在城市", "region", "area", "city"]),
    ("budget", _l("Budget"), ["预算", "购车预算", "budget"]),
    ("notes", _l("Notes"), ["备注", "说明", "notes", "note", "remark", "remarks", "comment", "comments"]),
]
MANDATORY = ["name", "phone", "gender", "channel", "model", "grade", "expected_date"]
_ALIASES = {alias: key for key, _label, aliases in FIELDS for alias in aliases}


def normalise_header(value) -> str:
    """Return a header as lower-case text without spaces, stars or punctuation."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lower()
    text = re.sub(r"\(.*?\)|（.*?）", "", text)
    return re.sub(r"[\s*_:：\-./]", "", text)


def recognise(headers: list) -> dict[int, str]:
    """Map column positions to field keys for the headers we recognise (first match wins)."""
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers):
        key = _ALIASES.get(normalise_header(header))
        if key and key not in taken:
            mapping[index] = key
            taken.add(key)
    return mapping


def missing_mandatory(mapping: dict[int, str]) -> list[str]:
    """Return the mandatory fields no column is mapped to."""
    mapped = set(mapping.values())
    return [key for key in MANDATORY if key not in mapped]
