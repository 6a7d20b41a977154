"""One label table per status (app/web/labels.py), covering every value the code stores, used by every page."""

import ast
from pathlib import Path

import pytest
from flask import render_template_string
from flask_babel import force_locale

from app.invitations.models import InvitationStatus
from app.web.labels import EXPORT_STATUS, IMPORT_STATUS, INVITATION_STATUS, status_label

ROOT = Path(__file__).resolve().parents[2]


def _stored_statuses(*paths: str) -> set[str]:
    """Every string the code writes as a status: `x.status = "…"`, `status="…"`, `begin_step(job, "…")`,
    and the members of a `RUNNING = (…)` tuple."""
    found = set()
    for rel in paths:
        for path in sorted((ROOT / rel).parent.glob((ROOT / rel).name)):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                values = []
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if (isinstance(target, ast.Attribute) and target.attr == "status") or (
                            isinstance(target, ast.Name) and target.id == "RUNNING"
                        ):
                            values.append(node.value)
                elif isinstance(node, ast.Call):
                    values += [k.value for k in node.keywords if k.arg == "status"]
                    if getattr(node.func, "id", "") == "begin_step" and len(node.args) > 1:
                        values.append(node.args[1])
                for value in values:
                    found |= {
                        n.value
                        for n in ast.walk(value)
                        if isinstance(n, ast.Constant) and isinstance(n.value, str)
                    }
    return found


def test_every_invitation_status_has_a_label():
    assert set(INVITATION_STATUS) == set(InvitationStatus)


def test_every_stored_import_status_has_a_label():
    stored = _stored_statuses("app/leads/importing/*.py")
    assert {"uploaded", "validating", "committing", "validated", "done", "failed"} <= stored  # the scan works
    assert stored <= set(IMPORT_STATUS)


def test_every_stored_export_status_has_a_label():
    stored = _stored_statuses("app/leads/exports.py")
    assert {"pending", "approved", "rejected", "done"} <= stored
    assert stored <= set(EXPORT_STATUS)


def test_labels_are_translated_and_an_unknown_value_is_an_error(app):
    with app.test_request_context("/"), force_locale("zh_CN"):
        assert status_label(InvitationStatus.TODO, "invitation") == "待拨打"
        assert render_template_string('{{ "pending"|status_label("export") }}') == "待审批"
        assert render_template_string('{{ "uploaded"|status_label("import") }}') == "等待对应列"
        with pytest.raises(KeyError):
            status_label("lost_somewhere", "invitation")


def test_no_template_keeps_its_own_status_table():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert '"todo": _(' not in text and "status_labels" not in text and '"pending": _(' not in text, path
