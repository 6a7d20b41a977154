"""Every endpoint named in code or a template exists: a misspelt name fails here, not in front of a user.

Links are built from endpoint names (url_for, notify(..., endpoint, args), hx_redirect(url_for(...)),
the navigation tables). Nothing guards them at run time any more, so this test reads every place that
names an endpoint and checks the name against the application's URL map:

- Python (app/**/*.py), parsed with `ast`: the first argument of url_for / path_for / public_url (a
  variable is followed to the constants assigned to it in the same function), the endpoint argument of
  notify / notify_many / alert_store, every `endpoint=` keyword, the navigation tables, and the
  constants assigned to names ending in ENDPOINT or ENDPOINTS.
- Templates (templates/**/*.html): url_for('…'), `endpoint == '…'` comparisons and the
  ("endpoint", {args}, label) link tables.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

URL_BUILDERS = {"url_for", "path_for", "public_url", "paths_for"}
# Functions taking an endpoint as their n-th positional argument (or `endpoint=`).
ENDPOINT_ARGUMENT = {"notify": 2, "notify_many": 2, "alert_store": 2, "NavItem": 1}
ENDPOINT_NAME = re.compile(r"(^|_)(ENDPOINTS?|TABS|NAV)$")

TEMPLATE_PATTERNS = (
    re.compile(r"""url_for\(\s*['"]([^'"]+)['"]"""),
    re.compile(r"""endpoint\s*(?:==|!=)\s*['"]([^'"]+)['"]"""),
    re.compile(r"""['"]([^'"]+)['"]\s*(?:==|!=)\s*[\w.]*endpoint\b"""),
    re.compile(r"""\(\s*['"]([a-z_]+\.[a-z_]+)['"]\s*,\s*\{"""),  # ("admin.index", {}, _("Overview"))
    re.compile(r"""\bendpoint\s*=\s*['"]([^'"]+)['"]"""),
)


TRANSLATED = {"_", "_l", "gettext", "lazy_gettext", "ngettext"}
DOTTED = re.compile(r"^\.?[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


def _strings(node) -> list[str]:
    """Every string constant an expression may evaluate to (conditional expressions, tuples, sets),
    leaving out the texts of translated labels."""
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, ast.Call) and _callee(node) in TRANSLATED:
        return []
    return [s for child in ast.iter_child_nodes(node) for s in _strings(child)]


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _blueprint_name(tree: ast.Module) -> str | None:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and _callee(node) == "Blueprint"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            return node.args[0].value
    return None


def _assigned(scope: ast.AST, name: str) -> list[ast.AST]:
    """The values assigned to `name` inside `scope` (the enclosing function, or the module)."""
    values = []
    for node in ast.walk(scope):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign) and node.value is not None
            else []
        )
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            values.append(node.value)
    return values


