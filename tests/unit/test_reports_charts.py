"""The report charts: well-formed SVG, every mark titled with its label and value, labels escaped."""

import re
import xml.etree.ElementTree as ET

import pytest

from app.reports import charts

NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == f"{NS}svg"
    assert root.get("viewBox") == f"0 0 {charts.WIDTH} {charts.HEIGHT}"
    assert charts.FONT in root.get("font-family")  # WeasyPrint reads no page CSS
    return root


def _tips(root: ET.Element) -> list[str]:
    return [t.text for mark in root.iter() if mark.tag != f"{NS}svg" for t in mark.findall(f"{NS}title")]


def _texts(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter(f"{NS}text")]


def test_a_bar_chart_has_one_titled_bar_per_value_and_the_legend():
    root = _parse(charts.bar_chart(["朝阳店", "海淀店"], {"到店": [12, 3], "留资": [4, None]}, "展厅客流"))
    assert root.find(f"{NS}title").text == "展厅客流"
    assert _tips(root) == ["朝阳店 · 到店: 12", "朝阳店 · 留资: 4", "海淀店 · 到店: 3"]
    texts = _texts(root)
    assert {"展厅客流", "朝阳店", "海淀店", "到店", "留资"} <= set(texts)
    heights = {
        t: float(r.get("height")) for r in root.iter(f"{NS}rect") for t in [r.findtext(f"{NS}title")] if t
    }
    assert heights["朝阳店 · 到店: 12"] == pytest.approx(4 * heights["海淀店 · 到店: 3"], rel=0.01)


def test_stacked_bars_sit_on_each_other():
    root = _parse(charts.bar_chart(["A"], {"H": [3], "B": [2]}, "", stacked=True))
    rects = {r.findtext(f"{NS}title"): r for r in root.iter(f"{NS}rect") if r.findtext(f"{NS}title")}
    low, high = rects["A · H: 3"], rects["A · B: 2"]
    assert float(high.get("y")) + float(high.get("height")) == pytest.approx(float(low.get("y")), abs=0.2)


def test_a_horizontal_bar_chart_names_its_rows_on_the_left():
    root = _parse(charts.bar_chart(["王小明", "李雷"], {"跟进": [5, 1]}, "", horizontal=True))
    rects = [r for r in root.iter(f"{NS}rect") if r.findtext(f"{NS}title")]
    assert [float(r.get("width")) > 0 for r in rects] == [True, True]
    assert float(rects[0].get("width")) == pytest.approx(5 * float(rects[1].get("width")), rel=0.01)


def test_labels_are_escaped_and_long_ones_cut_with_the_full_text_in_the_title():
    name = "<b>北京朝阳旗舰店 & 一个非常非常长的门店全称（有限公司）</b>"
    svg = charts.bar_chart([name, *[f"店{i}" for i in range(9)]], {"a&b": [1] * 10}, 'T "x"')
    root = _parse(svg)
    assert "<b>" not in svg
    assert f"{name} · a&b: 1" in _tips(root)
    shown = [t for t in _texts(root) if t and t.startswith("<b>")]
    assert shown and shown[0].endswith("…")


def test_a_line_chart_breaks_at_missing_values_and_formats_percentages():
    root = _parse(
        charts.line_chart(
            ["10月", "11月", "12月", "1月"], {"留资率": [0.2, None, 0.5, 0.4]}, "", percent=True
        )
    )
    assert _tips(root) == ["10月 · 留资率: 20%", "12月 · 留资率: 50%", "1月 · 留资率: 40%"]
    lines = list(root.iter(f"{NS}polyline"))
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 2
    assert "50%" in _texts(root)  # a guide


def test_a_long_series_shows_every_nth_label_slanted():
    labels = [f"12-{d:02d}" for d in range(1, 32)]
    root = _parse(charts.line_chart(labels, {"新线索": list(range(31))}))
    shown = [t for t in root.iter(f"{NS}text") if t.text in labels]
    assert 8 <= len(shown) <= 11 and all("rotate(30" in t.get("transform") for t in shown)


def test_a_pie_has_a_slice_per_non_zero_share_and_a_ring_for_one():
    root = _parse(charts.pie_chart(["电话", "微信", "邮件"], [30, 10, 0], "联系方式"))
    assert _tips(root) == ["电话: 30 (75%)", "微信: 10 (25%)"]
    assert len(list(root.iter(f"{NS}path"))) == 2
    ring = _parse(charts.pie_chart(["电话", "微信"], [7, 0]))
    assert len(list(ring.iter(f"{NS}circle"))) == 1 and not list(ring.iter(f"{NS}path"))


def test_a_funnel_prints_each_stage_and_count_with_bands_narrowing():
    root = _parse(charts.funnel_chart(["新线索", "已到店", "成交"], [1200, 300, 3], "转化漏斗"))
    assert "funnel" in root.get("class")
    texts = _texts(root)
    assert {"新线索", "已到店", "成交", "1,200", "300", "3"} <= set(texts)
    widths = [float(r.get("width")) for r in root.iter(f"{NS}rect") if r.findtext(f"{NS}title")]
    assert widths[0] > widths[1] > widths[2] > 0


@pytest.mark.parametrize(
    "svg",
    [
        charts.bar_chart([], {}, "空"),
        charts.line_chart([], {}, ""),
        charts.pie_chart([], [], ""),
        charts.funnel_chart([], [], ""),
        charts.bar_chart(["a"], {"x": [0]}, ""),
        charts.pie_chart(["a"], [0], ""),
    ],
)
def test_empty_figures_draw_an_empty_chart(svg):
    root = _parse(svg)
    assert not re.search(r"nan|inf", svg)
    assert root is not None


def test_as_img_embeds_the_svg_as_a_data_uri():
    html = str(charts.as_img(charts.pie_chart(["a"], [1]), 'alt "x"'))
    assert html.startswith('<img class="chart-img" src="data:image/svg+xml;base64,')
    assert 'alt="alt &#34;x&#34;"' in html


def test_decimal_figures_from_postgresql_draw_like_floats():
    from decimal import Decimal

    bar = _parse(charts.bar_chart(["A", "B"], {"均分": [Decimal("4.6"), Decimal("3.25")]}, ""))
    assert _tips(bar) == ["A · 均分: 5", "B · 均分: 3"]
    line = _parse(charts.line_chart(["10月", "11月"], {"率": [Decimal("0.5"), None]}, "", percent=True))
    assert _tips(line) == ["10月 · 率: 50%"]
    pie = _parse(charts.pie_chart(["A", "B"], [Decimal("3"), Decimal("1")]))
    assert _tips(pie) == ["A: 3 (75%)", "B: 1 (25%)"]
    funnel = _parse(charts.funnel_chart(["新", "成交"], [Decimal("10"), Decimal("2")]))
    assert {"10", "2"} <= set(_texts(funnel))
