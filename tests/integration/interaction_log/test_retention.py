"""Retention, erasure events and the write path's own state, on real SQLite and real PostgreSQL.

Expired interactions go with every event; a late event of a purged one is dropped, never a partial
record; an ``interaction.erased`` event erases like the RPC, so replaying everything into a fresh
store gives the live store's records; the in-memory histories never differ from the database.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from tests.integration.interaction_log.test_store import TestErasure, call, deliver, every_cell
from vaxel.events.v1 import events_pb2
from vaxel_common.errors import NotFound
from vaxel_common.events import new_event
from vaxel_interaction_log.adapters.ingest import WriterThread
from vaxel_interaction_log.adapters.privacy import erased_event
from vaxel_interaction_log.adapters.report_store import SqlSurveyLedger
from vaxel_interaction_log.adapters.retention import Purger
from vaxel_interaction_log.adapters.store import SqlInteractionStore, open_store
from vaxel_interaction_log.domain.queries import InteractionQueries
from vaxel_interaction_log.domain.retention import RetentionPolicy
from vaxel_interaction_log.domain.search import Filter, to_micros
from vaxel_interaction_log.domain.surveys import SurveyRequest
from vaxel_interaction_log.metrics import InteractionLogMetrics

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def survey(tenant: str, interaction_id: str, at: datetime, comment: str = "late") -> events_pb2.Event:
    return new_event(
        events_pb2.SurveyAnswered(score=3, comment=comment),
        tenant_id=tenant,
        producer="interaction-log",
        interaction_id=interaction_id,
        event_id=f"{tenant}/{interaction_id}/survey-{comment}",
        occurred_at=at,
    )


def slow_email(
    tenant: str, interaction_id: str, created: datetime, abandoned: datetime
) -> list[events_pb2.Event]:
    """Created long ago, abandoned lately: its retention counts from the abandonment."""
    events = call(tenant, interaction_id, created, answered=False)
    events[-1].occurred_at.FromDatetime(abandoned)
    return events


def snapshot(store: SqlInteractionStore, tenant: str, ids: list[str]) -> dict[str, object]:
    queries = InteractionQueries(store)
    found: dict[str, object] = {}
    for interaction_id in ids:
        try:
            found[interaction_id] = queries.get(tenant, interaction_id)
        except NotFound:
            found[interaction_id] = None
    return found


class TestPurge:
    def test_expired_interactions_go_with_their_events_and_stay_gone(
        self, store: SqlInteractionStore
    ) -> None:
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        expired = call(tenant, "old-1", NOW - timedelta(days=40)) + call(
            tenant, "old-2", NOW - timedelta(days=35)
        )
        kept = (
            slow_email(tenant, "slow", NOW - timedelta(days=40), NOW - timedelta(days=10))
            + call(tenant, "recent", NOW - timedelta(days=1))
            + call("someone-else", "old-1", NOW - timedelta(days=40))
        )
        deliver(store, expired + kept, batch=7)
        horizon = NOW - timedelta(days=30)

        assert store.purge_expired(tenant, horizon, limit=1).interactions == 1  # batches of `limit`
        second = store.purge_expired(tenant, horizon, limit=1)
        assert (second.interactions, store.purge_expired(tenant, horizon, limit=1).interactions) == (1, 0)
        assert store.fetch_count() == len(kept)
        assert store.counts()["purged"] == 2

        queries = InteractionQueries(store)
        for gone in ("old-1", "old-2"):
            with pytest.raises(NotFound):
                queries.get(tenant, gone)
        assert queries.get(tenant, "slow").abandoned_at == NOW - timedelta(days=10)
        assert queries.get("someone-else", "old-1").tenant_id == "someone-else"
        page, _ = queries.search(tenant, NOW - timedelta(days=60), NOW, Filter(), 100, "")
        assert [r.interaction_id for r in page] == ["slow", "recent"]

        # a redelivery and a late survey of a purged interaction: dropped, no partial record
        late = [*expired[:3], survey(tenant, "old-1", NOW - timedelta(hours=1))]
        for event in late:
            store.add(event)
        written = store.flush()
        assert (written.dropped, written.stored, written.interactions) == (4, 0, 0)
        with pytest.raises(NotFound):
            queries.get(tenant, "old-1")
        assert store.fetch_count() == len(kept)

        assert store.forget_purged(datetime.now(UTC) + timedelta(days=1)) == 2
        assert store.counts()["purged"] == 0

    def test_the_survey_ledger_rows_of_a_purged_interaction_go_with_it(
        self, store: SqlInteractionStore
    ) -> None:
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        deliver(
            store,
            call(tenant, "old", NOW - timedelta(days=40)) + call(tenant, "new", NOW - timedelta(days=1)),
            batch=5,
        )
        ledger = SqlSurveyLedger(store.database)
        ledger.mark_requested([SurveyRequest(tenant, i, 1, "agent-1") for i in ("old", "new")], NOW)
        for interaction_id in ("old", "new"):
            ledger.claim_answer(tenant, interaction_id, 4, to_micros(NOW))

        assert store.purge_expired(tenant, NOW - timedelta(days=30)).interactions == 1
        for table in ("survey_requests", "survey_answers"):
            rows = store.database.fetchall(
                f"SELECT interaction_id FROM {table} WHERE tenant_id = ?",  # noqa: S608
                (tenant,),
            )
            assert [r[0] for r in rows] == ["new"], table
        assert (ledger.survey_requested(tenant, "old"), ledger.survey_requested(tenant, "new")) == (
            False,
            True,
        )

    def test_a_purge_between_two_batches_of_one_interaction(self, store: SqlInteractionStore) -> None:
        """The write path's in-memory history of the interaction goes with it."""
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        events = call(tenant, "i1", NOW - timedelta(days=5))
        deliver(store, events[:2], batch=10)
        assert store.purge_expired(tenant, NOW + timedelta(days=1)).interactions == 1
        deliver(store, events[2:], batch=10)
        with pytest.raises(NotFound):
            InteractionQueries(store).get(tenant, "i1")
        assert store.fetch_count() == 0


