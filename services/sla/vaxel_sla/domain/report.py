"""A tenant's contract compliance for a period: per queue and channel, by the contract formula. Pure.

The same function serves the live service (its book fed by the event stream) and a replay (a
fresh book fed by the interaction log's events): equal events give equal reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from vaxel_sla.domain.book import ServiceLevelBook
from vaxel_sla.domain.intervals import IntervalStats, service_level
from vaxel_sla.domain.terms import QueueTerms

__all__ = ["QueueCompliance", "compliance_report"]


@dataclass(frozen=True, slots=True)
class QueueCompliance:
    terms: QueueTerms
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


def compliance_report(
    book: ServiceLevelBook,
    queues: Iterable[QueueTerms],
    start: datetime,
    end: datetime,
    *,
    minutes: int = 15,
    now: float,
) -> list[QueueCompliance]:
    out = []
    for terms in sorted(queues, key=lambda t: t.queue_id):
        channels = sorted(set(book.channels(terms.tenant_id, terms.queue_id)) | set(terms.channels))
        for channel in channels:
            target = terms.target_for(channel)
            period = IntervalStats(target.threshold_seconds, terms.short_abandon_seconds)
            with_traffic = met = 0
            for _, stats in book.intervals(terms, channel, start, end, minutes, now):
                period.merge(stats)
                with_traffic += 1
                level = service_level(stats, terms.formula)
                met += level is None or level >= target.target
            out.append(
                QueueCompliance(
                    terms,
                    channel,
                    period,
                    service_level(period, terms.formula),
                    target.target,
                    with_traffic,
                    met,
                )
            )
    return out
