"""Fan-out to the open streams of each interaction: new messages, typing notices, read marks and
stage changes, in the order they happen in this process."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass

from vaxel_conversation.domain.handling import Stage
from vaxel_conversation.domain.model import AuthorKind, Message, ReadState

__all__ = ["Closed", "Hub", "ReadMarked", "StageChanged", "Typed", "Update"]

OUTBOX_SIZE = 1000  # a stream this far behind is closed; its client resumes from its last message


@dataclass(frozen=True, slots=True)
class Typed:
    author_kind: AuthorKind
    author_id: str
    typing: bool


@dataclass(frozen=True, slots=True)
class ReadMarked:
    author_kind: AuthorKind
    author_id: str
    message_id: str
    state: ReadState


@dataclass(frozen=True, slots=True)
class StageChanged:
    stage: Stage


@dataclass(frozen=True, slots=True)
class Closed:
    """The stream fell too far behind (or the service stops): end it; the client resumes."""

    reason: str


Update = Message | Typed | ReadMarked | StageChanged | Closed


class Hub:
    def __init__(self) -> None:
        self._outboxes: defaultdict[str, set[asyncio.Queue[object]]] = defaultdict(set)

    def subscribe(self, interaction_id: str) -> asyncio.Queue[object]:
        outbox: asyncio.Queue[object] = asyncio.Queue(OUTBOX_SIZE)
        self._outboxes[interaction_id].add(outbox)
        return outbox

    def unsubscribe(self, interaction_id: str, outbox: asyncio.Queue[object]) -> None:
        held = self._outboxes.get(interaction_id)
        if held is not None:
            held.discard(outbox)
            if not held:
                del self._outboxes[interaction_id]

    def publish(self, interaction_id: str, update: Update) -> None:
        for outbox in list(self._outboxes.get(interaction_id, ())):
            try:
                outbox.put_nowait(update)
            except asyncio.QueueFull:
                self.unsubscribe(interaction_id, outbox)
                _force(outbox, Closed("too far behind: resume from the last message seen"))

    def close_all(self, reason: str) -> None:
        for interaction_id, outboxes in list(self._outboxes.items()):
            for outbox in list(outboxes):
                _force(outbox, Closed(reason))
            del self._outboxes[interaction_id]


def _force(outbox: asyncio.Queue[object], update: object) -> None:
    while True:
        try:
            outbox.put_nowait(update)
            return
        except asyncio.QueueFull:
            outbox.get_nowait()
