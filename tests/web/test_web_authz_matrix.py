"""Authorization matrix: every URL rule × every role × another store's and another consultant's objects.

For each rule the URL parameters are filled with the id of the *other* party's object (a lead of
store B, an event of store B, a follow-up of consultant A2, …).  Every GET is sent plain and with
`HX-Request: true`; every POST is sent with a form that would be valid for the object.  A case is
an unauthorized success when the role must not act on the object and

* the response shows the object (one of its marker strings is in the body, any status), or
* a row belonging to the other party changed (digest of its rows before and after), or
* the rule names the object in its URL and the answer is 2xx anyway.

List pages without an object in the URL may answer 200 (an empty list for that role), but must
not show anything of the other party; they are also tried with the other party's ids in the query
string (`?store=…&owner=…`).  A rule whose parameter has no mapping below fails the test, so a new
route joins the matrix on the day it is added.  CSRF is off here (conftest); `test_post_without_csrf_token_is_refused`
checks every POST route with CSRF on.
"""

from datetime import date, timedelta

import pytest

from app.reports.catalog import REPORTS
from app.web.access import PUBLIC_ATTR, view_roles

from ..security_world import ROLES, TARGETS, body_text, build_world, table_checksum, write_summary

# URL parameter -> kind of object in the world.  (endpoint, parameter) entries win over plain names.
PARAM_KINDS = {
    "lead_id": "lead",
    "event_id": "event",
    "invitation_id": "invitation",
    "campaign_id": "campaign",
    "followup_id": "followup",
    "proposal_id": "proposal",
    "job_id": "import",
    "key_id": "apikey",
    "user_id": "user",
    "store_id": "store",
    "visit_id": "visit",
    "note_id": "notification",
    "message_id": "message",
    "generated_id": "generated",
    "device_id": "device",
    ("followups.decide_defeat_request", "request_id"): "defeat",
    ("followups.decide_transfer_request", "request_id"): "transfer",
    ("leads.decide_export_view", "request_id"): "export",
    # An approved export whose file is written: its progress, writing it again, its one download.
    ("leads.export_file_progress", "request_id"): "export_file",
    ("leads.prepare_export", "request_id"): "export_file",
    ("leads.download_export", "request_id"): "export_file",
}
# Parameters that name no object of a store: filled with fixed values (a list is tried value by value).
CONSTANT_PARAMS = {
    "kind": ["channels"],
    "row_id": [1],
    "key": [r.key for r in REPORTS],
    "fmt": ["csv"],
    "stage_id": None,  # the "new" stage, looked up at run time
}
# Public pages (token or no login) are not in the matrix: test_public_pages_refuse_unknown_tokens.
STORE_LEVEL = {"event", "campaign", "visit", "proposal"}
LEAD_LEVEL = {"lead", "followup", "plan", "defeat", "transfer", "invitation"}
GROUP = {"director", "admin"}
# Endpoints whose object rule differs from the kind's default (role sets that may act on any store).
ENDPOINT_SCOPE = {
    "leads.decide_export_view": {"other_store": {"director"}, "other_consultant": {"director"}},
    # A user signs out only their own remembered devices (the administrator has a page of their own).
    "accounts.revoke_device": {"other_store": set(), "other_consultant": set()},
}


def visible(role: str, target: str, kind: str, endpoint: str | None = None) -> bool:
    """May `role` (a user of store A, or of no store) see or act on the `target`'s object of `kind`?"""
    if endpoint in ENDPOINT_SCOPE:
        return role in ENDPOINT_SCOPE[endpoint][target]
    if kind in ("import", "export", "export_file", "notification", "generated"):
        return False  # personal: the requester's own
    if kind == "message":
        return role == "admin"  # the outbox is the administrator's, for every store
    if kind == "device":
        return role == "admin"  # remembered devices: the user's own page, and the administrator's
    if kind == "apikey":
        # Keys are the administrator's; their creation is in the audit log that directors read.
        return role in GROUP
    if target == "other_store":
        return role in GROUP
    if kind in STORE_LEVEL or kind in ("user", "store"):
        return True
    if kind in LEAD_LEVEL:
        return role not in ("consultant", "dcc")
    raise AssertionError(f"no visibility rule for kind {kind!r}")


def _param_kind(endpoint: str, name: str):
    return PARAM_KINDS.get((endpoint, name)) or PARAM_KINDS.get(name)


def unmapped_params(app) -> list[str]:
    missing = []
    for rule in _matrix_rules(app):
        for name in rule.arguments:
            if _param_kind(rule.endpoint, name) is None and name not in CONSTANT_PARAMS:
                missing.append(f"{rule.rule} ({rule.endpoint}): <{name}>")
    return missing


