"""Money as people in a Chinese dealership read it: ¥12,345 for amounts, 万 for prices and budgets.

Amounts are whole yuan (int) or Decimal; never floats. Prices and budgets are shown in 万 (ten
thousand) in Chinese — 预算 15 万, 车价 ¥23.98 万 — and in full yuan with thousands separators in
English (¥239,800), where 万 means nothing. The page filters, the report cells, the .xlsx number
formats and the PDF all go through these functions.
"""

from decimal import ROUND_HALF_UP, Decimal

WAN = Decimal(10_000)
XLSX_YUAN = "¥#,##0"
XLSX_YUAN_FEN = "¥#,##0.00"


def _decimal(amount) -> Decimal:
    return amount if isinstance(amount, Decimal) else Decimal(str(amount))


def yuan(amount) -> str:
    """Return ¥12,345 (¥87.50 when there are fen); empty for None."""
    if amount is None or amount == "":
        return ""
    value = _decimal(amount)
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value == value.to_integral_value():
        return f"{sign}¥{int(value):,}"
    return f"{sign}¥{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def is_chinese(locale) -> bool:
    return str(locale or "zh").lower().startswith("zh")


def _wan_number(amount) -> str:
    value = (_decimal(amount) / WAN).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text


def wan(amount, locale="zh", symbol: bool = True) -> str:
    """Return a price or budget: "¥23.98 万" (or "15 万" without the symbol) in Chinese, "¥239,800" otherwise."""
    if amount is None or amount == "":
        return ""
    if not is_chinese(locale):
        return yuan(amount)
    return f"{'¥' if symbol else ''}{_wan_number(amount)} 万"


def wan_range(low, high, locale="zh", symbol: bool = False) -> str:
    """Return a budget range: "15–20 万" in Chinese, "¥150,000–¥200,000" otherwise; one end alone if only one."""
    if low in (None, "") and high in (None, ""):
        return ""
    if low in (None, "") or high in (None, "") or low == high:
        return wan(high if low in (None, "") else low, locale, symbol)
    if not is_chinese(locale):
        return f"{yuan(low)}–{yuan(high)}"
    return f"{'¥' if symbol else ''}{_wan_number(low)}–{_wan_number(high)} 万"


def xlsx_format(amount) -> str:
    """Return the .xlsx number format of a money cell (fen only when the amount has them)."""
    if isinstance(amount, Decimal) and amount != amount.to_integral_value():
        return XLSX_YUAN_FEN
    return XLSX_YUAN
