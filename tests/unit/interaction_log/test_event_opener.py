"""Opening routing's sealed event fields: keys fetched once per batch and kept a while, a destroyed key
opens nothing."""

from __future__ import annotations

import asyncio

from vaxel.events.v1 import events_pb2
from vaxel_common.events import new_event
from vaxel_common.personal_events import seal_created
from vaxel_common.sealing import new_data_key
from vaxel_interaction_log.adapters.routing_client import EventOpener, RoutingClient


class KeyRing(RoutingClient):
    """Routing's key store as the opener sees it: the keys that still exist; counts the calls."""

    def __init__(self, keys: dict[str, bytes]) -> None:
        super().__init__("", None)
        self.keys = keys
        self.calls = 0

    async def data_keys(self, key_ids: list[str]) -> dict[str, bytes]:
        self.calls += 1
        return {k: self.keys[k] for k in key_ids if k in self.keys}


def _created(key_id: str, key: bytes) -> events_pb2.Event:
    created = events_pb2.InteractionCreated(customer_ref="cust-1", subject="Fakturan")
    seal_created(created, key_id, key)
    return new_event(created, tenant_id="t1", producer="routing", interaction_id="i1")


class TestEventOpener:
    def test_keys_are_fetched_once_and_open_the_fields(self) -> None:
        key = new_data_key()
        ring = KeyRing({"k1": key})
        opener = EventOpener(ring)
        events = [_created("k1", key), _created("k1", key)]
        for event in events:
            asyncio.run(opener.open(event))
        assert [(e.interaction_created.customer_ref, e.interaction_created.subject) for e in events] == [
            ("cust-1", "Fakturan"),
            ("cust-1", "Fakturan"),
        ]
        assert ring.calls == 1

    def test_a_destroyed_key_leaves_the_fields_empty_and_is_remembered_as_destroyed(self) -> None:
        key = new_data_key()
        ring = KeyRing({})
        opener = EventOpener(ring)
        event = _created("k1", key)
        asyncio.run(opener.open(event))
        assert (event.interaction_created.customer_ref, event.interaction_created.subject) == ("", "")
        asyncio.run(opener.open(_created("k1", key)))
        assert ring.calls == 1  # a destroyed key never comes back
        expired = EventOpener(ring, ttl_seconds=0.0)
        asyncio.run(expired.open(_created("k1", key)))
        asyncio.run(expired.open(_created("k1", key)))
        assert ring.calls == 3  # past the ttl routing is asked again

    def test_a_batch_asks_routing_once_for_every_key_it_needs(self) -> None:
        keys = {f"k{n}": new_data_key() for n in range(5)}
        ring = KeyRing({k: v for k, v in keys.items() if k != "k4"})  # k4 destroyed
        opener = EventOpener(ring)
        events = [_created(key_id, key) for key_id, key in keys.items()] + [_created("k0", keys["k0"])]

        async def batch() -> None:
            await opener.prefetch(events)
            for event in events:
                await opener.open(event)

        asyncio.run(batch())
        assert ring.calls == 1
        assert [e.interaction_created.subject for e in events] == ["Fakturan"] * 4 + ["", "Fakturan"]
        asyncio.run(opener.prefetch(events))
        assert ring.calls == 1  # all held now

    def test_an_event_without_sealed_fields_asks_nothing(self) -> None:
        ring = KeyRing({})
        event = new_event(events_pb2.InteractionCreated(customer_ref="c"), tenant_id="t1", producer="x")
        asyncio.run(EventOpener(ring).open(event))
        assert (event.interaction_created.customer_ref, ring.calls) == ("c", 0)
