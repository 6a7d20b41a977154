"""Server-rendered SVG charts: the same chart on the page, in print and in the PDF.

Each chart is a small SVG written directly from the figures (bars, lines, a donut, a funnel), with
presentation attributes only (no style sheet, no script), a title, the value axis's guides and a
legend at the bottom; every mark carries a `<title>` with its label and value (the browser's
tooltip). Drawing costs well under a millisecond, where a charting library's object model took
8–20 ms per chart — most of a report page's time once its figures come from the daily aggregates.
"""

import base64
import math
from collections.abc import Sequence

from markupsafe import Markup, escape

FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"
COLORS = ("#1d4ed8", "#059669", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#be185d", "#4d7c0f")
INK, GUIDE = "#1f2933", "#e4e7eb"
WIDTH, HEIGHT = 760, 360
LABEL_SIZE, TITLE_SIZE = 12, 15
MAX_LABEL = 160  # px: longer axis labels are cut with "…" (the full label is in the mark's title)


# ---- text -----------------------------------------------------------------------------------


def _text_width(text: str, size: int = LABEL_SIZE) -> float:
    """Rough width of `text` in px: CJK and full-width characters one em, the rest 0.6 em."""
    return sum(size if ord(c) >= 0x2E80 else size * 0.6 for c in text)


def _fit(text: str, width: float, size: int = LABEL_SIZE) -> str:
    if _text_width(text, size) <= width:
        return text
    out = ""
    for c in text:
        if _text_width(out + c + "…", size) > width:
            break
        out += c
    return out + "…"


def _text(
    x: float,
    y: float,
    text: str,
    anchor: str = "middle",
    size: int = LABEL_SIZE,
    extra: str = "",
    fill: str = INK,
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}"{extra}>'
        f"{escape(text)}</text>"
    )


def _formatter(percent: bool):
    return (lambda v: f"{v:.0%}") if percent else (lambda v: f"{v:,.0f}")


# ---- scales ---------------------------------------------------------------------------------


def _ticks(low: float, high: float, whole: bool, count: int = 5) -> list[float]:
    """Round guide values covering low..high (steps of 1, 2, 2.5 or 5 × a power of ten)."""
    if high <= low:
        high = low + (1 if whole else 0.1)
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1, round(step))
    first = math.floor(low / step) * step
    ticks = [first]
    while ticks[-1] < high - 1e-9:
        ticks.append(ticks[-1] + step)
    return ticks


def _floats(values: Sequence) -> list[float | None]:
    """Figures as floats (PostgreSQL's averages arrive as Decimal); None stays a gap."""
    return [None if v is None else float(v) for v in values]


def _numbers(series: dict[str, list]) -> list[float]:
    return [v for values in series.values() for v in values if v is not None]


def _whole(values: Sequence[float], percent: bool) -> bool:
    return not percent and all(float(v).is_integer() for v in values)


# ---- frame: title, legend, plot area ----------------------------------------------------------


class _Frame:
    """The chart's parts around its plot area: title on top, legend rows at the bottom."""

    def __init__(
        self,
        title: str,
        legend: Sequence[str],
        bottom_labels: float = 0,
        left_labels: float = 0,
        right_labels: float = 0,
    ):
        self.parts: list[str] = []
        self.title = title
        top = 12
        if title:
            self.parts.append(_text(WIDTH / 2, 26, title, size=TITLE_SIZE))
            top = 44
        rows = self._legend(legend)
        legend_height = rows * 20 + (8 if rows else 0)
        self.top = top
        self.bottom = HEIGHT - legend_height - bottom_labels - 8
        self.left = 16 + left_labels
        self.right = WIDTH - 20 - right_labels

    def _legend(self, names: Sequence[str]) -> int:
        if not names:
            return 0
        items, row, x = [], 0, 0.0
        for i, name in enumerate(names):
            label = _fit(name, 220)
            width = 18 + _text_width(label) + 16
            if x and x + width > WIDTH - 32:
                row, x = row + 1, 0.0
            items.append((row, x, label, COLORS[i % len(COLORS)]))
            x += width
        rows = row + 1
        base = HEIGHT - rows * 20
        for row_i, x, label, color in items:
            y = base + row_i * 20
            self.parts.append(f'<rect x="{16 + x:.1f}" y="{y:.1f}" width="12" height="12" fill="{color}"/>')
            self.parts.append(_text(16 + x + 18, y + 11, label, anchor="start"))
        return rows

    def svg(self, kind: str) -> str:
        label = escape(self.title)
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" font-family="{FONT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'class="chart {kind}" role="img" aria-label="{label}">'
            f'<title>{label}</title><rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>'
        )
        return head + "".join(self.parts) + "</svg>"