def endpoints_in_python(source: str, filename: str = "<source>") -> list[tuple[str, int]]:
    """(endpoint, line) for every endpoint named in a Python module; relative names are made absolute."""
    tree = ast.parse(source, filename)
    blueprint = _blueprint_name(tree)
    parents: dict[ast.AST, ast.AST] = {}
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            parents[child] = parent

    def scope_of(node):
        while node in parents:
            node = parents[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
        return tree

    found: list[tuple[str, int]] = []

    def add(expr, call, only_dotted=False):
        if isinstance(expr, ast.Name):
            for value in _assigned(scope_of(call), expr.id):
                add(value, call)
            return
        for name in _strings(expr):
            if only_dotted and not DOTTED.match(name):
                continue
            if name.startswith(".") and blueprint:
                name = blueprint + name
            found.append((name, call.lineno))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = _callee(node)
            if callee in URL_BUILDERS and node.args:
                add(node.args[0], node)
            if callee in ENDPOINT_ARGUMENT and len(node.args) > ENDPOINT_ARGUMENT[callee]:
                add(node.args[ENDPOINT_ARGUMENT[callee]], node)
            for keyword in node.keywords:
                # `endpoint="check_phone"` on a route decorator defines a (local) name; dotted ones refer to one.
                if (
                    keyword.arg == "endpoint"
                    and isinstance(keyword.value, ast.Constant)
                    and isinstance(keyword.value.value, str)
                    and "." in keyword.value.value
                ):
                    add(keyword.value, node)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and ENDPOINT_NAME.search(target.id):
                    # A table: rows (label, endpoint, capability, icon) name their endpoint second
                    # (NavItem rows are read as calls above); a set or list of names is all endpoints.
                    value = node.value
                    if (
                        isinstance(value, ast.Call)
                        and _callee(value) in {"frozenset", "set", "tuple", "list"}
                        and value.args
                    ):
                        value = value.args[0]
                    rows = value.elts if isinstance(value, (ast.List, ast.Tuple, ast.Set)) else [value]
                    for row in rows:
                        if isinstance(row, ast.Tuple) and len(row.elts) > 1:
                            add(row.elts[1], node, only_dotted=True)
                        elif not isinstance(row, ast.Call):
                            add(row, node, only_dotted=True)
    return found


def endpoints_in_template(text: str) -> list[tuple[str, int]]:
    found = []
    for pattern in TEMPLATE_PATTERNS:
        for match in pattern.finditer(text):
            found.append((match.group(1), text.count("\n", 0, match.start()) + 1))
    return found


def _named_endpoints() -> list[tuple[str, str, int]]:
    named = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        for name, line in endpoints_in_python(path.read_text(encoding="utf-8"), str(path)):
            named.append((name, str(path.relative_to(ROOT)), line))
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for name, line in endpoints_in_template(path.read_text(encoding="utf-8")):
            named.append((name, str(path.relative_to(ROOT)), line))
    return named


def _unknown(app, named):
    return [f"{where}:{line}: {name}" for name, where, line in named if name not in app.view_functions]


def test_every_endpoint_named_in_code_and_templates_exists(app):
    named = _named_endpoints()
    assert len({name for name, _, _ in named}) > 100  # the collector does find the links
    assert _unknown(app, named) == []


def test_the_navigation_tables_are_read():
    names = {name for name, where, _ in _named_endpoints() if where == "app/web/navigation.py"}
    assert {"dashboard.index", "leads.list_leads", "notifications.settings"} <= names


@pytest.mark.parametrize(
    "source",
    [
        "url_for('leads.show_lead', lead_id=1)",
        'redirect(url_for("leads.show_lead"))',
        'notify(user, "followup", "leads.show_lead", {"lead_id": 1}, "text")',
        'def view():\n    step = "accounts.login" if x else "leads.show_lead"\n    return url_for(step)',
        'alert_store(1, "text", endpoint="leads.show_lead")',
        'DETAIL_ENDPOINT = "leads.show_lead"',
        'TABS = [(_l("Home"), "dashboard.index", "home"), (_l("Lead"), "leads.show_lead", "lead")]',
    ],
)
def test_a_misspelt_endpoint_in_python_is_caught(app, source):
    named = [(name, "<source>", line) for name, line in endpoints_in_python(source)]
    assert _unknown(app, named) == ["<source>:1: leads.show_lead"] or _unknown(app, named) == [
        "<source>:3: leads.show_lead"
    ]


@pytest.mark.parametrize(
    "source",
    [
        "<a href=\"{{ url_for('leads.show_lead', lead_id=lead.id) }}\">",
        '{% if request.endpoint == "leads.show_lead" %}',
        '{% set links = [("leads.show_lead", {}, _("Lead"))] %}',
    ],
)
def test_a_misspelt_endpoint_in_a_template_is_caught(app, source):
    named = [(name, "<template>", line) for name, line in endpoints_in_template(source)]
    assert _unknown(app, named) == ["<template>:1: leads.show_lead"]


def test_relative_names_are_resolved_against_the_blueprint(app):
    source = 'bp = Blueprint("leads", __name__)\nurl_for(".lead_detail", lead_id=1)\nurl_for(".show_lead")'
    named = [(name, "<source>", line) for name, line in endpoints_in_python(source)]
    assert _unknown(app, named) == ["<source>:3: leads.show_lead"]
