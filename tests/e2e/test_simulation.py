"""A short accelerated simulation against the running platform: the services agree with what the
simulated people did (SLA counts equal the interactions submitted; every interaction's events reached
the log; no agent held more voice calls than its capacity)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from vaxel_simulator.runner import Simulation
from vaxel_simulator.scenario import demo_world

from tests.fixtures.platform import tenant_events
from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel_common.supervisor import Platform
from vaxel_common.topics import INTERACTION_EVENTS

pytestmark = pytest.mark.e2e


def _ts(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def test_a_short_simulation_leaves_the_services_in_agreement(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    targets = {name: proc.grpc_target for name, proc in platform.processes.items()}
    sim = Simulation(targets, platform.admin_key, demo_world(agents_per_site=3), speed=120, scale=1.5, seed=3)
    started = datetime.now(UTC)

    async def simulate() -> None:
        await sim.onboard()
        await sim.wait_until_routable()
        await sim.run(duration=20)

    asyncio.run(simulate())
    submitted_by_tenant: dict[str, set[str]] = defaultdict(set)
    for interaction_id, tenant_id in sim.tally.submitted.items():
        submitted_by_tenant[tenant_id].add(interaction_id)
    assert sum(len(v) for v in submitted_by_tenant.values()) >= 20, sim.tally.counts
    assert sim.tally.counts["wrapped_up"] > 0, sim.tally.counts

    sla = sla_pb2_grpc.SlaServiceStub(channels["sla"])
    ops = platform.admin_metadata
    period = {
        "from": _ts(started - timedelta(minutes=30)),
        "to": _ts(datetime.now(UTC) + timedelta(minutes=30)),
    }

    def sla_agrees() -> None:
        for tenant in sim.tenants:
            report = sla.GetComplianceReport(
                sla_pb2.GetComplianceReportRequest(tenant_id=tenant.tenant_id, **period),  # type: ignore[arg-type]
                metadata=ops,
                timeout=10,
            )
            offered = sum(q.period.offered for q in report.queues)
            assert offered == len(submitted_by_tenant[tenant.tenant_id]), (tenant.plan.name, offered)

    deadline = time.monotonic() + 30
    while True:
        try:
            sla_agrees()
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)

    events = tenant_events(platform, INTERACTION_EVENTS.name, {t.tenant_id for t in sim.tenants})
    created = {e.interaction_id for e in events if e.WhichOneof("payload") == "interaction_created"}
    assert created == set(sim.tally.submitted)
    # No agent ever held two voice calls at once (voice capacity is one).
    voice = {
        e.interaction_id
        for e in events
        if e.WhichOneof("payload") == "interaction_created" and e.interaction_created.channel == 1
    }
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    starts: dict[str, tuple[str, float]] = {}
    for e in sorted(events, key=lambda e: (e.occurred_at.ToNanoseconds(), e.event_id)):
        kind = e.WhichOneof("payload")
        at = e.occurred_at.ToNanoseconds() / 1e9
        if kind == "interaction_connected" and e.interaction_id in voice:
            starts[e.interaction_id] = (e.agent_id, at)
        elif kind in ("interaction_ended", "interaction_abandoned") and e.interaction_id in starts:
            agent, began = starts.pop(e.interaction_id)
            spans[agent].append((began, at))
    for agent, held in spans.items():
        held.sort()
        for (_, end), (begin, _) in itertools.pairwise(held):
            assert begin >= end, f"{agent} held two voice calls at once"
