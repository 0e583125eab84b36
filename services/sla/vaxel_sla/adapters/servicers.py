"""gRPC servicer of the SLA API: converts, delegates to the domain, converts back.

Every call is scoped by the caller: a tenant key reads its own tenant; the ops key names any
tenant (and, where a call allows it, all of them). Another tenant's queue is NOT_FOUND.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel_common.auth import current_principal
from vaxel_common.deadline import WorkDeadline
from vaxel_common.errors import InvalidArgument, NotFound, PermissionDenied
from vaxel_common.grpc_server import Context
from vaxel_sla.adapters import bounds
from vaxel_sla.adapters.converters import (
    agent_time_to_pb,
    agent_to_pb,
    alert_to_pb,
    compliance_to_pb,
    figures_to_pb,
    period_to_pb,
    projection_to_pb,
    ts,
)
from vaxel_sla.domain.alerts import AlertBook
from vaxel_sla.domain.book import ServiceLevelBook, estimated_wait
from vaxel_sla.domain.erlang import StaffingInputError
from vaxel_sla.domain.forecast import PLAN_METHOD, Traffic
from vaxel_sla.domain.intervals import interval_start
from vaxel_sla.domain.outlook import SERVING_WINDOW_SECONDS, ForecastCache, project_queue
from vaxel_sla.domain.planning import ForecastInterval, Site, agent_hours, cover_by_sites, forecast_day, staff
from vaxel_sla.domain.report import compliance_periods, compliance_report
from vaxel_sla.domain.terms import QueueTerms, TermsReplica
from vaxel_sla.domain.utilisation import QueueAgents, by_site, by_tenant, scoped_to
from vaxel_vocabulary.limits import excerpt
from vaxel_vocabulary.validation import validate_time_zone

__all__ = ["SlaServicer"]

# Intervals listed between two deadline checks.
_STEP = 500
# Agents whose time is summed between two deadline checks.
_AGENTS_STEP = 100
# At most a day's average speed of answer.
_MAX_ASA_SECONDS = 86_400.0


class SlaServicer(sla_pb2_grpc.SlaServiceServicer):
    def __init__(
        self,
        book: ServiceLevelBook,
        terms: TermsReplica,
        alerts: AlertBook,
        *,
        max_work_seconds: float = 60.0,
        default_aht_seconds: float = 300.0,
        forecasts: ForecastCache | None = None,
        forecast_method: str = PLAN_METHOD,
    ) -> None:
        self._book = book
        self._terms = terms
        self._alerts = alerts
        self._max_work_seconds = max_work_seconds
        self._default_aht_seconds = default_aht_seconds
        self._forecasts = forecasts if forecasts is not None else ForecastCache()
        self._forecast_method = forecast_method

    def _deadline(self, context: Context) -> WorkDeadline:
        return WorkDeadline(context, self._max_work_seconds)

    def _queue(self, requested_tenant: str, queue_id: str) -> QueueTerms:
        tenant_id = bounds.tenant(requested_tenant)
        if not queue_id:
            raise InvalidArgument("queue_id", "required")
        terms = self._terms.get(tenant_id, queue_id)
        if terms is None:
            raise NotFound(f"queue {excerpt(queue_id)} not found")
        return terms

    def _channels(self, terms: QueueTerms, only: int = 0) -> list[int]:
        channels = sorted(set(terms.channels) | set(self._book.channels(terms.tenant_id, terms.queue_id)))
        return [only] if only else channels

    async def GetQueueStatistics(  # noqa: N802  (gRPC method name)
        self, request: sla_pb2.GetQueueStatisticsRequest, context: Context
    ) -> sla_pb2.GetQueueStatisticsResponse:
        bounds.check_request(request)
        now = time.time()
        terms = self._queue(request.tenant_id, request.queue_id).at(datetime.fromtimestamp(now, UTC))
        start = interval_start(datetime.fromtimestamp(now, UTC), terms.time_zone, 15)
        waiting = self._book.waiting(terms.tenant_id, terms.queue_id)
        statistics = sla_pb2.QueueStatistics(
            tenant_id=terms.tenant_id,
            queue_id=terms.queue_id,
            time_zone=terms.time_zone,
            waiting=len(waiting),
            longest_waiting_seconds=now - waiting[0].created_at if waiting else 0.0,
            estimated_wait_seconds=estimated_wait(waiting, now),
        )
        for channel in self._channels(terms):
            current = self._book.stats(terms, channel, start, 15, now)
            statistics.offered += current.offered
            statistics.current.append(figures_to_pb(current, terms, channel, start, 15))
            statistics.rolling_hour.append(
                figures_to_pb(self._book.rolling(terms, channel, now), terms, channel, None, 60)
            )
        agents = self._book.queue_agents(now, now - SERVING_WINDOW_SECONDS).get(
            (terms.tenant_id, terms.queue_id), QueueAgents()
        )
        for lane in project_queue(
            self._book,
            terms,
            now,
            agents,
            default_aht_seconds=self._default_aht_seconds,
            forecasts=self._forecasts,
            forecast_method=self._forecast_method,
        ):
            statistics.projected.extend(projection_to_pb(lane))
        statistics.open_alerts.extend(
            alert_to_pb(a)
            for a in self._alerts.for_tenant(terms.tenant_id)
            if a.key.queue_id == terms.queue_id
        )
        return sla_pb2.GetQueueStatisticsResponse(statistics=statistics)

    async def ListIntervals(  # noqa: N802
        self, request: sla_pb2.ListIntervalsRequest, context: Context
    ) -> sla_pb2.ListIntervalsResponse:
        bounds.check_request(request)
        terms = self._queue(request.tenant_id, request.queue_id)
        first, last = bounds.period(
            getattr(request, "from"), request.to, request.HasField("from"), request.HasField("to")
        )
        minutes = bounds.minutes(request.interval_minutes)
        only = bounds.channel(int(request.channel))
        deadline = self._deadline(context)
        now = time.time()
        reply = sla_pb2.ListIntervalsResponse()
        for channel in self._channels(terms, only):
            for n, (start, stats) in enumerate(
                self._book.intervals(terms, channel, first, last, minutes, now)
            ):
                if n % _STEP == 0:
                    await deadline.checkpoint()
                reply.intervals.append(figures_to_pb(stats, terms, channel, start, minutes))
        reply.intervals.sort(key=lambda f: (f.interval_start.seconds, f.channel))
        return reply

    async def GetComplianceReport(  # noqa: N802
        self, request: sla_pb2.GetComplianceReportRequest, context: Context
    ) -> sla_pb2.GetComplianceReportResponse:
        bounds.check_request(request)
        tenant_id = bounds.tenant(request.tenant_id)
        first, last = bounds.period(
            getattr(request, "from"), request.to, request.HasField("from"), request.HasField("to")
        )
        minutes = bounds.minutes(request.interval_minutes)
        deadline = self._deadline(context)
        reply = sla_pb2.GetComplianceReportResponse(tenant_id=tenant_id, to=ts(last))
        getattr(reply, "from").CopyFrom(ts(first))
        now = time.time()
        for queue in sorted(self._terms.all(tenant_id), key=lambda t: t.queue_id):
            await deadline.checkpoint()  # a report is a queue's period at a time
            report = compliance_report(self._book, [queue], first, last, minutes=minutes, now=now)
            reply.queues.extend(compliance_to_pb(row, minutes) for row in report)
            periods = compliance_periods(self._book, [queue], first, last, minutes=minutes, now=now)
            reply.periods.extend(period_to_pb(row, minutes) for row in periods)
        return reply

    async def GetAgentUtilisation(  # noqa: N802
        self, request: sla_pb2.GetAgentUtilisationRequest, context: Context
    ) -> sla_pb2.GetAgentUtilisationResponse:
        bounds.check_request(request)
        tenant_id = bounds.tenant(request.tenant_id, all_allowed=True)
        first, last = bounds.period(
            getattr(request, "from"), request.to, request.HasField("from"), request.HasField("to")
        )
        deadline = self._deadline(context)
        now = time.time()
        agents = []
        ids = self._book.agent_ids()
        for at in range(0, len(ids), _AGENTS_STEP):
            await deadline.checkpoint()  # a slice of the agents at a time: SIGTERM and deadlines get in
            agents.extend(
                self._book.agent_utilisation(
                    first.timestamp(), last.timestamp(), now, ids[at : at + _AGENTS_STEP]
                )
            )
        if tenant_id:  # a tenant's view: its share of each agent that served it, nothing of others
            agents = scoped_to(agents, tenant_id)
        reply = sla_pb2.GetAgentUtilisationResponse(
            tenant_id=tenant_id,
            to=ts(last),
            agents=[agent_to_pb(a) for a in agents],
            tenants={t: agent_time_to_pb(f) for t, f in by_tenant(agents).items()},
            sites={} if tenant_id else {s: agent_time_to_pb(f) for s, f in by_site(agents).items()},
        )
        getattr(reply, "from").CopyFrom(ts(first))
        return reply

    async def ListAlerts(  # noqa: N802
        self, request: sla_pb2.ListAlertsRequest, context: Context
    ) -> sla_pb2.ListAlertsResponse:
        bounds.check_request(request)
        tenant_id = bounds.tenant(request.tenant_id, all_allowed=True)
        return sla_pb2.ListAlertsResponse(
            alerts=[alert_to_pb(a) for a in self._alerts.for_tenant(tenant_id or None)]
        )

    async def GetStaffingPlan(  # noqa: N802
        self, request: sla_pb2.GetStaffingPlanRequest, context: Context
    ) -> sla_pb2.GetStaffingPlanResponse:
        bounds.check_request(request)
        terms = self._queue(request.tenant_id, request.queue_id)
        day = bounds.day(request.date, "date")
        channel = bounds.channel(int(request.channel)) or (terms.channels[0] if terms.channels else 1)
        minutes = bounds.minutes(request.interval_minutes)
        weeks = bounds.weeks(request.history_weeks)
        bounds.enum_value(int(request.model), sla_pb2.StaffingModel.values(), "model")
        if not 0 <= request.shrinkage <= 0.9:
            raise InvalidArgument("shrinkage", "between 0 and 0.9")
        if request.concurrency > 10:
            raise InvalidArgument("concurrency", "at most 10")
        if not 0 <= request.max_occupancy <= 1:
            raise InvalidArgument("max_occupancy", "between 0 and 1")
        if not 0 <= request.max_asa_seconds <= _MAX_ASA_SECONDS:
            raise InvalidArgument("max_asa_seconds", f"between 0 and {_MAX_ASA_SECONDS:,.0f}")
        await self._deadline(context).checkpoint()  # one day's plan: a bounded step
        target = terms.target_for(channel)
        patience = None
        if request.model == sla_pb2.STAFFING_MODEL_ERLANG_A:
            patience = self._book.patience_seconds(terms.tenant_id, terms.queue_id, channel) or 3600.0
        try:
            plan = self._plan(request, terms, channel, day, minutes, weeks, patience)
        except StaffingInputError as error:  # ImpossibleTargetError too: the field that cannot be met
            raise InvalidArgument(error.field, error.reason) from None
        reply = sla_pb2.GetStaffingPlanResponse(
            tenant_id=terms.tenant_id,
            queue_id=terms.queue_id,
            time_zone=terms.time_zone,
            target=target.target,
            threshold_seconds=round(target.threshold_seconds),
            patience_seconds=patience or 0.0,
        )
        for interval in plan:
            s = interval.staffing
            if s is None:
                continue
            reply.intervals.append(
                sla_pb2.StaffingInterval(
                    interval_start=ts(interval.start),
                    local_start=interval.local_start,
                    forecast_arrivals=interval.arrivals,
                    aht_seconds=interval.aht_seconds,
                    traffic_erlangs=s.traffic,
                    agents=s.agents,
                    scheduled=s.scheduled,
                    service_level=s.service_level,
                    asa_seconds=s.asa_seconds if s.asa_seconds != float("inf") else 0.0,
                    occupancy=s.occupancy,
                    abandon_probability=s.abandon_probability,
                )
            )
        return reply

    def _plan(
        self,
        request: sla_pb2.GetStaffingPlanRequest,
        terms: QueueTerms,
        channel: int,
        day: date,
        minutes: int,
        weeks: int,
        patience: float | None,
    ) -> list[ForecastInterval]:
        target = terms.target_for(channel)
        return staff(
            forecast_day(
                self._book.arrivals(terms.tenant_id, terms.queue_id, channel),
                terms.time_zone,
                day,
                minutes=minutes,
                weeks=weeks,
                method=self._forecast_method,
            ),
            minutes=minutes,
            target=target.target,
            threshold_seconds=target.threshold_seconds,
            shrinkage=request.shrinkage,
            concurrency=request.concurrency or 1,
            max_asa_seconds=request.max_asa_seconds or None,
            max_occupancy=request.max_occupancy or 1.0,
            patience_seconds=patience,
        )

    async def PlanSites(  # noqa: N802
        self, request: sla_pb2.PlanSitesRequest, context: Context
    ) -> sla_pb2.PlanSitesResponse:
        if current_principal().tenant_id is not None:
            raise PermissionDenied("site plans cover shared pools: provider ops only")
        bounds.check_request(request)
        day = bounds.day(request.date, "date")
        if not request.sites:
            raise InvalidArgument("sites", "at least one site")
        bounds.count(len(request.sites), bounds.MAX_SITES, "sites")
        bounds.count(len(request.tenant_ids), bounds.MAX_TENANTS, "tenant_ids")
        sites = [
            Site(
                s.site_id or f"site-{i}",
                validate_time_zone(f"sites[{i}].time_zone", s.time_zone),
                bounds.local_clock(s.opens, f"sites[{i}].opens"),
                bounds.local_clock(s.closes, f"sites[{i}].closes"),
                s.weekends,
                s.max_agents,
            )
            for i, s in enumerate(request.sites)
        ]
        if not 0 <= request.shrinkage <= 0.9:
            raise InvalidArgument("shrinkage", "between 0 and 0.9")
        weeks = bounds.weeks(request.history_weeks)
        try:
            required = await self._site_requirement(request, day, weeks, self._deadline(context))
        except StaffingInputError as error:  # ImpossibleTargetError too, as in GetStaffingPlan
            raise InvalidArgument(error.field, error.reason) from None
        coverage = cover_by_sites(required, sites)
        hours, uncovered = agent_hours(coverage, 15)
        reply = sla_pb2.PlanSitesResponse(agent_hours=hours, uncovered_agent_hours=uncovered)
        for c in coverage:
            reply.intervals.append(
                sla_pb2.SiteInterval(
                    interval_start=ts(c.start),
                    required=c.required,
                    covered_by=c.covered_by,
                    uncovered=c.uncovered,
                )
            )
        return reply

    async def _site_requirement(
        self, request: sla_pb2.PlanSitesRequest, day: date, weeks: int, deadline: WorkDeadline
    ) -> dict[datetime, int]:
        """Scheduled agents per UTC quarter hour of the day, summed over the wanted tenants' queues."""
        wanted = set(request.tenant_ids)
        start = datetime.combine(day, clock(0), UTC)
        required = {start + timedelta(minutes=15 * i): 0 for i in range(96)}
        for terms in self._terms.all():
            if wanted and terms.tenant_id not in wanted:
                continue
            for channel in self._channels(terms):
                target = terms.target_for(channel)
                arrivals = Traffic.of(self._book.arrivals(terms.tenant_id, terms.queue_id, channel))
                for local_day in (day - timedelta(days=1), day, day + timedelta(days=1)):
                    await deadline.checkpoint()  # one queue's day at a time: SIGTERM and deadlines get in
                    forecast = forecast_day(
                        arrivals, terms.time_zone, local_day, weeks=weeks, method=self._forecast_method
                    )
                    for interval in staff(
                        forecast,
                        minutes=15,
                        target=target.target,
                        threshold_seconds=target.threshold_seconds,
                        shrinkage=request.shrinkage,
                    ):
                        if interval.start in required and interval.staffing is not None:
                            required[interval.start] += interval.staffing.scheduled
        return required
