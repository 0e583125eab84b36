"""Usage metering for billing: handled interactions and minutes, priced by the contract in force.

Definitions (docs/interaction-log.md states them for the billing department):

- a *handled interaction* was answered by an agent and its handling has ended;
- its *handled minutes* are talk plus wrap-up (connected to wrapped up, or to ended when there
  was no wrap-up), rounded up to whole minutes per interaction, at least one (every started
  minute counts, as telephony bills); the store sums them per local day and channel;
- each local day (in the tenant's zone) is priced with the contract version in force that day:
  the latest whose ``effective_from`` is on or before it. A channel's rate is per handled minute
  or per handled interaction, in minor units of the contract's currency (integers: no rounding).

:class:`TenantBook` is the replica of the tenants' zones and contract versions (from the
configuration topic); :func:`price` turns day-level usage into invoice lines.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

__all__ = [
    "DayUsage",
    "Granularity",
    "Rate",
    "Tariff",
    "TenantBook",
    "Unit",
    "UsageLine",
    "UsageReport",
    "UsageTotal",
    "bucket_of",
    "price",
]


class Granularity(Enum):
    DAY = "day"
    MONTH = "month"


class Unit(Enum):
    PER_HANDLED_MINUTE = "per_handled_minute"
    PER_INTERACTION = "per_interaction"


@dataclass(frozen=True, slots=True)
class Rate:
    unit: Unit
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Tariff:
    """The billing part of one contract version: from ``effective_from`` (a local date) on."""

    effective_from: date
    currency: str
    rates: dict[int, Rate] = field(default_factory=dict)  # by channel number


@dataclass(frozen=True, slots=True)
class DayUsage:
    """What the store counts: one local day and channel."""

    day: date
    channel: int
    interactions: int
    minutes: int


@dataclass(frozen=True, slots=True)
class UsageLine:
    start_date: date
    end_date: date
    channel: int
    interactions: int
    minutes: int
    tariff: Tariff | None
    rate: Rate | None
    amount_minor: int

    @property
    def priced(self) -> bool:
        return self.rate is not None


@dataclass(frozen=True, slots=True)
class UsageTotal:
    channel: int
    interactions: int
    minutes: int


@dataclass(frozen=True, slots=True)
class UsageReport:
    first_day: date
    last_day: date
    lines: tuple[UsageLine, ...]
    totals: tuple[UsageTotal, ...]
    amounts: dict[str, int]  # currency -> minor units, priced lines only
    unpriced_interactions: int


class TenantBook:
    """Every tenant's zone and tariffs, as the configuration topic last stated them."""

    def __init__(self) -> None:
        self._zones: dict[str, str] = {}
        self._tariffs: dict[str, dict[date, Tariff]] = defaultdict(dict)

    def set_zone(self, tenant_id: str, time_zone: str) -> None:
        self._zones[tenant_id] = time_zone

    def zone(self, tenant_id: str) -> str | None:
        """The tenant's IANA zone; None for a tenant the replica does not know."""
        return self._zones.get(tenant_id)

    def put_tariff(self, tenant_id: str, tariff: Tariff) -> None:
        """A version replaces the one with the same effective date."""
        self._tariffs[tenant_id][tariff.effective_from] = tariff

    def remove_tariff(self, tenant_id: str, effective_from: date) -> None:
        self._tariffs[tenant_id].pop(effective_from, None)

    def tariffs(self, tenant_id: str) -> list[Tariff]:
        """Oldest first."""
        held = self._tariffs.get(tenant_id, {})
        return [held[d] for d in sorted(held)]


def _in_force(starts: list[date], day: date) -> int:
    """Index of the tariff in force on ``day`` (-1: none yet)."""
    return bisect.bisect_right(starts, day) - 1


def bucket_of(day: date, granularity: Granularity) -> tuple[date, date]:
    """The bucket's first and last day."""
    if granularity is Granularity.DAY:
        return day, day
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def price(
    usage: Iterable[DayUsage],
    tariffs: list[Tariff],
    granularity: Granularity,
    first_day: date,
    last_day: date,
) -> UsageReport:
    """Invoice lines: per bucket, channel and tariff; each day priced by the tariff in force."""
    ordered = sorted(tariffs, key=lambda t: t.effective_from)
    starts = [t.effective_from for t in ordered]
    # (bucket start, channel, tariff index) -> [interactions, minutes]
    sums: dict[tuple[date, int, int], list[int]] = defaultdict(lambda: [0, 0])
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for day in usage:
        if not first_day <= day.day <= last_day:
            continue
        bucket, _ = bucket_of(day.day, granularity)
        held = sums[(bucket, day.channel, _in_force(starts, day.day))]
        held[0] += day.interactions
        held[1] += day.minutes
        totals[day.channel][0] += day.interactions
        totals[day.channel][1] += day.minutes
    lines: list[UsageLine] = []
    amounts: dict[str, int] = defaultdict(int)
    unpriced = 0
    for (bucket, channel, index), (interactions, minutes) in sorted(sums.items()):
        tariff = ordered[index] if index >= 0 else None
        valid_from = tariff.effective_from if tariff else first_day
        valid_to = starts[index + 1] - timedelta(days=1) if index + 1 < len(starts) else last_day
        _, bucket_end = bucket_of(bucket, granularity)
        rate = tariff.rates.get(channel) if tariff else None
        amount = 0
        if rate is not None and tariff is not None:
            units = minutes if rate.unit is Unit.PER_HANDLED_MINUTE else interactions
            amount = units * rate.amount_minor
            amounts[tariff.currency] += amount
        else:
            unpriced += interactions
        lines.append(
            UsageLine(
                start_date=max(bucket, valid_from, first_day),
                end_date=min(bucket_end, valid_to, last_day),
                channel=channel,
                interactions=interactions,
                minutes=minutes,
                tariff=tariff,
                rate=rate,
                amount_minor=amount,
            )
        )
    lines.sort(key=lambda line: (line.start_date, line.channel, line.end_date))
    return UsageReport(
        first_day=first_day,
        last_day=last_day,
        lines=tuple(lines),
        totals=tuple(UsageTotal(c, i, m) for c, (i, m) in sorted(totals.items())),
        amounts=dict(sorted(amounts.items())),
        unpriced_interactions=unpriced,
    )
