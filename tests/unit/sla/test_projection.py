"""Projected service level of the current and the next interval (issue 18), against hand-computed cases."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from vaxel_sla.domain.book import ServiceLevelBook, Waiting
from vaxel_sla.domain.erlang import erlang_c_figures
from vaxel_sla.domain.facts import AgentFact, InteractionFact, Step
from vaxel_sla.domain.intervals import Formula, IntervalStats
from vaxel_sla.domain.outlook import ForecastCache, project_queue
from vaxel_sla.domain.planning import ForecastInterval
from vaxel_sla.domain.projection import Demand, ProjectedLevels, project
from vaxel_sla.domain.terms import ChannelTarget, QueueTerms
from vaxel_sla.domain.utilisation import QueueAgents

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()  # a Monday, 10:00 in Stockholm
NOW = START + 300  # five minutes into the interval: ten left
VOICE, CHAT = 1, 2
AVAILABLE, BUSY, BREAK = 2, 3, 5
NO_AGENTS = QueueAgents()
ANSWERED_AND_ABANDONED = Formula.ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED


def waiting(*ages: float, channel: int = VOICE, now: float = NOW) -> list[Waiting]:
    """Waiting interactions of the given ages (seconds), oldest first."""
    return [Waiting(f"w{i}", channel, now - age, None) for i, age in enumerate(sorted(ages, reverse=True))]


def levels(
    *,
    queue: list[Waiting] | None = None,
    agents: QueueAgents = NO_AGENTS,
    rate: float = 0.0,
    next_rate: float | None = None,
    aht: float = 180.0,
    threshold: float = 20.0,
    so_far: IntervalStats | None = None,
    patience: float | None = None,
    formula: Formula = ANSWERED_AND_ABANDONED,
) -> ProjectedLevels:
    upcoming = rate if next_rate is None else next_rate
    return project(
        now=NOW,
        interval_start=START,
        interval_seconds=900,
        channel=VOICE,
        so_far=so_far or IntervalStats(threshold, 5.0),
        waiting=queue or [],
        demand=Demand(rate, upcoming, rate, upcoming, aht),
        agents=agents,
        threshold_seconds=threshold,
        formula=formula,
        patience_seconds=patience,
    )


class TestWaitingWork:
    def test_no_agents_waiting_work_older_than_the_threshold_is_zero(self) -> None:
        assert levels(queue=waiting(25, 40, 60)).current == 0.0

    def test_no_agents_even_young_waiting_work_misses(self) -> None:
        assert levels(queue=waiting(1, 2)).current == 0.0

    def test_answered_in_turn_as_agents_free_up(self) -> None:
        # 2 agents busy, AHT 100 s: an answer every 50 s. Ages 10 s: the first waits 50 s (60 within a
        # 60 s threshold), the second 100 s and the third 150 s (missed). One answered within so far.
        so_far = IntervalStats(60.0, 5.0, offered=1, answered=1, answered_within=1)
        got = levels(
            queue=waiting(10, 10, 10), agents=QueueAgents(2, 0), aht=100, threshold=60, so_far=so_far
        )
        assert got.current == pytest.approx((1 + 1) / (1 + 3))

    def test_idle_agents_answer_at_once(self) -> None:
        got = levels(queue=waiting(10, 10), agents=QueueAgents(2, 1), aht=100, threshold=20)
        assert got.current == pytest.approx(1 / 2)  # the first at once (10 s), the second after 50 s

    def test_work_of_an_earlier_interval_takes_its_turn_but_does_not_count(self) -> None:
        # The oldest arrived before the interval: it is answered first (50 s), ours second (100 s).
        queue = [Waiting("old", VOICE, START - 60, None), *waiting(10)]
        got = levels(queue=queue, agents=QueueAgents(2, 0), aht=100, threshold=60)
        assert got.current == 0.0

    def test_other_channels_share_the_agents(self) -> None:
        queue = [Waiting("chat", CHAT, NOW - 30, None), *waiting(10)]
        assert levels(queue=queue, agents=QueueAgents(2, 0), aht=100, threshold=60).current == 0.0
        assert levels(queue=waiting(10), agents=QueueAgents(2, 0), aht=100, threshold=60).current == 1.0


class TestArrivals:
    def test_ample_agents_is_near_one(self) -> None:
        got = levels(queue=waiting(5, 3), agents=QueueAgents(60, 50), rate=0.05)
        assert got.current == pytest.approx(1, abs=1e-3)
        assert got.next == pytest.approx(1, abs=1e-3)

    def test_erlang_c_by_hand(self) -> None:
        # 2 Erlangs (1/90 per second x 180 s) on 3 agents: C = 4/9, SL = 1 - 4/9 e^(-20/180) = 0.602294.
        got = levels(agents=QueueAgents(3, 3), rate=1 / 90)
        assert got.current == pytest.approx(0.602294, abs=1e-6)
        assert got.next == pytest.approx(0.602294, abs=1e-6)
        assert got.current == pytest.approx(erlang_c_figures(3, 2.0, 180, 20).service_level)

    def test_fractional_agents_between_whole_ones(self) -> None:
        # 2 agents for 2 Erlangs never keep up (0); 3 give 0.602294; 2.5 halfway.
        assert levels(agents=QueueAgents(2.5, 2.5), rate=1 / 90).current == pytest.approx(0.301147, abs=1e-6)

    def test_no_agents_new_arrivals_miss(self) -> None:
        got = levels(rate=0.1)
        assert (got.current, got.next) == (0.0, 0.0)

    def test_a_backlog_longer_than_the_threshold_holds_the_arrivals_behind_it(self) -> None:
        # 60 waiting of an earlier interval on 4 agents (AHT 180 s): 45 min of backlog, past both intervals.
        queue = [Waiting(f"o{i}", VOICE, START - 100, None) for i in range(60)]
        got = levels(queue=queue, agents=QueueAgents(4, 0), rate=1 / 90)
        assert (got.current, got.next) == (0.0, 0.0)
        assert levels(agents=QueueAgents(4, 0), rate=1 / 90).current == pytest.approx(
            erlang_c_figures(4, 2.0, 180, 20).service_level
        )

    def test_nothing_expected_is_nothing_to_judge(self) -> None:
        assert levels(agents=QueueAgents(3, 3)) == ProjectedLevels(None, None)

    def test_erlang_a_abandons_count_by_the_formula(self) -> None:
        # 3 Erlangs on 2 agents: Erlang C never keeps up; with a minute's patience callers abandon.
        with_abandons = levels(agents=QueueAgents(2, 2), rate=1 / 60, patience=60.0)
        answered_only = levels(
            agents=QueueAgents(2, 2),
            rate=1 / 60,
            patience=60.0,
            formula=Formula.ANSWERED_WITHIN_OVER_ANSWERED,
        )
        assert isinstance(with_abandons.current, float)
        assert isinstance(answered_only.current, float)
        assert 0 < with_abandons.current < answered_only.current < 1


T0 = datetime(2026, 3, 2, 9, 5, tzinfo=UTC).timestamp()


def _created(book: ServiceLevelBook, n: int, queue: str, at: float, channel: int = VOICE) -> str:
    ident = f"{queue}-i{n}"
    book.apply(InteractionFact(f"{ident}-c", "t1", ident, Step.CREATED, at, queue_id=queue, channel=channel))
    return ident


def _handled(book: ServiceLevelBook, n: int, queue: str, agent: str, start: float, end: float | None) -> None:
    ident = _created(book, n, queue, start - 5)
    book.apply(InteractionFact(f"{ident}-a", "t1", ident, Step.CONNECTED, start, agent_id=agent))
    if end is not None:
        book.apply(InteractionFact(f"{ident}-w", "t1", ident, Step.WRAPPED_UP, end, agent_id=agent))


class TestAgentsServingAQueue:
    def test_logged_in_not_away_by_share_of_recent_handling(self) -> None:
        book = ServiceLevelBook()
        for agent, presence in (("a1", AVAILABLE), ("a2", BUSY), ("a3", BREAK), ("a4", AVAILABLE)):
            book.apply_agent(AgentFact(f"{agent}-p", agent, T0 - 3000, presence, "sto"))
        _handled(book, 1, "q1", "a1", T0 - 1200, T0 - 900)  # a1: q1 and q2 alike, idle now
        _handled(book, 2, "q2", "a1", T0 - 800, T0 - 500)
        _handled(book, 3, "q1", "a2", T0 - 60, None)  # a2: on a q1 call now
        _handled(book, 4, "q1", "a3", T0 - 1200, T0 - 900)  # a3: on a break
        _handled(book, 5, "q1", "a4", T0 - 7200, T0 - 6900)  # a4: not in the last hour
        agents = book.queue_agents(T0, T0 - 3600)
        assert agents[("t1", "q1")] == QueueAgents(1.5, 0.5)
        assert agents[("t1", "q2")] == QueueAgents(0.5, 0.5)


class TestQueueProjection:
    def test_from_the_book(self) -> None:
        book = ServiceLevelBook()
        terms = QueueTerms(
            "t1", "q1", "Europe/Stockholm", targets={VOICE: ChannelTarget(0.8, 20)}, channels=(VOICE,)
        )
        for n in range(3):
            _created(book, n, "q1", T0 - 60)  # three waiting for a minute: past the threshold
        got = project_queue(book, terms, T0, QueueAgents())
        [lane] = got
        assert (lane.channel, lane.current, lane.current_target, lane.next_target) == (VOICE, 0.0, 0.8, 0.8)
        # No history: the rest of the interval and the next are forecast at the last hour's rate.
        assert lane.forecast_now == pytest.approx(3 / 3600 * 600)
        assert lane.forecast_next == pytest.approx(3 / 3600 * 900)
        assert lane.next == 0.0
        assert lane.current_start == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        assert lane.next_start == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)

    def test_business_clock_channels_are_not_projected(self) -> None:
        book = ServiceLevelBook()
        email = 3
        terms = QueueTerms(
            "t1", "q1", targets={email: ChannelTarget(0.9, 86400, business_clock=True)}, channels=(email,)
        )
        _created(book, 1, "q1", T0 - 60, channel=email)
        assert project_queue(book, terms, T0, QueueAgents(2, 2)) == []

    def test_ample_agents_from_the_book_is_near_one(self) -> None:
        book = ServiceLevelBook()
        terms = QueueTerms("t1", "q1", targets={VOICE: ChannelTarget(0.8, 20)}, channels=(VOICE,))
        _created(book, 1, "q1", T0 - 2)
        [lane] = project_queue(book, terms, T0, QueueAgents(40, 40))
        assert lane.current == pytest.approx(1, abs=1e-3)
        assert lane.next == pytest.approx(1, abs=1e-3)


class TestForecastCache:
    def test_a_day_is_forecast_once_per_ttl(self) -> None:
        cache = ForecastCache(ttl_seconds=900)
        computed: list[int] = []

        def compute() -> list[ForecastInterval]:
            computed.append(1)
            return []

        key = ("t1", "q1", VOICE, date(2026, 3, 2))
        for at in (T0, T0 + 10, T0 + 899):
            cache.get(key, at, compute)
        assert len(computed) == 1
        cache.get(key, T0 + 900, compute)
        cache.get(("t1", "q1", VOICE, date(2026, 3, 3)), T0 + 900, compute)
        assert len(computed) == 3
