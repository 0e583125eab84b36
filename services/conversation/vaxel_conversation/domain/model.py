"""What a transcript is made of (pure values, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

__all__ = ["Attachment", "AuthorKind", "ChatSession", "Draft", "Message", "ReadState"]


class AuthorKind(Enum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"
    INTERNAL_NOTE = "internal_note"

    @property
    def customer_sees(self) -> bool:
        """Whether the customer's side shows messages of this kind (internal notes never)."""
        return self is not AuthorKind.INTERNAL_NOTE


class ReadState(Enum):
    DELIVERED = "delivered"
    READ = "read"


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment's metadata; the bytes are in a store, named by ``storage_ref``."""

    name: str
    media_type: str
    size_bytes: int
    sha256: str
    storage_ref: str


@dataclass(frozen=True, slots=True)
class Draft:
    """A message as its sender asked for it, checked (:func:`~vaxel_conversation.domain.rules.draft`)."""

    tenant_id: str
    interaction_id: str
    author_kind: AuthorKind
    author_id: str
    text: str
    attachments: tuple[Attachment, ...] = ()
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    """A message of a transcript; ``sequence`` is its place (1, 2, ...) once it is in one."""

    message_id: str
    interaction_id: str
    tenant_id: str
    author_kind: AuthorKind
    author_id: str
    sent_at: datetime
    text: str
    attachments: tuple[Attachment, ...] = ()
    sequence: int = 0


@dataclass(slots=True)
class ChatSession:
    """A chat started by a customer: its queue and the digests of the tokens that may join it."""

    interaction_id: str
    tenant_id: str
    queue_id: str
    language: str
    token_digests: set[str] = field(default_factory=set)
