"""The SLA service through the real broker: interval figures from shuffled and duplicated events,
breach alerts raised once and cleared, figures and alerts surviving a restart, the contract report
equal by replay of the event log, the staffing plan from history, and bad input."""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from tests.fixtures.platform import eventually, onboard_tenant, sample, scrape, tenant_events
from vaxel.events.v1 import events_pb2
from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.events import encode_event, new_event
from vaxel_common.kafka import sync_producer
from vaxel_common.provenance import producer_of
from vaxel_common.supervisor import Platform, wait_serving
from vaxel_common.topics import INTERACTION_EVENTS, SLA_ALERTS
from vaxel_sla.adapters.converters import fact_of, terms_from_pb
from vaxel_sla.domain.book import ServiceLevelBook
from vaxel_sla.domain.facts import InteractionFact
from vaxel_sla.domain.intervals import interval_start
from vaxel_sla.domain.report import compliance_report

pytestmark = pytest.mark.integration
VOICE = types_pb2.CHANNEL_VOICE
STOCKHOLM = ZoneInfo("Europe/Stockholm")


class SlaTenant:
    def __init__(self, platform: Platform, channels: dict[str, grpc.Channel]) -> None:
        self.tenant_id, self.key = onboard_tenant(
            platform,
            channels,
            f"SLA {uuid.uuid4().hex[:6]}",
            "SE",
            "Europe/Stockholm",
            "sv-SE",
            ("config:read", "config:write", "reports:read"),
        )
        tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
        self.queue = tenants.CreateQueue(
            tenant_pb2.CreateQueueRequest(
                name="Support",
                channels=[VOICE],
                language="sv-SE",
                configuration=tenant_pb2.Queue(
                    time_zone="Europe/Stockholm",
                    service_level_targets=[
                        tenant_pb2.ServiceLevelTarget(
                            channel=VOICE, target_percent=80, threshold=Duration(seconds=20)
                        )
                    ],
                    service_level_formula=tenant_pb2.SERVICE_LEVEL_FORMULA_ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED,
                ),
            ),
            metadata=self.key,
        ).queue
        self.sla = sla_pb2_grpc.SlaServiceStub(channels["sla"])

    def events(self, n: int, created: datetime, wait: float, tag: str) -> list[events_pb2.Event]:
        """``n`` voice calls created at ``created``, answered after ``wait`` seconds, wrapped up."""
        out = []
        for i in range(n):
            interaction_id = f"{tag}-{i}-{uuid.uuid4().hex[:6]}"
            steps: list[tuple[object, float]] = [
                (
                    events_pb2.InteractionCreated(
                        queue_id=self.queue.queue_id, channel=VOICE, customer_ref=f"c-{tag}-{i}"
                    ),
                    0,
                ),
                (events_pb2.InteractionConnected(offer_id="o"), wait),
                (events_pb2.InteractionWrappedUp(disposition="solved"), wait + 200),
            ]
            for payload, offset in steps:
                out.append(
                    new_event(
                        payload,  # type: ignore[arg-type]
                        tenant_id=self.tenant_id,
                        producer=producer_of(payload),
                        interaction_id=interaction_id,
                        agent_id="agent-1",
                        occurred_at=created + timedelta(seconds=offset),
                    )
                )
        return out

    def current(self) -> sla_pb2.IntervalFigures:
        stats = self.sla.GetQueueStatistics(
            sla_pb2.GetQueueStatisticsRequest(queue_id=self.queue.queue_id), metadata=self.key, timeout=5
        ).statistics
        return next(f for f in stats.current if f.channel == VOICE)


def publish(platform: Platform, events: list[events_pb2.Event], duplicates: int = 0) -> None:
    delivered = events + random.Random(7).sample(events, duplicates)  # noqa: S311  (test data)
    random.Random(3).shuffle(delivered)  # noqa: S311
    producer = sync_producer(platform.kafka_bootstrap, "sla-test")
    for event in delivered:
        producer.send(INTERACTION_EVENTS.name, encode_event(event), key=event.interaction_id.encode())
    producer.flush()
    producer.close()


