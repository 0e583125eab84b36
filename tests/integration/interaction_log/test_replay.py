"""The running service and the replay command, through the real broker and gRPC.

A tenant shortens its retention in client-tenant: the live interaction log purges what expired
and drops a late event of a purged interaction. A customer is erased over the API. Then
``python -m vaxel_interaction_log replay`` rebuilds a fresh SQLite and a fresh PostgreSQL from the
topics: every record of the tenant, timeline included, equals the live store's, the erased
customer's personal data is nowhere in the rebuilt database and the purged interactions are not back.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import grpc
import pytest

from tests.fixtures.platform import Metadata, eventually, onboard_tenant, sample, scrape
from vaxel.events.v1 import events_pb2
from vaxel.interactions.v1 import interactions_pb2, interactions_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.events import encode_event, new_event
from vaxel_common.kafka import sync_producer
from vaxel_common.pgcluster import TemporaryPostgres
from vaxel_common.provenance import producer_of
from vaxel_common.supervisor import Platform
from vaxel_common.topics import INTERACTION_EVENTS
from vaxel_interaction_log.adapters.converters import record_to_pb
from vaxel_interaction_log.adapters.store import SqlInteractionStore, open_store
from vaxel_interaction_log.domain.queries import InteractionQueries
from vaxel_interaction_log.domain.search import Filter
from vaxel_interaction_log.domain.timeline import InteractionRecord

pytestmark = pytest.mark.integration
T = TypeVar("T")
NOW = datetime.now(UTC).replace(microsecond=0)
PHONE = "+46701112233"  # the erased customer's number: must be nowhere after a replay


def history(tenant: str, interaction_id: str, start: datetime, customer: str) -> list[events_pb2.Event]:
    contact = types_pb2.Contact(phone_number=PHONE if customer == "cust-erase" else "+46700000000")
    steps: list[tuple[object, float, str]] = [
        (
            events_pb2.InteractionCreated(
                queue_id="support", channel=types_pb2.CHANNEL_VOICE, customer_ref=customer, contact=contact
            ),
            0,
            "",
        ),
        (events_pb2.InteractionQueued(queue_id="support", position=1), 1, ""),
        (events_pb2.InteractionConnected(offer_id="o"), 16, "agent-3"),
        (events_pb2.InteractionEnded(reason="done"), 76, "agent-3"),
        (events_pb2.InteractionWrappedUp(disposition="solved", tags=["refund"], notes="n"), 96, "agent-3"),
    ]
    return [
        new_event(
            payload,  # type: ignore[arg-type]
            tenant_id=tenant,
            producer=producer_of(payload),
            interaction_id=interaction_id,
            agent_id=agent,
            occurred_at=start + timedelta(seconds=offset),
        )
        for payload, offset, agent in steps
    ]


def publish(platform: Platform, events: list[events_pb2.Event]) -> None:
    producer = sync_producer(platform.kafka_bootstrap, "interaction-log-replay-test")
    for event in events:
        producer.send(INTERACTION_EVENTS.name, key=event.interaction_id.encode(), value=encode_event(event))
    producer.flush()
    producer.close()


def stub(channels: dict[str, grpc.Channel]) -> interactions_pb2_grpc.InteractionLogServiceStub:
    return interactions_pb2_grpc.InteractionLogServiceStub(channels["interaction-log"])


def get(
    channels: dict[str, grpc.Channel], key: Metadata, interaction_id: str
) -> interactions_pb2.Interaction:
    request = interactions_pb2.GetInteractionRequest(interaction_id=interaction_id)
    return stub(channels).GetInteraction(request, metadata=key, timeout=5).interaction


def not_found(channels: dict[str, grpc.Channel], key: Metadata, interaction_id: str) -> None:
    try:
        get(channels, key, interaction_id)
    except grpc.RpcError as err:
        code = err.code()
    else:
        raise AssertionError(f"{interaction_id} is still there")
    assert code == grpc.StatusCode.NOT_FOUND


class Story:
    tenant: str
    key: Metadata
    recent: list[str]
    expired: list[str]
    erased: list[str]


@pytest.fixture(scope="module")
def story(platform: Platform, channels: dict[str, grpc.Channel]) -> Story:
    """Recent and 20-day-old interactions stored; the tenant then keeps 7 days; one customer erased."""
    s = Story()
    s.tenant, s.key = onboard_tenant(
        platform,
        channels,
        f"Replay {uuid.uuid4().hex[:6]}",
        "SE",
        "Europe/Stockholm",
        "sv-SE",
        ("config:write", "interactions:read", "interactions:write"),
    )
    s.recent = [f"r-{uuid.uuid4().hex[:8]}" for _ in range(9)]
    s.expired = [f"x-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    events = [
        e
        for n, i in enumerate(s.recent)
        for e in history(
            s.tenant, i, NOW - timedelta(hours=3, minutes=n), "cust-erase" if n % 3 == 0 else "cust-x"
        )
    ]
    events += [
        e
        for n, i in enumerate(s.expired)
        for e in history(s.tenant, i, NOW - timedelta(days=20, minutes=n), "cust-x")
    ]
    publish(platform, events)
    for i in s.recent + s.expired:
        eventually(lambda i=i: get(channels, s.key, i))  # type: ignore[misc]

    dropped = sample(
        scrape(platform.processes["interaction-log"].metrics_url),
        "vaxel_interaction_log_events_dropped_total",
    )
    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    tenants.SetDataRetention(tenant_pb2.SetDataRetentionRequest(days=7), metadata=s.key)
    for i in s.expired:
        eventually(lambda i=i: not_found(channels, s.key, i))  # type: ignore[misc]
    late = new_event(
        events_pb2.SurveyAnswered(score=1, comment="late"),
        tenant_id=s.tenant,
        producer="interaction-log",
        interaction_id=s.expired[0],
        occurred_at=NOW - timedelta(minutes=1),
    )
    publish(platform, [late])

    def late_dropped() -> None:
        text = scrape(platform.processes["interaction-log"].metrics_url)
        assert sample(text, "vaxel_interaction_log_events_dropped_total") >= dropped + 1

    eventually(late_dropped)

    reply = stub(channels).EraseCustomer(
        interactions_pb2.EraseCustomerRequest(customer_ref="cust-erase"), metadata=s.key, timeout=10
    )
    s.erased = s.recent[0::3]
    assert reply.interactions == len(s.erased)
    for i in s.erased:  # the journal came back through the topic into the live store
        eventually(lambda i=i: _journaled(get(channels, s.key, i)))  # type: ignore[misc]
    return s


def _journaled(record: interactions_pb2.Interaction) -> None:
    assert "interaction.erased" in [e.event_type for e in record.timeline]


class TestLiveRetention:
    def test_expired_interactions_are_purged_and_stay_purged(
        self, platform: Platform, channels: dict[str, grpc.Channel], story: Story
    ) -> None:
        for i in story.expired:
            not_found(channels, story.key, i)
        assert all(get(channels, story.key, i).interaction_id == i for i in story.recent)
        text = scrape(platform.processes["interaction-log"].metrics_url)
        assert sample(text, "vaxel_interaction_log_purged_total", kind="interactions") >= len(story.expired)
        log = Path(platform.processes["interaction-log"].log_path).read_text()
        assert "retention_purged" in log
        assert "cust-erase" not in log  # no personal data in the log
        assert PHONE not in log


def replay_into(platform: Platform, url: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "vaxel_interaction_log", "replay", "--database-url", url],
        env={
            **os.environ,
            "VAXEL_INTERACTION_LOG_KAFKA_BOOTSTRAP": platform.kafka_bootstrap,
            "VAXEL_CONFIG_VERIFY_KEY_FILE": str(platform.config_keys.verify),
            "VAXEL_INTERACTION_LOG_LOG_FORMAT": "json",
            # Routing's events carry sealed fields: the replay asks routing for their keys.
            "VAXEL_INTERACTION_LOG_ROUTING_TARGET": platform.processes["routing"].grpc_target,
            "VAXEL_INTERACTION_LOG_ADMIN_API_KEY": platform.admin_key,
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def tenant_events(database: Path, tenant: str) -> int:
    with closing(sqlite3.connect(database)) as db:  # sqlite3's own context manager does not close
        (count,) = db.execute("SELECT count(*) FROM events WHERE tenant_id = ?", (tenant,)).fetchone()
    assert isinstance(count, int)
    assert count > 0
    return count


def records(store: SqlInteractionStore, tenant: str, ids: list[str]) -> dict[str, object]:
    queries = InteractionQueries(store)
    found: dict[str, object] = {}
    for i in ids:
        try:
            found[i] = queries.get(tenant, i)
        except Exception:  # NotFound: compared as None
            found[i] = None
    found["search"] = queries.search(tenant, NOW - timedelta(days=30), NOW, Filter(), 1000, "")
    found["history"] = queries.customer_history(tenant, "cust-x", 1000, "")
    return found


class TestReplay:
    @pytest.mark.parametrize("target", ["sqlite", "postgresql"])
    def test_a_fresh_database_gets_the_live_records(
        self,
        platform: Platform,
        story: Story,
        channels: dict[str, grpc.Channel],
        target: str,
        tmp_path: Path,
        postgres_cluster: TemporaryPostgres,
    ) -> None:
        url = (
            f"sqlite:///{tmp_path / 'replayed.sqlite3'}"
            if target == "sqlite"
            else postgres_cluster.create_database()
        )
        out = replay_into(platform, url)
        assert "events new to the store" in out
        ids = story.recent + story.expired
        rebuilt = open_store(url)
        try:
            got = records(rebuilt, story.tenant, ids)
            assert [got[i] for i in story.expired] == [None] * len(story.expired), out

            def live_agrees() -> None:
                # What the live service serves, interaction by interaction, equals the rebuilt store (the
                # replay read the topics to their end; the service may still be catching up when loaded).
                for i in story.recent:
                    record = got[i]
                    assert isinstance(record, InteractionRecord), (i, out)
                    assert record_to_pb(record) == get(channels, story.key, i), i
                for i in story.expired:
                    not_found(channels, story.key, i)

            eventually(live_agrees, timeout=30)
            searched = got["search"]
            assert isinstance(searched, tuple)
            assert {r.interaction_id for r in searched[0]} >= set(story.recent)
            erased = InteractionQueries(rebuilt).get(story.tenant, story.erased[0])
            assert (erased.customer_ref, erased.notes) == ("", "")
        finally:
            rebuilt.close()
        if target == "sqlite":
            raw = b"".join(p.read_bytes() for p in tmp_path.glob("replayed.sqlite3*"))
            assert PHONE.encode() not in raw
            assert b"cust-erase" not in raw
            # again into the same, now full, database: nothing new for this tenant, every record
            # recomputed, nothing changed (other tests may write the shared topics meanwhile, so the
            # count of new events is the tenant's, not the replay's total)
            before = tenant_events(tmp_path / "replayed.sqlite3", story.tenant)
            out = replay_into(platform, url)
            assert tenant_events(tmp_path / "replayed.sqlite3", story.tenant) == before, out
            assert "records recomputed from stored events: 0" not in out
            again = open_store(url)
            try:
                assert records(again, story.tenant, ids) == got
            finally:
                again.close()
