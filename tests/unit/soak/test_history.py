"""The soak's history check finds what it claims to find: each count is raised by the history it names."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from google.protobuf.message import Message

from tests.soak.faults import KINDS, plan
from tests.soak.history import Counts, History, check_events, expected_sla, log_differences
from vaxel.events.v1 import events_pb2
from vaxel.interactions.v1 import interactions_pb2
from vaxel_common.events import new_event

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _event(payload: Message, interaction_id: str, seconds: float, agent: str = "a1") -> events_pb2.Event:
    return new_event(
        payload,
        tenant_id="t1",
        producer="routing",
        interaction_id=interaction_id,
        agent_id=agent,
        occurred_at=T0 + timedelta(seconds=seconds),
    )


def _chat(interaction_id: str, start: float, agent: str = "a1") -> list[events_pb2.Event]:
    return [
        _event(events_pb2.InteractionCreated(queue_id="q1"), interaction_id, start, ""),
        _event(
            events_pb2.InteractionOffered(offer_id=f"o-{interaction_id}"), interaction_id, start + 1, agent
        ),
        _event(events_pb2.OfferAccepted(offer_id=f"o-{interaction_id}"), interaction_id, start + 2, agent),
        _event(
            events_pb2.InteractionConnected(offer_id=f"o-{interaction_id}"), interaction_id, start + 2, agent
        ),
        _event(events_pb2.InteractionEnded(reason="done"), interaction_id, start + 3, agent),
        _event(events_pb2.InteractionWrappedUp(disposition="solved"), interaction_id, start + 4, agent),
    ]


def _history(*events: events_pb2.Event) -> History:
    grouped: dict[str, list[events_pb2.Event]] = {}
    for event in events:
        grouped.setdefault(event.interaction_id, []).append(event)
    return History(grouped)


def _counts(found: History, acknowledged: list[str]) -> Counts:
    counts = Counts()
    check_events(found, acknowledged, counts)
    return counts


class TestCheckEvents:
    def test_a_clean_history_counts_nothing(self) -> None:
        counts = _counts(_history(*_chat("i1", 0), *_chat("i2", 10)), ["i1", "i2"])
        assert counts.defects == 0
        assert (counts.acknowledged, counts.interactions) == (2, 2)

    def test_an_acknowledged_submission_without_events_is_lost(self) -> None:
        counts = _counts(_history(*_chat("i1", 0)), ["i1", "i2"])
        assert counts.lost == 1
        assert counts.examples["lost"] == ["i2"]

    def test_a_step_done_twice_under_two_event_ids_is_duplicated(self) -> None:
        again = _event(events_pb2.InteractionWrappedUp(disposition="solved"), "i1", 5)
        counts = _counts(_history(*_chat("i1", 0), again), ["i1"])
        assert counts.duplicated == 1

    def test_two_agents_accepting_one_interaction_is_double_assignment(self) -> None:
        second = _event(events_pb2.OfferAccepted(offer_id="o2"), "i1", 2.5, "a2")
        counts = _counts(_history(*_chat("i1", 0), second), ["i1"])
        assert counts.double_assigned == 1

    def test_an_agent_offered_a_second_chat_while_holding_one_is_double_booked(self) -> None:
        counts = _counts(_history(*_chat("i1", 0), *_chat("i2", 2)), ["i1", "i2"])
        assert counts.double_assigned == 1
        assert "double_booked" in counts.examples

    def test_no_final_state_or_two_of_them_is_unfinished(self) -> None:
        open_chat = _chat("i1", 0)[:-1]
        both = [*_chat("i2", 10), _event(events_pb2.InteractionAbandoned(queue_id="q1"), "i2", 20, "")]
        counts = _counts(_history(*open_chat, *both), ["i1", "i2"])
        assert counts.unfinished == 2


class TestComparisons:
    def test_a_log_record_that_differs_from_its_events_names_the_fields(self) -> None:
        found = _history(*_chat("i1", 0))
        record = interactions_pb2.Interaction(interaction_id="i1", agent_id="a1", disposition="solved")
        for field, kind in (
            ("created_at", "interaction_created"),
            ("connected_at", "interaction_connected"),
            ("ended_at", "interaction_ended"),
            ("wrapped_up_at", "interaction_wrapped_up"),
        ):
            event = found.first("i1", kind)
            assert event is not None
            getattr(record, field).CopyFrom(event.occurred_at)
        assert log_differences(record, found) == []
        record.agent_id = "a2"
        record.wrapped_up_at.FromDatetime(T0)
        assert log_differences(record, found) == ["wrapped_up_at", "agent_id"]

    def test_sla_expectations_count_offered_answered_abandoned_per_queue(self) -> None:
        abandoned = [
            _event(events_pb2.InteractionCreated(queue_id="q1"), "i3", 30, ""),
            _event(events_pb2.InteractionAbandoned(queue_id="q1"), "i3", 40, ""),
        ]
        assert expected_sla(_history(*_chat("i1", 0), *_chat("i2", 10), *abandoned)) == {"q1": (3, 2, 1)}


class TestPlan:
    def test_the_same_seed_gives_the_same_faults_one_per_slot(self) -> None:
        first = plan(random.Random(4217), KINDS, 240.0)  # noqa: S311  (reproducible plan)
        assert first == plan(random.Random(4217), KINDS, 240.0)  # noqa: S311
        assert sorted(f.name for f in first) == sorted(KINDS)
        slot = (240.0 - 3.0) / len(KINDS)
        for n, fault in enumerate(first):
            assert 3.0 + n * slot <= fault.at <= 3.0 + (n + 0.5) * slot
            assert (fault.hold > 0) == (fault.kind == "pause")
