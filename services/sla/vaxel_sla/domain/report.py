"""A tenant's contract compliance: per queue and channel for a range, and per contract period with
met or missed and the service credit. Pure.

Every interval is judged by the terms in force at its start (the contract version of its local date,
:meth:`QueueTerms.at`). The same functions serve the live service (its book fed by the event
stream) and a replay (a fresh book fed by the interaction log's events): equal events give equal
reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from vaxel_sla.domain.book import ServiceLevelBook
from vaxel_sla.domain.contracts import ContractTerms, ServiceCredit, contract_periods
from vaxel_sla.domain.intervals import IntervalStats, service_level
from vaxel_sla.domain.terms import QueueTerms

__all__ = ["CompliancePeriod", "QueueCompliance", "compliance_periods", "compliance_report"]


@dataclass(frozen=True, slots=True)
class QueueCompliance:
    terms: QueueTerms  # as they judge the range's whole (in force at its end)
    channel: int
    period: IntervalStats
    service_level: float | None
    target: float
    intervals_with_traffic: int
    intervals_met: int

    @property
    def met(self) -> bool:
        """The period meets the target (a period with nothing to measure is not a breach)."""
        return self.service_level is None or self.service_level >= self.target


@dataclass(frozen=True, slots=True)
class CompliancePeriod:
    """One contract period of one queue and channel, judged by one contract version (or by the queue's
    own terms when none is in force)."""

    compliance: QueueCompliance
    start: datetime
    end: datetime
    zone: str  # the periods' zone: the tenant's (the queue's while the tenant's is not known)
    contract: ContractTerms | None
    credit: ServiceCredit | None


def _judge(
    book: ServiceLevelBook,
    terms: QueueTerms,
    channel: int,
    start: datetime,
    end: datetime,
    minutes: int,
    now: float,
) -> QueueCompliance:
    """The intervals starting in ``[start, end)``, each judged by the terms in force at its start."""
    whole = terms.at(end - timedelta(microseconds=1))
    target = whole.target_for(channel)
    period = IntervalStats(target.threshold_seconds, whole.short_abandon_seconds)
    with_traffic = met = 0
    for at, stats in book.intervals(terms, channel, start, end, minutes, now):
        if at < start:  # an interval a period boundary cuts belongs to the period it starts in
            continue
        judged = terms.at(at)
        period.merge(stats)
        with_traffic += 1
        level = service_level(stats, judged.formula)
        met += level is None or level >= judged.target_for(channel).target
    return QueueCompliance(
        whole, channel, period, service_level(period, whole.formula), target.target, with_traffic, met
    )


def _channels(book: ServiceLevelBook, terms: QueueTerms) -> list[int]:
    return sorted(set(book.channels(terms.tenant_id, terms.queue_id)) | set(terms.channels))


def compliance_report(
    book: ServiceLevelBook,
    queues: Iterable[QueueTerms],
    start: datetime,
    end: datetime,
    *,
    minutes: int = 15,
    now: float,
) -> list[QueueCompliance]:
    """The range's whole per queue and channel (by the formula and target in force at its end)."""
    return [
        _judge(book, terms, channel, start, end, minutes, now)
        for terms in sorted(queues, key=lambda t: t.queue_id)
        for channel in _channels(book, terms)
    ]


def compliance_periods(
    book: ServiceLevelBook,
    queues: Iterable[QueueTerms],
    start: datetime,
    end: datetime,
    *,
    minutes: int = 15,
    now: float,
) -> list[CompliancePeriod]:
    """Per queue, channel and contract period in ``[start, end)`` (local months of the tenant's zone,
    cut where a version takes effect): figures, target, met or missed, and the credit when missed."""
    out = []
    for terms in sorted(queues, key=lambda t: t.queue_id):
        periods = contract_periods(terms.contracts, terms.time_zone, start, end)
        zone = terms.contracts.zone_for(terms.time_zone) if terms.contracts else terms.time_zone
        for channel in _channels(book, terms):
            for cut in periods:
                row = _judge(book, terms, channel, cut.start, cut.end, minutes, now)
                credit = (
                    None
                    if cut.contract is None or row.met
                    else cut.contract.credit_for(channel, row.service_level, row.target)
                )
                out.append(CompliancePeriod(row, cut.start, cut.end, zone, cut.contract, credit))
    return out