@pytest.fixture
def sla_tenant(platform: Platform, channels: dict[str, grpc.Channel]) -> SlaTenant:
    return SlaTenant(platform, channels)


@pytest.fixture
def interval() -> datetime:
    """The current Stockholm quarter hour, with at least 90 seconds left in it."""
    now = datetime.now(UTC)
    start = interval_start(now, "Europe/Stockholm", 15)
    if start + timedelta(minutes=15) - now < timedelta(seconds=90):
        time.sleep((start + timedelta(minutes=15) - now).total_seconds() + 1)
        start = interval_start(datetime.now(UTC), "Europe/Stockholm", 15)
    return start


def alerts_of(platform: Platform, tenant_id: str) -> list[events_pb2.ServiceLevelAlert]:
    """The tenant's breach alerts on the topic (a predicted breach may come and go first, while the
    created events are in and the answers not yet)."""
    events = tenant_events(platform, SLA_ALERTS.name, {tenant_id})
    return [
        e.service_level_alert
        for e in events
        if e.service_level_alert.kind == events_pb2.ServiceLevelAlert.KIND_BREACH
    ]


def test_breach_raised_once_survives_a_restart_and_clears_on_recovery(
    platform: Platform, sla_tenant: SlaTenant, interval: datetime
) -> None:
    t = sla_tenant
    created = max(interval + timedelta(seconds=5), datetime.now(UTC) - timedelta(seconds=120))
    late = t.events(6, created, wait=45, tag="late")  # all answered after the 20 s threshold
    publish(platform, late, duplicates=8)

    def breached() -> sla_pb2.IntervalFigures:
        figures = t.current()
        assert (figures.offered, figures.answered, figures.answered_within) == (6, 6, 0)
        assert figures.HasField("service_level")
        assert figures.service_level == 0.0
        assert figures.target == pytest.approx(0.8)
        assert figures.aht_seconds == 200
        return figures

    eventually(breached)

    def one_breach_alert() -> events_pb2.ServiceLevelAlert:
        alerts = alerts_of(platform, t.tenant_id)
        assert [(a.kind, a.state) for a in alerts] == [
            (events_pb2.ServiceLevelAlert.KIND_BREACH, events_pb2.ServiceLevelAlert.STATE_RAISED)
        ]
        return alerts[0]

    raised = eventually(one_breach_alert)
    listed = t.sla.ListAlerts(sla_pb2.ListAlertsRequest(), metadata=t.key, timeout=5).alerts
    assert [a.alert_id for a in listed if a.kind == sla_pb2.ALERT_KIND_BREACH] == [raised.alert_id]
    metrics = scrape(platform.processes["sla"].metrics_url)
    assert sample(metrics, "vaxel_sla_alerts_open", tenant=t.tenant_id, kind="breach") == 1.0
    assert sample(metrics, "vaxel_sla_offered_total", tenant=t.tenant_id, channel="voice") == 6.0

    # A restart rebuilds the figures from the log and the open alert from the alerts topic.
    before = breached()
    platform.stop_service("sla")
    platform.start_service(platform.processes["sla"].spec)
    wait_serving(platform.processes["sla"].grpc_target, 60, platform.processes["sla"].process)
    assert eventually(breached) == before
    time.sleep(3)  # several evaluation rounds
    one_breach_alert()  # not raised again

    # Recovery: 30 calls answered within the threshold take the interval to 30/36 >= 80 %.
    publish(platform, t.events(30, created, wait=5, tag="fast"))

    def cleared() -> None:
        alerts = alerts_of(platform, t.tenant_id)
        assert [a.state for a in alerts] == [
            events_pb2.ServiceLevelAlert.STATE_RAISED,
            events_pb2.ServiceLevelAlert.STATE_CLEARED,
        ]
        assert alerts[1].alert_id == alerts[0].alert_id

    eventually(cleared)
    assert t.sla.ListAlerts(sla_pb2.ListAlertsRequest(), metadata=t.key, timeout=5).alerts == []
    figures = t.current()
    assert figures.service_level == pytest.approx(30 / 36)


