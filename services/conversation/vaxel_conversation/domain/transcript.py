"""Transcripts: each interaction's messages in order, one copy of each message id, and its chat.

The book is a function of the messages topic read in order: :meth:`TranscriptBook.add` of a message
id already held changes nothing (a resend, a replayed or duplicated record), so a restart that reads
the topic again rebuilds the same transcripts, with the same sequence numbers.
"""

from __future__ import annotations

from dataclasses import replace

from vaxel_common.errors import InvalidArgument, NotFound, ResourceExhausted
from vaxel_conversation.domain.model import ChatSession, Message

__all__ = ["MAX_MESSAGES", "Transcript", "TranscriptBook"]

MAX_MESSAGES = 5000  # per transcript: a chat this long is a fault (a loop, a flood), not a conversation


class Transcript:
    """One interaction's messages, in the order they joined it."""

    def __init__(self, interaction_id: str, tenant_id: str) -> None:
        self.interaction_id = interaction_id
        self.tenant_id = tenant_id
        self.messages: list[Message] = []
        self._by_id: dict[str, Message] = {}

    def __len__(self) -> int:
        return len(self.messages)

    def get(self, message_id: str) -> Message | None:
        return self._by_id.get(message_id)

    def add(self, message: Message) -> Message | None:
        """The message as it joined (with its sequence), or None when its id is here already."""
        if message.message_id in self._by_id:
            return None
        held = replace(message, sequence=len(self.messages) + 1)
        self.messages.append(held)
        self._by_id[held.message_id] = held
        return held

    def after(self, message_id: str, *, field: str = "last_message_id") -> list[Message]:
        """The messages after ``message_id`` (all of them for ""); InvalidArgument naming ``field``
        for an id that is not in this transcript."""
        if not message_id:
            return list(self.messages)
        held = self._by_id.get(message_id)
        if held is None:
            raise InvalidArgument(field, "not a message of this transcript")
        return self.messages[held.sequence :]


class TranscriptBook:
    """Every transcript and chat the service holds."""

    def __init__(self, max_messages: int = MAX_MESSAGES) -> None:
        self._transcripts: dict[str, Transcript] = {}
        self._chats: dict[str, ChatSession] = {}
        self._max = max_messages

    def __len__(self) -> int:
        return len(self._transcripts)

    @property
    def message_count(self) -> int:
        return sum(len(t) for t in self._transcripts.values())

    def add(self, message: Message) -> Message | None:
        """Apply a message; None for a duplicate (or a record naming another tenant's interaction)."""
        transcript = self._transcripts.get(message.interaction_id)
        if transcript is None:
            transcript = self._transcripts[message.interaction_id] = Transcript(
                message.interaction_id, message.tenant_id
            )
        elif transcript.tenant_id != message.tenant_id:
            return None
        return transcript.add(message)

    def start_chat(self, session: ChatSession) -> ChatSession:
        """Record a chat (or another token of it: a StartChat repeated with its idempotency key)."""
        held = self._chats.get(session.interaction_id)
        if held is None:
            held = self._chats[session.interaction_id] = ChatSession(
                session.interaction_id, session.tenant_id, session.queue_id, session.language
            )
        if held.tenant_id == session.tenant_id:
            held.token_digests |= session.token_digests
        return held

    def transcript(self, tenant_id: str, interaction_id: str) -> Transcript:
        """The tenant's transcript; NotFound for an unknown interaction or another tenant's."""
        transcript = self._transcripts.get(interaction_id)
        if transcript is None or transcript.tenant_id != tenant_id:
            raise NotFound(f"interaction_id: no transcript of interaction {interaction_id!r}")
        return transcript

    def find(self, tenant_id: str, interaction_id: str) -> Transcript | None:
        transcript = self._transcripts.get(interaction_id)
        return transcript if transcript is not None and transcript.tenant_id == tenant_id else None

    def chat(self, tenant_id: str, interaction_id: str) -> ChatSession:
        """The tenant's chat; NotFound for an unknown one or another tenant's."""
        session = self._chats.get(interaction_id)
        if session is None or session.tenant_id != tenant_id:
            raise NotFound(f"interaction_id: no chat {interaction_id!r}")
        return session

    def find_chat(self, tenant_id: str, interaction_id: str) -> ChatSession | None:
        session = self._chats.get(interaction_id)
        return session if session is not None and session.tenant_id == tenant_id else None

    def check_room(self, tenant_id: str, interaction_id: str) -> None:
        """ResourceExhausted when the transcript holds the most messages one may."""
        transcript = self.find(tenant_id, interaction_id)
        if transcript is not None and len(transcript) >= self._max:
            raise ResourceExhausted(f"interaction_id: the transcript holds {self._max} messages", 3600.0)
