"""Pure messaging rules: when a customer may be texted, what counts as an opt-out reply.

No Flask, no database: `now` and the zone are passed in.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from app.core.timeutil import local_to_utc, to_local


@dataclass(frozen=True)
class SendWindow:
    """The local hours in which customers may receive SMS: [start, end)."""

    start: time
    end: time


DEFAULT_WINDOW_START = "09:00"
DEFAULT_WINDOW_END = "20:30"


def parse_hhmm(value: str | None, default: str) -> time:
    """'09:00' -> time(9, 0); an empty or malformed value gives the default."""
    for text in (value, default):
        try:
            hours, minutes = (int(part) for part in (text or "").strip().split(":"))
            return time(hours, minutes)
        except ValueError:
            continue
    raise ValueError(default)


def make_window(start: str | None = None, end: str | None = None) -> SendWindow:
    """A window from 'HH:MM' texts; a window that is empty or backwards falls back to the default."""
    window = SendWindow(parse_hhmm(start, DEFAULT_WINDOW_START), parse_hhmm(end, DEFAULT_WINDOW_END))
    if window.start >= window.end:
        return SendWindow(parse_hhmm(DEFAULT_WINDOW_START, ""), parse_hhmm(DEFAULT_WINDOW_END, ""))
    return window


DEFAULT_WINDOW = make_window()


def next_send_time(now_utc: datetime, window: SendWindow, tz: str) -> datetime:
    """The first naive-UTC instant at or after `now_utc` that falls inside the local window."""
    local = to_local(now_utc, tz)
    if window.start <= local.time() < window.end:
        return now_utc
    day = local.date() if local.time() < window.start else local.date() + timedelta(days=1)
    return local_to_utc(datetime.combine(day, window.start), tz)


# Opt-out replies. Phrases count anywhere in the reply ("退订 谢谢"); Latin words count as whole
# words ("TD", "stop", not "STD"); a few short answers count only when they are the whole reply.
OPT_OUT_PHRASES = ("退订", "取消订阅", "不要再发", "别再发", "不要发了", "别发了", "拒收", "勿扰", "退阅")
OPT_OUT_WORDS = ("td", "unsubscribe", "stop")
OPT_OUT_ALONE = ("t", "n", "退", "取消", "0000")
_OPT_OUT_WORD = re.compile(r"(?<![a-z])(?:" + "|".join(OPT_OUT_WORDS) + r")(?![a-z])")
_STRIP = " \t\r\n。.,，!！?？~～、\"'“”‘’()（）【】[]"


def normalize_reply(text: str | None) -> str:
    """Fold full-width and compatibility forms (ＴＤ → td), case and surrounding punctuation."""
    return unicodedata.normalize("NFKC", text or "").casefold().strip(_STRIP)


def is_opt_out(text: str | None) -> bool:
    """Tell whether an inbound SMS reply asks to stop messages (退订, TD, T alone, 拒收, unsubscribe …)."""
    reply = normalize_reply(text)
    if not reply:
        return False
    if reply in OPT_OUT_ALONE:
        return True
    compact = re.sub(r"\s+", "", reply)
    return any(phrase in compact for phrase in OPT_OUT_PHRASES) or bool(_OPT_OUT_WORD.search(reply))


# ---- the SMS signature -----------------------------------------------------------------------

# The product's own name never signs a customer's message: the store or the brand does.
PRODUCT_NAMES = frozenset({"leadloop", "线索闭环"})
_LEADING_SIGNATURES = re.compile(r"^\s*(?:[【\[][^】\]]{0,40}[】\]]\s*)+")


def signature_text(*candidates: str | None) -> str:
    """The first usable candidate as 【name】 (brackets stripped, the product's name refused); "" for none."""
    for candidate in candidates:
        name = unicodedata.normalize("NFKC", candidate or "").strip().strip("【】[] ").strip()
        if name and name.casefold() not in PRODUCT_NAMES:
            return f"【{name[:20]}】"
    return ""


def sign_sms(body: str, signature: str) -> str:
    """The body with exactly one signature in front (any signature already there is replaced)."""
    text = _LEADING_SIGNATURES.sub("", body or "")
    return f"{signature}{text}" if signature else text
