"""Webhooks end to end: real platform, a real HTTP receiver on loopback checking the signatures."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from tests.fixtures.platform import Metadata, eventually, onboard_tenant
from tests.fixtures.routing import RoutedTenant, routed_tenant
from tests.fixtures.webhooks import Receiver, publish, register
from vaxel.events.v1 import events_pb2
from vaxel.integrations.v1 import integrations_pb2 as pb
from vaxel.integrations.v1 import integrations_pb2_grpc as pb_grpc
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.events import new_event
from vaxel_common.supervisor import Platform
from vaxel_common.topics import SLA_ALERTS

Channels = dict[str, grpc.Channel]
SCOPES = ("config:read", "config:write", "interactions:read")


def tenant(platform: Platform, channels: Channels) -> tuple[str, Metadata]:
    return onboard_tenant(
        platform, channels, f"Hooks {uuid.uuid4().hex[:6]}", "SE", "Europe/Stockholm", "sv-SE", SCOPES
    )


def created(tenant_id: str, n: int = 1) -> list[events_pb2.Event]:
    return [
        new_event(
            events_pb2.InteractionCreated(queue_id="q", channel=types_pb2.CHANNEL_CHAT, language="sv-SE"),
            tenant_id=tenant_id,
            producer="routing",
            interaction_id=str(uuid.uuid4()),
        )
        for _ in range(n)
    ]


def present(found: object) -> object:
    """``found`` when it is truthy; an AssertionError otherwise (for ``eventually``)."""
    assert found
    return found


def webhooks(channels: Channels) -> pb_grpc.WebhookServiceStub:
    return pb_grpc.WebhookServiceStub(channels["integrations"])


def path() -> str:
    return f"/hooks/{uuid.uuid4().hex[:10]}"


def deliveries(channels: Channels, key: Metadata, endpoint_id: str = "") -> list[pb.Delivery]:
    reply = webhooks(channels).ListDeliveries(
        pb.ListDeliveriesRequest(endpoint_id=endpoint_id, limit=500), metadata=key, timeout=10
    )
    return list(reply.deliveries)


def wait_known(channels: Channels, key: Metadata) -> None:
    """The tenant and its key reach integrations through the configuration topic."""
    eventually(
        lambda: webhooks(channels).ListEndpoints(pb.ListEndpointsRequest(), metadata=key, timeout=5), 30
    )


class TestDelivery:
    def test_a_routed_interaction_reaches_the_endpoint_signed(
        self, platform: Platform, channels: Channels, receiver: Receiver
    ) -> None:
        routed: RoutedTenant = routed_tenant(platform, channels)
        wait_known(channels, routed.key)
        where = path()
        endpoint = register(
            channels, receiver, routed.key, where, ("interaction.created", "interaction.queued")
        )
        submitted = routing_pb2_grpc.RoutingServiceStub(channels["routing"]).SubmitInteraction(
            routing_pb2.SubmitInteractionRequest(
                queue_id=routed.queue_id, language="sv-SE", channel=types_pb2.CHANNEL_VOICE
            ),
            metadata=routed.key,
            timeout=10,
        )

        def both_arrived() -> list[str]:
            types = sorted(
                r.event_type
                for r in receiver.at(where, ok_only=True)
                if r.body["interaction_id"] == submitted.interaction_id
            )
            assert types == ["interaction.created", "interaction.queued"]
            return types

        eventually(both_arrived, 60)
        for got in receiver.at(where):
            assert got.signed
            assert got.body["delivery_id"] == got.delivery_id
            assert got.body["tenant_id"] == routed.tenant_id
            assert "personal" not in got.body["data"]

        def listed_delivered() -> None:
            listed = deliveries(channels, routed.key, endpoint.endpoint_id)
            assert len(listed) == 2
            assert {d.state for d in listed} == {pb.DELIVERY_STATE_DELIVERED}

        eventually(listed_delivered, 30)

    def test_retried_after_500s_then_delivered_with_the_same_delivery_id(
        self, platform: Platform, channels: Channels, receiver: Receiver
    ) -> None:
        tenant_id, key = tenant(platform, channels)
        wait_known(channels, key)
        where = path()
        receiver.behave(where, fail_first=2)
        register(channels, receiver, key, where)
        publish(platform, created(tenant_id))
        eventually(lambda: present(receiver.at(where, ok_only=True)), 60)
        seen = receiver.at(where)
        assert [r.status for r in seen] == [500, 500, 200]
        assert [r.attempt for r in seen] == [1, 2, 3]
        assert len({r.delivery_id for r in seen}) == 1
        listed = eventually(
            lambda: (
                [d for d in deliveries(channels, key) if d.state == pb.DELIVERY_STATE_DELIVERED]
                or pytest.fail("not listed as delivered")
            ),
            30,
        )
        assert listed[0].attempts == 3

    def test_given_up_after_the_retry_window_then_replayed(
        self, platform: Platform, channels: Channels, receiver: Receiver
    ) -> None:
        tenant_id, key = tenant(platform, channels)
        wait_known(channels, key)
        where = path()
        behaviour = receiver.behave(where, always_fail=True)
        endpoint = register(channels, receiver, key, where)
        began = datetime.now(UTC) - timedelta(seconds=5)
        publish(platform, created(tenant_id))

        def failed() -> pb.Delivery:
            listed = deliveries(channels, key)
            assert len(listed) == 1
            delivery = listed[0]
            assert delivery.state == pb.DELIVERY_STATE_FAILED
            return delivery

        delivery = eventually(failed, 60)  # retry window 8 s in the test platform
        assert delivery.attempts >= 3
        assert delivery.last_status == 500
        behaviour.always_fail = False
        start, end = Timestamp(), Timestamp()
        start.FromDatetime(began)
        end.FromDatetime(datetime.now(UTC) + timedelta(seconds=5))
        request = pb.ReplayDeliveriesRequest(endpoint_id=endpoint.endpoint_id, to=end, failed_only=True)
        getattr(request, "from").CopyFrom(start)  # "from" is a Python keyword
        replayed = webhooks(channels).ReplayDeliveries(request, metadata=key, timeout=10)
        assert replayed.requeued == 1
        eventually(lambda: present(receiver.at(where, ok_only=True)), 30)
        assert receiver.at(where, ok_only=True)[0].delivery_id == delivery.delivery_id

    def test_a_slow_endpoint_of_one_tenant_does_not_delay_another_tenant(
        self, platform: Platform, channels: Channels, receiver: Receiver
    ) -> None:
        slow_tenant, slow_key = tenant(platform, channels)
        fast_tenant, fast_key = tenant(platform, channels)
        wait_known(channels, slow_key)
        wait_known(channels, fast_key)
        slow, fast = path(), path()
        receiver.behave(slow, delay=30)  # longer than the service's 2 s timeout: every attempt times out
        register(channels, receiver, slow_key, slow)
        register(channels, receiver, fast_key, fast)
        slow_events = created(slow_tenant, 60)
        publish(platform, slow_events)  # the slow tenant's backlog first
        published = time.time()
        publish(platform, created(fast_tenant, 60))
        eventually(lambda: present(len(receiver.at(fast, ok_only=True)) == 60), 60)
        took = max(r.at for r in receiver.at(fast, ok_only=True)) - published
        # Behind the slow lane (60 deliveries, 8 at a time, 2 s each) the fast ones would wait >= 14 s.
        assert took < 10, took
        assert receiver.at(slow, ok_only=True) == []

    def test_service_level_alerts_of_the_tenants_queues_reach_its_webhook(
        self, platform: Platform, channels: Channels, receiver: Receiver
    ) -> None:
        tenant_id, key = tenant(platform, channels)
        wait_known(channels, key)
        where = path()
        register(channels, receiver, key, where, ("service.level_alert",))
        alert = events_pb2.ServiceLevelAlert(
            alert_id=str(uuid.uuid4()),
            queue_id="support",
            channel=types_pb2.CHANNEL_VOICE,
            kind=events_pb2.ServiceLevelAlert.KIND_PREDICTED_BREACH,
            state=events_pb2.ServiceLevelAlert.STATE_RAISED,
            service_level=0.62,
            target=0.8,
        )
        event = new_event(alert, tenant_id=tenant_id, producer="sla")
        publish(platform, [event], topic=SLA_ALERTS.name)
        eventually(lambda: present(receiver.at(where, ok_only=True)), 60)
        (got,) = receiver.at(where)
        assert got.event_type == "service.level_alert"
        assert got.body["data"]["kind"] == "KIND_PREDICTED_BREACH"
        assert got.body["data"]["queue_id"] == "support"
        assert got.signed


class TestTenancy:
    def test_an_endpoint_receives_only_its_tenants_events(
        self, platform: Platform, channels: Channels, receiver: Receiver
    ) -> None:
        a_id, a_key = tenant(platform, channels)
        b_id, b_key = tenant(platform, channels)
        wait_known(channels, a_key)
        wait_known(channels, b_key)
        a_path, b_path = path(), path()
        a_endpoint = register(channels, receiver, a_key, a_path)
        b_endpoint = register(channels, receiver, b_key, b_path)
        a_events, b_events = created(a_id, 5), created(b_id, 5)
        publish(platform, [e for pair in zip(a_events, b_events, strict=True) for e in pair])
        eventually(lambda: present(len(receiver.at(b_path, ok_only=True)) == 5), 60)
        eventually(lambda: present(len(receiver.at(a_path, ok_only=True)) == 5), 60)
        assert {r.body["event_id"] for r in receiver.at(a_path)} == {e.event_id for e in a_events}
        assert {r.body["tenant_id"] for r in receiver.at(b_path)} == {b_id}
        # B's key sees none of A's endpoints or deliveries, and may not name tenant A.
        listed = webhooks(channels).ListEndpoints(pb.ListEndpointsRequest(), metadata=b_key).endpoints
        assert [e.endpoint_id for e in listed] == [b_endpoint.endpoint_id]
        with pytest.raises(grpc.RpcError) as err:
            deliveries(channels, b_key, a_endpoint.endpoint_id)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as err:
            webhooks(channels).ListEndpoints(pb.ListEndpointsRequest(tenant_id=a_id), metadata=b_key)
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.RpcError) as err:
            webhooks(channels).DeleteEndpoint(
                pb.DeleteEndpointRequest(endpoint_id=a_endpoint.endpoint_id), metadata=b_key
            )
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        assert {d.endpoint_id for d in deliveries(channels, a_key)} == {a_endpoint.endpoint_id}


class TestBadInput:
    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            ("http://example.com/hook", "must be https"),
            ("ftp://example.com/hook", "must be https"),
            ("https://10.1.2.3/hook", "private"),
            ("https://169.254.169.254/latest/meta-data", "private"),
            ("https://[fd00::1]/hook", "private"),
            ("https://user:pw@example.com/hook", "credentials"),
            ("https:///nohost", "no host"),
            ("", "required"),
        ],
    )
    def test_bad_urls_are_refused_naming_the_field(
        self, platform: Platform, channels: Channels, url: str, reason: str, hooks_tenant: Metadata
    ) -> None:
        with pytest.raises(grpc.RpcError) as err:
            webhooks(channels).CreateEndpoint(pb.CreateEndpointRequest(url=url), metadata=hooks_tenant)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (err.value.details() or "").startswith("url:")
        assert reason in (err.value.details() or "")

    def test_unknown_event_types_and_missing_scope(
        self, platform: Platform, channels: Channels, receiver: Receiver, hooks_tenant: Metadata
    ) -> None:
        with pytest.raises(grpc.RpcError) as err:
            webhooks(channels).CreateEndpoint(
                pb.CreateEndpointRequest(url=receiver.url("/x"), event_types=["tenant.config_changed"]),
                metadata=hooks_tenant,
            )
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert (err.value.details() or "").startswith("event_types:")
        _, reader = onboard_tenant(
            platform, channels, "Reader", "SE", "Europe/Stockholm", "sv-SE", ("config:read",)
        )
        wait_known(channels, reader)
        with pytest.raises(grpc.RpcError) as err:
            webhooks(channels).CreateEndpoint(
                pb.CreateEndpointRequest(url=receiver.url("/x")), metadata=reader
            )
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.RpcError) as err:
            webhooks(channels).ListEndpoints(pb.ListEndpointsRequest())
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED

    def test_the_ops_key_must_name_a_known_tenant(self, platform: Platform, channels: Channels) -> None:
        with pytest.raises(grpc.RpcError) as err:
            webhooks(channels).ListEndpoints(pb.ListEndpointsRequest(), metadata=platform.admin_metadata)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.RpcError) as err:
            webhooks(channels).ListEndpoints(
                pb.ListEndpointsRequest(tenant_id="no-such-tenant"), metadata=platform.admin_metadata
            )
        assert err.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.fixture
def hooks_tenant(platform: Platform, channels: Channels) -> Metadata:
    _, key = tenant(platform, channels)
    wait_known(channels, key)
    return key
