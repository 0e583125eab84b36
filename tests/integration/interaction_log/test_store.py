"""The interaction store on real SQLite and real PostgreSQL: batches redelivered and reordered give
the same records; searches filter, page stably and stay within the tenant."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vaxel.events.v1 import events_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.db import connect
from vaxel_common.errors import InvalidArgument, NotFound
from vaxel_common.events import new_event
from vaxel_interaction_log.adapters.store import SqlInteractionStore
from vaxel_interaction_log.domain import Outcome
from vaxel_interaction_log.domain.queries import InteractionQueries
from vaxel_interaction_log.domain.search import Filter

pytestmark = pytest.mark.integration
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DAY = (T0 - timedelta(hours=1), T0 + timedelta(days=1))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log.sqlite3'}"
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture
def store(store_url: str) -> Iterator[SqlInteractionStore]:
    opened = SqlInteractionStore(connect(store_url, timeout=10))
    yield opened
    opened.close()


def call(
    tenant: str,
    interaction_id: str,
    start: datetime,
    *,
    queue: str = "q1",
    agent: str = "a1",
    customer: str = "cust-1",
    answered: bool = True,
    disposition: str = "solved",
    tags: tuple[str, ...] = ("billing",),
    channel: int = types_pb2.CHANNEL_VOICE,
) -> list[events_pb2.Event]:
    steps: list[tuple[object, float, str]] = [
        (
            events_pb2.InteractionCreated(
                queue_id=queue,
                channel=channel,  # type: ignore[arg-type]  # enum values are ints
                customer_ref=customer,
                subject="my invoice",
            ),
            0,
            "",
        ),
        (events_pb2.InteractionQueued(queue_id=queue, position=1), 1, ""),
    ]
    if answered:
        steps += [
            (events_pb2.InteractionOffered(offer_id="o1"), 10, agent),
            (events_pb2.InteractionConnected(offer_id="o1"), 21, agent),
            (events_pb2.InteractionEnded(reason="done"), 141, agent),
            (
                events_pb2.InteractionWrappedUp(disposition=disposition, tags=tags, notes="called back"),
                171,
                agent,
            ),
        ]
    else:
        steps.append((events_pb2.InteractionAbandoned(queue_id=queue), 41, ""))
    return [
        new_event(
            payload,  # type: ignore[arg-type]
            tenant_id=tenant,
            producer="test",
            interaction_id=interaction_id,
            agent_id=agent_id,
            event_id=f"{tenant}/{interaction_id}/{n}",
            occurred_at=start + timedelta(seconds=offset),
        )
        for n, (payload, offset, agent_id) in enumerate(steps)
    ]


def deliver(store: SqlInteractionStore, events: list[events_pb2.Event], batch: int) -> None:
    for start in range(0, len(events), batch):
        for event in events[start : start + batch]:
            store.add(event)
        store.flush()


class TestWrites:
    def test_redelivered_and_reordered_batches_give_the_same_records(
        self, store: SqlInteractionStore
    ) -> None:
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        events = [
            e
            for n in range(20)
            for e in call(tenant, f"i{n}", T0 + timedelta(minutes=n), answered=n % 3 != 0)
        ]
        rng = random.Random(5)  # noqa: S311  (a reproducible shuffle, not a secret)
        shuffled = events + rng.sample(events, 40)
        rng.shuffle(shuffled)
        deliver(store, shuffled, batch=17)
        deliver(store, events[:30], batch=7)  # a replay of an old stretch changes nothing

        queries = InteractionQueries(store)
        reference = SqlInteractionStore(connect("sqlite://:memory:"))
        deliver(reference, events, batch=1000)
        expected = InteractionQueries(reference)
        for n in range(20):
            got = queries.get(tenant, f"i{n}")
            assert got == expected.get(tenant, f"i{n}")
            assert len(got.timeline) == len({e.event_id for e in events if e.interaction_id == f"i{n}"})
        page, _ = queries.search(tenant, *DAY, Filter(), 100, "")
        assert page == expected.search(tenant, *DAY, Filter(), 100, "")[0]
        answered = [r for r in page if r.outcome is Outcome.ANSWERED]
        assert len(answered) == 13
        assert all(
            (r.waiting_seconds, r.talk_seconds, r.handle_seconds) == (20.0, 120.0, 150.0) for r in answered
        )
        assert store.fetch_count() == len(events)

    def test_agent_events_are_not_kept(self, store: SqlInteractionStore) -> None:
        event = new_event(events_pb2.AgentLoggedIn(site_id="s"), tenant_id="t", producer="x", agent_id="a")
        assert store.add(event) is False
        assert store.flush().events == 0


class TestQueries:
    @pytest.fixture
    def tenant(self, store: SqlInteractionStore) -> str:
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        events = []
        for n in range(30):
            events += call(
                tenant,
                f"i{n:02}",
                T0 + timedelta(minutes=n // 2),  # pairs share a start time: the id breaks the tie
                queue="q1" if n % 2 else "q2",
                agent=f"a{n % 3}",
                customer=f"cust-{n % 4}",
                answered=n % 5 != 0,
                disposition="solved" if n % 2 else "escalated",
                tags=("vip", "billing") if n % 3 == 0 else ("billing",),
                channel=types_pb2.CHANNEL_CHAT if n >= 25 else types_pb2.CHANNEL_VOICE,
            )
        events += call("someone-else", "i00", T0, customer="cust-0")
        random.Random(1).shuffle(events)  # noqa: S311  (a reproducible shuffle)
        deliver(store, events, batch=50)
        return tenant

    def test_filters(self, store: SqlInteractionStore, tenant: str) -> None:
        queries = InteractionQueries(store)

        def ids(**where: object) -> set[str]:
            page, token = queries.search(tenant, *DAY, Filter(**where), 1000, "")  # type: ignore[arg-type]
            assert token == ""
            return {r.interaction_id for r in page}

        everything = {f"i{n:02}" for n in range(30)}
        assert ids() == everything
        assert ids(queue_id="q1") == {f"i{n:02}" for n in range(30) if n % 2}
        assert ids(agent_id="a1") == {f"i{n:02}" for n in range(30) if n % 3 == 1 and n % 5}
        assert ids(outcome=Outcome.ABANDONED) == {f"i{n:02}" for n in range(0, 30, 5)}
        assert ids(tag="vip") == {f"i{n:02}" for n in range(30) if n % 3 == 0 and n % 5}
        assert ids(disposition="escalated") == {f"i{n:02}" for n in range(30) if n % 2 == 0 and n % 5}
        assert ids(customer_ref="cust-2") == {f"i{n:02}" for n in range(30) if n % 4 == 2}
        assert ids(channel=types_pb2.CHANNEL_CHAT) == {f"i{n:02}" for n in range(25, 30)}
        assert ids(queue_id="q1", outcome=Outcome.ANSWERED, tag="vip") == {"i03", "i09", "i21", "i27"}
        late = queries.search(tenant, T0 + timedelta(minutes=10), DAY[1], Filter(), 1000, "")[0]
        assert {r.interaction_id for r in late} == {f"i{n:02}" for n in range(20, 30)}

    def test_pages_are_stable_and_complete(self, store: SqlInteractionStore, tenant: str) -> None:
        queries = InteractionQueries(store)
        seen: list[str] = []
        token = ""
        while True:
            page, token = queries.search(tenant, *DAY, Filter(), 7, token)
            seen += [r.interaction_id for r in page]
            if not token:
                break
            # an interaction arriving before the cursor does not shift the next page
            deliver(store, call(tenant, f"late-{len(seen)}", T0 - timedelta(minutes=1)), batch=10)
        assert seen == [f"i{n:02}" for n in range(30)]

    def test_customer_history_is_the_tenants_only(self, store: SqlInteractionStore, tenant: str) -> None:
        queries = InteractionQueries(store)
        page, token = queries.customer_history(tenant, "cust-0", 3, "")
        rest, end = queries.customer_history(tenant, "cust-0", 100, token)
        assert end == ""
        assert [r.interaction_id for r in page + rest] == [f"i{n:02}" for n in range(0, 30, 4)]
        assert all(r.tenant_id == tenant for r in page + rest)

    def test_another_tenant_sees_nothing(self, store: SqlInteractionStore, tenant: str) -> None:
        queries = InteractionQueries(store)
        with pytest.raises(NotFound):
            queries.get("nobody", "i01")
        assert queries.get("someone-else", "i00").tenant_id == "someone-else"
        assert queries.search("nobody", *DAY, Filter(), 10, "") == ([], "")

    def test_export_pages_through_everything(self, store: SqlInteractionStore, tenant: str) -> None:
        pages = list(InteractionQueries(store).export(tenant, *DAY, Filter(queue_id="q2")))
        assert [r.interaction_id for page in pages for r in page] == [f"i{n:02}" for n in range(0, 30, 2)]

    @pytest.mark.parametrize(
        ("args", "field"),
        [
            ((None, DAY[1], Filter(), 10, ""), "from"),
            ((DAY[0], None, Filter(), 10, ""), "to"),
            ((DAY[1], DAY[0], Filter(), 10, ""), "to"),
            ((DAY[0], DAY[0] + timedelta(days=400), Filter(), 10, ""), "to"),
            ((*DAY, Filter(), 5000, ""), "page_size"),
            ((*DAY, Filter(), 10, "not-a-token!"), "page_token"),
        ],
    )
    def test_malformed_searches_name_the_field(
        self, store: SqlInteractionStore, args: tuple[object, ...], field: str
    ) -> None:
        with pytest.raises(InvalidArgument) as err:
            InteractionQueries(store).search("t", *args)  # type: ignore[arg-type]
        assert err.value.field == field


def every_cell(url: str) -> list[object]:
    """Every value in every table of the database, read through a connection of its own."""
    db = connect(url, timeout=10)
    try:
        if db.dialect == "sqlite":
            tables = [r[0] for r in db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")]
        else:
            tables = [
                r[0]
                for r in db.fetchall(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                )
            ]
        assert {"events", "interactions", "interaction_tags", "erased_interactions"} <= set(tables)
        return [cell for t in tables for row in db.fetchall(f'SELECT * FROM "{t}"') for cell in row]  # noqa: S608
    finally:
        db.close()


class TestErasure:
    PERSONAL = ("cust-erase-me", "+46709998877", "Invoice 4711 for Anna", "Anna was upset", "Anna loved it")

    def events(
        self, tenant: str, interaction_id: str, customer: str, start: datetime
    ) -> list[events_pb2.Event]:
        out = call(tenant, interaction_id, start, customer=customer)
        created = out[0].interaction_created
        created.contact.phone_number = "+46709998877" if customer == self.PERSONAL[0] else "+46700000000"
        created.subject = "Invoice 4711 for Anna" if customer == self.PERSONAL[0] else "other subject"
        if customer == self.PERSONAL[0]:
            out[-1].interaction_wrapped_up.notes = "Anna was upset"
        survey = new_event(
            events_pb2.SurveyAnswered(
                score=2, comment="Anna loved it" if customer == self.PERSONAL[0] else "ok"
            ),
            tenant_id=tenant,
            producer="test",
            interaction_id=interaction_id,
            event_id=f"{tenant}/{interaction_id}/survey",
            occurred_at=start + timedelta(minutes=10),
        )
        return [*out, survey]

    def test_the_customers_personal_data_is_gone_from_every_table(
        self, store: SqlInteractionStore, store_url: str
    ) -> None:
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        mine = self.events(tenant, "e1", self.PERSONAL[0], T0) + self.events(
            tenant, "e2", self.PERSONAL[0], T0 + timedelta(hours=1)
        )
        theirs = self.events(tenant, "k1", "cust-keep", T0)
        late_survey = mine.pop()  # arrives after the erasure
        deliver(store, mine + theirs, batch=100)
        assert store.fetch_count() == len(mine) + len(theirs)

        def leaks(cells: list[object]) -> list[str]:
            found = []
            for cell in cells:
                text = (
                    bytes(cell).decode("utf-8", "replace")
                    if isinstance(cell, bytes | memoryview)
                    else str(cell)
                )
                found += [p for p in self.PERSONAL if p in text]
            return found

        assert set(leaks(every_cell(store_url))) == set(self.PERSONAL)  # there to be found before

        assert store.erase_customer(tenant, self.PERSONAL[0]) == 2
        deliver(store, [*mine, late_survey], batch=5)  # redelivered and late events of erased interactions

        assert leaks(every_cell(store_url)) == []
        if store.dialect == "sqlite":  # not even in free pages or the write-ahead log
            path = Path(store_url.removeprefix("sqlite:///"))
            raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
            assert not [p for p in self.PERSONAL if p.encode() in raw]

        queries = InteractionQueries(store)
        erased = queries.get(tenant, "e2")
        assert (erased.customer_ref, erased.subject, erased.notes, erased.survey_comment) == ("", "", "", "")
        assert (erased.outcome, erased.talk_seconds, erased.disposition) == (
            Outcome.ANSWERED,
            120.0,
            "solved",
        )
        assert erased.survey_score == 2
        assert queries.customer_history(tenant, self.PERSONAL[0], 10, "") == ([], "")
        kept = queries.get(tenant, "k1")
        assert (kept.customer_ref, kept.subject, kept.survey_comment) == ("cust-keep", "other subject", "ok")
        assert store.erase_customer(tenant, "nobody-known") == 0