def test_the_contract_report_is_the_same_by_replay_of_the_log(
    platform: Platform, sla_tenant: SlaTenant, channels: dict[str, grpc.Channel]
) -> None:
    t = sla_tenant
    day = datetime.now(UTC) - timedelta(days=1)  # inside the 48-hour sealing horizon
    events = []
    for hour, (fast, slow) in enumerate([(8, 1), (3, 5), (10, 0)]):
        at = day.replace(hour=8 + hour, minute=7, second=0, microsecond=0)
        events += t.events(fast, at, wait=4, tag=f"f{hour}") + t.events(slow, at, wait=90, tag=f"s{hour}")
    publish(platform, events, duplicates=5)
    start, end = day.replace(hour=0, minute=0), day.replace(hour=23, minute=45)
    period: dict[str, Any] = {"from": _ts(start), "to": _ts(end)}
    request = sla_pb2.GetComplianceReportRequest(interval_minutes=30, **period)

    def live() -> sla_pb2.GetComplianceReportResponse:
        report = t.sla.GetComplianceReport(request, metadata=t.key, timeout=5)
        intervals = t.sla.ListIntervals(
            sla_pb2.ListIntervalsRequest(queue_id=t.queue.queue_id, interval_minutes=30, **period),
            metadata=t.key,
        ).intervals
        assert report.queues[0].period.offered == 27, [(i.local_start, i.offered) for i in intervals]
        return report

    report = eventually(live)
    row = report.queues[0]
    assert (row.intervals_with_traffic, row.intervals_met) == (3, 2)
    assert row.period.service_level == pytest.approx(21 / 27)
    assert not row.met

    # Replay: a fresh book fed with the tenant's events as the log holds them.
    book = ServiceLevelBook()
    for event in tenant_events(platform, INTERACTION_EVENTS.name, {t.tenant_id}):
        fact = fact_of(event)
        if isinstance(fact, InteractionFact):
            book.apply(fact)
    queue = (
        tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
        .GetQueue(tenant_pb2.GetQueueRequest(queue_id=t.queue.queue_id), metadata=t.key)
        .queue
    )
    replayed = compliance_report(book, [terms_from_pb(queue)], start, end, minutes=30, now=time.time())
    assert len(replayed) == 1
    assert replayed[0].period.offered == row.period.offered
    assert replayed[0].period.answered_within == row.period.answered_within
    assert replayed[0].service_level == row.period.service_level
    assert (replayed[0].intervals_with_traffic, replayed[0].intervals_met) == (3, 2)
    assert replayed[0].period.aht_seconds == row.period.aht_seconds

    intervals = t.sla.ListIntervals(
        sla_pb2.ListIntervalsRequest(queue_id=t.queue.queue_id, **period),
        metadata=t.key,
    ).intervals
    assert [i.offered for i in intervals] == [9, 8, 10]
    assert intervals[0].local_start.endswith("+01:00")  # Stockholm winter time


def test_the_staffing_plan_forecasts_from_last_weeks(platform: Platform, sla_tenant: SlaTenant) -> None:
    t = sla_tenant
    today = datetime.now(UTC).astimezone(STOCKHOLM).date()
    slot = datetime.combine(today, time_of_day(10), STOCKHOLM)
    events = []
    for weeks_back, calls in ((1, 20), (2, 40)):
        at = (slot.replace(tzinfo=None) - timedelta(weeks=weeks_back)).replace(tzinfo=slot.tzinfo)
        events += t.events(calls, at.astimezone(UTC) + timedelta(minutes=3), wait=5, tag=f"w{weeks_back}")
    publish(platform, events)

    def plan() -> sla_pb2.StaffingInterval:
        reply = t.sla.GetStaffingPlan(
            sla_pb2.GetStaffingPlanRequest(queue_id=t.queue.queue_id, date=today.isoformat(), shrinkage=0.3),
            metadata=t.key,
            timeout=5,
        )
        ten = next(i for i in reply.intervals if "T10:00" in i.local_start)
        assert ten.forecast_arrivals == 30
        return ten

    ten = eventually(plan)
    assert ten.aht_seconds == 200
    assert ten.agents >= 7  # 30 x 200 s / 900 s = 6.7 Erlangs
    assert ten.scheduled >= ten.agents / 0.7 - 1


