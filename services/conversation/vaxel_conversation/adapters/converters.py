"""Between the contract (``vaxel.conversation.v1``, the message events) and the domain's values."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from vaxel.conversation.v1 import conversation_pb2 as pb
from vaxel.events.v1 import events_pb2
from vaxel_common.errors import InvalidArgument
from vaxel_common.events import new_event
from vaxel_conversation import SERVICE_NAME
from vaxel_conversation.domain.model import Attachment, AuthorKind, ChatSession, Message, ReadState

__all__ = [
    "attachments_from_pb",
    "author_kind_pb",
    "chat_event",
    "message_event",
    "message_from_pb",
    "message_to_pb",
    "read_state_from_pb",
    "read_state_pb",
]

_KINDS: dict[AuthorKind, pb.AuthorKind.ValueType] = {
    AuthorKind.CUSTOMER: pb.AUTHOR_KIND_CUSTOMER,
    AuthorKind.AGENT: pb.AUTHOR_KIND_AGENT,
    AuthorKind.SYSTEM: pb.AUTHOR_KIND_SYSTEM,
    AuthorKind.INTERNAL_NOTE: pb.AUTHOR_KIND_INTERNAL_NOTE,
}
_KIND_OF = {v: k for k, v in _KINDS.items()}
_READ: dict[ReadState, pb.ReadState.ValueType] = {
    ReadState.DELIVERED: pb.READ_STATE_DELIVERED,
    ReadState.READ: pb.READ_STATE_READ,
}
_READ_OF = {v: k for k, v in _READ.items()}


def author_kind_pb(kind: AuthorKind) -> pb.AuthorKind.ValueType:
    return _KINDS[kind]


def author_kind_from_pb(value: int, field: str = "author_kind") -> AuthorKind:
    kind = _KIND_OF.get(value)  # type: ignore[call-overload]
    if kind is None:
        raise InvalidArgument(field, "required: one of the AuthorKind values")
    return kind  # type: ignore[no-any-return]


def read_state_pb(state: ReadState) -> pb.ReadState.ValueType:
    return _READ[state]


def read_state_from_pb(value: int, field: str = "state") -> ReadState:
    state = _READ_OF.get(value)  # type: ignore[call-overload]
    if state is None:
        raise InvalidArgument(field, "required: delivered or read")
    return state  # type: ignore[no-any-return]


def attachments_from_pb(items: Iterable[pb.AttachmentInput | pb.Attachment]) -> tuple[Attachment, ...]:
    return tuple(Attachment(a.name, a.media_type, a.size_bytes, a.sha256, a.storage_ref) for a in items)


def message_to_pb(message: Message) -> pb.Message:
    out = pb.Message(
        message_id=message.message_id,
        interaction_id=message.interaction_id,
        tenant_id=message.tenant_id,
        author_kind=_KINDS[message.author_kind],
        author_id=message.author_id,
        text=message.text,
        sequence=message.sequence,
        attachments=[
            pb.Attachment(
                name=a.name,
                media_type=a.media_type,
                size_bytes=a.size_bytes,
                sha256=a.sha256,
                storage_ref=a.storage_ref,
            )
            for a in message.attachments
        ],
    )
    out.sent_at.FromDatetime(message.sent_at.astimezone(UTC))
    return out


def message_from_pb(message: pb.Message) -> Message:
    return Message(
        message_id=message.message_id,
        interaction_id=message.interaction_id,
        tenant_id=message.tenant_id,
        author_kind=author_kind_from_pb(message.author_kind),
        author_id=message.author_id,
        sent_at=message.sent_at.ToDatetime(UTC),
        text=message.text,
        attachments=attachments_from_pb(message.attachments),
    )


def message_event(message: Message) -> events_pb2.Event:
    """``message.posted``: the event id is the message id, so a duplicate record is the same message."""
    as_pb = message_to_pb(message)
    as_pb.sequence = 0  # the place is the topic's order, not the writer's say
    return new_event(
        events_pb2.MessagePosted(message=as_pb),
        tenant_id=message.tenant_id,
        producer=SERVICE_NAME,
        interaction_id=message.interaction_id,
        agent_id=message.author_id
        if message.author_kind in (AuthorKind.AGENT, AuthorKind.INTERNAL_NOTE)
        else "",
        event_id=message.message_id,
        occurred_at=message.sent_at,
    )


def chat_event(session: ChatSession, token_digest: str) -> events_pb2.Event:
    return new_event(
        events_pb2.ChatStarted(
            queue_id=session.queue_id, language=session.language, token_sha256=token_digest
        ),
        tenant_id=session.tenant_id,
        producer=SERVICE_NAME,
        interaction_id=session.interaction_id,
    )
