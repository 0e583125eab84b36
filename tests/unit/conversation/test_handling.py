"""Who may post and read, from routing's lifecycle events."""

from __future__ import annotations

import pytest

from vaxel_common.errors import FailedPrecondition, NotFound, PermissionDenied
from vaxel_conversation.domain.handling import HandlingBook, Stage
from vaxel_conversation.domain.model import AuthorKind


def connected(agent: str = "anna") -> HandlingBook:
    book = HandlingBook()
    book.apply("interaction.created", "t1", "i1", queue_id="q1")
    book.apply("interaction.offered", "t1", "i1", agent)
    book.apply("offer.accepted", "t1", "i1", agent)
    book.apply("interaction.connected", "t1", "i1", agent)
    return book


class TestHandling:
    def test_the_holder_posts_and_others_are_denied(self) -> None:
        book = connected()
        book.check_agent_post("t1", "i1", "anna", AuthorKind.AGENT)
        with pytest.raises(PermissionDenied) as caught:
            book.check_agent_post("t1", "i1", "bo", AuthorKind.AGENT)
        assert caught.value.message.startswith("agent_id:")
        with pytest.raises(NotFound):
            book.check_agent_post("t2", "i1", "anna", AuthorKind.AGENT)

    def test_in_wrap_up_only_notes(self) -> None:
        book = connected()
        book.apply("interaction.ended", "t1", "i1", "anna")
        book.check_agent_post("t1", "i1", "anna", AuthorKind.INTERNAL_NOTE)
        with pytest.raises(FailedPrecondition):
            book.check_agent_post("t1", "i1", "anna", AuthorKind.AGENT)
        book.apply("interaction.wrapped_up", "t1", "i1", "anna")
        with pytest.raises(FailedPrecondition):
            book.check_agent_post("t1", "i1", "anna", AuthorKind.INTERNAL_NOTE)

    def test_the_offered_agent_reads_and_a_former_holder_still_reads(self) -> None:
        book = HandlingBook()
        book.apply("interaction.created", "t1", "i1", queue_id="q1")
        book.apply("interaction.offered", "t1", "i1", "anna")
        book.check_agent_read("t1", "i1", "anna")
        with pytest.raises(PermissionDenied):
            book.check_agent_post("t1", "i1", "anna", AuthorKind.AGENT)
        book.apply("interaction.connected", "t1", "i1", "anna")
        book.apply("interaction.transferred", "t1", "i1", "anna")
        book.apply("interaction.offered", "t1", "i1", "bo")
        book.apply("interaction.connected", "t1", "i1", "bo")
        book.check_agent_read("t1", "i1", "anna")
        with pytest.raises(PermissionDenied):
            book.check_agent_post("t1", "i1", "anna", AuthorKind.AGENT)
        book.check_agent_post("t1", "i1", "bo", AuthorKind.AGENT)
        with pytest.raises(PermissionDenied):
            book.check_agent_read("t1", "i1", "carl")

    def test_the_customer_posts_until_it_ended(self) -> None:
        book = HandlingBook()
        book.check_customer_post("i1")  # not seen yet: routing's events may lag
        book.apply("interaction.created", "t1", "i1")
        book.check_customer_post("i1")
        book.apply("interaction.abandoned", "t1", "i1")
        with pytest.raises(FailedPrecondition, match="interaction_id"):
            book.check_customer_post("i1")

    def test_an_event_of_another_tenant_for_the_same_id_is_ignored(self) -> None:
        book = connected()
        assert book.apply("interaction.abandoned", "t2", "i1") is None
        handling = book.get("i1")
        assert handling is not None
        assert handling.stage is Stage.CONNECTED

    def test_events_that_do_not_change_the_handling_are_ignored(self) -> None:
        book = connected()
        assert book.apply("survey.sent", "t1", "i1") is None