class TestPurger:
    def test_each_tenant_by_its_own_retention_counted_and_logged(self, store: SqlInteractionStore) -> None:
        short, default = f"s-{uuid.uuid4().hex[:6]}", f"d-{uuid.uuid4().hex[:6]}"
        events = []
        for n in range(5):
            events += call(short, f"s{n}", NOW - timedelta(days=10 + n))
            events += call(default, f"d{n}", NOW - timedelta(days=10 + n))
        events += call(short, "fresh", NOW - timedelta(days=2)) + call(
            default, "ancient", NOW - timedelta(days=500)
        )
        deliver(store, events, batch=20)
        policy = RetentionPolicy(400)
        assert policy.set_tenant(short, 7)
        registry = CollectorRegistry()
        writer = WriterThread()
        try:
            purger = Purger(
                store, writer, policy, InteractionLogMetrics.create(registry), batch=2, clock=lambda: NOW
            )
            totals = asyncio.run(purger.purge())
        finally:
            writer.close()
        assert totals.interactions == 6  # five of the short tenant's, the default tenant's 500-day-old one
        assert totals.events == 6 * 6
        assert registry.get_sample_value("vaxel_interaction_log_purged_total", {"kind": "interactions"}) == 6
        assert registry.get_sample_value("vaxel_interaction_log_purged_total", {"kind": "events"}) == 36
        assert [
            r.interaction_id
            for r in InteractionQueries(store).search(
                short, NOW - timedelta(days=30), NOW, Filter(), 100, ""
            )[0]
        ] == ["fresh"]
        assert (
            len(
                InteractionQueries(store).search(default, NOW - timedelta(days=30), NOW, Filter(), 100, "")[0]
            )
            == 5
        )


