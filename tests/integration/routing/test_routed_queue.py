"""GetRoutedQueue: what routing applies to a tenant's queue, to see a configuration change is live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest

from tests.fixtures.platform import Metadata, eventually, onboard_tenant
from tests.fixtures.routing import RoutedTenant, routed_tenant, wait_until_routed
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel_common.supervisor import Platform

pytestmark = pytest.mark.integration


@pytest.fixture
def tenant(platform: Platform, channels: dict[str, grpc.Channel]) -> RoutedTenant:
    return routed_tenant(platform, channels)


def test_versions_follow_the_tenant_api_and_business_hours_close_the_queue(
    channels: dict[str, grpc.Channel], tenant: RoutedTenant
) -> None:
    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    held = wait_until_routed(channels, tenant, lambda held: held.call_guidelines_version >= 1)
    assert (held.queue_id, held.queue_version, held.business_hours_version) == (tenant.queue_id, 1, 0)
    assert held.open, "without business hours a queue is open"
    assert not held.HasField("next_opening")

    # Open only on one day a month ahead, 09:00-17:00 Stockholm time: closed now.
    day = datetime.now(ZoneInfo("Europe/Stockholm")).date() + timedelta(days=30)
    hours = tenants.SetBusinessHours(
        tenant_pb2.SetBusinessHoursRequest(
            business_hours=tenant_pb2.BusinessHours(
                queue_id=tenant.queue_id,
                exceptions=[
                    tenant_pb2.DateException(
                        date=day.isoformat(), shifts=[tenant_pb2.Shift(start="09:00", end="17:00")]
                    )
                ],
            )
        ),
        metadata=tenant.key,
    ).business_hours
    guidelines = tenants.SetCallGuidelines(
        tenant_pb2.SetCallGuidelinesRequest(queue_id=tenant.queue_id, text="Greet in English."),
        metadata=tenant.key,
    ).guidelines
    assert guidelines.version == 2
    held = wait_until_routed(
        channels,
        tenant,
        lambda held: held.business_hours_version >= 1 and held.call_guidelines_version >= 2,
    )
    assert held.business_hours_version == 1
    assert hours.time_zone == "Europe/Stockholm"
    assert not held.open
    opening = held.next_opening.ToDatetime(UTC)
    assert opening == datetime.combine(day, datetime.min.time().replace(hour=9), ZoneInfo("Europe/Stockholm"))
    same = tenants.GetQueueOpenState(
        tenant_pb2.GetQueueOpenStateRequest(queue_id=tenant.queue_id), metadata=tenant.key
    )
    assert not same.open, "client-tenant and routing agree"


def test_scoped_to_the_callers_tenant_and_validated(
    platform: Platform, channels: dict[str, grpc.Channel], tenant: RoutedTenant
) -> None:
    stub = routing_pb2_grpc.RoutingServiceStub(channels["routing"])
    other = routed_tenant(platform, channels)
    _, writer_only = onboard_tenant(
        platform, channels, "No config:read", "SE", "Europe/Stockholm", "sv-SE", ("interactions:write",)
    )
    cases = [
        (tenant.queue_id, other.key, grpc.StatusCode.NOT_FOUND),
        ("", tenant.key, grpc.StatusCode.INVALID_ARGUMENT),
        (tenant.queue_id, writer_only, grpc.StatusCode.PERMISSION_DENIED),
        (tenant.queue_id, (), grpc.StatusCode.UNAUTHENTICATED),
    ]

    def refused(queue_id: str, key: Metadata, code: grpc.StatusCode) -> None:
        with pytest.raises(grpc.RpcError) as err:
            stub.GetRoutedQueue(routing_pb2.GetRoutedQueueRequest(queue_id=queue_id), metadata=key)
        assert err.value.code() == code, (queue_id, code, err.value.details())

    for queue_id, key, code in cases:
        # A new key reaches routing over the config topic: until then it is unknown.
        eventually(lambda: refused(queue_id, key, code), timeout=15)  # noqa: B023
    with pytest.raises(grpc.RpcError) as err:
        stub.GetRoutedQueue(routing_pb2.GetRoutedQueueRequest(queue_id=""), metadata=tenant.key)
    assert (err.value.details() or "").startswith("queue_id:")
    by_ops = stub.GetRoutedQueue(
        routing_pb2.GetRoutedQueueRequest(tenant_id=tenant.tenant_id, queue_id=tenant.queue_id),
        metadata=platform.admin_metadata,
    )
    assert by_ops.queue_id == tenant.queue_id