def _matrix_rules(app):
    rules = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        view = app.view_functions[rule.endpoint]
        if rule.endpoint == "static" or getattr(view, PUBLIC_ATTR, False):
            continue
        rules.append(rule)
    return rules


def _urls(rule, world, target_name: str, stage_id: int) -> list[str]:
    target = world.targets[target_name]
    base: dict = {}
    variants: list[tuple[str, list]] = []
    for name in rule.arguments:
        kind = _param_kind(rule.endpoint, name)
        if kind is not None:
            base[name] = target.ids[kind]
        elif name == "stage_id":
            base[name] = stage_id
        else:
            values = CONSTANT_PARAMS[name]
            base[name] = values[0]
            if len(values) > 1:
                variants.append((name, values[1:]))
    urls = [rule.build(base, append_unknown=False)[1]]
    for name, values in variants:
        urls += [rule.build({**base, name: v}, append_unknown=False)[1] for v in values]
    return urls


def _query(target) -> str:
    ids = target.ids
    return (
        f"store={ids['store']}&store_id={ids['store']}&owner={ids['user']}&user={ids['user']}"
        f"&user_id={ids['user']}&consultant={ids['user']}&event_id={ids['event']}&lead={ids['lead']}"
        f"&lead_id={ids['lead']}&campaign={ids['campaign']}&q=Zq"
    )


def _payload(world, target_name: str) -> dict:
    """A superset form: every field name the POST forms use, filled for the other party's objects."""
    t = world.targets[target_name]
    ids = t.ids
    soon = (date.today() + timedelta(days=3)).isoformat()
    return {
        "lead_id": ids["lead"],
        "ids": [ids["lead"], ids["lead2"]],
        "lead": [ids["lead"], ids["lead2"]],
        "plan": [ids["plan"]],
        "invitation_id": ids["invitation"],
        "code": t.extra["token"],
        "version": t.extra["version"],
        "stage": "contacted",
        "method": "phone",
        "result": "reached",
        "content": "talked",
        "next_due": soon,
        "next_content": "call again",
        "reason_id": 1,
        "detail": "lost to a competitor",
        "reason": "please",
        "decision": "approve",
        "comment": "ok",
        "body": "well done",
        "to_user": ids["colleague"],
        "owner": ids["colleague"],
        "store": ids["store"],
        "store_id": ids["store"],
        "event_id": ids["event"],
        "outcome": "accepted",
        "headcount": "1",
        "channel": "sms",
        "name": "ZqNewMark",
        "phone": "13912345678",
        "gender": "male",
        "source_channel": 1,
        "grade": 1,
        "grade_id": 1,
        "expected_purchase_date": soon,
        "action": "assign",
        "consultant": ids["user"],
        "consultant_id": ids["user"],
        "day": soon,
        "note": "note",
        "starts_on": soon,
        "ends_on": soon,
        "mode": "postpone",
        "theme": "ZqThemeMark",
        "type": "launch",
        "starts_at": soon + "T10:00",
        "ends_at": soon + "T12:00",
        "place": "hall",
        "address": "road",
        "remove_image": "y",  # the event form's "remove the cover image": refused out of scope
        "party_size": "1",
        "arrived_at": "10:00",
        "first_visit": "1",
        "left_contact": "1",
        "on_duty": [ids["user"]],
        f"goal-{ids['user']}": "7",
        f"item-{ids['lead2']}": str(ids["colleague"]),
        "survivor": ids["lead"],
        "step": "merge",
        "display_name": "ZqRenamed",
        "role": "admin",
        "new_password": "a much longer password 1",
        "successor_id": ids["colleague"],
        "default": "update",
        "col0": "name",
        "headcount_arrived": "2",
        "month": date.today().strftime("%Y-%m"),
        "new_leads": "5",
        "visits": "5",
        "orders": "5",
    }


class Tally:
    def __init__(self):
        self.cases = 0
        self.out_of_scope = 0
        self.requests = 0
        self.violations: list[str] = []
        self.errors: list[str] = []
        self.rules: set[str] = set()

    def check(
        self,
        label: str,
        response,
        markers: list[str],
        *,
        object_in_url: bool,
        out: bool,
        changed: list[str] | None = None,
    ):
        """`markers` must never appear; an out-of-scope object in the URL must not answer 2xx."""
        self.requests += 1
        if response.status_code >= 500:
            self.errors.append(f"{label} -> {response.status_code}")
        text = body_text(response)
        leaked = [m for m in markers if m in text]
        if leaked:
            self.violations.append(f"{label} -> {response.status_code} shows {leaked[:3]}")
        if changed:
            self.violations.append(f"{label} -> {response.status_code} changed {changed}")
        if out and object_in_url and 200 <= response.status_code < 300:
            self.violations.append(f"{label} -> {response.status_code} on another party's object")


