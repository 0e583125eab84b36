"""The event envelope: building, typing, encoding and rejecting bad records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaxel.events.v1 import events_pb2
from vaxel_common.errors import DecodeError
from vaxel_common.events import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    decode_event,
    deterministic_id,
    encode_event,
    new_event,
)


def created(tenant: str = "t1") -> events_pb2.Event:
    return new_event(
        events_pb2.InteractionCreated(queue_id="q1"), tenant_id=tenant, producer="test", interaction_id="i1"
    )


class TestNewEvent:
    def test_envelope_fields(self) -> None:
        event = created()
        assert event.event_type == "interaction.created"
        assert event.tenant_id == "t1"
        assert event.producer == "test"
        assert event.schema_version == SCHEMA_VERSION
        assert event.event_id
        assert event.interaction_created.queue_id == "q1"

    def test_occurred_at_is_stored_as_utc(self) -> None:
        cet = timezone(timedelta(hours=1))
        event = new_event(
            events_pb2.AgentLoggedOut(),
            tenant_id="t",
            producer="p",
            agent_id="a",
            occurred_at=datetime(2026, 3, 29, 3, 0, tzinfo=cet),
        )
        assert event.occurred_at.ToDatetime(UTC) == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)

    def test_naive_time_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            new_event(
                events_pb2.AgentLoggedOut(), tenant_id="t", producer="p", occurred_at=datetime(2026, 1, 1)
            )

    def test_non_payload_is_refused(self) -> None:
        with pytest.raises(TypeError):
            new_event(events_pb2.DeadLetter(), tenant_id="t", producer="p")

    def test_every_payload_round_trips_with_its_type(self) -> None:
        for event_type, field in EVENT_TYPES.items():
            descriptor = events_pb2.Event.DESCRIPTOR.fields_by_name[field].message_type
            assert descriptor is not None
            message_class = getattr(events_pb2, descriptor.name)
            event = new_event(message_class(), tenant_id="t", producer="p")
            decoded = decode_event(encode_event(event))
            assert decoded.event_type == event_type
            assert decoded.WhichOneof("payload") == field


class TestDeterministicId:
    def test_same_parts_same_id(self) -> None:
        assert deterministic_id("i1", "offer", "1") == deterministic_id("i1", "offer", "1")

    def test_parts_are_separated(self) -> None:
        assert deterministic_id("ab", "c") != deterministic_id("a", "bc")


class TestDecode:
    def test_empty(self) -> None:
        with pytest.raises(DecodeError, match="empty"):
            decode_event(b"")

    def test_missing_tenant(self) -> None:
        event = created(tenant="")
        with pytest.raises(DecodeError, match="tenant_id"):
            decode_event(encode_event(event))

    def test_type_must_match_payload(self) -> None:
        event = created()
        event.event_type = "interaction.ended"
        with pytest.raises(DecodeError, match="does not match"):
            decode_event(encode_event(event))

    def test_newer_schema_is_refused(self) -> None:
        event = created()
        event.schema_version = SCHEMA_VERSION + 1
        with pytest.raises(DecodeError, match="schema_version"):
            decode_event(encode_event(event))

    @given(st.binary(max_size=200))
    def test_arbitrary_bytes_decode_or_raise_decode_error(self, data: bytes) -> None:
        try:
            event = decode_event(data)
        except DecodeError:
            return
        assert event.event_id
        assert event.tenant_id
