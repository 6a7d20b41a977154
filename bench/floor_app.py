"""The floor: Flask + Jinja rendering a 50-card board with no database.

It measures what the stack alone costs on this machine; `bench/run.py` serves it beside LeadLoop
and reports every page as a multiple of it, measured in the same run.
"""

from flask import Flask, request

app = Flask(__name__)

BOARD = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>销售看板</title></head>
<body hx-headers='{"X-CSRFToken": "{{ token }}"}'><main>
{% for col in columns %}<section class="col" aria-label="{{ col.name }}"><h2>{{ col.name }} <span>{{ col.cards|length }}</span></h2>
<form class="cards" hx-post="/move/{{ col.id }}" hx-trigger="add">
{% for c in col.cards %}<article class="card" tabindex="0" aria-label="{{ c.name }}"><input type="hidden" name="card" value="{{ c.id }}">
<b>{{ c.name }}</b> <em class="grade g{{ c.grade }}">{{ c.grade }}</em><p>{{ c.model }} · 预购 {{ c.expected }}</p>
<p>下次跟进 {{ c.next }} {% if c.overdue %}<strong>已逾期</strong>{% endif %}</p></article>
{% endfor %}</form></section>{% endfor %}</main></body></html>"""

NAMES = ["王丽", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵敏", "黄磊", "周杰", "吴芳"]
COLUMNS = [
    {
        "id": i,
        "name": name,
        "cards": [
            {
                "id": i * 100 + j,
                "name": NAMES[j % 10],
                "grade": "HABC"[j % 4],
                "model": f"X{j % 5}",
                "expected": f"2026-12-{1 + j % 28:02d}",
                "next": f"2026-11-{1 + j % 28:02d}",
                "overdue": j % 3 == 0,
            }
            for j in range(50 // 7 + (1 if i < 50 % 7 else 0))
        ],
    }
    for i, name in enumerate(["新线索", "已联系", "已邀约", "已到店", "试驾", "报价", "成交"])
]

BOARD_T = app.jinja_env.from_string(BOARD)  # compiled once, as a template file would be


@app.get("/hello")
def hello():
    return "ok"


@app.get("/board")
def board():
    return BOARD_T.render(columns=COLUMNS, token=request.args.get("t", "x"))
