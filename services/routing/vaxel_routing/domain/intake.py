"""Accepting new interactions: validation, a replay-safe id, and the place in the queue.

First cut for the walking skeleton: interactions are counted per queue; matching
agents and offers come with the routing issue.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from vaxel_common.errors import InvalidArgument
from vaxel_common.events import deterministic_id
from vaxel_routing.domain.replica import QueueReplica


@dataclass(frozen=True, slots=True)
class Submission:
    tenant_id: str
    queue_id: str
    channel: int
    language: str
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class Submitted:
    interaction_id: str
    position: int
    new: bool


class Intake:
    def __init__(self, replica: QueueReplica) -> None:
        self._replica = replica
        self._waiting: Counter[str] = Counter()
        self._known: dict[str, int] = {}

    def submit(self, submission: Submission) -> Submitted:
        """Validate and enqueue; a repeated idempotency key returns the first result."""
        if not submission.tenant_id:
            raise InvalidArgument("tenant_id", "required")
        if not submission.queue_id:
            raise InvalidArgument("queue_id", "required")
        queue = self._replica.queue(submission.tenant_id, submission.queue_id)
        if submission.channel not in queue.channels:
            raise InvalidArgument("channel", "the queue does not serve this channel")
        interaction_id = (
            deterministic_id("interaction", submission.tenant_id, submission.idempotency_key)
            if submission.idempotency_key
            else str(uuid.uuid4())
        )
        if interaction_id in self._known:
            return Submitted(interaction_id, self._known[interaction_id], new=False)
        self._waiting[queue.queue_id] += 1
        position = self._waiting[queue.queue_id]
        self._known[interaction_id] = position
        return Submitted(interaction_id, position, new=True)
