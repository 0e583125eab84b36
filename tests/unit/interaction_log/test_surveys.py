"""Surveys: due when the interaction ended with an agent; the first answer counts; bad input names
the field; another tenant's interaction is not found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vaxel_common.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from vaxel_interaction_log.domain import LoggedEvent, project
from vaxel_interaction_log.domain.search import Search
from vaxel_interaction_log.domain.surveys import SurveyDesk, survey_answered_id, survey_due, survey_sent_id
from vaxel_interaction_log.domain.timeline import InteractionRecord

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def ev(n: int, kind: str, seconds: float, interaction: str = "i1", **fields: object) -> LoggedEvent:
    at = T0 + timedelta(seconds=seconds)
    return LoggedEvent(f"{interaction}-e{n}", kind, "t1", interaction, at, **fields)  # type: ignore[arg-type]


def answered(interaction: str = "i1") -> list[LoggedEvent]:
    return [
        ev(1, "interaction.created", 0, interaction, queue_id="q", channel=2),
        ev(2, "interaction.connected", 10, interaction, agent_id="a1"),
        ev(3, "interaction.ended", 70, interaction, agent_id="a1"),
    ]


class Memory:
    """The store's ports in a dict (the SQL ledger is tested on SQLite and PostgreSQL)."""

    def __init__(self, events: list[LoggedEvent]) -> None:
        self.events = events
        self.requested: set[tuple[str, str]] = set()
        self.claims: dict[tuple[str, str], tuple[int, int]] = {}

    def events_of(self, tenant_id: str, interaction_id: str) -> list[LoggedEvent]:
        return [e for e in self.events if e.tenant_id == tenant_id and e.interaction_id == interaction_id]

    def search(self, query: Search) -> list[InteractionRecord]:
        return []

    def survey_requested(self, tenant_id: str, interaction_id: str) -> bool:
        return (tenant_id, interaction_id) in self.requested

    def claim_answer(
        self, tenant_id: str, interaction_id: str, score: int, answered_us: int
    ) -> tuple[int, int]:
        return self.claims.setdefault((tenant_id, interaction_id), (score, answered_us))


class TestDue:
    def test_an_interaction_that_ended_with_an_agent_is_surveyed_by_its_channel(self) -> None:
        record = project("i1", "t1", answered())
        request = survey_due(record, T0 + timedelta(hours=1), DAY)
        assert request is not None
        assert (request.channel, request.agent_id) == (2, "a1")
        assert request.event_id == survey_sent_id("t1", "i1") != survey_sent_id("t2", "i1")

    def test_abandoned_unfinished_and_old_interactions_are_not(self) -> None:
        abandoned = project("i1", "t1", [ev(1, "interaction.created", 0), ev(2, "interaction.abandoned", 9)])
        talking = project("i1", "t1", answered()[:2])
        assert survey_due(abandoned, T0, DAY) is None
        assert survey_due(talking, T0, DAY) is None
        assert survey_due(project("i1", "t1", answered()), T0 + timedelta(days=2), DAY) is None


class TestAnswer:
    def desk(self, *, sent: bool = True) -> tuple[SurveyDesk, Memory]:
        memory = Memory(answered() + answered("i2")[:2])
        if sent:
            memory.requested.add(("t1", "i1"))
        return SurveyDesk(memory, memory), memory

    def test_the_first_answer_counts_and_a_retry_gets_the_same_event(self) -> None:
        desk, _ = self.desk()
        first = desk.answer("t1", "i1", 4, "quick and kind", T0 + timedelta(hours=1))
        assert first.event_id == survey_answered_id("t1", "i1")
        assert (first.score, first.agent_id, first.answered_at) == (4, "a1", T0 + timedelta(hours=1))
        retry = desk.answer("t1", "i1", 4, "quick and kind", T0 + timedelta(hours=2))
        assert (retry.event_id, retry.answered_at) == (first.event_id, first.answered_at)
        with pytest.raises(AlreadyExists):
            desk.answer("t1", "i1", 1, "changed my mind", T0 + timedelta(hours=3))

    def test_an_answer_in_the_history_counts_though_the_ledger_forgot_it(self) -> None:
        """A store rebuilt from the topics has the answer's event, not the ledger row of its claim."""
        given = ev(10, "survey.answered", 3600, survey_score=4, survey_comment="kind")
        memory = Memory([*answered(), ev(9, "survey.sent", 80), given])
        desk = SurveyDesk(memory, memory)
        retry = desk.answer("t1", "i1", 4, "kind", T0 + timedelta(hours=5))
        assert (retry.event_id, retry.answered_at, retry.comment) == (
            survey_answered_id("t1", "i1"),
            given.occurred_at,
            "kind",
        )
        with pytest.raises(AlreadyExists):
            desk.answer("t1", "i1", 1, "changed my mind", T0 + timedelta(hours=6))
        assert memory.claims == {}

    def test_a_survey_event_in_the_history_counts_as_sent(self) -> None:
        memory = Memory([*answered(), ev(9, "survey.sent", 80)])
        assert SurveyDesk(memory, memory).answer("t1", "i1", 5, "", T0).score == 5

    @pytest.mark.parametrize(
        ("score", "comment", "field"),
        [(0, "", "score"), (6, "", "score"), (3, "x" * 2001, "comment"), (3, "bell\x07", "comment")],
    )
    def test_bad_input_names_the_field(self, score: int, comment: str, field: str) -> None:
        desk, _ = self.desk()
        with pytest.raises(InvalidArgument) as err:
            desk.answer("t1", "i1", score, comment, T0)
        assert err.value.field == field

    def test_line_breaks_in_a_comment_are_fine(self) -> None:
        desk, _ = self.desk()
        assert desk.answer("t1", "i1", 3, "line one\nline two", T0).comment == "line one\nline two"

    def test_another_tenants_or_an_unknown_interaction_is_not_found(self) -> None:
        desk, _ = self.desk()
        for tenant, interaction in (("t2", "i1"), ("t1", "nope")):
            with pytest.raises(NotFound):
                desk.answer(tenant, interaction, 3, "", T0)

    def test_no_survey_no_answer(self) -> None:
        desk, _ = self.desk(sent=False)
        with pytest.raises(FailedPrecondition):
            desk.answer("t1", "i1", 3, "", T0)
        with pytest.raises(FailedPrecondition):  # still talking
            desk.answer("t1", "i2", 3, "", T0)
