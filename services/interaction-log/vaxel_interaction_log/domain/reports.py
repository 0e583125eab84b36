"""The tenant-level reports: voice of the customer and usage, over the store's tallies.

Both evaluate in the tenant's zone as the configuration replica knows it; a tenant the replica
does not know is NOT_FOUND (only the ops key can name one).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from vaxel_common.errors import NotFound
from vaxel_interaction_log.domain.calendar import (
    LocalPeriod,
    Segment,
    day_number,
    local_days,
    local_span,
    local_weeks,
    week_index,
    zone_of,
)
from vaxel_interaction_log.domain.search import text_filter
from vaxel_interaction_log.domain.usage import DayUsage, Granularity, TenantBook, UsageReport, price
from vaxel_interaction_log.domain.voc import BASELINE_WEEKS, VocFacts, VocOptions, VocRow, voice_of_customer

__all__ = ["ReportReader", "Reports", "UsageResult", "VocResult"]


class ReportReader(Protocol):
    def voc_facts(
        self, tenant_id: str, segments: tuple[Segment, ...], queue_id: str, comments_per_row: int
    ) -> VocFacts:
        """Tallies per ISO week (numbered as in :mod:`calendar`) and queue over the segments."""
        ...

    def usage_by_day(self, tenant_id: str, segments: tuple[Segment, ...]) -> list[DayUsage]:
        """Handled interactions and minutes per local day and channel over the segments."""
        ...


VocResult = tuple[str, LocalPeriod, list[VocRow]]
UsageResult = tuple[str, UsageReport]


class Reports:
    def __init__(self, reader: ReportReader, tenants: TenantBook) -> None:
        self._reader = reader
        self._tenants = tenants

    def _zone(self, tenant_id: str) -> str:
        zone = self._tenants.zone(tenant_id)
        if zone is None:
            raise NotFound("tenant not found")
        return zone

    def voice_of_customer(
        self,
        tenant_id: str,
        start: datetime | None,
        end: datetime | None,
        queue_id: str,
        opts: VocOptions,
        *,
        with_comments: bool,
    ) -> VocResult:
        name = self._zone(tenant_id)
        zone = zone_of(name)
        queue = text_filter("queue_id", queue_id)
        weeks = local_weeks(zone, start, end)
        history = local_span(
            zone, weeks.first_day - timedelta(weeks=BASELINE_WEEKS), weeks.last_day + timedelta(1)
        )
        facts = self._reader.voc_facts(tenant_id, history.segments, queue, opts.comments_per_row)
        first = week_index(day_number(weeks.first_day))
        last = week_index(day_number(weeks.last_day))
        rows = voice_of_customer(facts, range(first, last + 1), queue, opts, with_comments=with_comments)
        return name, weeks, rows

    def usage(
        self, tenant_id: str, start: datetime | None, end: datetime | None, granularity: Granularity
    ) -> UsageResult:
        name = self._zone(tenant_id)
        days = local_days(zone_of(name), start, end)
        usage = self._reader.usage_by_day(tenant_id, days.segments)
        report = price(usage, self._tenants.tariffs(tenant_id), granularity, days.first_day, days.last_day)
        return name, report
