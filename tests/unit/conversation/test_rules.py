"""The rules a message meets before it joins a transcript, and its id."""

from __future__ import annotations

import pytest

from vaxel_common.errors import InvalidArgument
from vaxel_conversation.domain.model import Attachment, AuthorKind
from vaxel_conversation.domain.rules import MAX_TEXT_BYTES, check_id, check_text, draft, message_id_for

GOOD = Attachment("faktura.pdf", "application/pdf", 1234, "ab" * 32, "blob://t/faktura.pdf")


def _draft(text: str = "Hej", **kw: object) -> object:
    return draft("t1", "i1", AuthorKind.CUSTOMER, "customer", text, **kw)  # type: ignore[arg-type]


class TestText:
    def test_the_limit_counts_utf8_bytes_not_characters(self) -> None:
        assert check_text("text", "å" * (MAX_TEXT_BYTES // 2), required=True)
        with pytest.raises(InvalidArgument) as caught:
            check_text("text", "å" * (MAX_TEXT_BYTES // 2) + "a", required=True)
        assert caught.value.field == "text"
        assert "8193 bytes" in caught.value.reason

    def test_control_characters_are_refused_but_line_breaks_and_tabs_kept(self) -> None:
        assert check_text("text", "rad ett\nrad två\r\n\tindrag", required=True)
        for bad in ("\x00", "\x1b[31m", "\x7f", "\x85"):
            with pytest.raises(InvalidArgument, match="control character"):
                check_text("send.text", f"hej{bad}", required=True)

    def test_a_lone_surrogate_is_not_utf8(self) -> None:
        with pytest.raises(InvalidArgument, match="not valid UTF-8"):
            check_text("text", "hej \ud800", required=True)

    def test_blank_text_needs_attachments(self) -> None:
        with pytest.raises(InvalidArgument) as caught:
            _draft("  \n")
        assert caught.value.field == "text"
        assert _draft("", attachments=[GOOD]).attachments == (GOOD,)  # type: ignore[attr-defined]

    def test_emoji_and_scripts_pass(self) -> None:
        assert check_text("text", "Grüße 👋 Привет 你好", required=True)


class TestAttachments:
    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"name": ""}, "attachments[0].name"),
            ({"media_type": "PDF"}, "attachments[0].media_type"),
            ({"size_bytes": 0}, "attachments[0].size_bytes"),
            ({"size_bytes": 26 * 1024 * 1024}, "attachments[0].size_bytes"),
            ({"sha256": "AB" * 32}, "attachments[0].sha256"),
            ({"storage_ref": ""}, "attachments[0].storage_ref"),
        ],
    )
    def test_each_bad_field_is_named(self, change: dict[str, object], field: str) -> None:
        values = {
            "name": GOOD.name,
            "media_type": GOOD.media_type,
            "size_bytes": GOOD.size_bytes,
            "sha256": GOOD.sha256,
            "storage_ref": GOOD.storage_ref,
            **change,
        }
        with pytest.raises(InvalidArgument) as caught:
            _draft(attachments=[Attachment(**values)])  # type: ignore[arg-type]
        assert caught.value.field == field

    def test_at_most_ten(self) -> None:
        with pytest.raises(InvalidArgument) as caught:
            _draft(attachments=[GOOD] * 11)
        assert caught.value.field == "attachments"

    def test_the_prefix_names_the_field_of_a_stream_request(self) -> None:
        with pytest.raises(InvalidArgument) as caught:
            draft("t1", "i1", AuthorKind.CUSTOMER, "customer", "x" * 9000, field_prefix="send.")
        assert caught.value.field == "send.text"


class TestIds:
    def test_the_same_key_gives_the_same_id(self) -> None:
        one = draft("t1", "i1", AuthorKind.AGENT, "anna", "Hej", idempotency_key="k")
        again = draft("t1", "i1", AuthorKind.AGENT, "anna", "Hej igen", idempotency_key="k")
        assert message_id_for(one) == message_id_for(again)

    def test_the_key_is_scoped_by_interaction_and_author(self) -> None:
        base = draft("t1", "i1", AuthorKind.AGENT, "anna", "Hej", idempotency_key="k")
        others = [
            draft("t1", "i2", AuthorKind.AGENT, "anna", "Hej", idempotency_key="k"),
            draft("t1", "i1", AuthorKind.AGENT, "bo", "Hej", idempotency_key="k"),
            draft("t1", "i1", AuthorKind.INTERNAL_NOTE, "anna", "Hej", idempotency_key="k"),
            draft("t2", "i1", AuthorKind.AGENT, "anna", "Hej", idempotency_key="k"),
        ]
        assert message_id_for(base) not in {message_id_for(o) for o in others}

    def test_without_a_key_each_message_is_new(self) -> None:
        one = draft("t1", "i1", AuthorKind.CUSTOMER, "customer", "Hej")
        assert message_id_for(one) != message_id_for(one)

    def test_ids_are_bounded_and_printable(self) -> None:
        with pytest.raises(InvalidArgument, match="at most 128"):
            check_id("interaction_id", "x" * 129)
        with pytest.raises(InvalidArgument, match="printable"):
            check_id("queue_id", "a\nb")
        with pytest.raises(InvalidArgument, match="required"):
            check_id("queue_id", "")
        with pytest.raises(InvalidArgument) as caught:
            _draft(idempotency_key="k" * 129)
        assert caught.value.field == "idempotency_key"
