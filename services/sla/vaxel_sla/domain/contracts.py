"""A tenant's contract history as the SLA service reads it: which version is in force, the contract
periods, and the service credit a missed period earns. Pure.

client-tenant keeps the versions (``SetContractVersion``); each applies from its effective date, a
local date in the tenant's zone, until the next version's. Versions are per tenant (every queue of
the tenant is under the same contract). What a version sets for service levels:

- the formula of every interval from its effective date on;
- the target and threshold of every channel the queue sets no target of its own for (a queue's
  own target per channel, e.g. e-mail within 24 business hours, stays: the contract's is the
  default, as ``tenant.v1.ContractVersion.target_percent`` says);
- the service-credit rules of the periods it judges.

A contract period is a local calendar month in the tenant's zone, cut where a new version takes
effect, so that each period is judged by exactly one version.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from vaxel_sla.domain.intervals import Formula

__all__ = [
    "ContractBook",
    "ContractHistory",
    "ContractPeriod",
    "ContractTerms",
    "CreditRule",
    "ServiceCredit",
    "contract_periods",
    "local_midnight",
]


@dataclass(frozen=True, slots=True)
class CreditRule:
    """A period of ``channel`` (0: every channel) whose service level is below ``below_percent`` earns
    ``credit_percent`` of its charges plus ``amount_minor`` (minor units of the contract's currency)."""

    channel: int
    below_percent: float
    credit_percent: float
    amount_minor: int = 0


@dataclass(frozen=True, slots=True)
class ServiceCredit:
    """What a missed period earns: the rule that applied and the contract's currency."""

    rule: CreditRule
    currency: str


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """The service-level part of one contract version."""

    effective_from: date
    formula: Formula
    target: float  # 0..1
    threshold_seconds: float
    currency: str = ""
    credits: tuple[CreditRule, ...] = ()

    def credit_for(self, channel: int, level: float | None, target: float) -> ServiceCredit | None:
        """The credit a period of ``channel`` at ``level`` earns: None when the period met ``target``
        (or had nothing to measure); else the rule with the lowest threshold the level is under."""
        if level is None or level >= target:
            return None
        percent = round(level * 100, 9)  # 0.7 * 100 is 70.00000000000001: not below a 70 % rule
        rules = [r for r in self.credits if r.channel in (0, channel) and percent < r.below_percent]
        if not rules:
            return None
        rule = min(rules, key=lambda r: (r.below_percent, -r.credit_percent, -r.amount_minor))
        return ServiceCredit(rule, self.currency)


def local_midnight(day: date, zone: str) -> datetime:
    """UTC instant ``day`` begins in ``zone`` (where midnight falls in a DST gap: the end of the gap)."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ContractHistory:
    """One tenant's versions, oldest first, and the zone their effective dates are read in ("" when the
    tenant's zone is not known: the queue's zone is used)."""

    zone: str
    versions: tuple[ContractTerms, ...]
    _starts: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", tuple(v.effective_from for v in self.versions))

    def zone_for(self, queue_zone: str) -> str:
        return self.zone or queue_zone or "UTC"

    def on(self, day: date) -> ContractTerms | None:
        """The version in force on local date ``day``: the latest effective on or before it."""
        index = bisect.bisect_right(self._starts, day) - 1
        return self.versions[index] if index >= 0 else None

    def at(self, instant: datetime, queue_zone: str) -> ContractTerms | None:
        """The version in force at ``instant`` (its local date in the tenant's zone)."""
        return self.on(instant.astimezone(ZoneInfo(self.zone_for(queue_zone))).date())


@dataclass(frozen=True, slots=True)
class ContractPeriod:
    """``[start, end)`` in UTC: one local month, or the part of it one version judges."""

    start: datetime
    end: datetime
    contract: ContractTerms | None


def _month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def contract_periods(
    history: ContractHistory | None, queue_zone: str, start: datetime, end: datetime
) -> list[ContractPeriod]:
    """The contract periods in ``[start, end)``: local calendar months in the tenant's zone, cut at
    every version's effective date, clipped to the range. Without a history: months in the queue's zone."""
    zone = history.zone_for(queue_zone) if history else (queue_zone or "UTC")
    first_day = start.astimezone(ZoneInfo(zone)).date()
    cuts: set[datetime] = set()
    month = _month_after(first_day)
    while (edge := local_midnight(month, zone)) < end:
        cuts.add(edge)
        month = _month_after(month)
    if history is not None:
        cuts.update(local_midnight(v.effective_from, zone) for v in history.versions)
    edges = [start, *sorted(c for c in cuts if start < c < end), end]
    return [ContractPeriod(a, b, history.at(a, queue_zone) if history else None) for a, b in pairwise(edges)]


class ContractBook:
    """Every tenant's contract versions and zone, as the configuration topic last stated them.

    A version replaces the one with the same effective date; a tombstone removes it. Idempotent:
    applying a change twice leaves the same book.
    """

    def __init__(self) -> None:
        self._versions: dict[str, dict[date, ContractTerms]] = {}
        self._zones: dict[str, str] = {}
        self._histories: dict[str, ContractHistory | None] = {}

    def put(self, tenant_id: str, contract: ContractTerms) -> None:
        self._versions.setdefault(tenant_id, {})[contract.effective_from] = contract
        self._histories.pop(tenant_id, None)

    def remove(self, tenant_id: str, effective_from: date) -> None:
        self._versions.get(tenant_id, {}).pop(effective_from, None)
        self._histories.pop(tenant_id, None)

    def set_zone(self, tenant_id: str, zone: str) -> None:
        if self._zones.get(tenant_id) != zone:
            self._zones[tenant_id] = zone
            self._histories.pop(tenant_id, None)

    def history(self, tenant_id: str) -> ContractHistory | None:
        """The tenant's history (one snapshot per change); None: no version recorded."""
        if tenant_id not in self._histories:
            held = self._versions.get(tenant_id, {})
            self._histories[tenant_id] = (
                ContractHistory(self._zones.get(tenant_id, ""), tuple(held[d] for d in sorted(held)))
                if held
                else None
            )
        return self._histories[tenant_id]
