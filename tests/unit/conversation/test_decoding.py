"""Requests that do not parse name their field."""

from __future__ import annotations

from vaxel.conversation.v1 import conversation_pb2 as pb
from vaxel_conversation.adapters.decoding import Undecodable, _lenient, bad_field


def _spoil(data: bytes, marker: bytes) -> bytes:
    assert marker in data
    return data.replace(marker, b"\xff" * len(marker))


class TestBadField:
    def test_a_top_level_string(self) -> None:
        data = _spoil(pb.StartChatRequest(queue_id="q1", text="MARK").SerializeToString(), b"MARK")
        assert bad_field(pb.StartChatRequest.DESCRIPTOR, data) == "text"

    def test_a_nested_string_in_a_oneof(self) -> None:
        request = pb.ChatRequest(request_id="r1", send=pb.SendMessage(text="MARK"))
        data = _spoil(request.SerializeToString(), b"MARK")
        assert bad_field(pb.ChatRequest.DESCRIPTOR, data) == "send.text"

    def test_a_repeated_message_is_indexed(self) -> None:
        request = pb.PostMessageRequest(
            text="ok",
            attachments=[pb.AttachmentInput(name="a.png"), pb.AttachmentInput(name="MARK")],
        )
        data = _spoil(request.SerializeToString(), b"MARK")
        assert bad_field(pb.PostMessageRequest.DESCRIPTOR, data) == "attachments[1].name"

    def test_the_lenient_deserializer(self) -> None:
        deserialize = _lenient(pb.StartChatRequest)
        good = pb.StartChatRequest(text="hej")
        assert deserialize(good.SerializeToString()) == good
        bad = _spoil(pb.StartChatRequest(text="MARK").SerializeToString(), b"MARK")
        assert deserialize(bad) == Undecodable("text", "not valid UTF-8")
        assert deserialize(b"\x0a\xff") == Undecodable("request", "not a valid message")
