"""Per-tenant limits on submissions into routing: a token bucket and a bound on calls in flight.

Pure: the caller passes the clock (monotonic seconds) and the limits in force; nothing here sleeps or
awaits. A tenant's limits come from its contract version in force today in its zone
(:class:`LimitBook`, fed from the configuration topic), each field 0 falling back to routing's
defaults (settings).

- **Rate**: a bucket of ``burst`` tokens refilled at ``rate_per_second``; a submission takes one. An
  empty bucket refuses with the time until the next token.
- **Concurrency**: at most ``max_in_flight`` submissions of the tenant being handled at once in this
  process (received, not yet answered); a :class:`Permit` holds one place until released, which
  its context manager does on success, error and cancellation alike.

A refused submission takes neither a token nor a place.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import TracebackType
from zoneinfo import ZoneInfo

from vaxel_routing.domain.errors import TenantLimited
from vaxel_vocabulary.content import TenantLimits

__all__ = [
    "CONCURRENCY_RETRY_SECONDS",
    "REPORT_EVERY_SECONDS",
    "Limit",
    "LimitBook",
    "Limits",
    "Permit",
    "TenantLimiter",
]

# A tenant being refused is reported (one log line with the count) at most this often.
REPORT_EVERY_SECONDS = 10.0
# The retry delay given when the tenant's calls in flight are at their bound: about one round trip
# through the routing log under load.
CONCURRENCY_RETRY_SECONDS = 0.05


class Limit(StrEnum):
    """Which limit refused a submission (the ``reason`` label of the refusals counter)."""

    RATE = "rate"
    CONCURRENCY = "concurrency"


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits a tenant is held to now (no zeros: defaults applied)."""

    rate_per_second: float
    burst: int
    max_in_flight: int

    def under(self, contract: TenantLimits) -> Limits:
        """These limits with each field the contract sets (non-zero) taken from it."""
        return Limits(
            contract.submissions_per_second or self.rate_per_second,
            contract.burst or self.burst,
            contract.max_in_flight or self.max_in_flight,
        )


@dataclass(slots=True)
class _Tenant:
    tokens: float
    stamp: float
    in_flight: int = 0
    refusals: int = 0  # since the last report
    reported_at: float | None = None


class Permit:
    """One place among the tenant's submissions in flight; :meth:`release` (or leaving the ``with``)
    gives it back, once."""

    __slots__ = ("_state",)

    def __init__(self, state: _Tenant) -> None:
        self._state: _Tenant | None = state

    def release(self) -> None:
        if self._state is not None:
            self._state.in_flight -= 1
            self._state = None

    def __enter__(self) -> Permit:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class TenantLimiter:
    """The buckets and in-flight counts of every tenant that submitted (tenants are known, bounded)."""

    def __init__(self) -> None:
        self._tenants: dict[str, _Tenant] = {}

    def acquire(self, tenant_id: str, limits: Limits, now: float) -> Permit:
        """A permit for one submission at ``now``; TenantLimited (with the retry delay) if a limit is hit."""
        state = self._tenants.get(tenant_id)
        if state is None:
            state = self._tenants[tenant_id] = _Tenant(tokens=float(limits.burst), stamp=now)
        # Refill since the last look (a clock that went back refills nothing), capped at the burst:
        # a limit lowered by a contract change takes effect at once.
        elapsed = max(0.0, now - state.stamp)
        state.tokens = min(float(limits.burst), state.tokens + elapsed * limits.rate_per_second)
        state.stamp = max(state.stamp, now)
        if state.in_flight >= limits.max_in_flight:
            raise self._refused(
                state, now, TenantLimited(Limit.CONCURRENCY, limits.max_in_flight, CONCURRENCY_RETRY_SECONDS)
            )
        if state.tokens < 1.0:
            wait = (1.0 - state.tokens) / limits.rate_per_second
            raise self._refused(state, now, TenantLimited(Limit.RATE, limits.rate_per_second, wait))
        state.tokens -= 1.0
        state.in_flight += 1
        return Permit(state)

    @staticmethod
    def _refused(state: _Tenant, now: float, refusal: TenantLimited) -> TenantLimited:
        """``refusal``, its ``report`` set to the refusals since the last report when one is due."""
        state.refusals += 1
        if state.reported_at is None or now - state.reported_at >= REPORT_EVERY_SECONDS:
            refusal.report = state.refusals
            state.refusals = 0
            state.reported_at = now
        return refusal

    def in_flight(self, tenant_id: str) -> int:
        state = self._tenants.get(tenant_id)
        return state.in_flight if state else 0


@dataclass(slots=True)
class _Versions:
    starts: list[date] = field(default_factory=list)
    limits: dict[date, TenantLimits] = field(default_factory=dict)


class LimitBook:
    """Each tenant's contract limits by effective date and its zone, as the configuration topic last
    stated them; :meth:`in_force` answers the limits of the version in force today in the zone.

    A version replaces the one with the same effective date; a removal drops it. Idempotent.
    """

    def __init__(self, defaults: Limits) -> None:
        self.defaults = defaults
        self._versions: dict[str, _Versions] = {}
        self._zones: dict[str, ZoneInfo] = {}

    def set_zone(self, tenant_id: str, zone: str) -> None:
        self._zones[tenant_id] = ZoneInfo(zone or "UTC")

    def put(self, tenant_id: str, effective_from: date, limits: TenantLimits) -> None:
        held = self._versions.setdefault(tenant_id, _Versions())
        if effective_from not in held.limits:
            bisect.insort(held.starts, effective_from)
        held.limits[effective_from] = limits

    def remove(self, tenant_id: str, effective_from: date) -> None:
        held = self._versions.get(tenant_id)
        if held is not None and held.limits.pop(effective_from, None) is not None:
            held.starts.remove(effective_from)

    def in_force(self, tenant_id: str, now: datetime) -> Limits:
        """The limits at ``now`` (aware): the contract version whose effective date is the latest on or
        before today in the tenant's zone, over the defaults; the defaults alone without one."""
        held = self._versions.get(tenant_id)
        if held is None or not held.starts:
            return self.defaults
        today = now.astimezone(self._zones.get(tenant_id, ZoneInfo("UTC"))).date()
        index = bisect.bisect_right(held.starts, today) - 1
        if index < 0:
            return self.defaults
        return self.defaults.under(held.limits[held.starts[index]])