def _hidden_markers(world, role: str) -> list[str]:
    markers = []
    for name, target in world.targets.items():
        for kind, values in target.markers.items():
            if kind in ("user", "store"):
                if role not in GROUP:
                    markers += values
            elif not visible(role, name, kind):
                markers += values
    return markers


def run_matrix(app, factory, login, role: str) -> Tally:
    from app.admin.reference import stage_by_code

    world = build_world(factory)
    stage_id = stage_by_code("new").id
    client = login(world.actors[role])
    tally = Tally()
    hidden = _hidden_markers(world, role)
    for rule in _matrix_rules(app):
        if rule.endpoint == "accounts.logout":
            continue  # would end the session under test; test_web_access.py and test_accounts.py cover it
        view = app.view_functions[rule.endpoint]
        allowed_roles = view_roles(view)
        role_denied = allowed_roles is not None and role not in allowed_roles
        kinds = [k for k in (_param_kind(rule.endpoint, n) for n in rule.arguments) if k]
        tally.rules.add(f"{rule.rule} {rule.endpoint}")
        for target_name in TARGETS:
            target = world.targets[target_name]
            if kinds:
                out = role_denied or not all(visible(role, target_name, k, rule.endpoint) for k in kinds)
            else:
                out = role_denied or not visible(role, target_name, "lead", rule.endpoint)
            markers = hidden + [m for k in kinds for m in target.markers.get(k, [])] if out else hidden
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                tally.cases += 1
                tally.out_of_scope += out
                for url in _urls(rule, world, target_name, stage_id):
                    label = f"{role} {method} {url} [{target_name}]"
                    if method == "GET":
                        urls = [url] if kinds else [url, f"{url}?{_query(target)}"]
                        for u in urls:
                            tally.check(label, client.get(u), markers, object_in_url=bool(kinds), out=out)
                            tally.check(
                                label + " HX",
                                client.get(u, headers={"HX-Request": "true"}),
                                markers,
                                object_in_url=bool(kinds),
                                out=out,
                            )
                        continue
                    if not out:
                        continue  # acting on an object the role may change is tested in the domain tests
                    before = table_checksum(target)
                    response = client.post(url, data=_payload(world, target_name))
                    after = table_checksum(target)
                    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
                    tally.check(
                        label, response, markers, object_in_url=bool(kinds), out=True, changed=changed
                    )
    return tally


def test_every_route_parameter_has_a_mapping(app):
    missing = unmapped_params(app)
    assert not missing, (
        "add these URL parameters to PARAM_KINDS (an object of the world) or CONSTANT_PARAMS "
        f"in tests/web/test_web_authz_matrix.py: {missing}"
    )


@pytest.mark.parametrize("role", ROLES)
def test_role_cannot_reach_another_partys_objects(app, factory, login, role):
    assert not unmapped_params(app), "see test_every_route_parameter_has_a_mapping"
    tally = run_matrix(app, factory, login, role)
    write_summary(
        "matrix",
        {
            "rule_role_pairs": len(tally.rules),
            "roles": 1,
            "cases": tally.cases,
            "out_of_scope_cases": tally.out_of_scope,
            "requests": tally.requests,
            "unauthorized_successes": len(tally.violations),
            "server_errors": len(tally.errors),
        },
    )
    print(
        f"\n[authz matrix] role={role}: {len(tally.rules)} rules × 2 targets = {tally.cases} cases "
        f"({tally.out_of_scope} out of scope), {tally.requests} requests, "
        f"{len(tally.violations)} unauthorized successes, {len(tally.errors)} server errors"
    )
    assert not tally.errors and not tally.violations, "\n".join(tally.errors + tally.violations)
    assert tally.out_of_scope > 0


def test_the_matrix_detects_a_leak_and_a_change(app, factory, login, db):
    """The oracle is not blind: a director sees store B's lead, and a change to it shows in the digest."""
    from app.leads.models import Lead

    world = build_world(factory)
    target = world.targets["other_store"]
    client = login(world.actors["director"])
    page = client.get(f"/leads/{target.ids['lead']}")
    assert page.status_code == 200
    assert target.markers["lead"][0] in body_text(page)
    before = table_checksum(target)
    db.session.get(Lead, target.ids["lead"]).region = "elsewhere"
    db.session.commit()
    assert table_checksum(target)["leads"] != before["leads"]
    own = client.get("/events")
    assert target.markers["event"][0] in body_text(own)


