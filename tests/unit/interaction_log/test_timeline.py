"""The interaction projection comes from the history, not from arrival order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from vaxel_interaction_log.domain import StoredEvent, project

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
EVENTS = [
    StoredEvent("e1", "interaction.created", "t", "i", "", T0, "q1", 2),
    StoredEvent("e2", "interaction.queued", "t", "i", "", T0 + timedelta(seconds=1), "", 0),
    StoredEvent("e3", "interaction.offered", "t", "i", "a1", T0 + timedelta(seconds=9), "", 0),
]


class TestProject:
    @given(st.permutations(EVENTS))
    def test_any_arrival_order_gives_the_same_record(self, arrival: list[StoredEvent]) -> None:
        assert project("i", "t", arrival) == project("i", "t", EVENTS)

    def test_fields_come_from_the_created_event(self) -> None:
        record = project("i", "t", EVENTS)
        assert (record.queue_id, record.channel, record.created_at) == ("q1", 2, T0)
        assert [e.event_id for e in record.timeline] == ["e1", "e2", "e3"]
