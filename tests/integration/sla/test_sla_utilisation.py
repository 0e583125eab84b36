"""Occupancy and utilisation of a shared agent through the real broker and gRPC (issue 18): each
tenant sees only its own share of the agent, the ops key sees the agent, its site and every tenant,
and the tenant-share gauge is exported."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from tests.fixtures.platform import eventually, sample, scrape
from tests.integration.sla.test_sla_service import SlaTenant
from vaxel.events.v1 import events_pb2
from vaxel.sla.v1 import sla_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.events import encode_event, new_event
from vaxel_common.kafka import sync_producer
from vaxel_common.provenance import producer_of
from vaxel_common.supervisor import Platform
from vaxel_common.topics import AGENT_EVENTS, INTERACTION_EVENTS

pytestmark = pytest.mark.integration


def ts(at: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(at)
    return out


def handled(t: SlaTenant, agent_id: str, answered: datetime, seconds: int) -> list[events_pb2.Event]:
    interaction_id = f"u-{uuid.uuid4().hex[:8]}"
    steps: list[tuple[object, datetime]] = [
        (
            events_pb2.InteractionCreated(
                queue_id=t.queue.queue_id, channel=types_pb2.CHANNEL_VOICE, customer_ref="c"
            ),
            answered - timedelta(seconds=10),
        ),
        (events_pb2.InteractionConnected(offer_id="o"), answered),
        (events_pb2.InteractionWrappedUp(disposition="solved"), answered + timedelta(seconds=seconds)),
    ]
    return [
        new_event(
            payload,  # type: ignore[arg-type]
            tenant_id=t.tenant_id,
            producer=producer_of(payload),
            interaction_id=interaction_id,
            agent_id=agent_id,
            occurred_at=at,
        )
        for payload, at in steps
    ]


def publish_shared_agent(
    platform: Platform, a: SlaTenant, b: SlaTenant, agent_id: str, site: str, start: datetime
) -> None:
    """The agent logs in at ``site`` at ``start``, is available a minute later, handles 600 s of a's
    work from +120 s and 300 s of b's from +900 s."""
    presence = [
        new_event(
            events_pb2.AgentLoggedIn(site_id=site),
            tenant_id=a.tenant_id,
            producer="routing",
            agent_id=agent_id,
            occurred_at=start,
        ),
        new_event(
            events_pb2.AgentPresenceChanged(presence=types_pb2.PRESENCE_AVAILABLE),
            tenant_id=a.tenant_id,
            producer="routing",
            agent_id=agent_id,
            occurred_at=start + timedelta(seconds=60),
        ),
    ]
    work = handled(a, agent_id, start + timedelta(seconds=120), 600) + handled(
        b, agent_id, start + timedelta(seconds=900), 300
    )
    producer = sync_producer(platform.kafka_bootstrap, "sla-utilisation-test")
    for event in presence:
        producer.send(AGENT_EVENTS.name, encode_event(event), key=agent_id.encode())
    for event in work:
        producer.send(INTERACTION_EVENTS.name, encode_event(event), key=event.interaction_id.encode())
    producer.flush()
    producer.close()


def test_a_shared_agents_time_per_tenant_scoped_by_the_caller(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    a, b = SlaTenant(platform, channels), SlaTenant(platform, channels)
    agent_id, site = f"agent-{uuid.uuid4().hex[:8]}", f"site-{uuid.uuid4().hex[:6]}"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40)
    publish_shared_agent(platform, a, b, agent_id, site, start)
    period = {"from": ts(start), "to": ts(start + timedelta(minutes=30))}

    def ask(metadata: object, tenant_id: str = "") -> sla_pb2.GetAgentUtilisationResponse:
        request = sla_pb2.GetAgentUtilisationRequest(tenant_id=tenant_id, **period)
        return a.sla.GetAgentUtilisation(request, metadata=metadata, timeout=10)  # type: ignore[arg-type]

    def ops_view() -> sla_pb2.AgentUtilisation:
        found = [x for x in ask(platform.admin_metadata).agents if x.agent_id == agent_id]
        assert len(found) == 1
        assert found[0].time.handling_seconds == 900
        return found[0]

    agent = eventually(ops_view)
    assert agent.site_id == site
    assert agent.time.logged_in_seconds == 1800
    assert agent.time.available_seconds == 1740
    assert agent.time.occupancy == pytest.approx(900 / 1740)
    assert set(agent.tenants) == {a.tenant_id, b.tenant_id}
    assert agent.tenants[a.tenant_id].handling_seconds == 600
    assert agent.tenants[b.tenant_id].utilisation == pytest.approx(300 / 1800)
    ops = ask(platform.admin_metadata)
    assert ops.sites[site].handling_seconds == 900
    assert ops.tenants[b.tenant_id].handling_seconds == 300

    for tenant, own, other in ((a, 600, b), (b, 300, a)):
        seen = ask(tenant.key)
        assert seen.tenant_id == tenant.tenant_id
        assert [x.agent_id for x in seen.agents] == [agent_id]  # only agents that served it
        (mine,) = seen.agents
        assert mine.time.handling_seconds == own  # its share, not the agent's 900
        assert mine.time.occupancy == pytest.approx(own / 1740)
        assert set(mine.tenants) == {tenant.tenant_id}
        assert set(seen.tenants) == {tenant.tenant_id}
        assert not seen.sites
        with pytest.raises(grpc.RpcError) as denied:
            ask(tenant.key, other.tenant_id)
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED

    scoped = ask(platform.admin_metadata, b.tenant_id)  # ops naming one tenant: that tenant's view
    assert [x.time.handling_seconds for x in scoped.agents if x.agent_id == agent_id] == [300]
    assert set(scoped.tenants) == {b.tenant_id}

    backwards = sla_pb2.GetAgentUtilisationRequest(to=ts(start - timedelta(hours=1)))
    getattr(backwards, "from").CopyFrom(ts(start))
    with pytest.raises(grpc.RpcError) as bad:
        a.sla.GetAgentUtilisation(backwards, metadata=a.key, timeout=10)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    def share_exported() -> None:
        text = scrape(platform.processes["sla"].metrics_url)
        assert sample(text, "vaxel_sla_tenant_share_ratio", tenant=b.tenant_id) > 0
        assert sample(text, "vaxel_sla_occupancy_ratio", site=site) > 0

    eventually(share_exported, timeout=90)
