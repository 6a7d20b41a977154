"""Server-rendered SVG charts (pygal): the same chart on the page, in print and in the PDF.

pygal takes 5–20 ms a chart (most of a small report page). A chart is a function of its figures,
labels and options only, so each drawing is kept per figures (`remembered`): a report shown again
with the same figures (reloads, paging, print, the monthly PDF after the page) draws nothing.
Inside `drawn_when_shown()` (the monthly PDF, which shows five of its builders' charts) a chart is
a `Deferred`, drawn only when the document puts it on a page.
"""

import base64
import contextlib
import contextvars
import functools
import threading
from collections import OrderedDict

import pygal
from markupsafe import Markup
from pygal.style import Style

FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"
STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#9aa5b1",
    font_family=FONT,
    label_font_family=FONT,
    major_label_font_family=FONT,
    value_font_family=FONT,
    title_font_family=FONT,
    legend_font_family=FONT,
    tooltip_font_family=FONT,
    value_label_font_family=FONT,
    colors=("#1d4ed8", "#059669", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#be185d", "#4d7c0f"),
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    value_font_size=12,
    title_font_size=15,
)


CACHE_SIZE = 256  # charts kept per process (an SVG is 20–60 KB)
_drawn: OrderedDict = OrderedDict()
_lock = threading.Lock()


def _frozen(value):
    """A hashable copy of a chart argument (lists, tuples and dicts of labels and figures)."""
    if isinstance(value, dict):
        return ("dict", tuple((_frozen(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("list", tuple(_frozen(v) for v in value))
    if value is None or isinstance(value, bool | int | float | str):
        return (type(value).__name__, value)
    return (type(value).__name__, str(value))  # Decimal, lazy strings


_deferring = contextvars.ContextVar("charts_deferring", default=False)


class Deferred:
    """A chart drawn the first time it is used as text or markup."""

    __slots__ = ("_draw", "_svg")

    def __init__(self, draw):
        self._draw = draw
        self._svg = None

    def __str__(self) -> str:
        if self._svg is None:
            self._svg = self._draw()
        return self._svg

    def __html__(self) -> str:
        return str(self)


@contextlib.contextmanager
def drawn_when_shown():
    """Charts asked for in this block are drawn only when used (`Deferred`)."""
    token = _deferring.set(True)
    try:
        yield
    finally:
        _deferring.reset(token)


def remembered(draw):
    """Keep the SVG `draw` returns per arguments (least recently used first out, `CACHE_SIZE`)."""

    @functools.wraps(draw)
    def drawing(*args, **kwargs):
        if _deferring.get():
            return Deferred(lambda: drawing(*args, **kwargs))
        key = (draw.__name__, _frozen(list(args)), _frozen(kwargs))
        with _lock:
            svg = _drawn.get(key)
            if svg is not None:
                _drawn.move_to_end(key)
                return svg
        svg = draw(*args, **kwargs)
        with _lock:
            _drawn[key] = svg
            while len(_drawn) > CACHE_SIZE:
                _drawn.popitem(last=False)
        return svg

    return drawing


def _config(**kw) -> dict:
    return {
        "style": STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "width": 760,
        "height": 360,
        "print_values": False,
        "show_legend": True,
        "legend_at_bottom": True,
        "truncate_legend": -1,
        "truncate_label": -1,
        "explicit_size": False,
        **kw,
    }


def _finish(chart) -> str:
    svg = chart.render(is_unicode=True)
    # WeasyPrint and image viewers do not read the page CSS: name the font on the root element too.
    return svg.replace("<svg ", f'<svg font-family="{FONT}" ', 1)


@remembered
def funnel_chart(labels: list[str], values: list[int], title: str = "") -> str:
    """A funnel: one band per stage, narrowing with the drop-off."""
    chart = pygal.Funnel(
        **_config(
            title=title,
            show_legend=True,
            legend_at_bottom=True,
            print_values=True,
            show_y_labels=False,
            show_y_guides=False,
        )
    )
    for label, value in zip(labels, values, strict=False):
        chart.add(label, [value or 0])
    return _finish(chart)


@remembered
def bar_chart(
    labels: list[str],
    series: dict[str, list],
    title: str = "",
    horizontal: bool = False,
    stacked: bool = False,
    percent: bool = False,
) -> str:
    """Bars per label, one colour per series."""
    kind = pygal.StackedBar if stacked else (pygal.HorizontalBar if horizontal else pygal.Bar)
    chart = kind(
        **_config(
            title=title,
            x_label_rotation=30 if len(labels) > 8 and not horizontal else 0,
            value_formatter=(lambda v: f"{v:.0%}") if percent else (lambda v: f"{v:,.0f}"),
        )
    )
    chart.x_labels = labels
    if len(labels) > 16 and not horizontal:
        chart.show_minor_x_labels = False
        chart.x_labels_major = labels[:: max(1, len(labels) // 8)]
    for name, values in series.items():
        chart.add(name, [v if v is not None else None for v in values])
    return _finish(chart)


@remembered
def line_chart(labels: list[str], series: dict[str, list], title: str = "", percent: bool = False) -> str:
    """Lines over time buckets, one per series."""
    chart = pygal.Line(
        **_config(
            title=title,
            x_label_rotation=30 if len(labels) > 10 else 0,
            show_minor_x_labels=len(labels) <= 16,
            dots_size=3,
            value_formatter=(lambda v: f"{v:.0%}") if percent else (lambda v: f"{v:,.0f}"),
        )
    )
    chart.x_labels = labels
    if len(labels) > 16:
        chart.x_labels_major = labels[:: max(1, len(labels) // 8)]
    for name, values in series.items():
        chart.add(name, values)
    return _finish(chart)


@remembered
def pie_chart(labels: list[str], values: list, title: str = "") -> str:
    """Shares of a whole (sources, defeat reasons)."""
    chart = pygal.Pie(**_config(title=title, inner_radius=0.45))
    for label, value in zip(labels, values, strict=False):
        chart.add(label, value or 0)
    return _finish(chart)


def as_img(svg: str, alt: str) -> Markup:
    """Embed an SVG as a data-URI image (the page's CSP allows data: images, not inline styles)."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img class="chart-img" src="data:image/svg+xml;base64,{}" alt="{}">').format(data, alt)
