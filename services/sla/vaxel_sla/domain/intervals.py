"""Service-level intervals in the queue's own time zone, and the contract formulas. Pure.

An interval is 15 or 30 minutes aligned on the queue's local wall clock (09:00, 09:15, ...),
DST included: on the autumn night the repeated hour has its own intervals (told apart by their
UTC start), on the spring night the skipped hour has none. Each interaction counts in the
interval it arrived in (event time, not processing time).

:class:`IntervalStats` is a plain sum of per-interaction :class:`Outcome` values, in integer
milliseconds so that any order of adding gives the same figures to the last digit (live and by
replay alike). Which interactions go in is the book's business (:mod:`vaxel_sla.domain.book`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["Counts", "Formula", "IntervalStats", "Outcome", "interval_start", "service_level"]

INTERVAL_MINUTES = (15, 30, 60)


def interval_start(at: datetime, zone: str, minutes: int) -> datetime:
    """UTC start of the ``minutes``-long interval holding ``at``, aligned in ``zone``'s local time."""
    if minutes not in INTERVAL_MINUTES:
        raise ValueError("intervals are 15, 30 or 60 minutes")
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    local = at.astimezone(ZoneInfo(zone))
    floored = local.replace(minute=local.minute - local.minute % minutes, second=0, microsecond=0)
    # replace() keeps the fold, so an instant in the repeated autumn hour stays in its own interval
    return floored.astimezone(UTC)


class Formula(Enum):
    """The service-level formulas a contract may choose (tenant.v1.ServiceLevelFormula)."""

    ANSWERED_WITHIN_OVER_ANSWERED = 1
    ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED = 2
    ANSWERED_WITHIN_OVER_OFFERED_EXCLUDING_SHORT_ABANDONS = 3
    ANSWERED_AND_ABANDONED_WITHIN_OVER_OFFERED = 4


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one interaction ended its wait (or, with neither flag, that it is still waiting)."""

    interaction_id: str
    answered: bool
    waited_seconds: float
    handle_seconds: float | None = None
    abandoned: bool | None = None  # None: the opposite of answered (a closed outcome)
    transferred: bool = False
    first_contact_resolved: bool | None = None
    survey_score: int | None = None

    @property
    def is_abandoned(self) -> bool:
        return (not self.answered) if self.abandoned is None else self.abandoned


def _ms(seconds: float) -> int:
    return round(max(0.0, seconds) * 1000)


@dataclass(slots=True)
class IntervalStats:
    """One queue's figures for one interval (or a period): sums of outcomes."""

    threshold_seconds: float
    short_abandon_seconds: float
    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    abandoned_within: int = 0
    wait_answered_ms: int = 0
    wait_abandoned_ms: int = 0
    longest_wait_ms: int = 0
    handle_ms: int = 0
    handled: int = 0
    transferred: int = 0
    fcr_known: int = 0
    fcr_resolved: int = 0
    survey_total: int = 0
    survey_answers: int = 0

    def add(self, outcome: Outcome) -> None:
        """Count one interaction: offered, and answered or abandoned when it has an end to its wait."""
        self.offered += 1
        wait_ms = _ms(outcome.waited_seconds)
        within = wait_ms <= _ms(self.threshold_seconds)
        if outcome.answered:
            self.answered += 1
            self.answered_within += within
            self.wait_answered_ms += wait_ms
            self.longest_wait_ms = max(self.longest_wait_ms, wait_ms)
        elif outcome.is_abandoned:
            self.abandoned += 1
            self.abandoned_within += within
            self.short_abandoned += wait_ms < _ms(self.short_abandon_seconds)
            self.wait_abandoned_ms += wait_ms
            self.longest_wait_ms = max(self.longest_wait_ms, wait_ms)
        if outcome.handle_seconds is not None:
            self.handled += 1
            self.handle_ms += _ms(outcome.handle_seconds)
        self.transferred += outcome.transferred
        if outcome.first_contact_resolved is not None:
            self.fcr_known += 1
            self.fcr_resolved += outcome.first_contact_resolved
        if outcome.survey_score is not None:
            self.survey_answers += 1
            self.survey_total += outcome.survey_score

    def merge(self, other: IntervalStats) -> None:
        """Add another interval's sums (a period is the sum of its intervals)."""
        for name in _SUMS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.longest_wait_ms = max(self.longest_wait_ms, other.longest_wait_ms)

    @property
    def longest_wait_seconds(self) -> float:
        return self.longest_wait_ms / 1000

    @property
    def asa_seconds(self) -> float | None:
        return self.wait_answered_ms / self.answered / 1000 if self.answered else None

    @property
    def aht_seconds(self) -> float | None:
        return self.handle_ms / self.handled / 1000 if self.handled else None

    @property
    def abandonment_rate(self) -> float | None:
        closed = self.answered + self.abandoned
        return self.abandoned / closed if closed else None

    @property
    def transfer_rate(self) -> float | None:
        return self.transferred / self.answered if self.answered else None

    @property
    def first_contact_resolution(self) -> float | None:
        return self.fcr_resolved / self.fcr_known if self.fcr_known else None

    @property
    def survey_average(self) -> float | None:
        return self.survey_total / self.survey_answers if self.survey_answers else None


_SUMS = (
    "offered",
    "answered",
    "answered_within",
    "abandoned",
    "short_abandoned",
    "abandoned_within",
    "wait_answered_ms",
    "wait_abandoned_ms",
    "handle_ms",
    "handled",
    "transferred",
    "fcr_known",
    "fcr_resolved",
    "survey_total",
    "survey_answers",
)


class Counts(Protocol):
    """What a formula divides: an interval's counts (:class:`IntervalStats`), or expected counts
    (fractional, :mod:`vaxel_sla.domain.projection`)."""

    @property
    def answered(self) -> float: ...
    @property
    def answered_within(self) -> float: ...
    @property
    def abandoned(self) -> float: ...
    @property
    def short_abandoned(self) -> float: ...
    @property
    def abandoned_within(self) -> float: ...


def service_level(stats: Counts, formula: Formula) -> float | None:
    """The share (0..1) by ``formula``; None when the formula has nothing to divide by (no traffic,
    or nothing answered under answered-over-answered). Everything abandoned is 0.0, not an error."""
    match formula:
        case Formula.ANSWERED_WITHIN_OVER_ANSWERED:
            numerator, denominator = stats.answered_within, stats.answered
        case Formula.ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED:
            numerator, denominator = stats.answered_within, stats.answered + stats.abandoned
        case Formula.ANSWERED_WITHIN_OVER_OFFERED_EXCLUDING_SHORT_ABANDONS:
            numerator = stats.answered_within
            denominator = stats.answered + stats.abandoned - stats.short_abandoned
        case Formula.ANSWERED_AND_ABANDONED_WITHIN_OVER_OFFERED:
            numerator = stats.answered_within + stats.abandoned_within
            denominator = stats.answered + stats.abandoned
    return numerator / denominator if denominator > 0 else None
