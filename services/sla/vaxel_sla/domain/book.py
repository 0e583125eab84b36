"""The SLA book: every interaction's facts, indexed by queue, channel and arrival time. Pure.

Writes only merge facts (:mod:`vaxel_sla.domain.facts`); every figure is computed when it is
read, with the queue's terms in force then (zone, thresholds, formula, business hours; the contract
version in force on each interval's local date, :meth:`QueueTerms.at`). So the
figures are a function of the set of events, not of their order or of how often they came, and
a configuration that arrives after the events it governs still applies to them.

Arrivals are kept in UTC quarter-hour buckets. Every IANA zone is a whole number of quarter
hours from UTC, so a local 15-minute interval is exactly one bucket and a local 30-minute
interval is two: the zone matters only at read time.

Memory is bounded by sealing: buckets older than a horizon are summed once with the terms of
the moment, their interactions forgotten; facts that arrive later than that for a sealed bucket
are counted as late and dropped.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from vaxel_sla.domain.facts import (
    PRESENCE_AVAILABLE,
    PRESENCE_OFFLINE,
    PRESENCES_SERVING,
    AgentFact,
    InteractionFact,
    InteractionRecord,
    Step,
    WaitState,
)
from vaxel_sla.domain.intervals import IntervalStats, Outcome, interval_start
from vaxel_sla.domain.terms import QueueTerms
from vaxel_sla.domain.utilisation import AgentFigures, AgentUtilisation, QueueAgents
from vaxel_vocabulary.business_hours import BusinessHours, business_seconds_between

__all__ = ["BUCKET_SECONDS", "AgentFigures", "ServiceLevelBook", "Waiting", "estimated_wait"]

BUCKET_SECONDS = 900
QueueKey = tuple[str, str]  # tenant, queue
LaneKey = tuple[str, str, int]  # tenant, queue, channel


def bucket_of(at: float) -> int:
    return int(at // BUCKET_SECONDS)


def utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


@dataclass(frozen=True, slots=True)
class Waiting:
    """Who waits in a queue now."""

    interaction_id: str
    channel: int
    created_at: float
    estimated_answer_at: float | None  # when routing expected to answer, if it said


def estimated_wait(waiting: list[Waiting], now: float) -> float:
    """Seconds a customer joining the queue now can expect to wait: routing's estimate for the newest
    waiting interaction, 0 when nobody waits (or routing gave none)."""
    newest = waiting[-1] if waiting else None
    expected = newest.estimated_answer_at if newest and newest.estimated_answer_at else now
    return max(0.0, expected - now)


@dataclass(slots=True)
class _Agent:
    transitions: list[tuple[float, str, int]] = field(default_factory=list)  # sorted (at, event id, presence)
    handled: set[str] = field(default_factory=set)
    open: set[str] = field(default_factory=set)  # answered, not wrapped up yet
    busy_until: float = 0.0  # the latest wrap-up of what it handled
    site_id: str = ""  # from its latest log-in that named one
    site_at: float = float("-inf")


class ServiceLevelBook:
    def __init__(self, *, fcr_days: float = 7.0) -> None:
        self.fcr_seconds = fcr_days * 86400
        self._records: dict[str, InteractionRecord] = {}
        self._buckets: dict[LaneKey, dict[int, list[str]]] = {}
        self._sealed: dict[LaneKey, dict[int, IntervalStats]] = {}
        self._sealed_before = 0  # buckets below this index are sealed
        self._customers: dict[tuple[str, str, str], list[tuple[float, str]]] = {}
        self._waiting: dict[QueueKey, set[str]] = {}
        self._agents: dict[str, _Agent] = {}
        self._pending: dict[str, float] = {}  # interaction id -> first fact's time, until its created event
        self.late_dropped = 0

    # ------------------------------------------------------------------ writes

    def apply(self, fact: InteractionFact) -> tuple[WaitState, WaitState, InteractionRecord | None]:
        """Merge one fact; returns the interaction's state before and after (and its record)."""
        record = self._records.get(fact.interaction_id)
        if record is None:
            if fact.step is Step.CREATED and bucket_of(fact.at) < self._sealed_before:
                self.late_dropped += 1
                return WaitState.PENDING, WaitState.PENDING, None
            record = self._records[fact.interaction_id] = InteractionRecord(
                fact.tenant_id, fact.interaction_id
            )
            if fact.step is not Step.CREATED:
                self._pending[fact.interaction_id] = fact.at
        if record.tenant_id != fact.tenant_id:
            return WaitState.PENDING, WaitState.PENDING, None  # an interaction never changes tenant
        before = record.state
        created_before = record.created_at is not None
        agent_before = record.agent_id
        record.merge(fact)
        after = record.state
        if not created_before and record.created_at is not None:
            self._pending.pop(record.interaction_id, None)
            self._index(record)
        if agent_before and agent_before != record.agent_id and (held := self._agents.get(agent_before)):
            held.handled.discard(record.interaction_id)  # an earlier answer by another agent came in late
            held.open.discard(record.interaction_id)
        if record.answered_at is not None and record.agent_id:
            self._track_handling(record)
        if record.created_at is not None:
            waiting = self._waiting.setdefault((record.tenant_id, record.queue_id), set())
            if after is WaitState.WAITING:
                waiting.add(record.interaction_id)
            else:
                waiting.discard(record.interaction_id)
        return before, after, record

    def _track_handling(self, record: InteractionRecord) -> None:
        agent = self._agent(record.agent_id)
        agent.handled.add(record.interaction_id)
        if record.wrapped_up_at is None:
            agent.open.add(record.interaction_id)
        else:
            agent.open.discard(record.interaction_id)
            agent.busy_until = max(agent.busy_until, record.wrapped_up_at)

    def apply_agent(self, fact: AgentFact) -> None:
        agent = self._agent(fact.agent_id)
        entry = (fact.at, fact.event_id, fact.presence)
        at = bisect.bisect_left(agent.transitions, entry)
        if at == len(agent.transitions) or agent.transitions[at] != entry:
            agent.transitions.insert(at, entry)
        if fact.site_id and fact.at >= agent.site_at:
            agent.site_id, agent.site_at = fact.site_id, fact.at

    def _agent(self, agent_id: str) -> _Agent:
        agent = self._agents.get(agent_id)
        if agent is None:
            agent = self._agents[agent_id] = _Agent()
        return agent

    def _index(self, record: InteractionRecord) -> None:
        created = record.created_at
        if created is None:
            return
        lane = (record.tenant_id, record.queue_id, record.channel)
        self._buckets.setdefault(lane, {}).setdefault(bucket_of(created), []).append(record.interaction_id)
        if record.customer_ref:
            history = self._customers.setdefault((record.tenant_id, record.queue_id, record.customer_ref), [])
            bisect.insort(history, (created, record.interaction_id))

    # ------------------------------------------------------------------ outcomes

    def outcome(self, record: InteractionRecord, terms: QueueTerms, now: float) -> Outcome | None:
        """The interaction's contribution to its interval; None when it is not offered (yet)."""
        state, created = record.state, record.created_at
        if created is None or state in (WaitState.PENDING, WaitState.CLOSED):
            return None
        target = terms.target_for(record.channel)
        clock_hours = terms.hours if target.business_clock else None
        fcr: bool | None = None
        if record.answered_at is not None:
            waited = self._waited(created, record.answered_at, clock_hours)
            fcr = self._first_contact_resolved(record)
        elif record.abandoned_at is not None:
            if clock_hours is not None:
                waited = self._waited(created, record.abandoned_at, clock_hours)
            elif record.abandon_waited is not None:
                waited = record.abandon_waited
            else:
                waited = record.abandoned_at - created
        else:
            waited = self._waited(created, max(now, created), clock_hours)
        return Outcome(
            record.interaction_id,
            answered=state is WaitState.ANSWERED,
            waited_seconds=waited,
            handle_seconds=record.handle_seconds,
            abandoned=state is WaitState.ABANDONED,
            transferred=bool(record.transfers),
            first_contact_resolved=fcr,
            survey_score=record.survey[1] if record.survey else None,
        )

    @staticmethod
    def _waited(start: float, end: float, hours: BusinessHours | None) -> float:
        if hours is None:
            return end - start
        return business_seconds_between(hours, utc(start), utc(end))

    def _first_contact_resolved(self, record: InteractionRecord) -> bool | None:
        if not record.customer_ref or record.created_at is None:
            return None
        history = self._customers.get((record.tenant_id, record.queue_id, record.customer_ref), [])
        after = bisect.bisect_right(history, (record.created_at, record.interaction_id))
        return not (after < len(history) and history[after][0] <= record.created_at + self.fcr_seconds)

    # ------------------------------------------------------------------ reads

    def stats(
        self, terms: QueueTerms, channel: int, start: datetime, minutes: int, now: float
    ) -> IntervalStats:
        """Figures of ``[start, start + minutes)`` (UTC, aligned by the caller in the queue's zone),
        judged by the terms in force at ``start`` (the contract version of its local date)."""
        terms = terms.at(start)
        target = terms.target_for(channel)
        stats = IntervalStats(target.threshold_seconds, terms.short_abandon_seconds)
        lane = (terms.tenant_id, terms.queue_id, channel)
        buckets = self._buckets.get(lane, {})
        sealed = self._sealed.get(lane, {})
        first = bucket_of(start.timestamp())
        for index in range(first, first + minutes * 60 // BUCKET_SECONDS):
            if index in sealed:
                stats.merge(sealed[index])
            for interaction_id in buckets.get(index, ()):
                outcome = self.outcome(self._records[interaction_id], terms, now)
                if outcome is not None and (outcome.answered or outcome.is_abandoned):
                    stats.add(outcome)
                elif outcome is not None:
                    stats.offered += 1  # still waiting: offered, not yet closed
        return stats

    def rolling(self, terms: QueueTerms, channel: int, now: float, seconds: float = 3600) -> IntervalStats:
        """Figures of the interactions that arrived in the last ``seconds``, judged by the terms in force now."""
        terms = terms.at(utc(now))
        target = terms.target_for(channel)
        stats = IntervalStats(target.threshold_seconds, terms.short_abandon_seconds)
        buckets = self._buckets.get((terms.tenant_id, terms.queue_id, channel), {})
        since = now - seconds
        for index in range(bucket_of(since), bucket_of(now) + 1):
            for interaction_id in buckets.get(index, ()):
                record = self._records[interaction_id]
                if record.created_at is None or not since <= record.created_at <= now:
                    continue
                outcome = self.outcome(record, terms, now)
                if outcome is not None and (outcome.answered or outcome.is_abandoned):
                    stats.add(outcome)
                elif outcome is not None:
                    stats.offered += 1
        return stats

    def intervals(
        self, terms: QueueTerms, channel: int, start: datetime, end: datetime, minutes: int, now: float
    ) -> Iterator[tuple[datetime, IntervalStats]]:
        """Each local interval in ``[start, end)`` that had traffic, with its figures."""
        lane = (terms.tenant_id, terms.queue_id, channel)
        present = set(self._buckets.get(lane, {})) | set(self._sealed.get(lane, {}))
        if not present:
            return
        cursor = interval_start(max(start, utc(min(present) * BUCKET_SECONDS)), terms.time_zone, minutes)
        stop = min(end, utc((max(present) + 1) * BUCKET_SECONDS))
        while cursor < stop:
            first = bucket_of(cursor.timestamp())
            if any(first + i in present for i in range(minutes * 60 // BUCKET_SECONDS)):
                stats = self.stats(terms, channel, cursor, minutes, now)
                if stats.offered:
                    yield cursor, stats
            cursor = interval_start(cursor + timedelta(minutes=minutes), terms.time_zone, minutes)

    def channels(self, tenant_id: str, queue_id: str) -> list[int]:
        """Channels the queue has had traffic on."""
        return sorted(
            lane[2]
            for lane in self._buckets.keys() | self._sealed.keys()
            if lane[0] == tenant_id and lane[1] == queue_id
        )

    def waiting(self, tenant_id: str, queue_id: str) -> list[Waiting]:
        """Interactions waiting in the queue now, oldest first."""
        out = []
        for interaction_id in self._waiting.get((tenant_id, queue_id), ()):
            record = self._records[interaction_id]
            if record.created_at is not None:
                expected = record.queued[0] + record.queued[1] if record.queued else None
                out.append(Waiting(interaction_id, record.channel, record.created_at, expected))
        out.sort(key=lambda w: (w.created_at, w.interaction_id))
        return out

    def arrivals(self, tenant_id: str, queue_id: str, channel: int) -> dict[int, tuple[int, int, int]]:
        """Per UTC bucket: (offered, handled, handle milliseconds) for forecasting."""
        lane = (tenant_id, queue_id, channel)
        out: dict[int, tuple[int, int, int]] = {}
        for index, stats in self._sealed.get(lane, {}).items():
            out[index] = (stats.offered, stats.handled, stats.handle_ms)
        for index, members in self._buckets.get(lane, {}).items():
            offered, handled, handle_ms = out.get(index, (0, 0, 0))
            for interaction_id in members:
                record = self._records[interaction_id]
                if record.state in (WaitState.PENDING, WaitState.CLOSED):
                    continue
                offered += 1
                if (handle := record.handle_seconds) is not None:
                    handled += 1
                    handle_ms += round(handle * 1000)
            out[index] = (offered, handled, handle_ms)
        return out

    def patience_seconds(self, tenant_id: str, queue_id: str, channel: int) -> float | None:
        """Mean patience by the exponential estimator: total time waited / abandons."""
        waited_ms = abandoned = 0
        lane = (tenant_id, queue_id, channel)
        for stats in self._sealed.get(lane, {}).values():
            waited_ms += stats.wait_answered_ms + stats.wait_abandoned_ms
            abandoned += stats.abandoned
        for members in self._buckets.get(lane, {}).values():
            for interaction_id in members:
                record = self._records[interaction_id]
                if record.created_at is None:
                    continue
                if record.answered_at is not None:
                    waited_ms += round((record.answered_at - record.created_at) * 1000)
                elif record.abandoned_at is not None:
                    abandoned += 1
                    waited_ms += round((record.abandoned_at - record.created_at) * 1000)
        return waited_ms / 1000 / abandoned if abandoned else None

    def available_agents(self, now: float) -> int:
        """Agents whose presence is AVAILABLE and who handle nothing now (nothing unwrapped, and past
        their latest wrap-up). O(agents): it runs on every evaluation round."""
        count = 0
        for agent in self._agents.values():
            idle = not agent.open and now >= agent.busy_until
            if idle and self._presence_at(agent, now) == PRESENCE_AVAILABLE:
                count += 1
        return count

    def queue_agents(self, now: float, since: float) -> dict[QueueKey, QueueAgents]:
        """Per queue: (agents serving it, of those idle now). An agent serves the queues whose work it
        handled since ``since`` while logged in and not away now, each by its share of that handling (a
        shared agent splits itself); idle: available, nothing open, past its latest wrap-up."""
        out: dict[QueueKey, QueueAgents] = {}
        for agent in self._agents.values():
            presence = self._presence_at(agent, now)
            if presence not in PRESENCES_SERVING:
                continue
            seconds: dict[QueueKey, float] = {}
            for interaction_id in agent.handled:
                record = self._records.get(interaction_id)
                if record is None or (span := record.handling_span(now)) is None or span[1] < since:
                    continue
                key = (record.tenant_id, record.queue_id)
                # at least a second each: an answer this very moment already ties the agent to the queue
                seconds[key] = seconds.get(key, 0.0) + max(1.0, min(span[1], now) - max(span[0], since))
            total = sum(seconds.values())
            idle = presence == PRESENCE_AVAILABLE and not agent.open and now >= agent.busy_until
            for key, spent in seconds.items():
                held = out.get(key, QueueAgents())
                share = spent / total
                out[key] = QueueAgents(held.serving + share, held.idle + share * idle)
        return out

    def agent_figures(self, start: float, end: float, now: float) -> AgentFigures:
        """Occupancy and utilisation over ``[start, end)`` summed over every agent."""
        figures = AgentFigures()
        for agent in self.agent_utilisation(start, end, now):
            figures.add(agent.figures)
        return figures

    def agent_ids(self) -> list[str]:
        """Every agent the book has seen, sorted."""
        return sorted(self._agents)

    def agent_utilisation(
        self, start: float, end: float, now: float, agent_ids: Iterable[str] | None = None
    ) -> list[AgentUtilisation]:
        """Every agent's (or those of ``agent_ids``) time over ``[start, end)``, with its handling per
        tenant, by agent id."""
        out = []
        stop = min(end, now)
        for agent_id in sorted(self._agents) if agent_ids is None else agent_ids:
            agent = self._agents.get(agent_id)
            if agent is None:
                continue
            logged, available = self._presence_seconds(agent, start, end, now)
            spans: dict[str, list[tuple[float, float]]] = {}
            for i in agent.handled:
                if (r := self._records.get(i)) is not None and (span := r.handling_span(now)) is not None:
                    spans.setdefault(r.tenant_id, []).append(span)
            every = sorted(s for group in spans.values() for s in group)
            per_tenant = {
                tenant_id: seconds
                for tenant_id, group in sorted(spans.items())
                if (seconds := _union_overlap(sorted(group), start, stop)) > 0
            }
            figures = AgentFigures(logged, available, _union_overlap(every, start, stop))
            out.append(AgentUtilisation(agent_id, agent.site_id, figures, per_tenant))
        return out

    @staticmethod
    def _presence_at(agent: _Agent, at: float) -> int:
        index = bisect.bisect_right(agent.transitions, (at, "\uffff", 99)) - 1
        return agent.transitions[index][2] if index >= 0 else PRESENCE_OFFLINE

    @staticmethod
    def _presence_seconds(agent: _Agent, start: float, end: float, now: float) -> tuple[float, float]:
        logged = available = 0.0
        end = min(end, now)
        transitions = agent.transitions
        for i, (at, _, presence) in enumerate(transitions):
            until = transitions[i + 1][0] if i + 1 < len(transitions) else end
            overlap = min(until, end) - max(at, start)
            if overlap <= 0:
                continue
            if presence != PRESENCE_OFFLINE:
                logged += overlap
            if presence == PRESENCE_AVAILABLE:
                available += overlap
        return logged, available

    # ------------------------------------------------------------------ memory

    def seal(self, before: float, terms_of: Iterable[QueueTerms], now: float) -> int:
        """Sum and forget every bucket that starts before ``before``; returns interactions forgotten."""
        terms_by_queue = {(t.tenant_id, t.queue_id): t for t in terms_of}
        limit = bucket_of(before)
        forgotten = 0
        for lane, buckets in self._buckets.items():
            terms = terms_by_queue.get(lane[:2]) or QueueTerms(lane[0], lane[1])
            for index in [i for i in buckets if i < limit]:
                stats = self.stats(terms, lane[2], utc(index * BUCKET_SECONDS), 15, now)
                for interaction_id in buckets.pop(index):
                    record = self._records.pop(interaction_id)
                    forgotten += 1
                    if record.agent_id and (agent := self._agents.get(record.agent_id)) is not None:
                        agent.handled.discard(interaction_id)
                        agent.open.discard(interaction_id)
                    self._waiting.get(lane[:2], set()).discard(interaction_id)
                held = self._sealed.setdefault(lane, {}).get(index)
                if held is None:
                    self._sealed[lane][index] = stats
        for interaction_id, seen in list(self._pending.items()):
            if seen < before:  # facts of an interaction whose created event is sealed or never came
                del self._pending[interaction_id]
                self._records.pop(interaction_id, None)
        for key, history in list(self._customers.items()):
            kept = [entry for entry in history if entry[0] >= before - self.fcr_seconds]
            if kept:
                self._customers[key] = kept
            else:
                del self._customers[key]
        for agent in self._agents.values():
            keep_from = bisect.bisect_left(agent.transitions, (before,)) - 1
            if keep_from > 0:
                del agent.transitions[:keep_from]
        self._sealed_before = max(self._sealed_before, limit)
        return forgotten

    def __len__(self) -> int:
        return len(self._records)


def _union_overlap(spans: list[tuple[float, float]], start: float, end: float) -> float:
    """Length of the union of sorted ``spans`` inside ``[start, end)``."""
    total = 0.0
    cursor = start
    for opened, closed in spans:
        a, b = max(opened, cursor), min(closed, end)
        if b > a:
            total += b - a
            cursor = b
    return total
