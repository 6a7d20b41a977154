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
