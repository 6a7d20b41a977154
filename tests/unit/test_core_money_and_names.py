"""Money as dealers read it, display names built once, capped counts."""

from decimal import Decimal

from app.core.money import wan, wan_range, xlsx_format, yuan
from app.core.names import vehicle_name, with_role
from app.web.templating import capped_count


def test_amounts_in_yuan_with_thousands_separators():
    assert yuan(12345) == "¥12,345"
    assert yuan(0) == "¥0"
    assert yuan(Decimal("87.50")) == "¥87.50"
    assert yuan(Decimal("1375.00")) == "¥1,375"
    assert yuan(-50) == "-¥50"
    assert yuan(None) == ""
    assert yuan(10**12) == "¥1,000,000,000,000"  # never an exponent


def test_prices_and_budgets_in_wan_in_chinese_and_in_yuan_in_english():
    assert wan(239800) == "¥23.98 万"
    assert wan(150000, symbol=False) == "15 万"
    assert wan(239800, "en") == "¥239,800"
    assert wan_range(150000, 200000) == "15–20 万"
    assert wan_range(150000, 200000, "en_US") == "¥150,000–¥200,000"
    assert wan_range(None, 200000) == "20 万" and wan_range(None, None) == ""
    assert xlsx_format(750) == "¥#,##0" and xlsx_format(Decimal("87.5")) == "¥#,##0.00"


def test_vehicle_names_do_not_repeat_the_series():
    assert vehicle_name("揽月", "揽月 400T 四驱版") == "揽月 400T 四驱版"
    assert vehicle_name("星途", "揽月", "揽月 400T 四驱版") == "星途 揽月 400T 四驱版"
    assert vehicle_name("瑶光", "瑶光C-DM 旗舰版") == "瑶光 C-DM 旗舰版"
    assert vehicle_name("星纪元", "ES 纯电版") == "星纪元 ES 纯电版"
    assert vehicle_name("", "凌云 300T") == "凌云 300T"


def test_a_role_is_named_once():
    assert with_role("王丽", "经理") == "王丽（经理）"
    assert with_role("王丽（经理）", "经理") == "王丽（经理）"


def test_capped_counts_say_plus():
    assert capped_count(1000, True) == "1,000+"
    assert capped_count(999) == "999"
    assert capped_count(1000, cap=1000) == "1,000+" and capped_count(12, cap=1000) == "12"
