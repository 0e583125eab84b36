"""Contract versions through the real broker and gRPC: client-tenant publishes them, SLA judges each
interval by the version in force on its local date, reports per contract period with the service
credit when a target is missed, and a restart (a replay of the topics) gives the same report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration

from tests.fixtures.platform import eventually, onboard_tenant
from tests.integration.sla.test_sla_service import SlaTenant, _ts, publish
from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import Platform, wait_serving

pytestmark = pytest.mark.integration
VOICE = types_pb2.CHANNEL_VOICE
STOCKHOLM = ZoneInfo("Europe/Stockholm")
WITHIN_OVER_ANSWERED = tenant_pb2.SERVICE_LEVEL_FORMULA_ANSWERED_WITHIN_OVER_ANSWERED


def _midnight(day: Any) -> datetime:
    return datetime.combine(day, time(), tzinfo=STOCKHOLM).astimezone(UTC)


class ContractTenant(SlaTenant):
    """A Stockholm tenant whose queue sets no target of its own: the contract's applies."""

    def __init__(self, platform: Platform, channels: dict[str, grpc.Channel]) -> None:
        self.tenant_id, self.key = onboard_tenant(
            platform,
            channels,
            f"SLA contract {uuid.uuid4().hex[:6]}",
            "SE",
            "Europe/Stockholm",
            "sv-SE",
            ("config:read", "config:write", "reports:read"),
        )
        tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
        self.queue = tenants.CreateQueue(
            tenant_pb2.CreateQueueRequest(
                name="Kundtjänst",
                channels=[VOICE],
                language="sv-SE",
                configuration=tenant_pb2.Queue(time_zone="Europe/Stockholm"),
            ),
            metadata=self.key,
        ).queue
        self.admin = tenant_pb2_grpc.AdminServiceStub(channels["client-tenant"])
        self.sla = sla_pb2_grpc.SlaServiceStub(channels["sla"])

    def contract(self, effective: str, threshold: int, platform: Platform) -> None:
        version = tenant_pb2.ContractVersion(
            effective_from=effective,
            currency="SEK",
            service_level_formula=WITHIN_OVER_ANSWERED,
            target_percent=80,
            threshold=Duration(seconds=threshold),
            credits=[
                tenant_pb2.ServiceCreditRule(below_percent=80, credit_percent=5, amount_minor=250_00),
                tenant_pb2.ServiceCreditRule(below_percent=50, credit_percent=10, amount_minor=1000_00),
            ],
        )
        self.admin.SetContractVersion(
            tenant_pb2.SetContractVersionRequest(tenant_id=self.tenant_id, version=version),
            metadata=platform.admin_metadata,
            timeout=10,
        )


def test_a_version_changes_the_judgement_from_its_date_and_a_missed_period_earns_the_credit(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    t = ContractTenant(platform, channels)
    today = datetime.now(UTC).astimezone(STOCKHOLM).date()
    yesterday = today - timedelta(days=1)  # inside the 48-hour sealing horizon
    # Version 1 (20 s) from the month before; version 2 (60 s) from today's local date on.
    t.contract((yesterday.replace(day=1) - timedelta(days=1)).replace(day=1).isoformat(), 20, platform)
    t.contract(today.isoformat(), 60, platform)

    # Ten calls yesterday and ten today, each answered after 30 s: missed under 20 s, met under 60 s.
    at_yesterday = _midnight(yesterday) + timedelta(hours=12, minutes=2)
    at_today = _midnight(today) + timedelta(minutes=2)
    publish(
        platform,
        t.events(10, at_yesterday, wait=30, tag="y") + t.events(10, at_today, wait=30, tag="t"),
        duplicates=4,
    )
    start, end = _midnight(yesterday - timedelta(days=1)), _midnight(today + timedelta(days=1))
    period: dict[str, Any] = {"from": _ts(start), "to": _ts(end)}

    def report() -> sla_pb2.GetComplianceReportResponse:
        reply = t.sla.GetComplianceReport(
            sla_pb2.GetComplianceReportRequest(**period), metadata=t.key, timeout=5
        )
        assert sum(p.figures.offered for p in reply.periods) == 20
        assert sum(p.figures.answered for p in reply.periods) == 20
        return reply

    reply = eventually(report)
    rows = [p for p in reply.periods if p.figures.offered]
    assert len(rows) == 2
    before, after = rows
    # Until yesterday: version 1, 0 % within 20 s, missed: the rule below 50 % applies.
    assert _midnight(yesterday) >= before.period_start.ToDatetime(UTC)
    assert before.period_end.ToDatetime(UTC) == _midnight(today) == after.period_start.ToDatetime(UTC)
    assert before.contract_effective_from != today.isoformat()
    assert (before.target, before.threshold_seconds, before.formula) == (
        0.8,
        20,
        "ANSWERED_WITHIN_OVER_ANSWERED",
    )
    assert before.figures.service_level == 0.0
    assert (before.intervals_with_traffic, before.intervals_met, before.met) == (1, 0, False)
    assert before.HasField("credit")
    assert (before.credit.below_percent, before.credit.credit_percent) == (50, 10)
    assert (before.credit.amount_minor, before.credit.currency) == (1000_00, "SEK")
    assert before.local_end == after.local_start
    assert after.local_start.startswith(today.isoformat() + "T00:00")
    # From today: version 2, all within 60 s, met, no credit.
    assert after.contract_effective_from == today.isoformat()
    assert (after.threshold_seconds, after.figures.service_level, after.met) == (60, 1.0, True)
    assert not after.HasField("credit")

    # Live figures: each interval by its version.
    intervals = t.sla.ListIntervals(
        sla_pb2.ListIntervalsRequest(queue_id=t.queue.queue_id, **period), metadata=t.key, timeout=5
    ).intervals
    assert [(i.threshold_seconds, i.answered_within, i.offered) for i in intervals] == [
        (20, 0, 10),
        (60, 10, 10),
    ]

    # A restart rebuilds the book and the contracts from the topics: the same report.
    platform.stop_service("sla")
    platform.start_service(platform.processes["sla"].spec)
    wait_serving(platform.processes["sla"].grpc_target, 60, platform.processes["sla"].process)
    replayed = eventually(report)
    assert list(replayed.periods) == list(reply.periods)
    assert list(replayed.queues) == list(reply.queues)
