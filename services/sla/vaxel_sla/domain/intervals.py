"""Service-level intervals in the queue's own time zone, and the contract formulas. Pure.

An interval is 15 or 30 minutes aligned on the queue's local wall clock (09:00, 09:15, ...),
DST included: on the autumn night the repeated hour has its own intervals (told apart by their
UTC start), on the spring night the skipped hour has none. Each interaction counts once, in the
interval it arrived in (event time, not processing time), whatever order and however often its
events come.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from zoneinfo import ZoneInfo

__all__ = ["Formula", "IntervalStats", "Outcome", "interval_start", "service_level"]


def interval_start(at: datetime, zone: str, minutes: int) -> datetime:
    """UTC start of the ``minutes``-long interval holding ``at``, aligned in ``zone``'s local time."""
    if minutes not in (15, 30, 60):
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
    """How one interaction ended its wait."""

    interaction_id: str
    answered: bool
    waited_seconds: float
    handle_seconds: float = 0.0


@dataclass(slots=True)
class IntervalStats:
    """One queue's figures for one interval. ``record`` is idempotent per interaction."""

    threshold_seconds: float
    short_abandon_seconds: float
    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    abandoned_within: int = 0
    wait_answered_seconds: float = 0.0
    longest_wait_seconds: float = 0.0
    handle_seconds: float = 0.0
    handled: int = 0
    _seen_offered: set[str] = field(default_factory=set)
    _seen_outcome: set[str] = field(default_factory=set)
    _seen_handled: set[str] = field(default_factory=set)

    def offer(self, interaction_id: str) -> None:
        if interaction_id not in self._seen_offered:
            self._seen_offered.add(interaction_id)
            self.offered += 1

    def record(self, outcome: Outcome) -> None:
        """Answered or abandoned, once per interaction."""
        if outcome.interaction_id in self._seen_outcome:
            return
        self._seen_outcome.add(outcome.interaction_id)
        self.offer(outcome.interaction_id)
        wait = max(0.0, outcome.waited_seconds)
        self.longest_wait_seconds = max(self.longest_wait_seconds, wait)
        within = wait <= self.threshold_seconds
        if outcome.answered:
            self.answered += 1
            self.answered_within += within
            self.wait_answered_seconds += wait
        else:
            self.abandoned += 1
            self.abandoned_within += within
            self.short_abandoned += wait < self.short_abandon_seconds

    def handle(self, interaction_id: str, seconds: float) -> None:
        """Talk + hold + wrap-up of one handled interaction, once."""
        if interaction_id not in self._seen_handled:
            self._seen_handled.add(interaction_id)
            self.handled += 1
            self.handle_seconds += max(0.0, seconds)

    @property
    def asa_seconds(self) -> float | None:
        return self.wait_answered_seconds / self.answered if self.answered else None

    @property
    def aht_seconds(self) -> float | None:
        return self.handle_seconds / self.handled if self.handled else None

    @property
    def abandonment_rate(self) -> float | None:
        closed = self.answered + self.abandoned
        return self.abandoned / closed if closed else None


def service_level(stats: IntervalStats, formula: Formula) -> float | None:
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