def test_bad_input_and_other_tenants(
    platform: Platform, sla_tenant: SlaTenant, channels: dict[str, grpc.Channel]
) -> None:
    t = sla_tenant
    other = SlaTenant(platform, channels)
    instant = _ts(datetime.now(UTC))
    empty_period: dict[str, Any] = {"from": instant, "to": instant}
    cases: list[tuple[object, grpc.StatusCode, str]] = [
        (
            lambda: t.sla.GetQueueStatistics(
                sla_pb2.GetQueueStatisticsRequest(queue_id=other.queue.queue_id), metadata=t.key
            ),
            grpc.StatusCode.NOT_FOUND,
            "",
        ),
        (
            lambda: t.sla.ListIntervals(
                sla_pb2.ListIntervalsRequest(
                    queue_id=t.queue.queue_id,
                    **empty_period,
                ),
                metadata=t.key,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "to:",
        ),
        (
            lambda: t.sla.GetStaffingPlan(
                sla_pb2.GetStaffingPlanRequest(queue_id=t.queue.queue_id, date="tomorrow"), metadata=t.key
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "date:",
        ),
        (
            lambda: t.sla.GetStaffingPlan(
                sla_pb2.GetStaffingPlanRequest(
                    queue_id=t.queue.queue_id,
                    date="2026-11-25",
                    model=sla_pb2.STAFFING_MODEL_ERLANG_A,
                    max_asa_seconds=-1,
                ),
                metadata=t.key,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "max_asa_seconds:",
        ),
        (
            lambda: t.sla.PlanSites(
                sla_pb2.PlanSitesRequest(date="2026-11-25", sites=[sla_pb2.Site(time_zone="UTC")]),
                metadata=t.key,
            ),
            grpc.StatusCode.PERMISSION_DENIED,
            "",
        ),
        (
            lambda: t.sla.PlanSites(
                sla_pb2.PlanSitesRequest(
                    date="2026-11-25",
                    sites=[sla_pb2.Site(time_zone="UTC", opens="08:00", closes="18:00")],
                    history_weeks=53,
                ),
                metadata=platform.admin_metadata,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "history_weeks:",
        ),
        (
            lambda: t.sla.GetQueueStatistics(
                sla_pb2.GetQueueStatisticsRequest(tenant_id=other.tenant_id, queue_id=other.queue.queue_id),
                metadata=t.key,
            ),
            grpc.StatusCode.PERMISSION_DENIED,
            "",
        ),
    ]
    eventually(t.current)  # the SLA service knows the tenant's key and queue
    for call, code, prefix in cases:
        with pytest.raises(grpc.RpcError) as err:
            call()  # type: ignore[operator]
        assert err.value.code() == code, err.value.details()
        assert (err.value.details() or "").startswith(prefix)
    sites = [
        sla_pb2.Site(site_id="sto", time_zone="Europe/Stockholm", opens="08:00", closes="18:00"),
        sla_pb2.Site(site_id="syd", time_zone="Australia/Sydney", opens="08:00", closes="18:00"),
    ]
    reply = t.sla.PlanSites(
        sla_pb2.PlanSitesRequest(date="2026-11-25", sites=sites, tenant_ids=[t.tenant_id]),
        metadata=platform.admin_metadata,
        timeout=10,
    )
    assert len(reply.intervals) == 96
    assert set(reply.agent_hours) <= {"sto", "syd"}


def _ts(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp
