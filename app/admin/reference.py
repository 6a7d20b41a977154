"""Cached reference data (stages, grades, channels, reasons, models).

These tables change a few times a year; pages read them on every request. Each process keeps
a copy for a short time (REFERENCE_TTL seconds) so several app servers pick up an admin's change
within a minute, and a change made here clears the local copy at once.
"""

import time
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy import select

from app.admin.models import DefeatReason, IntentGrade, PipelineStage, SourceChannel, StageKind, VehicleModel
from app.extensions import db

REFERENCE_TTL = 60.0


@dataclass(frozen=True)
class Ref:
    id: int
    code: str
    name_zh: str
    name_en: str
    sort_order: int
    active: bool
    extra: dict

    def label(self, locale: str | None = "zh_CN") -> str:
        return self.name_en if locale and str(locale).startswith("en") else self.name_zh

    def __getattr__(self, item):
        try:
            return self.extra[item]
        except KeyError:
            raise AttributeError(item) from None


_cache: dict[tuple, tuple[float, object]] = {}


def clear_cache() -> None:
    _cache.clear()


def _key(name: str) -> tuple:
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"] if has_app_context() else ""
    return (uri, name)


def _load(name: str, model, extra_fields=()):
    key = _key(name)
    hit = _cache.get(key)
    now = time.monotonic()
    if hit and now - hit[0] < REFERENCE_TTL:
        return hit[1]
    rows = db.session.execute(select(model).order_by(model.sort_order, model.id)).scalars().all()
    refs = [
        Ref(
            r.id,
            r.code,
            r.name_zh,
            r.name_en,
            r.sort_order,
            r.active,
            {f: getattr(r, f) for f in extra_fields},
        )
        for r in rows
    ]
    _cache[key] = (now, refs)
    return refs


def stages() -> list[Ref]:
    return _load("stages", PipelineStage, ("kind", "probability"))


def grades() -> list[Ref]:
    return _load("grades", IntentGrade, ("cadence_days", "purchase_within_days"))


def channels() -> list[Ref]:
    return _load("channels", SourceChannel, ("category",))


def defeat_reasons() -> list[Ref]:
    return _load("defeat_reasons", DefeatReason)


def vehicle_models() -> list:
    key = _key("vehicle_models")
    hit = _cache.get(key)
    now = time.monotonic()
    if hit and now - hit[0] < REFERENCE_TTL:
        return hit[1]
    rows = db.session.execute(
        select(
            VehicleModel.id,
            VehicleModel.brand,
            VehicleModel.series,
            VehicleModel.name,
            VehicleModel.price,
            VehicleModel.active,
        ).order_by(VehicleModel.sort_order, VehicleModel.id)
    ).all()
    _cache[key] = (now, rows)
    return rows


def by_id(refs) -> dict[int, Ref]:
    return {r.id: r for r in refs}


def by_code(refs) -> dict[str, Ref]:
    return {r.code: r for r in refs}


def stage_by_code(code: str) -> Ref:
    return by_code(stages())[code]


def grade_by_code(code: str) -> Ref:
    return by_code(grades())[code]


def channel_by_code(code: str) -> Ref:
    return by_code(channels())[code]


def open_stage_ids() -> list[int]:
    return [s.id for s in stages() if s.kind == StageKind.OPEN]


def closed_stage_ids() -> list[int]:
    """The won and lost stages: "stage not in these" is "open" for a lead (every lead has a stage),
    said so that the planner does not range over a (store, stage, …) index for it."""
    return [s.id for s in stages() if s.kind != StageKind.OPEN]
