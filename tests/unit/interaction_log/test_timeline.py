"""The interaction record comes from the history: any arrival order, any redelivery, same record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from vaxel_interaction_log.domain import LoggedEvent, Outcome, project

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def ev(n: int, kind: str, seconds: float, **fields: object) -> LoggedEvent:
    return LoggedEvent(f"e{n}", kind, "t", "i", T0 + timedelta(seconds=seconds), **fields)  # type: ignore[arg-type]


ANSWERED = [
    ev(1, "interaction.created", 0, queue_id="q1", channel=1, customer_ref="c-9", language="sv-SE"),
    ev(2, "interaction.queued", 1, queue_id="q1"),
    ev(3, "interaction.offered", 9, agent_id="a1"),
    ev(4, "offer.timed_out", 24, agent_id="a1"),
    ev(5, "interaction.offered", 24, agent_id="a2"),
    ev(6, "interaction.connected", 31, agent_id="a2"),
    ev(7, "interaction.ended", 211, agent_id="a2", reason="done"),
    ev(
        8,
        "interaction.wrapped_up",
        241,
        agent_id="a2",
        disposition="solved",
        tags=("vip", "billing"),
        notes="n",
    ),
    ev(9, "survey.answered", 400, survey_score=4, survey_comment="fine"),
]


class TestProject:
    @given(st.permutations(ANSWERED), st.lists(st.sampled_from(ANSWERED), max_size=12))
    def test_any_order_with_any_redeliveries_gives_the_same_record(
        self, arrival: list[LoggedEvent], again: list[LoggedEvent]
    ) -> None:
        assert project("i", "t", arrival + again) == project("i", "t", ANSWERED)

    @given(st.permutations(ANSWERED[:6]), st.permutations(ANSWERED[6:]))
    def test_a_partial_history_then_the_rest_equals_the_whole(
        self, head: list[LoggedEvent], tail: list[LoggedEvent]
    ) -> None:
        partial = project("i", "t", head)
        assert partial.outcome is Outcome.ANSWERED
        assert partial.ended_at is None
        assert project("i", "t", [*tail, *partial.timeline]) == project("i", "t", ANSWERED)

    def test_answered_call_fields(self) -> None:
        record = project("i", "t", reversed(ANSWERED))
        assert (record.queue_id, record.channel, record.customer_ref) == ("q1", 1, "c-9")
        assert record.created_at == T0
        assert record.queued_at == T0 + timedelta(seconds=1)
        assert record.offered_at == T0 + timedelta(seconds=9)
        assert record.connected_at == T0 + timedelta(seconds=31)
        assert record.agent_id == "a2"
        assert record.outcome is Outcome.ANSWERED
        assert (record.waiting_seconds, record.talk_seconds, record.handle_seconds) == (30.0, 180.0, 210.0)
        assert (record.disposition, record.tags, record.notes) == ("solved", ("billing", "vip"), "n")
        assert (record.survey_score, record.survey_comment) == (4, "fine")
        assert [e.event_id for e in record.timeline] == [f"e{n}" for n in range(1, 10)]

    def test_abandoned_waits_until_it_left(self) -> None:
        record = project(
            "i",
            "t",
            [
                ev(2, "interaction.abandoned", 45, queue_id="q1"),
                ev(1, "interaction.created", 0, queue_id="q1"),
            ],
        )
        assert record.outcome is Outcome.ABANDONED
        assert record.waiting_seconds == 45.0
        assert record.talk_seconds is None
        assert record.handle_seconds is None

    def test_deflected_closed_and_waiting(self) -> None:
        created = ev(1, "interaction.created", 0, queue_id="q1", channel=2)
        assert project("i", "t", [created, ev(2, "deflected.by_faq", 0)]).outcome is Outcome.DEFLECTED
        closed = project("i", "t", [created, ev(2, "interaction.ended", 0, reason="closed")])
        assert closed.outcome is Outcome.CLOSED
        assert closed.waiting_seconds is None
        assert project("i", "t", [created, ev(2, "interaction.queued", 1)]).outcome is Outcome.WAITING

    def test_a_transfer_moves_the_queue(self) -> None:
        record = project(
            "i",
            "t",
            [ANSWERED[0], ANSWERED[5], ev(20, "interaction.transferred", 60, queue_id="q2", agent_id="a2")],
        )
        assert record.queue_id == "q2"

    def test_without_a_created_event_the_record_starts_at_the_first_event(self) -> None:
        record = project("i", "t", ANSWERED[3:5])
        assert record.created_at is None
        assert record.started_at == T0 + timedelta(seconds=24)

    def test_another_tenants_events_are_ignored(self) -> None:
        foreign = LoggedEvent("x", "interaction.wrapped_up", "other", "i", T0, disposition="leak")
        assert project("i", "t", [*ANSWERED, foreign]) == project("i", "t", ANSWERED)
