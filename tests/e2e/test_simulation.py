"""A short accelerated simulation against the running platform, closed at the end of its day: the
services agree with what the simulated people did and with each other (every interaction submitted is
in the interaction log with a final outcome; the SLA service's offered, answered and abandoned counts
and survey answers equal the log's; no agent held more voice calls than its capacity)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from vaxel_simulator.runner import Simulation
from vaxel_simulator.scenario import demo_world

from tests.fixtures.platform import tenant_events
from vaxel.events.v1 import events_pb2
from vaxel.interactions.v1 import interactions_pb2, interactions_pb2_grpc
from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel_common.supervisor import Platform
from vaxel_common.topics import INTERACTION_EVENTS

pytestmark = pytest.mark.e2e
Metadata = tuple[tuple[str, str], ...]  # gRPC call metadata


def _ts(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


Period = dict[str, Timestamp]
SURVEYED = -1  # in the totals of outcomes: interactions with a survey answer


def _logged(
    log: interactions_pb2_grpc.InteractionLogServiceStub, ops: Metadata, tenant_id: str, period: Period
) -> dict[str, interactions_pb2.Interaction]:
    """Every record the interaction log holds for the tenant in the period, page by page."""
    records: dict[str, interactions_pb2.Interaction] = {}
    token = ""
    while True:
        page = log.SearchInteractions(
            interactions_pb2.SearchInteractionsRequest(
                tenant_id=tenant_id,
                page_size=1000,
                page_token=token,
                **period,  # type: ignore[arg-type]
            ),
            metadata=ops,
            timeout=10,
        )
        records.update((r.interaction_id, r) for r in page.interactions)
        token = page.next_page_token
        if not token:
            return records


def _final(record: interactions_pb2.Interaction) -> bool:
    if record.outcome == interactions_pb2.OUTCOME_ANSWERED:
        return record.HasField("wrapped_up_at")
    return record.outcome in (interactions_pb2.OUTCOME_ABANDONED, interactions_pb2.OUTCOME_CLOSED)


def _services_agree(
    channels: dict[str, grpc.Channel], ops: Metadata, sim: Simulation, period: Period
) -> Counter[int]:
    """The log holds every interaction submitted, each with a final outcome, and the SLA service
    counts what the log counts. Returns the outcomes seen."""
    log = interactions_pb2_grpc.InteractionLogServiceStub(channels["interaction-log"])
    sla = sla_pb2_grpc.SlaServiceStub(channels["sla"])
    submitted: dict[str, set[str]] = defaultdict(set)
    for interaction_id, tenant_id in sim.tally.submitted.items():
        submitted[tenant_id].add(interaction_id)
    totals: Counter[int] = Counter()
    for tenant in sim.tenants:
        records = _logged(log, ops, tenant.tenant_id, period)
        assert set(records) == submitted[tenant.tenant_id], tenant.plan.name
        unfinished = [r.interaction_id for r in records.values() if not _final(r)]
        assert not unfinished, (tenant.plan.name, unfinished)
        outcomes = Counter(r.outcome for r in records.values())
        report = sla.GetComplianceReport(
            sla_pb2.GetComplianceReportRequest(tenant_id=tenant.tenant_id, **period),  # type: ignore[arg-type]
            metadata=ops,
            timeout=10,
        )
        surveyed = sum(1 for r in records.values() if r.survey_score)
        counted = (
            sum(q.period.offered for q in report.queues),
            sum(q.period.answered for q in report.queues),
            sum(q.period.abandoned for q in report.queues),
            sum(q.period.survey_answers for q in report.queues),
        )
        assert counted == (
            len(records),
            outcomes[interactions_pb2.OUTCOME_ANSWERED],
            outcomes[interactions_pb2.OUTCOME_ABANDONED],
            surveyed,
        ), (tenant.plan.name, counted, outcomes, surveyed)
        totals.update(outcomes)
        totals[SURVEYED] += surveyed
    return totals


def _assert_no_agent_held_two_voice_calls(events: list[events_pb2.Event]) -> None:
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


def test_a_short_simulation_leaves_the_services_in_agreement(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    targets = {name: proc.grpc_target for name, proc in platform.processes.items()}
    # Two agents a site: queues form and some customers run out of patience, so both endings occur.
    sim = Simulation(targets, platform.admin_key, demo_world(agents_per_site=2), speed=120, scale=1.5, seed=3)
    started = datetime.now(UTC)

    async def simulate() -> None:
        await sim.onboard()
        await sim.wait_until_routable()
        await sim.run(duration=20)  # and then closes: everyone still waiting gives up

    asyncio.run(simulate())
    assert len(sim.tally.submitted) >= 20, sim.tally.counts
    assert sim.tally.counts["wrapped_up"] > 0, sim.tally.counts

    period = {
        "from": _ts(started - timedelta(minutes=30)),
        "to": _ts(datetime.now(UTC) + timedelta(minutes=30)),
    }
    deadline = time.monotonic() + 30
    while True:  # the log and the SLA service follow the topics: wait for them to catch up
        try:
            totals = _services_agree(channels, platform.admin_metadata, sim, period)
            assert totals[SURVEYED] == sim.tally.counts["survey_answered"], (totals, sim.tally.counts)
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    # Both ways an interaction ends were compared, not only one.
    assert totals[interactions_pb2.OUTCOME_ANSWERED] > 0, totals
    assert totals[interactions_pb2.OUTCOME_ABANDONED] > 0, totals
    assert totals[SURVEYED] > 0, totals

    events = tenant_events(platform, INTERACTION_EVENTS.name, {t.tenant_id for t in sim.tenants})
    created = {e.interaction_id for e in events if e.WhichOneof("payload") == "interaction_created"}
    assert created == set(sim.tally.submitted)
    _assert_no_agent_held_two_voice_calls(events)
