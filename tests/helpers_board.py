"""Shared helpers for the board tests: stage ids, moving a card, reading a move answer."""

import re

from app.admin.reference import stage_by_code
from app.core.vin import with_check_digit


def stage_id(code: str) -> int:
    return stage_by_code(code).id


def move(client, lead, stage: str, version: int | None = None, htmx: bool = True, **extra):
    """POST /board/move as the board's script does (or as a plain form when htmx=False)."""
    data = {
        "lead_id": lead.id,
        "stage": stage,
        "version": lead.version if version is None else version,
        **extra,
    }
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/board/move", data=data, headers=headers)


def outcome(response) -> str:
    match = re.search(r'data-outcome="([a-z]+)"', response.get_data(as_text=True))
    return match.group(1) if match else ""


def column(response, code: str) -> str:
    """The column of stage `code` that a move answer redraws out of band ("" when it does not)."""
    match = re.search(
        rf'<section id="col-{stage_id(code)}"[^>]*data-hx-swap-oob="outerHTML".*?</section>',
        response.get_data(as_text=True),
        re.S,
    )
    return match.group(0) if match else ""


def count(response, code: str) -> int | None:
    """The card count that a move answer shows on the column of stage `code`."""
    match = re.search(r'class="board-count"[^>]*>(\d+)<', column(response, code))
    return int(match.group(1)) if match else None


def dialog(response) -> str:
    """What a move answer puts in the board's dialog (out of band; "" for nothing)."""
    match = re.search(
        r'<div id="board-dialog" data-hx-swap-oob="innerHTML">(.*?)</div>\s*(?:<section|$)',
        response.get_data(as_text=True),
        re.S,
    )
    return match.group(1).strip() if match else ""


def vin(n: int = 1) -> str:
    return with_check_digit(f"LSVAB2180N{n:07d}")


def order_fields(**kw) -> dict:
    fields = {
        "dialog": "order",
        "brand": "星途",
        "series": "凌云",
        "model": "凌云 400T 星领版",
        "configuration": "星领版",
        "vin": vin(),
        "amount": "159900",
        "order_date": "2026-11-20",
    }
    fields.update(kw)
    return fields
