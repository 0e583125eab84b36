"""The integrations store on SQLite and on PostgreSQL: idempotent intake, due deliveries, outcomes,
listing, replays, purge, endpoint deletion."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vaxel_integrations.adapters.store import AttemptResult, IntegrationsStore, open_store
from vaxel_integrations.domain.model import DeliveryState, Endpoint, NewDelivery, delivery_id


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IntegrationsStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'integrations.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_database")
    opened = open_store(url)
    yield opened
    opened.close()


def endpoint(tenant_id: str = "t1", endpoint_id: str = "e1") -> Endpoint:
    return Endpoint(
        endpoint_id, tenant_id, "https://hooks.example.com/in", frozenset({"a.b"}), "d", 100.0, "whsec_x"
    )


def new(event_id: str, endpoint_id: str = "e1", tenant_id: str = "t1", at: float = 1000.0) -> NewDelivery:
    did = delivery_id(endpoint_id, event_id)
    return NewDelivery(did, endpoint_id, tenant_id, event_id, "a.b", at - 1, at, b'{"x":1}')


class TestStore:
    def test_endpoints_round_trip_and_delete_takes_their_deliveries(self, store: IntegrationsStore) -> None:
        store.add_endpoint(endpoint())
        store.add_endpoint(endpoint("t2", "e2"))
        assert store.endpoints() == [endpoint(), endpoint("t2", "e2")]
        store.insert_deliveries([new("ev1"), new("ev2", "e2", "t2")])
        assert not store.delete_endpoint("t2", "e1")  # another tenant's: nothing
        assert store.delete_endpoint("t1", "e1")
        assert store.endpoints() == [endpoint("t2", "e2")]
        assert store.deliveries("t1", "", None, 50) == []
        assert len(store.deliveries("t2", "", None, 50)) == 1

    def test_the_same_delivery_twice_is_stored_once(self, store: IntegrationsStore) -> None:
        assert len(store.insert_deliveries([new("ev1"), new("ev2")])) == 2
        assert [d.event_id for d in store.insert_deliveries([new("ev1"), new("ev3")])] == ["ev3"]
        assert store.pending() == 3

    def test_due_outcomes_and_listing(self, store: IntegrationsStore) -> None:
        store.insert_deliveries([new("ev1"), new("ev2")])
        due = store.due("e1", 1000.0, 10)
        assert [d.body for d in due] == [b'{"x":1}', b'{"x":1}']
        assert store.due("e1", 999.0, 10) == []
        first, second = due
        store.record(
            [
                AttemptResult(first.delivery_id, DeliveryState.DELIVERED, 1, 200, "", None, 1001.0),
                AttemptResult(second.delivery_id, DeliveryState.PENDING, 1, 500, "http 500", 1010.0, None),
            ]
        )
        assert [d.delivery_id for d in store.due("e1", 1005.0, 10)] == []
        assert store.next_due("e1") == 1010.0
        assert [d.delivery_id for d in store.due("e1", 1010.0, 10)] == [second.delivery_id]
        delivered = store.deliveries("t1", "e1", DeliveryState.DELIVERED, 10)
        assert [(d.delivery_id, d.attempts, d.last_status, d.delivered_at) for d in delivered] == [
            (first.delivery_id, 1, 200, 1001.0)
        ]
        assert store.deliveries("t2", "", None, 10) == []  # scoped by tenant

    def test_replay_makes_failed_ones_due_again_with_a_fresh_window(self, store: IntegrationsStore) -> None:
        store.insert_deliveries([new("ev1", at=1000.0), new("ev2", at=2000.0), new("ev3", at=1500.0)])
        ids = [delivery_id("e1", e) for e in ("ev1", "ev2", "ev3")]
        store.record(
            [
                AttemptResult(ids[0], DeliveryState.FAILED, 9, 500, "http 500", None, None),
                AttemptResult(ids[1], DeliveryState.FAILED, 9, 0, "timeout", None, None),
                AttemptResult(ids[2], DeliveryState.DELIVERED, 1, 200, "", None, 1501.0),
            ]
        )
        assert store.replay("e1", 900.0, 1600.0, failed_only=True, now=5000.0) == 1
        (due,) = store.due("e1", 5000.0, 10)
        assert (due.delivery_id, due.attempts, due.retry_since) == (ids[0], 0, 5000.0)
        assert store.replay("e1", 900.0, 1600.0, failed_only=False, now=5000.0) == 1  # ev3, delivered
        # Purged: delivered or failed, created before the horizon (ev2, failed); the pending ones stay.
        assert store.purge(before=3000.0) == 1
        assert store.pending() == 2
        assert {d.event_id for d in store.deliveries("t1", "e1", None, 10)} == {"ev1", "ev3"}
