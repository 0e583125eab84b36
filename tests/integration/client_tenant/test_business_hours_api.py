"""Business hours through the tenant API: set, read back, ask whether a queue is open."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest

from tests.fixtures.platform import Metadata, onboard_tenant
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import Platform

pytestmark = pytest.mark.integration


@pytest.fixture
def us_queue(platform: Platform, channels: dict[str, grpc.Channel]) -> tuple[str, Metadata]:
    _, md = onboard_tenant(platform, channels, "Acme Software", "US", "America/New_York", "en-US")
    queue = (
        tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
        .CreateQueue(
            tenant_pb2.CreateQueueRequest(
                name="Support", channels=[types_pb2.CHANNEL_VOICE], language="en-US"
            ),
            metadata=md,
        )
        .queue
    )
    return queue.queue_id, md


def weekdays(start: str, end: str) -> list[tenant_pb2.DaySchedule]:
    return [
        tenant_pb2.DaySchedule(iso_weekday=d, shifts=[tenant_pb2.Shift(start=start, end=end)])
        for d in range(1, 6)
    ]


def test_set_read_and_ask_open(channels: dict[str, grpc.Channel], us_queue: tuple[str, Metadata]) -> None:
    queue_id, md = us_queue
    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    with pytest.raises(grpc.RpcError) as err:
        tenants.GetBusinessHours(tenant_pb2.GetBusinessHoursRequest(queue_id=queue_id), metadata=md)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    always = tenants.GetQueueOpenState(tenant_pb2.GetQueueOpenStateRequest(queue_id=queue_id), metadata=md)
    assert always.open, "without business hours a queue is always open"

    hours = tenant_pb2.BusinessHours(
        queue_id=queue_id,
        weekly=weekdays("08:00", "17:00"),
        holidays_country="US",
        exceptions=[tenant_pb2.DateException(date="2026-12-24")],
    )
    stored = tenants.SetBusinessHours(tenant_pb2.SetBusinessHoursRequest(business_hours=hours), metadata=md)
    assert stored.business_hours.time_zone == "America/New_York", "defaults to the queue's zone"
    read = tenants.GetBusinessHours(tenant_pb2.GetBusinessHoursRequest(queue_id=queue_id), metadata=md)
    assert read.business_hours == stored.business_hours

    request = tenant_pb2.GetQueueOpenStateRequest(queue_id=queue_id)
    request.at.FromDatetime(datetime(2026, 11, 26, 15, tzinfo=UTC))  # Thanksgiving, 10:00 in New York
    state = tenants.GetQueueOpenState(request, metadata=md)
    assert not state.open
    assert state.next_opening.ToDatetime(UTC) == datetime(2026, 11, 27, 13, tzinfo=UTC)  # Fri 08:00 EST
    request.at.FromDatetime(datetime(2026, 11, 27, 15, tzinfo=UTC))
    state = tenants.GetQueueOpenState(request, metadata=md)
    assert state.open
    assert state.next_closing.ToDatetime(UTC) == datetime(2026, 11, 27, 22, tzinfo=UTC)  # 17:00 EST


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        (
            tenant_pb2.BusinessHours(weekly=weekdays("25:00", "26:00")),
            "business_hours.weekly[0].shifts[0].start",
        ),
        (tenant_pb2.BusinessHours(weekly=weekdays("17:00", "08:00")), "business_hours.weekly.monday"),
        (tenant_pb2.BusinessHours(time_zone="Europe/Atlantis"), "business_hours.time_zone"),
        (tenant_pb2.BusinessHours(holidays_country="ZZ"), "business_hours.holidays_country"),
        (
            tenant_pb2.BusinessHours(exceptions=[tenant_pb2.DateException(date="2026-02-30")]),
            "business_hours.exceptions[0].date",
        ),
    ],
)
def test_bad_hours_name_the_field_and_change_nothing(
    channels: dict[str, grpc.Channel],
    us_queue: tuple[str, Metadata],
    hours: tenant_pb2.BusinessHours,
    field: str,
) -> None:
    queue_id, md = us_queue
    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    hours.queue_id = queue_id
    with pytest.raises(grpc.RpcError) as err:
        tenants.SetBusinessHours(tenant_pb2.SetBusinessHoursRequest(business_hours=hours), metadata=md)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (err.value.details() or "").startswith(field + ":"), err.value.details()
    with pytest.raises(grpc.RpcError) as nothing:
        tenants.GetBusinessHours(tenant_pb2.GetBusinessHoursRequest(queue_id=queue_id), metadata=md)
    assert nothing.value.code() == grpc.StatusCode.NOT_FOUND
