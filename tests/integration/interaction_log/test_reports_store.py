"""Voice of the customer, usage and the survey ledger on real SQLite and real PostgreSQL: the SQL
tallies by local week and day (DST included), the rounding of handled minutes, pricing across a
contract change, the first answer winning, and erasure reaching the comments."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from vaxel.events.v1 import events_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.db import connect
from vaxel_common.errors import NotFound
from vaxel_common.events import new_event
from vaxel_interaction_log.adapters.report_store import SqlReports, SqlSurveyLedger
from vaxel_interaction_log.adapters.store import SqlInteractionStore
from vaxel_interaction_log.domain.reports import Reports
from vaxel_interaction_log.domain.surveys import SurveyRequest, survey_sent_id
from vaxel_interaction_log.domain.usage import Granularity, Rate, Tariff, TenantBook, Unit
from vaxel_interaction_log.domain.voc import TopicKind, VocOptions

pytestmark = pytest.mark.integration
VOICE, CHAT = types_pb2.CHANNEL_VOICE, types_pb2.CHANNEL_CHAT
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # ISO week 2026-W10


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlInteractionStore]:
    url = (
        f"sqlite:///{tmp_path / 'log.sqlite3'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_database"))
    )
    opened = SqlInteractionStore(connect(url, timeout=10))
    yield opened
    opened.close()


def interaction(
    tenant: str,
    interaction_id: str,
    start: datetime,
    *,
    queue: str = "billing",
    channel: int = VOICE,
    talk: float | None = 90.0,
    wrap: float | None = 30.0,
    ended: bool = True,
    disposition: str = "solved",
    tags: tuple[str, ...] = (),
    score: int = 0,
    comment: str = "",
    customer: str = "c1",
) -> list[events_pb2.Event]:
    steps: list[tuple[object, float]] = [
        (
            events_pb2.InteractionCreated(queue_id=queue, channel=channel, customer_ref=customer),  # type: ignore[arg-type]
            0,
        ),
        (events_pb2.InteractionQueued(queue_id=queue), 1),
    ]
    if talk is None:
        steps.append((events_pb2.InteractionAbandoned(queue_id=queue), 30))
    else:
        steps.append((events_pb2.InteractionConnected(offer_id="o"), 10))
        if ended:
            steps.append((events_pb2.InteractionEnded(reason="done"), 10 + talk))
            if wrap is not None:
                steps.append(
                    (events_pb2.InteractionWrappedUp(disposition=disposition, tags=tags), 10 + talk + wrap)
                )
            if score:
                steps.append((events_pb2.SurveyAnswered(score=score, comment=comment), 10 + talk + 600))
    return [
        new_event(
            payload,  # type: ignore[arg-type]
            tenant_id=tenant,
            producer="test",
            interaction_id=interaction_id,
            agent_id="a1",
            event_id=f"{tenant}/{interaction_id}/{n}",
            occurred_at=start + timedelta(seconds=offset),
        )
        for n, (payload, offset) in enumerate(steps)
    ]


def deliver(store: SqlInteractionStore, events: list[events_pb2.Event]) -> None:
    for event in events:
        store.add(event)
    store.flush()


def reports(store: SqlInteractionStore, tenant: str, *tariffs: Tariff) -> Reports:
    book = TenantBook()
    book.set_zone(tenant, "Europe/Stockholm")
    for tariff in tariffs:
        book.put_tariff(tenant, tariff)
    return Reports(SqlReports(store.database), book)


class TestVoiceOfCustomer:
    def test_weeks_shares_surveys_comments_and_a_rising_complaint(self, store: SqlInteractionStore) -> None:
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        events: list[events_pb2.Event] = []
        for week in range(1, 5):  # four quiet weeks: 1 complaint in 10
            for n in range(10):
                events += interaction(
                    tenant,
                    f"w{week}-{n}",
                    MONDAY - timedelta(weeks=week) + timedelta(hours=n),
                    tags=("complaint",) if n == 0 else ("praise",),
                )
        for n in range(10):  # this week: 6 complaints in 10, surveys with comments
            events += interaction(
                tenant,
                f"now-{n}",
                MONDAY + timedelta(hours=n),
                tags=("complaint", "invoice") if n < 6 else ("praise",),
                disposition="escalated" if n < 6 else "solved",
                score=1 + n % 5,
                comment=f"comment {n}" if n % 2 else "",
                customer=f"c{n}",
            )
        # Sunday 23:30 UTC is Monday 00:30 in Stockholm: this week, local time. Not wrapped up.
        events += interaction(tenant, "edge", MONDAY.replace(hour=0) - timedelta(minutes=30), wrap=None)
        events += interaction(tenant, "other-queue", MONDAY, queue="sales", tags=("sales lead",))
        events += interaction("someone-else", "x", MONDAY, tags=("complaint",))
        deliver(store, events)

        zone, weeks, rows = reports(store, tenant).voice_of_customer(
            tenant, MONDAY, MONDAY + timedelta(days=1), "", VocOptions(comments_per_row=3), with_comments=True
        )
        assert zone == "Europe/Stockholm"
        assert weeks.first_day == date(2026, 3, 2)
        assert [(r.queue_id, r.interactions, r.wrapped_up) for r in rows] == [
            ("", 12, 11),
            ("billing", 11, 10),
            ("sales", 1, 1),
        ]
        billing = rows[1]
        assert [(t.name, t.count) for t in billing.dispositions] == [("escalated", 6), ("solved", 4)]
        assert {t.name: t.share for t in billing.tags} == {"complaint": 0.6, "invoice": 0.6, "praise": 0.4}
        assert billing.survey.score_counts == (2, 2, 2, 2, 2)
        assert billing.survey.average == 3.0
        assert [c.text for c in billing.comments] == ["comment 9", "comment 7", "comment 5"]
        assert [(r.kind, r.name) for r in billing.rising] == [
            (TopicKind.DISPOSITION, "escalated"),  # new: 0 -> 0.6
            (TopicKind.TAG, "invoice"),  # new: 0 -> 0.6
            (TopicKind.TAG, "complaint"),  # 0.1 -> 0.6
        ]
        complaint = next(r for r in billing.rising if r.name == "complaint")
        assert (complaint.share, complaint.baseline_share) == (0.6, 0.1)
        assert [r.name for r in rows[2].rising] == []  # the sales queue has no history

        _, _, only_sales = reports(store, tenant).voice_of_customer(
            tenant, MONDAY, MONDAY + timedelta(days=1), "sales", VocOptions(), with_comments=True
        )
        assert [(r.queue_id, [t.name for t in r.tags]) for r in only_sales] == [("sales", ["sales lead"])]

    def test_weeks_around_the_spring_change_cut_at_local_midnight(self, store: SqlInteractionStore) -> None:
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        # Stockholm goes to summer time on Sunday 2026-03-29; Monday 00:00 CEST is 22:00 UTC that Sunday.
        deliver(
            store,
            [
                *interaction(tenant, "sunday", datetime(2026, 3, 29, 21, 59, tzinfo=UTC), tags=("a",)),
                *interaction(tenant, "monday", datetime(2026, 3, 29, 22, 0, tzinfo=UTC), tags=("b",)),
                *interaction(tenant, "before", datetime(2026, 3, 23, 0, 30, tzinfo=UTC), tags=("a",)),
            ],
        )
        _, weeks, rows = reports(store, tenant).voice_of_customer(
            tenant,
            datetime(2026, 3, 25, tzinfo=UTC),
            datetime(2026, 3, 31, tzinfo=UTC),
            "",
            VocOptions(),
            with_comments=True,
        )
        assert (weeks.first_day, weeks.last_day) == (date(2026, 3, 23), date(2026, 4, 5))
        everyone = [r for r in rows if r.queue_id == ""]
        assert [(r.monday, r.interactions, [t.name for t in r.tags]) for r in everyone] == [
            (date(2026, 3, 23), 2, ["a"]),
            (date(2026, 3, 30), 1, ["b"]),
        ]

    def test_erasure_takes_the_comments_with_it(self, store: SqlInteractionStore) -> None:
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        deliver(
            store, interaction(tenant, "i1", MONDAY, score=2, comment="call me on 0701234567", customer="c9")
        )
        voc = reports(store, tenant)

        def comments() -> list[str]:
            _, _, rows = voc.voice_of_customer(
                tenant, MONDAY, MONDAY + timedelta(days=1), "", VocOptions(), with_comments=True
            )
            return [c.text for c in rows[0].comments]

        assert comments() == ["call me on 0701234567"]
        assert store.erase_customer(tenant, "c9") == 1
        assert comments() == []

    def test_an_unknown_tenant_is_not_found(self, store: SqlInteractionStore) -> None:
        with pytest.raises(NotFound):
            reports(store, "known").usage("unknown", MONDAY, MONDAY + timedelta(days=1), Granularity.DAY)


class TestUsage:
    def test_handled_minutes_are_rounded_up_per_interaction_and_priced_by_day(
        self, store: SqlInteractionStore
    ) -> None:
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        day = datetime(2026, 3, 10, 8, tzinfo=UTC)
        events = [
            *interaction(tenant, "exact", day, talk=45, wrap=15),  # 60 s: 1 minute
            *interaction(tenant, "over", day, talk=45, wrap=16),  # 61 s: 2 minutes
            *interaction(tenant, "no-wrap", day, talk=150, wrap=None),  # 150 s: 3 minutes
            *interaction(tenant, "instant", day, talk=0, wrap=0),  # 0 s: still 1 minute
            *interaction(tenant, "chat", day, channel=CHAT, talk=600, wrap=60),  # chat: 11 minutes
            *interaction(tenant, "abandoned", day, talk=None),  # not handled
            *interaction(tenant, "talking", day, ended=False),  # not ended yet
            # Stockholm's spring change: 23:30 UTC on the 28th is 00:30 on the 29th, the new version's day.
            *interaction(tenant, "dst", datetime(2026, 3, 28, 23, 30, tzinfo=UTC), talk=110, wrap=10),
            *interaction(tenant, "before-dst", datetime(2026, 3, 28, 22, 50, tzinfo=UTC), talk=110, wrap=10),
            *interaction("someone-else", "x", day),
        ]
        deliver(store, events)
        v1 = Tariff(
            date(2026, 1, 1),
            "SEK",
            {VOICE: Rate(Unit.PER_HANDLED_MINUTE, 250), CHAT: Rate(Unit.PER_INTERACTION, 900)},
        )
        v2 = Tariff(date(2026, 3, 29), "SEK", {VOICE: Rate(Unit.PER_HANDLED_MINUTE, 300)})
        march = (datetime(2026, 2, 28, 23, tzinfo=UTC), datetime(2026, 3, 31, 22, tzinfo=UTC))

        _, daily = reports(store, tenant, v1, v2).usage(tenant, *march, Granularity.DAY)
        assert [
            (
                line.start_date.day,
                line.channel,
                line.interactions,
                line.minutes,
                line.amount_minor,
                line.priced,
            )
            for line in daily.lines
        ] == [
            (10, VOICE, 4, 1 + 2 + 3 + 1, 7 * 250, True),
            (10, CHAT, 1, 11, 900, True),
            (28, VOICE, 1, 2, 2 * 250, True),
            (29, VOICE, 1, 2, 2 * 300, True),
        ]
        assert daily.amounts == {"SEK": 1750 + 900 + 500 + 600}
        _, monthly = reports(store, tenant, v1, v2).usage(tenant, *march, Granularity.MONTH)
        assert [(line.start_date, line.end_date, line.channel, line.minutes) for line in monthly.lines] == [
            (date(2026, 3, 1), date(2026, 3, 28), VOICE, 9),
            (date(2026, 3, 1), date(2026, 3, 28), CHAT, 11),
            (date(2026, 3, 29), date(2026, 3, 31), VOICE, 2),
        ]
        assert monthly.amounts == daily.amounts
        assert [(t.channel, t.interactions, t.minutes) for t in monthly.totals] == [
            (VOICE, 6, 11),
            (CHAT, 1, 11),
        ]


class TestSurveyLedger:
    def test_candidates_are_answered_ended_and_not_yet_surveyed(self, store: SqlInteractionStore) -> None:
        tenant = f"t-{uuid.uuid4().hex[:6]}"
        deliver(
            store,
            [
                *interaction(tenant, "done", MONDAY),
                *interaction(tenant, "talking", MONDAY, ended=False),
                *interaction(tenant, "abandoned", MONDAY, talk=None),
                *interaction(tenant, "seen", MONDAY),
            ],
        )
        sent = new_event(
            events_pb2.SurveySent(channel=VOICE),
            tenant_id=tenant,
            producer="interaction-log",
            interaction_id="seen",
            event_id=survey_sent_id(tenant, "seen"),
        )
        deliver(store, [sent])
        ledger = SqlSurveyLedger(store.database)
        touched = {tenant: {"done", "talking", "abandoned", "seen", "unknown"}}
        assert [r.interaction_id for r in ledger.survey_candidates(touched)] == ["done"]
        assert ledger.survey_candidates({"someone-else": {"done"}}) == []
        ledger.mark_requested([SurveyRequest(tenant, "done", VOICE, "a1")], MONDAY)
        ledger.mark_requested([SurveyRequest(tenant, "done", VOICE, "a1")], MONDAY)  # twice: no error
        assert ledger.survey_candidates(touched) == []
        assert ledger.survey_requested(tenant, "done")
        assert not ledger.survey_requested("someone-else", "done")

    def test_the_first_claim_holds(self, store: SqlInteractionStore) -> None:
        ledger = SqlSurveyLedger(store.database)
        assert ledger.claim_answer("t", "i", 4, 1_000) == (4, 1_000)
        assert ledger.claim_answer("t", "i", 2, 2_000) == (4, 1_000)
        assert ledger.claim_answer("t2", "i", 2, 2_000) == (2, 2_000)
