"""The SLA book: figures are a function of the set of events (order, duplicates and late arrival
change nothing), in the queue's zone, with the contract's clock; FCR, occupancy, sealing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from vaxel_sla.domain.book import ServiceLevelBook, Waiting, estimated_wait
from vaxel_sla.domain.facts import AgentFact, InteractionFact, Step
from vaxel_sla.domain.intervals import Formula, service_level
from vaxel_sla.domain.terms import ChannelTarget, QueueTerms
from vaxel_vocabulary.business_hours import Shift, business_hours

VOICE, EMAIL = 1, 3
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC).timestamp()  # Monday 09:00 in Stockholm
TERMS = QueueTerms(
    "t1",
    "q1",
    time_zone="Europe/Stockholm",
    targets={VOICE: ChannelTarget(0.8, 20.0)},
    channels=(VOICE,),
)


def fact(n: int, step: Step, at: float, **kw: object) -> InteractionFact:
    return InteractionFact(f"e-{n}-{step.name}-{at}", "t1", f"i{n}", step, at, **kw)  # type: ignore[arg-type]


def scenario() -> list[InteractionFact]:
    """Twelve calls in the 09:00 interval: answered at various waits, two abandoned (one short),
    one transferred, surveys, one customer calling twice."""
    facts: list[InteractionFact] = []
    for n in range(12):
        created = T0 + 60 * n
        customer = "c-repeat" if n in (1, 7) else f"c{n}"
        facts.append(fact(n, Step.CREATED, created, queue_id="q1", channel=VOICE, customer_ref=customer))
        facts.append(fact(n, Step.QUEUED, created + 0.001, seconds=15.0))
        if n in (3, 9):
            waited = 3.0 if n == 3 else 40.0
            facts.append(fact(n, Step.ABANDONED, created + waited, queue_id="q1", seconds=waited))
            continue
        answered = created + 5 * n
        facts.append(fact(n, Step.CONNECTED, answered, agent_id="a1"))
        facts.append(fact(n, Step.ENDED, answered + 120))
        facts.append(fact(n, Step.WRAPPED_UP, answered + 150))
        if n == 4:
            facts.append(fact(n, Step.TRANSFERRED, answered + 60))
        if n % 2 == 0:
            facts.append(fact(n, Step.SURVEY_ANSWERED, answered + 600, score=n % 5 + 1))
    return facts


def figures(facts: list[InteractionFact]) -> tuple[object, ...]:
    book = ServiceLevelBook()
    for f in facts:
        book.apply(f)
    start = datetime.fromtimestamp(T0, UTC)
    stats = book.stats(TERMS, VOICE, start, 15, now=T0 + 3600)
    return (stats, tuple(service_level(stats, f) for f in Formula), stats.first_contact_resolution)


def test_the_interval_figures() -> None:
    stats, levels, fcr = figures(scenario())
    assert stats.offered == 12  # type: ignore[attr-defined]
    assert stats.answered == 10  # type: ignore[attr-defined]
    assert stats.abandoned == 2  # type: ignore[attr-defined]
    assert stats.short_abandoned == 1  # type: ignore[attr-defined]
    # answered within 20 s: waits 5n for n = 0,1,2,4 -> 0,5,10,20 (20 is within)
    assert stats.answered_within == 4  # type: ignore[attr-defined]
    assert levels[Formula.ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED.value - 1] == 4 / 12  # type: ignore[index]
    assert stats.aht_seconds == 150  # type: ignore[attr-defined]
    assert stats.transfer_rate == 1 / 10  # type: ignore[attr-defined]
    assert stats.longest_wait_seconds == 55  # type: ignore[attr-defined]
    assert fcr == 9 / 10  # customer c-repeat called again within 7 days after call 1


@settings(max_examples=60, deadline=None)
@given(st.permutations(scenario()), st.lists(st.integers(0, 80), max_size=30))
def test_order_and_duplicates_change_nothing(shuffled: list[InteractionFact], dupes: list[int]) -> None:
    delivered = list(shuffled) + [shuffled[i % len(shuffled)] for i in dupes]
    assert figures(delivered) == figures(scenario())


def test_late_events_land_in_their_event_time_interval() -> None:
    book = ServiceLevelBook()
    book.apply(fact(1, Step.CONNECTED, T0 + 1200, agent_id="a1"))  # arrives first, before its created
    book.apply(fact(2, Step.CREATED, T0 + 1000, queue_id="q1", channel=VOICE))  # 09:16: next interval
    book.apply(fact(1, Step.CREATED, T0 + 10, queue_id="q1", channel=VOICE))  # 09:00, late
    first = book.stats(TERMS, VOICE, datetime.fromtimestamp(T0, UTC), 15, now=T0 + 1300)
    second = book.stats(TERMS, VOICE, datetime.fromtimestamp(T0 + 900, UTC), 15, now=T0 + 1300)
    assert (first.offered, first.answered, first.longest_wait_seconds) == (1, 1, 1190)
    assert (second.offered, second.answered) == (1, 0)
    assert [w.interaction_id for w in book.waiting("t1", "q1")] == ["i2"]


def test_first_response_runs_on_the_business_hours_clock() -> None:
    hours = business_hours("Europe/Stockholm", {d: [Shift(time(9), time(17))] for d in range(5)})
    terms = QueueTerms(
        "t1",
        "q1",
        time_zone="Europe/Stockholm",
        targets={EMAIL: ChannelTarget(0.9, 3600.0, business_clock=True)},
        hours=hours,
    )
    friday = datetime(2026, 3, 6, 15, 30, tzinfo=UTC).timestamp()  # 16:30 local, 30 min before closing
    monday = datetime(2026, 3, 9, 8, 20, tzinfo=UTC).timestamp()  # 09:20 local: 50 business minutes
    book = ServiceLevelBook()
    book.apply(fact(1, Step.CREATED, friday, queue_id="q1", channel=EMAIL))
    book.apply(fact(1, Step.CONNECTED, monday, agent_id="a1"))
    stats = book.stats(terms, EMAIL, datetime.fromtimestamp(friday, UTC), 15, now=monday)
    assert stats.answered_within == 1
    assert stats.asa_seconds == 50 * 60


def test_occupancy_and_utilisation_from_agent_time() -> None:
    book = ServiceLevelBook()
    book.apply_agent(AgentFact("p1", "a1", T0, 6))  # logged in, not ready
    book.apply_agent(AgentFact("p2", "a1", T0 + 600, 2))  # available from 09:10
    book.apply(fact(1, Step.CREATED, T0 + 700, queue_id="q1", channel=VOICE))
    book.apply(fact(1, Step.CONNECTED, T0 + 900, agent_id="a1"))
    book.apply(fact(1, Step.WRAPPED_UP, T0 + 1500, agent_id="a1"))
    agents = book.agent_figures(T0, T0 + 1800, now=T0 + 1800)
    assert agents.logged_in_seconds == 1800
    assert agents.available_seconds == 1200
    assert agents.occupancy == 600 / 1200
    assert agents.utilisation == 600 / 1800
    assert book.available_agents(T0 + 1000) == 0  # handling
    assert book.available_agents(T0 + 1600) == 1


def test_sealing_keeps_the_figures_and_drops_very_late_arrivals() -> None:
    book = ServiceLevelBook()
    for f in scenario():
        book.apply(f)
    start = datetime.fromtimestamp(T0, UTC)
    before = book.stats(TERMS, VOICE, start, 30, now=T0 + 3600)
    assert book.seal(T0 + 900, [TERMS], now=T0 + 3600) == 12
    assert len(book) == 0
    assert book.stats(TERMS, VOICE, start, 30, now=T0 + 3600) == before
    book.apply(fact(99, Step.CREATED, T0 + 5, queue_id="q1", channel=VOICE))
    assert book.late_dropped == 1
    assert book.stats(TERMS, VOICE, start, 30, now=T0 + 3600) == before


def test_another_tenant_cannot_move_an_interaction() -> None:
    book = ServiceLevelBook()
    book.apply(fact(1, Step.CREATED, T0, queue_id="q1", channel=VOICE))
    book.apply(InteractionFact("x", "t2", "i1", Step.CONNECTED, T0 + 1, agent_id="a9"))
    stats = book.stats(TERMS, VOICE, datetime.fromtimestamp(T0, UTC), 15, now=T0 + 60)
    assert (stats.offered, stats.answered) == (1, 0)
    assert timedelta(seconds=stats.longest_wait_seconds) == timedelta(0)


def test_estimated_wait_is_routings_estimate_for_the_newest_waiting() -> None:
    now = 1_000_000.0
    assert estimated_wait([], now) == 0.0
    waiting = [Waiting("a", 1, now - 50, now + 5), Waiting("b", 1, now - 10, now + 42)]
    assert estimated_wait(waiting, now) == 42.0
    assert estimated_wait([Waiting("c", 1, now - 10, None)], now) == 0.0  # routing gave no estimate
    assert estimated_wait([Waiting("d", 1, now - 90, now - 30)], now) == 0.0  # overdue: not negative
