"""The parts of the lead page that change when a panel on it records something.

A panel's htmx answer (a follow-up logged, for one) carries them as out-of-band swaps, so the
timeline, the grade and stage badges, the next plan and the expected purchase date are current
without reloading the page.
"""

from urllib.parse import urlsplit

from flask import render_template, url_for
from flask_login import current_user
from markupsafe import Markup

from app.admin.reference import by_id, channels, grades, stages
from app.core.timeutil import today_for
from app.leads.timeline import lead_timeline
from app.web.htmx import current_url


def reference_maps() -> dict:
    """Grades, stages and channels by id, as the lead page's templates look them up."""
    return {"grades": by_id(grades()), "stages": by_id(stages()), "channels": by_id(channels())}


def sent_from_lead_page(lead_id: int) -> bool:
    """Whether this htmx request came from the lead's own page (not from a page of its own)."""
    current = current_url()
    return bool(current) and urlsplit(current).path == url_for("leads.lead_detail", lead_id=lead_id)


def lead_page_updates(lead) -> Markup:
    """The lead page's changing parts, marked for htmx out-of-band swaps (render before commit:
    the rows just flushed are read in the same transaction)."""
    html = render_template(
        "leads/_page_updates.html",
        lead=lead,
        refs=reference_maps(),
        timeline=lead_timeline([lead.id]),
        today=today_for(current_user),
    )
    return Markup(html)  # noqa: S704 - an autoescaped template
