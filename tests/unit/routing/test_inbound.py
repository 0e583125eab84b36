"""Inbound records over a tenant's limit: delayed and submitted again, never dead-lettered; a shutdown
ends the wait without losing the record (it is not committed)."""

from __future__ import annotations

from typing import cast

import pytest

from vaxel.events.v1 import events_pb2
from vaxel.routing.v1 import routing_pb2
from vaxel_common.consumer import RejectedEvent
from vaxel_common.errors import NotFound, Unavailable
from vaxel_common.events import new_event
from vaxel_routing.adapters.front_door import FrontDoor
from vaxel_routing.adapters.inbound import InboundHandler
from vaxel_routing.domain.errors import TenantLimited


class _Door:
    """The front door's submit as the inbound handler sees it: the answers given in order."""

    def __init__(self, *answers: Exception | None) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def submit(
        self, tenant_id: str, request: routing_pb2.SubmitInteractionRequest
    ) -> routing_pb2.SubmitInteractionResponse:
        self.calls += 1
        answer = self.answers.pop(0)
        if answer is not None:
            raise answer
        return routing_pb2.SubmitInteractionResponse(interaction_id="i1")


def _created() -> events_pb2.Event:
    return new_event(events_pb2.InteractionCreated(queue_id="q1"), tenant_id="t1", producer="connector")


def _limited() -> TenantLimited:
    return TenantLimited("rate", 100, 0.001)


class TestInboundLimits:
    async def test_a_limited_record_is_submitted_again_until_it_passes(self) -> None:
        door = _Door(_limited(), _limited(), None)
        await InboundHandler(cast("FrontDoor", door), lambda: False)(_created())
        assert door.calls == 3

    async def test_a_shutdown_ends_the_wait_and_leaves_the_record_uncommitted(self) -> None:
        door = _Door(_limited())
        with pytest.raises(Unavailable):
            await InboundHandler(cast("FrontDoor", door), lambda: True)(_created())
        assert door.calls == 1

    async def test_a_refused_record_is_still_dead_lettered(self) -> None:
        door = _Door(NotFound("queue 'q1' not found"))
        with pytest.raises(RejectedEvent):
            await InboundHandler(cast("FrontDoor", door), lambda: False)(_created())
