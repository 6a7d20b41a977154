"""Import parsing rules: header recognition, cell cleaning, dates, budgets, encodings."""

from datetime import date, datetime

import pytest

from app.leads.importing.mapping import missing_mandatory, recognise
from app.leads.importing.parse import decode_text
from app.leads.importing.validate import cell_text, parse_budget, parse_date


def test_recognises_common_chinese_and_english_headers():
    headers = [
        "客户姓名",
        "手机号码",
        "性别",
        "渠道",
        "意向车型",
        "意向级别",
        "预计购车时间",
        "邮箱",
        "生日",
        "年龄",
        "区域",
        "预算",
        "备注",
        "无关列",
    ]
    mapping = recognise(headers)
    assert mapping == {
        0: "name",
        1: "phone",
        2: "gender",
        3: "channel",
        4: "model",
        5: "grade",
        6: "expected_date",
        7: "email",
        8: "birthday",
        9: "age",
        10: "region",
        11: "budget",
        12: "notes",
    }
    assert missing_mandatory(mapping) == []


def test_recognises_english_headers_with_stars_full_width_and_case():
    mapping = recognise(
        ["*Name", "Mobile Phone", "Ｇｅｎｄｅｒ", "Source", "Model", "Grade", "Expected Date"]
    )
    assert list(mapping.values()) == ["name", "phone", "gender", "channel", "model", "grade", "expected_date"]
    assert missing_mandatory(recognise(["姓名", "电话"])) == [
        "gender",
        "channel",
        "model",
        "grade",
        "expected_date",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (13800138000.0, "13800138000"),
        ("'13800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("13800138000.0", "13800138000"),
        (None, ""),
        ("  张三 ", "张三"),
        (datetime(2026, 5, 1), "2026-05-01"),
    ],
)
def test_cell_text_cleans_spreadsheet_artifacts(value, expected):
    assert cell_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (46000, date(2025, 12, 9)),
        (46000.0, date(2025, 12, 9)),
        ("46000", date(2025, 12, 9)),
        (datetime(2026, 3, 4, 10, 0), date(2026, 3, 4)),
        ("2026/3/4", date(2026, 3, 4)),
        ("2026年3月4日", date(2026, 3, 4)),
        ("2026-03-04", date(2026, 3, 4)),
        ("20260304", date(2026, 3, 4)),
        ("２０２６－０３－０４", date(2026, 3, 4)),
    ],
)
def test_parse_date_accepts_serials_datetimes_and_written_forms(value, expected):
    assert parse_date(value) == expected


def test_parse_date_refuses_text():
    with pytest.raises(ValueError):
        parse_date("下个月")


def test_parse_budget():
    assert parse_budget("15万") == (150000, 150000)
    assert parse_budget("10-15万") == (100000, 150000)
    assert parse_budget("120000") == (120000, 120000)
    with pytest.raises(ValueError):
        parse_budget("不限")


def test_decode_gbk_gb18030_and_utf8_bom():
    text = "姓名,手机\n张三,13800138000\n"
    assert decode_text(text.encode("gbk")) == text
    assert decode_text(text.encode("gb18030")) == text
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode_text(text.encode("utf-8")) == text


def test_fast_mobile_path_agrees_with_phonenumbers():
    import random

    from app.core.phones import InvalidPhone, normalize_phone
    from app.leads.importing.validate import normalise_mobile

    rng = random.Random(3)
    for _ in range(3000):
        number = "1" + "".join(rng.choice("0123456789") for _ in range(10))
        try:
            expected = normalize_phone(number, mobile_only=True)
        except InvalidPhone:
            expected = None
        try:
            got = normalise_mobile(number)
        except InvalidPhone:
            got = None
        assert got == expected, number
