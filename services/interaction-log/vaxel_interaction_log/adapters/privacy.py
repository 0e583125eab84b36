"""The erasure ports over the store (on the writer thread) and the interactions' topic."""

from __future__ import annotations

from vaxel.events.v1 import events_pb2
from vaxel_common.events import deterministic_id, new_event
from vaxel_common.publisher import EventPublisher
from vaxel_common.topics import INTERACTION_EVENTS
from vaxel_interaction_log import SERVICE_NAME
from vaxel_interaction_log.adapters.ingest import WriterThread
from vaxel_interaction_log.adapters.store import SqlInteractionStore

__all__ = ["StoreEraser", "TopicErasureJournal", "erased_event"]


class StoreEraser:
    def __init__(self, store: SqlInteractionStore, writer: WriterThread) -> None:
        self._store = store
        self._writer = writer

    async def customer_interactions(self, tenant_id: str, customer_ref: str) -> list[str]:
        return self._store.customer_interactions(tenant_id, customer_ref)

    async def erase_interactions(self, tenant_id: str, interaction_ids: list[str]) -> int:
        return await self._writer.run(self._store.erase_interactions, tenant_id, interaction_ids)


def erased_event(tenant_id: str, interaction_id: str) -> events_pb2.Event:
    """The journal entry of one interaction's erasure; the same id each time (erasing twice is once)."""
    return new_event(
        events_pb2.InteractionErased(),
        tenant_id=tenant_id,
        producer=SERVICE_NAME,
        interaction_id=interaction_id,
        event_id=deterministic_id("interaction.erased", tenant_id, interaction_id),
    )


class TopicErasureJournal:
    """``interaction.erased`` events on the interactions' topic, keyed (so ordered) like the interaction's own."""

    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def erased(self, tenant_id: str, interaction_ids: list[str]) -> None:
        await self._publisher.publish(
            INTERACTION_EVENTS, *(erased_event(tenant_id, i) for i in interaction_ids)
        )