class TestErasureEvents:
    def test_an_erased_event_erases_like_the_rpc(self, store: SqlInteractionStore, store_url: str) -> None:
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        personal = TestErasure.PERSONAL
        helper = TestErasure()
        mine = helper.events(tenant, "e1", personal[0], NOW) + helper.events(tenant, "e2", personal[0], NOW)
        theirs = helper.events(tenant, "k1", "cust-keep", NOW)
        deliver(store, mine[:-1] + theirs, batch=50)
        # the journal arrives as the topic delivers it: after the events, then a late survey comment
        deliver(store, [erased_event(tenant, "e1"), erased_event(tenant, "e2"), mine[-1]], batch=2)

        cells = [
            bytes(c).decode("utf-8", "replace") if isinstance(c, bytes | memoryview) else str(c)
            for c in every_cell(store_url)
        ]
        assert [p for p in personal if any(p in cell for cell in cells)] == []
        queries = InteractionQueries(store)
        erased = queries.get(tenant, "e2")
        assert (erased.customer_ref, erased.subject, erased.notes, erased.survey_comment) == ("", "", "", "")
        assert "interaction.erased" in [e.event_type for e in erased.timeline]
        assert queries.get(tenant, "k1").customer_ref == "cust-keep"
        assert store.counts()["erased"] == 2

    def test_the_erasure_of_an_interaction_not_held_makes_no_record(self, store: SqlInteractionStore) -> None:
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        deliver(store, [erased_event(tenant, "gone")], batch=1)
        with pytest.raises(NotFound):
            InteractionQueries(store).get(tenant, "gone")
        assert (store.fetch_count(), store.counts()["erased"]) == (0, 1)
        helper = TestErasure()
        deliver(
            store, helper.events(tenant, "gone", TestErasure.PERSONAL[0], NOW), batch=3
        )  # stored scrubbed
        assert InteractionQueries(store).get(tenant, "gone").customer_ref == ""

    def test_replaying_everything_into_a_fresh_store_gives_the_live_records(
        self, store: SqlInteractionStore
    ) -> None:
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        helper = TestErasure()
        events = []
        for n in range(12):
            events += helper.events(tenant, f"i{n}", f"cust-{n % 3}", NOW + timedelta(minutes=n))
        late = events.pop()
        deliver(store, events, batch=13)
        # live: the RPC erases in the store, the journal it published comes back through the topic
        ids = store.customer_interactions(tenant, "cust-1")
        assert store.erase_interactions(tenant, ids) == 4
        journal = [erased_event(tenant, i) for i in ids]
        deliver(store, [*journal, late], batch=3)

        fresh = open_store("sqlite://:memory:")
        try:
            topic = [
                *events,
                *journal,
                late,
            ]  # the topic's order: each interaction's events, then its erasure
            redelivered = random.Random(2).sample(topic, 20)  # noqa: S311  (reproducible, not a secret)
            deliver(fresh, topic + redelivered, batch=17)
            every = [f"i{n}" for n in range(12)]
            assert snapshot(fresh, tenant, every) == snapshot(store, tenant, every)
            period = (NOW - timedelta(hours=1), NOW + timedelta(hours=1))
            assert InteractionQueries(fresh).search(tenant, *period, Filter(), 100, "") == InteractionQueries(
                store
            ).search(tenant, *period, Filter(), 100, "")
        finally:
            fresh.close()


class TestWritePathState:
    def test_the_in_memory_histories_change_nothing(self, store_url: str) -> None:
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        events = [
            e
            for n in range(30)
            for e in call(tenant, f"i{n}", NOW + timedelta(minutes=n // 3), answered=n % 4 != 0)
        ]
        shuffled = events + random.Random(9).sample(events, 50)  # noqa: S311  (reproducible)
        random.Random(4).shuffle(shuffled)  # noqa: S311
        cached = open_store(store_url, timeout=10)
        uncached = open_store("sqlite://:memory:", cache_interactions=0)
        try:
            deliver(cached, shuffled, batch=11)
            deliver(uncached, shuffled, batch=11)
            every = [f"i{n}" for n in range(30)]
            assert snapshot(cached, tenant, every) == snapshot(uncached, tenant, every)
            assert cached.recompute_all() == 30
            assert snapshot(cached, tenant, every) == snapshot(uncached, tenant, every)
            tagged = InteractionQueries(cached).search(
                tenant, NOW - timedelta(hours=1), NOW + timedelta(hours=1), Filter(tag="billing"), 100, ""
            )[0]
            assert len(tagged) == sum(1 for n in range(30) if n % 4 != 0)
        finally:
            cached.close()
            uncached.close()