def _value_guides(frame: _Frame, ticks: list[float], fmt, horizontal: bool) -> None:
    """The value axis: a guide line and a label per tick."""
    low, high = ticks[0], ticks[-1]
    for t in ticks:
        if horizontal:
            x = frame.left + (t - low) / (high - low) * (frame.right - frame.left)
            frame.parts.append(
                f'<line x1="{x:.1f}" y1="{frame.top}" x2="{x:.1f}" y2="{frame.bottom}" stroke="{GUIDE}"/>'
            )
            frame.parts.append(_text(x, frame.bottom + 16, fmt(t)))
        else:
            y = frame.bottom - (t - low) / (high - low) * (frame.bottom - frame.top)
            frame.parts.append(
                f'<line x1="{frame.left}" y1="{y:.1f}" x2="{frame.right}" y2="{y:.1f}" stroke="{GUIDE}"/>'
            )
            frame.parts.append(_text(frame.left - 6, y + 4, fmt(t), anchor="end"))


def _category_labels(frame: _Frame, labels: list[str], centres: list[float], rotate: bool) -> None:
    """Labels under the plot, every n-th one when there are more than 16; slanted when many."""
    step = max(1, len(labels) // 8) if len(labels) > 16 else 1
    for i in range(0, len(labels), step):
        x, label = centres[i], _fit(labels[i], MAX_LABEL if rotate else max(24, _slot(frame, labels)))
        if rotate:
            y = frame.bottom + 14
            frame.parts.append(
                _text(x, y, label, anchor="start", extra=f' transform="rotate(30 {x:.1f} {y:.1f})"')
            )
        else:
            frame.parts.append(_text(x, frame.bottom + 16, label))


def _slot(frame: _Frame, labels: list[str]) -> float:
    return (frame.right - frame.left) / max(1, len(labels)) - 4


def _upright_frame(title: str, names: list[str], labels: list[str], ticks: list[float], fmt, rotate: bool):
    """The frame of a chart with the values up the left and the labels along the bottom."""
    return _Frame(
        title,
        names,
        bottom_labels=_bottom_room(labels, rotate),
        left_labels=max(_text_width(fmt(t)) for t in ticks) + 8,
        right_labels=_right_room(labels, rotate),
    )


def _right_room(labels: list[str], rotate: bool) -> float:
    """Room right of the plot for the last slanted label (it runs down to the right)."""
    return min(MAX_LABEL, _text_width(labels[-1])) * 0.87 if rotate and labels else 0


def _bottom_room(labels: list[str], rotate: bool) -> float:
    if not labels:
        return 0
    if not rotate:
        return 22
    longest = max(min(_text_width(label), MAX_LABEL) for label in labels)
    return 20 + longest * 0.5


# ---- the charts ------------------------------------------------------------------------------


def funnel_chart(labels: list[str], values: list[int], title: str = "") -> str:
    """A funnel: one centred band per stage, its width the stage's count, the count printed on it."""
    values = [v or 0.0 for v in _floats(values)]
    fmt = _formatter(False)
    room = min(MAX_LABEL, max((_text_width(label) for label in labels), default=0)) + 8
    frame = _Frame(title, [], left_labels=room)
    top = max(values, default=0) or 1
    n = max(1, len(values))
    band = (frame.bottom - frame.top) / n
    width = frame.right - frame.left
    for i, (label, value) in enumerate(zip(labels, values, strict=False)):
        y = frame.top + i * band
        w = max(2.0, width * value / top)
        x = frame.left + (width - w) / 2
        color = COLORS[i % len(COLORS)]
        tip = escape(f"{label}: {fmt(value)}")
        frame.parts.append(
            f'<rect x="{x:.1f}" y="{y + band * 0.1:.1f}" width="{w:.1f}" height="{band * 0.8:.1f}" '
            f'fill="{color}"><title>{tip}</title></rect>'
        )
        frame.parts.append(_text(frame.left - 8, y + band / 2 + 4, _fit(label, room - 8), anchor="end"))
        text, middle = fmt(value), y + band / 2 + 4
        if w > _text_width(text) + 8:  # on the band in white, else just right of it in ink
            frame.parts.append(_text(frame.left + width / 2, middle, text, fill="white"))
        else:
            frame.parts.append(_text(x + w + 4, middle, text, anchor="start"))
    return frame.svg("funnel")


def bar_chart(
    labels: list[str],
    series: dict[str, list],
    title: str = "",
    horizontal: bool = False,
    stacked: bool = False,
    percent: bool = False,
) -> str:
    """Bars per label, one colour per series (side by side, or stacked)."""
    fmt = _formatter(percent)
    series = {name: _floats(values) for name, values in series.items()}
    names = list(series)
    if stacked:
        totals = [sum(series[n][i] or 0 for n in names) for i in range(len(labels))]
        values = [*totals, 0]
    else:
        values = [*_numbers(series), 0]
    ticks = _ticks(min(values), max(values), _whole(values, percent))
    rotate = len(labels) > 8 and not horizontal
    if horizontal:
        room = min(MAX_LABEL, max((_text_width(label) for label in labels), default=0)) + 8
        frame = _Frame(title, names, bottom_labels=22, left_labels=room)
    else:
        frame = _upright_frame(title, names, labels, ticks, fmt, rotate)
    _value_guides(frame, ticks, fmt, horizontal)
    low, high = ticks[0], ticks[-1]
    length = (frame.right - frame.left) if horizontal else (frame.bottom - frame.top)

    def scale(v: float) -> float:
        return (v - low) / (high - low) * length

    n = max(1, len(labels))
    slot = ((frame.bottom - frame.top) if horizontal else (frame.right - frame.left)) / n
    lanes = 1 if stacked else max(1, len(names))
    thick = slot * 0.8 / lanes
    for i, label in enumerate(labels):
        base = 0.0
        for j, name in enumerate(names):
            v = series[name][i] if i < len(series[name]) else None
            if v is None:
                continue
            if stacked:
                start, end, lane = scale(base), scale(base + v), 0
                base += v
            else:
                start, end, lane = scale(max(low, 0)), scale(v), j
            across = i * slot + slot * 0.1 + lane * thick
            a, b = sorted((start, end))
            tip = escape(f"{label} · {name}: {fmt(v)}")
            if horizontal:
                rect = (frame.left + a, frame.top + across, b - a, thick)
            else:
                rect = (frame.left + across, frame.bottom - b, thick, b - a)
            frame.parts.append(
                f'<rect x="{rect[0]:.1f}" y="{rect[1]:.1f}" width="{rect[2]:.1f}" height="{rect[3]:.1f}" '
                f'fill="{COLORS[j % len(COLORS)]}"><title>{tip}</title></rect>'
            )
    if horizontal:
        for i, label in enumerate(labels):
            y = frame.top + (i + 0.5) * slot + 4
            frame.parts.append(_text(frame.left - 8, y, _fit(label, room - 8), anchor="end"))
    else:
        _category_labels(frame, labels, [frame.left + (i + 0.5) * slot for i in range(len(labels))], rotate)
    return frame.svg("bar")


def line_chart(labels: list[str], series: dict[str, list], title: str = "", percent: bool = False) -> str:
    """Lines over time buckets, one per series (a missing value breaks the line)."""
    fmt = _formatter(percent)
    series = {name: _floats(values) for name, values in series.items()}
    names = list(series)
    values = [*_numbers(series), 0]
    ticks = _ticks(min(values), max(values), _whole(values, percent))
    rotate = len(labels) > 10
    frame = _upright_frame(title, names, labels, ticks, fmt, rotate)
    _value_guides(frame, ticks, fmt, horizontal=False)
    low, high = ticks[0], ticks[-1]
    n = len(labels)
    span = frame.right - frame.left
    xs = [frame.left + (span * i / (n - 1) if n > 1 else span / 2) for i in range(n)]

    def y_of(v: float) -> float:
        return frame.bottom - (v - low) / (high - low) * (frame.bottom - frame.top)

    for j, name in enumerate(names):
        color = COLORS[j % len(COLORS)]
        run: list[str] = []
        dots: list[str] = []
        for i, v in enumerate(series[name][:n]):
            if v is None:
                if len(run) > 1:
                    frame.parts.append(_polyline(run, color))
                run = []
                continue
            x, y = xs[i], y_of(v)
            run.append(f"{x:.1f},{y:.1f}")
            tip = escape(f"{labels[i]} · {name}: {fmt(v)}")
            dots.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{tip}</title></circle>'
            )
        if len(run) > 1:
            frame.parts.append(_polyline(run, color))
        frame.parts.extend(dots)
    _category_labels(frame, labels, xs, rotate)
    return frame.svg("line")