# POST routes that do not use the session cookie, each with what protects it instead.
CSRF_EXEMPT = {
    "public_form.submit_booking": "embedded on other sites: signed start time, honeypot, per-address limit",
    "api.create_lead_api": "Bearer API key, no cookie",
    "webhooks.sms_inbound": "shared webhook token, no cookie",
    "webhooks.sms_status": "shared webhook token, no cookie",
}


def test_csrf_exemptions_are_exactly_the_listed_ones(app):
    from app.extensions import csrf

    exempt = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if "POST" in rule.methods and (
            f"{view.__module__}.{view.__name__}" in csrf._exempt_views
            or rule.endpoint.split(".")[0] in {bp.name for bp in csrf._exempt_blueprints}
        ):
            exempt.add(rule.endpoint)
    assert exempt == set(CSRF_EXEMPT), (
        f"CSRF exemptions changed: list each in CSRF_EXEMPT with a reason: {exempt}"
    )


def test_post_without_csrf_token_is_refused(app, factory, login, monkeypatch):
    """With CSRF on, every POST route without a token is refused (400) and changes nothing."""
    world = build_world(factory)
    client = login(world.actors["manager"])
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    from app.admin.reference import stage_by_code

    refused = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" not in rule.methods or rule.endpoint in CSRF_EXEMPT:
            continue
        for target_name in TARGETS:
            target = world.targets[target_name]
            url = _public_url(rule, target) or _urls(rule, world, target_name, stage_by_code("new").id)[0]
            before = table_checksum(target)
            for headers in ({}, {"HX-Request": "true"}):
                response = client.post(url, data=_payload(world, target_name), headers=headers)
                assert response.status_code == 400, f"POST {url} {headers} -> {response.status_code}"
                refused += 1
            assert table_checksum(target) == before, f"POST {url} changed rows without a CSRF token"
    write_summary("csrf", {"post_requests_without_token": refused})
    assert refused > 50


def _public_url(rule, target) -> str | None:
    values = {}
    for name in rule.arguments:
        if name == "token":
            values[name] = target.extra["token"]
        elif name == "store_code":
            values[name] = "MXB"
        else:
            return None
    return rule.build(values, append_unknown=False)[1]


def test_public_pages_refuse_unknown_tokens(app, factory, client):
    """Public token pages answer an unknown token with the same 404 and change nothing."""
    world = build_world(factory)
    target = world.targets["other_store"]
    bodies = set()
    for rule in app.url_map.iter_rules():
        if (
            not getattr(app.view_functions[rule.endpoint], PUBLIC_ATTR, False)
            or "token" not in rule.arguments
        ):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            real = target.extra["token"]
            for token in ("x" * 43, "0", real[:-1] + ("B" if real[-1] != "B" else "C")):
                url = rule.build({"token": token}, append_unknown=False)[1]
                before = table_checksum(target)
                response = client.open(url, method=method, data={"answer": "accept", "score": "5"})
                assert response.status_code == 404, f"{method} {url} -> {response.status_code}"
                assert table_checksum(target) == before
                assert not any(m in body_text(response) for v in target.markers.values() for m in v)
                bodies.add((rule.endpoint, response.get_data()))
    assert bodies


# Public operations endpoints: their own rules, not a role's.  /metrics answers the loopback network
# (or, with METRICS_TOKEN, only the bearer token); no session, not even an administrator's, opens it.
OPERATIONS = ("/healthz", "/readyz", "/metrics")
OUTSIDE = {"REMOTE_ADDR": "10.20.30.40"}


def test_operations_endpoints_follow_their_own_rules(app, factory, login, client, monkeypatch):
    world = build_world(factory)
    markers = [m for t in world.targets.values() for values in t.markers.values() for m in values]
    for c in [client, login(world.actors["admin"])]:
        for path in OPERATIONS:
            response = c.get(path)
            assert response.status_code == 200, f"{path} -> {response.status_code}"
            assert not [m for m in markers if m in body_text(response)], path
        assert c.get("/metrics", environ_base=OUTSIDE).status_code == 403
        assert c.get("/readyz", environ_base=OUTSIDE).status_code == 200
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "scrape-secret-456")
    admin = login(world.actors["admin"])
    assert admin.get("/metrics").status_code == 401
    assert admin.get("/metrics", headers={"Authorization": "Bearer scrape-secret-456"}).status_code == 200
