"""Concurrent moves of the same leads on PostgreSQL: one winner per version, no lost update."""

import random
import threading
from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from app.leads.models import Lead, StageChange
from tests.helpers_board import outcome, stage_id

TARGETS = ["contacted", "invited", "test_drive", "negotiation"]


@pytest.mark.postgres_only
def test_fifty_concurrent_moves_of_ten_leads(login, factory, db):
    manager = factory.user("manager")
    consultant = factory.user("consultant")
    leads = [factory.lead(owner=consultant) for _ in range(10)]
    db.session.commit()
    lead_ids = [lead.id for lead in leads]
    clients = [login(consultant if i % 2 else manager) for i in range(10)]
    rng = random.Random(5)
    jobs = [(lead_ids[i % 10], rng.choice(TARGETS)) for i in range(50)]
    results: list[tuple[int, str, int]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(10)

    def worker(n: int):
        client = clients[n]
        barrier.wait()
        for lead_id, target in jobs[n::10]:
            response = client.post(
                "/board/move",
                data={"lead_id": lead_id, "stage": target, "version": 1},
                headers={"HX-Request": "true"},
            )
            with lock:
                results.append((lead_id, target, response.status_code))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(results) == 50
    assert {status for _, _, status in results} <= {200, 409}
    wins = defaultdict(list)
    for lead_id, target, status in results:
        if status == 200:
            wins[lead_id].append(target)
    db.session.expire_all()
    history = Counter(
        db.session.execute(select(StageChange.lead_id).where(StageChange.lead_id.in_(lead_ids))).scalars()
    )
    for lead_id in lead_ids:
        lead = db.session.get(Lead, lead_id)
        # Everyone moved from version 1: exactly one move per lead wins, the rest get a conflict.
        assert len(wins[lead_id]) == 1, (lead_id, wins[lead_id])
        assert lead.stage_id == stage_id(wins[lead_id][0])
        assert lead.version == 2
        assert history[lead_id] == len(wins[lead_id])
    assert sum(history.values()) == sum(1 for *_, status in results if status == 200) == 10


@pytest.mark.postgres_only
def test_concurrent_chained_moves_never_lose_one(login, factory, db):
    """Clients that reload the version before each move: every success is in the history, in order."""
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant)
    db.session.commit()
    clients = [login(consultant) for _ in range(5)]
    outcomes: list[int] = []
    lock = threading.Lock()

    def worker(client, n):
        for i in range(6):
            with client.application.app_context():
                version = db.session.execute(select(Lead.version).where(Lead.id == lead.id)).scalar()
                db.session.remove()
            target = TARGETS[(n + i) % len(TARGETS)]
            response = client.post(
                "/board/move",
                data={"lead_id": lead.id, "stage": target, "version": version},
                headers={"HX-Request": "true"},
            )
            with lock:
                outcomes.append((response.status_code, outcome(response)))

    threads = [threading.Thread(target=worker, args=(c, n)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(outcomes) <= {(200, "moved"), (200, "noop"), (409, "conflict")}
    db.session.expire_all()
    moved = db.session.execute(
        select(func.count()).select_from(StageChange).where(StageChange.lead_id == lead.id)
    ).scalar()
    final = db.session.get(Lead, lead.id)
    assert moved == outcomes.count((200, "moved")) > 0
    assert final.version == 1 + moved
    last = db.session.execute(
        select(StageChange).where(StageChange.lead_id == lead.id).order_by(StageChange.id.desc()).limit(1)
    ).scalar_one()
    assert last.to_stage_id == final.stage_id
