"""kill -9 of interaction-log while it ingests a burst, then a restart: no event missing, none twice.

The burst (with redeliveries) goes to the interactions' topic; the service is killed with SIGKILL
while its store holds part of it, restarted on the same database, and left to finish. Then the
store holds every event exactly once and every record equals the one derived from its events.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from vaxel.events.v1 import events_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.events import encode_event, new_event
from vaxel_common.kafka import sync_producer
from vaxel_common.provenance import producer_of
from vaxel_common.supervisor import SERVICES, Platform, wait_serving
from vaxel_common.topics import INTERACTION_EVENTS
from vaxel_interaction_log.adapters.converters import logged_event
from vaxel_interaction_log.adapters.store import open_store
from vaxel_interaction_log.domain import project
from vaxel_interaction_log.domain.queries import InteractionQueries

pytestmark = pytest.mark.e2e
INTERACTIONS = 3000


def burst(tenant: str) -> list[events_pb2.Event]:
    rng = random.Random(17)  # noqa: S311  (reproducible load)
    # Ended days ago: past the survey window, so the service adds no survey.sent events of its own.
    start = datetime.now(UTC) - timedelta(days=3)
    events = []
    for n in range(INTERACTIONS):
        created = start + timedelta(seconds=n * 3)
        answered = n % 4 != 0
        steps: list[tuple[object, float]] = [
            (
                events_pb2.InteractionCreated(
                    queue_id="q", channel=types_pb2.CHANNEL_CHAT, customer_ref=f"c{n % 97}"
                ),
                0,
            ),
            (events_pb2.InteractionQueued(queue_id="q", position=1), 1),
        ]
        if answered:
            steps += [
                (events_pb2.InteractionConnected(offer_id="o"), 11),
                (events_pb2.InteractionEnded(reason="done"), 71),
                (events_pb2.InteractionWrappedUp(disposition="ok", tags=[f"t{n % 5}"]), 91),
            ]
        else:
            steps.append((events_pb2.InteractionAbandoned(queue_id="q"), 31))
        events += [
            new_event(
                payload,  # type: ignore[arg-type]
                tenant_id=tenant,
                producer=producer_of(payload),
                interaction_id=f"crash-{n}",
                agent_id="agent-1" if answered else "",
                occurred_at=created + timedelta(seconds=offset + rng.random()),
            )
            for payload, offset in steps
        ]
    return events


def stored(path: str, tenant: str) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM events WHERE tenant_id = ?", (tenant,)).fetchone()[0])
    finally:
        conn.close()


def test_killed_mid_burst_and_restarted_every_event_once(platform: Platform) -> None:
    tenant = f"crash-{uuid.uuid4().hex[:8]}"
    events = burst(tenant)
    deliveries = events + random.Random(3).sample(events, len(events) // 10)  # noqa: S311  (redeliveries)
    database = str(platform.data_dir / "interaction-log.sqlite3")

    def produce() -> None:  # still producing while the service is killed and restarted
        producer = sync_producer(platform.kafka_bootstrap, "interaction-log-crash-test", linger_ms=5)
        for event in deliveries:
            producer.send(
                INTERACTION_EVENTS.name, key=event.interaction_id.encode(), value=encode_event(event)
            )
        producer.flush()
        producer.close()

    sender = threading.Thread(target=produce, daemon=True)
    sender.start()
    deadline = time.monotonic() + 120
    while stored(database, tenant) < len(events) // 20:  # part of the burst is in
        assert time.monotonic() < deadline, "the burst never reached the store"
        time.sleep(0.02)
    platform.stop_service("interaction-log", sig=signal.SIGKILL)
    at_kill = stored(database, tenant)
    assert at_kill < len(events) // 2, "most of the burst was in before the kill: too little was tested"

    spec = next(s for s in SERVICES if s.name == "interaction-log")
    proc = platform.start_service(spec)
    wait_serving(proc.grpc_target, 90, proc.process)
    sender.join(timeout=120)
    deadline = time.monotonic() + 180
    while stored(database, tenant) < len(events):
        assert time.monotonic() < deadline, (
            f"{stored(database, tenant)} of {len(events)} events after the restart"
        )
        time.sleep(0.3)
    time.sleep(1.0)  # anything redelivered after the last new event is in too

    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        ids = {r[0] for r in conn.execute("SELECT event_id FROM events WHERE tenant_id = ?", (tenant,))}
        per_interaction = dict(
            conn.execute(
                "SELECT interaction_id, COUNT(*) FROM events WHERE tenant_id = ? GROUP BY interaction_id",
                (tenant,),
            ).fetchall()
        )
        records = conn.execute("SELECT COUNT(*) FROM interactions WHERE tenant_id = ?", (tenant,)).fetchone()[
            0
        ]
    finally:
        conn.close()
    assert ids == {e.event_id for e in events}  # none missing, none foreign (the key makes twice impossible)
    expected = {f"crash-{n}": (5 if n % 4 else 3) for n in range(INTERACTIONS)}
    assert per_interaction == expected
    assert records == INTERACTIONS

    by_interaction: dict[str, list[events_pb2.Event]] = {}
    for event in events:
        by_interaction.setdefault(event.interaction_id, []).append(event)
    store = open_store(f"sqlite:///{database}")
    try:
        queries = InteractionQueries(store)
        for interaction_id in random.Random(5).sample(sorted(by_interaction), 300):  # noqa: S311
            derived = project(
                interaction_id, tenant, [logged_event(e) for e in by_interaction[interaction_id]]
            )
            assert queries.get(tenant, interaction_id) == derived
    finally:
        store.close()
