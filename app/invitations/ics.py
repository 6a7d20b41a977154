"""An iCalendar (RFC 5545) file for one event: UTC times, escaped text, folded lines, CRLF."""

import hashlib
from datetime import datetime


def _escape(text: str | None) -> str:
    value = (text or "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character."""
    out, current, size = [], "", 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        limit = 75 if not out else 74
        if size + width > limit:
            out.append(current)
            current, size = ch, width
        else:
            current += ch
            size += width
    out.append(current)
    return "\r\n ".join(out)


def _utc(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def event_ics(
    *,
    token: str,
    summary: str,
    starts_at: datetime,
    ends_at: datetime,
    location: str,
    description: str,
    url: str,
    now: datetime,
    sequence: int = 0,
    cancelled: bool = False,
) -> str:
    """Return a VCALENDAR with one VEVENT (naive datetimes are UTC).

    The UID stays the same for a guest; a postponed event has a higher SEQUENCE and a cancelled one
    is METHOD:CANCEL with STATUS:CANCELLED, so calendar clients update or remove the entry.
    """
    uid = hashlib.sha256(token.encode()).hexdigest()[:24]
    method, status = ("CANCEL", "CANCELLED") if cancelled else ("PUBLISH", "CONFIRMED")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//LeadLoop//RSVP//ZH",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{uid}@leadloop",
        f"SEQUENCE:{sequence}",
        f"STATUS:{status}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(starts_at)}",
        f"DTEND:{_utc(ends_at)}",
        f"SUMMARY:{_escape(summary)}",
        f"LOCATION:{_escape(location)}",
        f"DESCRIPTION:{_escape(description)}",
        f"URL:{url}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_fold(line) + "\r\n" for line in lines)
