"""The stream updates both sides share, as the contract says them."""

from __future__ import annotations

from vaxel.conversation.v1 import conversation_pb2 as pb
from vaxel_conversation.adapters.converters import author_kind_pb, read_state_pb
from vaxel_conversation.adapters.hub import ReadMarked, Typed

__all__ = ["read_mark_pb", "typing_pb"]


def typing_pb(update: Typed) -> pb.TypingNotice:
    return pb.TypingNotice(
        author_kind=author_kind_pb(update.author_kind), author_id=update.author_id, typing=update.typing
    )


def read_mark_pb(update: ReadMarked) -> pb.ReadMark:
    return pb.ReadMark(
        author_kind=author_kind_pb(update.author_kind),
        author_id=update.author_id,
        message_id=update.message_id,
        state=read_state_pb(update.state),
    )
