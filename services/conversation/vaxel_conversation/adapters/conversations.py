"""The one writer of transcripts: a message is on Kafka (acks=all, awaited) before it joins the
transcript and before its sender hears it was taken; the messages topic, read again at start, rebuilds
every transcript (a duplicate id changes nothing)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from weakref import WeakValueDictionary

from aiokafka.errors import KafkaError

from vaxel.events.v1 import events_pb2
from vaxel_common.consumer import RejectedEvent
from vaxel_common.errors import NotFound, PermissionDenied, Unavailable, VaxelError
from vaxel_common.publisher import EventPublisher
from vaxel_common.topics import CONVERSATION_MESSAGES
from vaxel_conversation.adapters.converters import chat_event, message_event, message_from_pb
from vaxel_conversation.adapters.hub import Hub, StageChanged
from vaxel_conversation.domain.handling import Handling, HandlingBook
from vaxel_conversation.domain.model import ChatSession, Draft, Message
from vaxel_conversation.domain.rules import message_id_for
from vaxel_conversation.domain.transcript import TranscriptBook
from vaxel_conversation.metrics import ConversationMetrics

__all__ = ["Conversations"]


class Conversations:
    def __init__(
        self,
        book: TranscriptBook,
        handling: HandlingBook,
        publisher: EventPublisher,
        hub: Hub,
        metrics: ConversationMetrics,
        holder_wait_seconds: float,
    ) -> None:
        self.book = book
        self.handling = handling
        self.hub = hub
        self._publisher = publisher
        self._metrics = metrics
        self._holder_wait = holder_wait_seconds
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()
        self._changed = asyncio.Event()
        self.ready = False

    def require_ready(self) -> None:
        if not self.ready:
            raise Unavailable("the transcripts are being rebuilt; retry shortly")

    def _lock(self, interaction_id: str) -> asyncio.Lock:
        lock = self._locks.get(interaction_id)
        if lock is None:
            lock = self._locks[interaction_id] = asyncio.Lock()
        return lock

    async def post(self, draft: Draft, *, message_id: str = "") -> Message:
        """The message as it stands in the transcript: new, or the one its idempotency key made before."""
        started = time.perf_counter()
        message_id = message_id or message_id_for(draft)
        async with self._lock(draft.interaction_id):
            held = self._held(draft.tenant_id, draft.interaction_id, message_id)
            if held is not None:
                self._metrics.duplicates.inc()
                return held
            self.book.check_room(draft.tenant_id, draft.interaction_id)
            message = _message(draft, message_id)
            await self._publish(message_event(message))
            # Applied here, or by the topic's reader already (it reads this writer's records too).
            stored = self.apply(message) or self._held(draft.tenant_id, draft.interaction_id, message_id)
        self._metrics.post_latency.observe(time.perf_counter() - started)
        return stored or message

    async def start_chat(
        self, session: ChatSession, token_digest: str, drafts: Sequence[tuple[str, Draft]]
    ) -> list[Message]:
        """Record the chat and its first messages (``(message id, draft)``; ids deterministic, so a
        repeated start adds none), all on Kafka before this returns."""
        async with self._lock(session.interaction_id):
            events = [chat_event(session, token_digest)]
            fresh = []
            for message_id, draft in drafts:
                if self._held(draft.tenant_id, draft.interaction_id, message_id) is None:
                    fresh.append(_message(draft, message_id))
            events += [message_event(m) for m in fresh]
            await self._publish(*events)
            self.book.start_chat(_with_token(session, token_digest))
            for message in fresh:
                self.apply(message)
            self._metrics.chats_started.inc()
        transcript = self.book.find(session.tenant_id, session.interaction_id)
        return list(transcript.messages) if transcript is not None else []

    async def _publish(self, *events: events_pb2.Event) -> None:
        """On the broker (acks=all) or Unavailable: the sender retries with the same idempotency key,
        and a record that landed after all is the same message (its id is the event id)."""
        try:
            await self._publisher.publish(CONVERSATION_MESSAGES, *events)
        except KafkaError as exc:
            raise Unavailable(f"the message is not on Kafka ({type(exc).__name__}); send it again") from exc

    def _held(self, tenant_id: str, interaction_id: str, message_id: str) -> Message | None:
        transcript = self.book.find(tenant_id, interaction_id)
        return transcript.get(message_id) if transcript is not None else None

    def apply(self, message: Message) -> Message | None:
        """Add a message to its transcript and tell its streams; None for a duplicate."""
        stored = self.book.add(message)
        if stored is not None:
            self._metrics.messages.labels(stored.author_kind.value).inc()
            self._metrics.transcripts.set(len(self.book))
            self.hub.publish(stored.interaction_id, stored)
        return stored

    async def on_message_event(self, event: events_pb2.Event) -> None:
        """The messages topic's records (this writer's own included: duplicates change nothing)."""
        field = event.WhichOneof("payload")
        if field == "message_posted":
            try:
                message = message_from_pb(event.message_posted.message)
            except VaxelError as exc:
                raise RejectedEvent(f"message.posted: {exc.message}") from exc
            if message.message_id != event.event_id or message.interaction_id != event.interaction_id:
                raise RejectedEvent("message.posted: the message's ids differ from the envelope's")
            if message.tenant_id != event.tenant_id:
                raise RejectedEvent("message.posted: the message's tenant differs from the envelope's")
            self.apply(message)
        elif field == "chat_started":
            started = event.chat_started
            self.book.start_chat(
                ChatSession(
                    event.interaction_id,
                    event.tenant_id,
                    started.queue_id,
                    started.language,
                    {started.token_sha256},
                )
            )

    async def on_interaction_event(self, event: events_pb2.Event) -> None:
        """Routing's lifecycle events: who holds each interaction, and whether it ended."""
        if not event.interaction_id:
            return
        queue_id = ""
        if event.WhichOneof("payload") == "interaction_created":
            queue_id = event.interaction_created.queue_id
        changed = self.handling.apply(
            event.event_type, event.tenant_id, event.interaction_id, event.agent_id, queue_id
        )
        if changed is not None:
            self.hub.publish(event.interaction_id, StageChanged(changed.stage))
            self._changed.set()
            self._changed = asyncio.Event()

    async def until_allowed(self, check: Callable[[], None]) -> None:
        """Run ``check``; while it refuses (NOT_FOUND, PERMISSION_DENIED) wait for routing's events to
        catch up, up to the holder wait (an accept crosses Kafka a moment before this sees it)."""
        deadline = time.monotonic() + self._holder_wait
        while True:
            changed = self._changed
            try:
                check()
                return
            except (NotFound, PermissionDenied):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=left)

    def handling_of(self, interaction_id: str) -> Handling | None:
        return self.handling.get(interaction_id)


def _message(draft: Draft, message_id: str) -> Message:
    return Message(
        message_id=message_id,
        interaction_id=draft.interaction_id,
        tenant_id=draft.tenant_id,
        author_kind=draft.author_kind,
        author_id=draft.author_id,
        sent_at=datetime.now(UTC),
        text=draft.text,
        attachments=draft.attachments,
    )


def _with_token(session: ChatSession, token_digest: str) -> ChatSession:
    return ChatSession(
        session.interaction_id, session.tenant_id, session.queue_id, session.language, {token_digest}
    )
