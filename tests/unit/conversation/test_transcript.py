"""Transcripts: ordered, each message id once, whatever the order of duplicates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaxel_common.errors import InvalidArgument, NotFound, ResourceExhausted
from vaxel_conversation.domain.model import AuthorKind, ChatSession, Message
from vaxel_conversation.domain.transcript import Transcript, TranscriptBook

AT = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def message(message_id: str, interaction_id: str = "i1", tenant_id: str = "t1") -> Message:
    return Message(
        message_id, interaction_id, tenant_id, AuthorKind.CUSTOMER, "customer", AT, f"text {message_id}"
    )


class TestTranscript:
    def test_messages_are_numbered_in_the_order_they_join(self) -> None:
        transcript = Transcript("i1", "t1")
        assert [transcript.add(message(m)).sequence for m in "abc"] == [1, 2, 3]  # type: ignore[union-attr]

    def test_a_duplicate_changes_nothing(self) -> None:
        transcript = Transcript("i1", "t1")
        transcript.add(message("a"))
        assert transcript.add(message("a")) is None
        assert len(transcript) == 1

    def test_after_a_message_gives_the_later_ones(self) -> None:
        transcript = Transcript("i1", "t1")
        for m in "abcd":
            transcript.add(message(m))
        assert [m.message_id for m in transcript.after("b")] == ["c", "d"]
        assert [m.message_id for m in transcript.after("")] == list("abcd")
        assert transcript.after("d") == []
        with pytest.raises(InvalidArgument) as caught:
            transcript.after("zz", field="join.last_message_id")
        assert caught.value.field == "join.last_message_id"

    @given(st.lists(st.sampled_from("abcdefgh"), max_size=40))
    def test_any_replay_with_duplicates_gives_each_id_once_in_first_order(self, ids: list[str]) -> None:
        transcript = Transcript("i1", "t1")
        for m in ids:
            transcript.add(message(m))
        first_seen = list(dict.fromkeys(ids))
        assert [m.message_id for m in transcript.messages] == first_seen
        assert [m.sequence for m in transcript.messages] == list(range(1, len(first_seen) + 1))


class TestBook:
    def test_another_tenant_finds_nothing(self) -> None:
        book = TranscriptBook()
        book.add(message("a"))
        with pytest.raises(NotFound):
            book.transcript("t2", "i1")
        assert book.find("t2", "i1") is None
        assert book.add(message("b", tenant_id="t2")) is None  # a record naming another tenant's interaction

    def test_a_chat_gathers_its_tokens_and_keeps_its_tenant(self) -> None:
        book = TranscriptBook()
        book.start_chat(ChatSession("i1", "t1", "q1", "sv-SE", {"d1"}))
        book.start_chat(ChatSession("i1", "t1", "q1", "sv-SE", {"d2"}))
        book.start_chat(ChatSession("i1", "t2", "q9", "en", {"evil"}))
        held = book.chat("t1", "i1")
        assert held.token_digests == {"d1", "d2"}
        assert held.queue_id == "q1"
        with pytest.raises(NotFound):
            book.chat("t2", "i1")

    def test_a_full_transcript_takes_no_more(self) -> None:
        book = TranscriptBook(max_messages=2)
        book.add(message("a"))
        book.check_room("t1", "i1")
        book.add(message("b"))
        with pytest.raises(ResourceExhausted):
            book.check_room("t1", "i1")
