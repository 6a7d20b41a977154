"""Reads for lead pages, with explicit loader options."""

from app.admin.reference import open_stage_ids

__all__ = ["open_stage_ids"]
