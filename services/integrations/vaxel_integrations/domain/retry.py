"""When a failed delivery is tried again (pure): exponential backoff with full jitter, given up after
``give_up_after_seconds`` from the delivery's creation (a day by default)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    initial_seconds: float = 10.0
    maximum_seconds: float = 3600.0
    give_up_after_seconds: float = 86_400.0

    def next_attempt(self, attempts: int, created_at: float, now: float, jitter: float) -> float | None:
        """The time of the next attempt after ``attempts`` failed ones, or None: give up.

        ``jitter`` in [0, 1) (random): the delay is drawn between half and all of the exponential
        step, so endpoints that failed together do not get their retries all at once."""
        if now - created_at >= self.give_up_after_seconds:
            return None
        step = min(self.maximum_seconds, self.initial_seconds * 2.0 ** max(0, attempts - 1))
        at = now + step * (0.5 + 0.5 * jitter)
        return min(at, created_at + self.give_up_after_seconds)
