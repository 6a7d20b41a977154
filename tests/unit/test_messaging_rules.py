"""The SMS sending window: when a message to a customer may go out."""

from datetime import datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.messaging.rules import DEFAULT_WINDOW, SendWindow, is_opt_out, make_window, next_send_time

SHANGHAI = "Asia/Shanghai"


def test_default_window_is_nine_to_half_past_eight():
    assert SendWindow(time(9, 0), time(20, 30)) == DEFAULT_WINDOW


def test_at_1_56_local_the_message_waits_for_nine():
    now = datetime(2030, 5, 1, 17, 56)  # 01:56 on 2 May in Shanghai
    assert next_send_time(now, DEFAULT_WINDOW, SHANGHAI) == datetime(2030, 5, 2, 1, 0)  # 09:00 on 2 May


def test_inside_the_window_it_goes_now():
    now = datetime(2030, 5, 2, 4, 0)  # 12:00
    assert next_send_time(now, DEFAULT_WINDOW, SHANGHAI) == now


def test_after_the_window_closes_it_waits_for_tomorrow_morning():
    now = datetime(2030, 5, 2, 12, 30)  # 20:30 on 2 May: the window is closed
    assert next_send_time(now, DEFAULT_WINDOW, SHANGHAI) == datetime(2030, 5, 3, 1, 0)


def test_another_zone_uses_its_own_local_hours():
    now = datetime(2030, 5, 2, 1, 30)  # 09:30 in Shanghai, 07:30 in Urumqi
    assert next_send_time(now, DEFAULT_WINDOW, SHANGHAI) == now
    assert next_send_time(now, DEFAULT_WINDOW, "Asia/Urumqi") == datetime(2030, 5, 2, 3, 0)


def test_window_from_settings_and_bad_values_fall_back():
    assert make_window("08:15", "21:00") == SendWindow(time(8, 15), time(21, 0))
    assert make_window("", None) == DEFAULT_WINDOW
    assert make_window("22:00", "07:00") == DEFAULT_WINDOW
    assert make_window("junk", "20:30") == DEFAULT_WINDOW


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1)))
def test_the_send_time_is_never_earlier_and_always_inside_the_window(now):
    from datetime import UTC
    from zoneinfo import ZoneInfo

    at = next_send_time(now, DEFAULT_WINDOW, SHANGHAI)
    local = at.replace(tzinfo=UTC).astimezone(ZoneInfo(SHANGHAI)).time()
    assert now <= at <= now + timedelta(hours=12, minutes=30)  # the night is 20:30 to 09:00
    assert DEFAULT_WINDOW.start <= local < DEFAULT_WINDOW.end


# ---- opt-out replies -------------------------------------------------------------------------

OPT_OUTS = [
    "退订",
    "TD",
    "td",
    "T",
    "t",
    "取消订阅",
    "不要再发了",
    "拒收",
    "unsubscribe",
    "STOP",
    "退订 谢谢",
    "回复TD",
    "请帮我退订，谢谢！",
    "ＴＤ",
    "Ｔ",
    "  退订。",
    "不要再 发",
    "我要td",
]
KEEPS = ["周四来不了", "好的", "谢谢", "STD", "Today", "我明天到", "可以", "", "   ", "时间改到周六？", "ok"]


def test_opt_out_words_anywhere_in_the_reply():
    assert [text for text in OPT_OUTS if not is_opt_out(text)] == []


def test_other_replies_are_not_opt_outs():
    assert [text for text in KEEPS if is_opt_out(text)] == []


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@given(
    word=st.sampled_from(["td", "t", "unsubscribe", "stop"]),
    flips=st.lists(st.booleans(), min_size=11, max_size=11),
    wide=st.booleans(),
    suffix=st.sampled_from(["", " 谢谢", "。", "!", " thanks"]),
)
def test_latin_opt_outs_in_any_case_and_width(word, flips, wide, suffix):
    mixed = "".join(ch.upper() if flip else ch for ch, flip in zip(word, flips, strict=False))
    reply = _full_width(mixed) if wide else mixed
    assert is_opt_out(reply + (suffix if word not in ("t",) else ""))


@given(st.text(alphabet="周四来不了好的谢谢我明天到可以时间改到六？!。 ", max_size=30))
def test_ordinary_chinese_replies_never_opt_out(text):
    assert not is_opt_out(text)


@given(
    prefix=st.text(alphabet="您好我请帮，。 ", max_size=8),
    suffix=st.text(alphabet="谢谢了吧。！ ", max_size=8),
)
def test_chinese_opt_out_phrases_anywhere(prefix, suffix):
    assert is_opt_out(f"{prefix}退订{suffix}")
    assert is_opt_out(f"{prefix}ＴＤ{suffix}")


# ---- the SMS signature -----------------------------------------------------------------------


def test_signature_from_the_first_usable_name_never_the_products():
    from app.messaging.rules import signature_text

    assert signature_text("【宁波店】", "品牌") == "【宁波店】"
    assert signature_text("", None, "  远航汽车 ") == "【远航汽车】"
    assert signature_text("LeadLoop", "线索闭环", "【线索闭环】", "朝阳店") == "【朝阳店】"
    assert signature_text("", None) == ""


def test_an_sms_carries_exactly_one_signature():
    from app.messaging.rules import sign_sms

    assert sign_sms("您好", "【朝阳店】") == "【朝阳店】您好"
    assert sign_sms("【线索闭环】您好", "【朝阳店】") == "【朝阳店】您好"
    assert sign_sms("【朝阳店】【朝阳店】 您好 回复TD退订", "【朝阳店】") == "【朝阳店】您好 回复TD退订"
    assert sign_sms("您好", "") == "您好"
