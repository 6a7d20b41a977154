"""The report table's body rows: typed, escaped cells; the first column heads its row."""

from datetime import datetime

from flask_babel import force_locale, lazy_gettext

from app.reports.tables import Col, Table, body_rows


def test_body_rows_format_escape_and_align_each_kind(app):
    table = Table(
        [
            Col("name", "顾问", "text"),
            Col("n", "数量"),
            Col("rate", "比例", "pct"),
            Col("money", "金额", "money"),
            Col("at", "时间", "datetime"),
            Col("hours", "时长", "hours"),
            Col("left", "离店", "time"),
            Col("word", "首次", "text"),
        ],
        [
            {
                "name": "<b>王&李</b>",
                "n": 1234,
                "rate": 0.256,
                "money": 150000,
                "at": datetime(2026, 11, 1, 2, 30),
                "hours": 1.25,
                "left": datetime(2026, 11, 1, 16, 5),  # 00:05 the next day in Shanghai
                "word": lazy_gettext("Yes"),
            },
            {"name": None, "n": None, "rate": None, "money": 0, "at": None, "hours": 0, "left": None},
        ],
    )
    with app.test_request_context(), force_locale("zh_CN"):
        html = str(body_rows(table))
    first, second = html.split("\n")
    assert first.startswith('<tr><th scope="row">&lt;b&gt;王&amp;李&lt;/b&gt;</th>')
    assert '<td class="num">1,234</td>' in first and '<td class="num">25.6%</td>' in first
    assert '<td class="num">¥150,000</td>' in first and '<td class="num">1.2</td>' in first
    # stored UTC, shown in Shanghai time, not right-aligned
    assert "<td>2026-11-01 10:30</td>" in first
    assert first.endswith("<td>00:05</td><td>是</td></tr>")
    assert second == (
        '<tr><th scope="row"></th><td class="num">—</td><td class="num">—</td>'
        '<td class="num">¥0</td><td></td><td class="num">0.0</td><td></td><td></td></tr>'
    )


def test_an_empty_table_says_so(app, login_as):
    page = login_as("manager").get("/reports/activity?period=custom&start=2001-01-01&end=2001-01-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'class="empty">当前筛选条件下没有数据。</td>' in html and '<th scope="row">' not in html
