"""The tenant's own event stream: its events only, filtered by type, resumed from a cursor."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

import grpc
import pytest

from tests.fixtures.platform import Metadata, onboard_tenant
from tests.fixtures.webhooks import publish
from tests.integration.integrations.test_webhooks import created, wait_known
from vaxel.events.v1 import events_pb2
from vaxel.integrations.v1 import integrations_pb2 as pb
from vaxel.integrations.v1 import integrations_pb2_grpc as pb_grpc
from vaxel_common.events import new_event
from vaxel_common.supervisor import Platform

Channels = dict[str, grpc.Channel]


if TYPE_CHECKING:  # grpc.CallIterator exists in the stubs only
    Stream = grpc.CallIterator[pb.StreamEventsResponse]


def open_stream(channels: Channels, key: Metadata, **kw: object) -> Stream:
    stub = pb_grpc.TenantEventsServiceStub(channels["integrations"])
    stream: Stream = stub.StreamEvents(
        pb.StreamEventsRequest(**kw),  # type: ignore[arg-type]
        metadata=key,
        timeout=120,
    )
    return stream


def first_cursor(stream: Stream) -> str:
    """The stream's first message: where it starts (no event)."""
    reply = next(iter(stream))
    assert not reply.HasField("event")
    return reply.cursor


def take(
    stream: Iterable[pb.StreamEventsResponse], n: int, *, then_quiet: bool = False
) -> list[pb.StreamEventsResponse]:
    """The next ``n`` messages carrying an event (progress messages skipped); ``then_quiet``: and every
    event up to the next progress message (sent after 1 s without one in the test platform)."""
    got: list[pb.StreamEventsResponse] = []
    for reply in stream:
        if reply.HasField("event"):
            got.append(reply)
            if len(got) == n and not then_quiet:
                break
        elif len(got) >= n:
            break
    return got


def ended(tenant_id: str, interaction_id: str) -> events_pb2.Event:
    return new_event(
        events_pb2.InteractionEnded(reason="done"),
        tenant_id=tenant_id,
        producer="routing",
        interaction_id=interaction_id,
    )


@pytest.fixture
def two_tenants(platform: Platform, channels: Channels) -> tuple[tuple[str, Metadata], tuple[str, Metadata]]:
    scopes = ("config:read", "interactions:read")
    a = onboard_tenant(
        platform, channels, f"A {uuid.uuid4().hex[:5]}", "SE", "Europe/Stockholm", "sv", scopes
    )
    b = onboard_tenant(
        platform, channels, f"B {uuid.uuid4().hex[:5]}", "SE", "Europe/Stockholm", "sv", scopes
    )
    wait_known(channels, a[1])
    wait_known(channels, b[1])
    return a, b


class TestTenantStream:
    def test_only_the_tenants_events_filtered_and_resumed_without_gap_or_duplicate(
        self, platform: Platform, channels: Channels, two_tenants: tuple[tuple[str, Metadata], ...]
    ) -> None:
        (a_id, a_key), (b_id, _) = two_tenants
        stream = open_stream(channels, a_key, event_types=["interaction.created"])
        first_cursor(stream)
        a_first, b_events = created(a_id, 6), created(b_id, 6)
        noise = [ended(a_id, e.interaction_id) for e in a_first]  # A's, but not of the type asked for
        publish(platform, [e for trio in zip(b_events, noise, a_first, strict=True) for e in trio])
        got = take(stream, 3)
        stream.cancel()  # type: ignore[no-untyped-call]  # grpc-stubs leave it untyped; the client disconnects
        # Order holds per partition (per interaction), not across them: compare sets, count duplicates.
        first_ids = [r.event.event_id for r in got]
        assert set(first_ids) <= {e.event_id for e in a_first}
        assert {r.event.tenant_id for r in got} == {a_id}
        later = created(a_id, 3)
        publish(platform, created(b_id, 3) + later)
        resumed = open_stream(channels, a_key, event_types=["interaction.created"], cursor=got[-1].cursor)
        rest = take(resumed, 6, then_quiet=True)
        resumed.cancel()  # type: ignore[no-untyped-call]  # grpc-stubs leave it untyped; the client disconnects
        rest_ids = [r.event.event_id for r in rest]
        assert len(set(rest_ids)) == len(rest_ids) == 6
        assert set(rest_ids) == {e.event_id for e in a_first + later} - set(first_ids)

    def test_from_now_a_progress_cursor_resumes_exactly(
        self, platform: Platform, channels: Channels, two_tenants: tuple[tuple[str, Metadata], ...]
    ) -> None:
        (a_id, a_key), (b_id, b_key) = two_tenants
        stream = open_stream(channels, a_key)
        start = first_cursor(stream)
        stream.cancel()  # type: ignore[no-untyped-call]  # grpc-stubs leave it untyped; the client disconnects
        events = created(a_id, 4)
        publish(platform, created(b_id, 2) + events)
        resumed = open_stream(channels, a_key, cursor=start)
        got = take(resumed, 4, then_quiet=True)
        resumed.cancel()  # type: ignore[no-untyped-call]  # grpc-stubs leave it untyped; the client disconnects
        assert sorted(r.event.event_id for r in got) == sorted(e.event_id for e in events)
        # B's key never reads A's stream.
        with pytest.raises(grpc.RpcError) as err:
            next(iter(open_stream(channels, b_key, tenant_id=a_id)))
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED

    def test_bad_cursor_and_type_are_refused(
        self, channels: Channels, two_tenants: tuple[tuple[str, Metadata], ...]
    ) -> None:
        (_, a_key), _ = two_tenants
        for request, field in (
            ({"cursor": "not-a-cursor"}, "cursor"),
            ({"event_types": ["nope"]}, "event_types"),
        ):
            with pytest.raises(grpc.RpcError) as err:
                next(iter(open_stream(channels, a_key, **request)))
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert (err.value.details() or "").startswith(f"{field}:")