def _polyline(points: list[str], color: str) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" stroke-width="2"/>'


def pie_chart(labels: list[str], values: list, title: str = "") -> str:
    """Shares of a whole (sources, defeat reasons): a ring, one slice per label."""
    values = [v or 0.0 for v in _floats(values)]
    frame = _Frame(title, labels)
    total = sum(values)
    cx, cy = WIDTH / 2, (frame.top + frame.bottom) / 2
    outer = max(10.0, (frame.bottom - frame.top) / 2 - 4)
    inner = outer * 0.45
    angle = -math.pi / 2
    for i, (label, value) in enumerate(zip(labels, values, strict=False)):
        if value <= 0 or total <= 0:
            continue
        share = value / total
        color = COLORS[i % len(COLORS)]
        tip = escape(f"{label}: {value:,.0f} ({share:.0%})")
        if share >= 0.9999:
            frame.parts.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{(outer + inner) / 2:.1f}" fill="none" '
                f'stroke="{color}" stroke-width="{outer - inner:.1f}"><title>{tip}</title></circle>'
            )
            break
        end = angle + share * 2 * math.pi
        large = 1 if share > 0.5 else 0
        p = [
            (cx + outer * math.cos(angle), cy + outer * math.sin(angle)),
            (cx + outer * math.cos(end), cy + outer * math.sin(end)),
            (cx + inner * math.cos(end), cy + inner * math.sin(end)),
            (cx + inner * math.cos(angle), cy + inner * math.sin(angle)),
        ]
        path = (
            f"M{p[0][0]:.1f},{p[0][1]:.1f} A{outer:.1f},{outer:.1f} 0 {large} 1 {p[1][0]:.1f},{p[1][1]:.1f} "
            f"L{p[2][0]:.1f},{p[2][1]:.1f} A{inner:.1f},{inner:.1f} 0 {large} 0 {p[3][0]:.1f},{p[3][1]:.1f} Z"
        )
        frame.parts.append(f'<path d="{path}" fill="{color}" stroke="white"><title>{tip}</title></path>')
        angle = end
    return frame.svg("pie")


def as_img(svg: str, alt: str) -> Markup:
    """Embed an SVG as a data-URI image (the page's CSP allows data: images, not inline styles)."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img class="chart-img" src="data:image/svg+xml;base64,{}" alt="{}">').format(data, alt)
