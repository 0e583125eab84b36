"""Routing's data-key store on PostgreSQL (SQLite is the unit tests'): durable keys, erasure deletes them."""

from __future__ import annotations

from vaxel_common.db import connect
from vaxel_routing.adapters.data_keys import DataKeys


def test_keys_on_postgresql_survive_a_restart_and_erasure_deletes_them(postgres_database: str) -> None:
    keys = DataKeys(connect(postgres_database))
    key_id, key = keys.for_owner("t1", "cust-1", "i1")
    other_id, _ = keys.for_owner("t1", "", "i2")
    keys.close()
    restarted = DataKeys(connect(postgres_database))  # as after kill -9: committed before use
    assert restarted.key(key_id) == key
    assert restarted.for_owner("t1", "cust-1", "i9") == (key_id, key)
    assert restarted.destroy_customer("t1", "cust-1") == 1
    assert restarted.key(key_id) is None
    assert restarted.key(other_id) is not None
    restarted.close()
    assert DataKeys(connect(postgres_database)).key(key_id) is None
