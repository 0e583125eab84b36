"""Routing's data keys: one per customer of a tenant (per interaction without a customer reference).

The personal fields of every record routing appends to its inputs log are sealed with one of these
(:mod:`vaxel_common.sealing`); erasing the customer deletes the key's row, and every copy of those
records (the log kept forever, broker backups) stays sealed for good. A key is committed before the
record sealed with it is appended, so a ``kill -9`` between the two never leaves a record whose key was
lost. The row names its owner by a SHA-256 digest of tenant and customer reference, never in clear.

The store is SQLite by default (a 0600 file, :mod:`vaxel_common.db`) or PostgreSQL; the keys are cached in
memory (a destroyed key leaves the cache at once).
"""

from __future__ import annotations

import hashlib
import time
import uuid

from vaxel_common.db import Database, Migration, migrate
from vaxel_common.sealing import new_data_key

__all__ = ["MIGRATIONS", "DataKeys"]

MIGRATIONS = (
    Migration(
        1,
        "data keys of routing's personal fields, by owner digest",
        (
            """CREATE TABLE data_keys (
                key_id TEXT PRIMARY KEY,
                tenant_id TEXT NOT NULL,
                owner_digest TEXT NOT NULL,
                data_key BYTEA NOT NULL,
                created_us BIGINT NOT NULL,
                UNIQUE (tenant_id, owner_digest)
            )""",
        ),
    ),
)


def _digest(tenant_id: str, kind: str, value: str) -> str:
    return hashlib.sha256("\x00".join((tenant_id, kind, value)).encode()).hexdigest()


class DataKeys:
    def __init__(self, db: Database) -> None:
        self._db = db
        if db.dialect == "sqlite":  # (a BYTEA column keeps SQLite's blobs as they are)
            db.execute("PRAGMA secure_delete=ON")  # a destroyed key's bytes are overwritten in the file
        migrate(db, MIGRATIONS)
        self._by_id: dict[str, bytes] = {}
        self._by_owner: dict[tuple[str, str], str] = {}

    def for_owner(self, tenant_id: str, customer_ref: str, interaction_id: str) -> tuple[str, bytes]:
        """The key id and key of the customer (of the interaction when ``customer_ref`` is empty),
        created and committed first if there is none."""
        owner = (
            _digest(tenant_id, "customer", customer_ref)
            if customer_ref
            else _digest(tenant_id, "interaction", interaction_id)
        )
        key_id = self._by_owner.get((tenant_id, owner))
        if key_id is not None and key_id in self._by_id:
            return key_id, self._by_id[key_id]
        row = self._db.fetchone(
            "SELECT key_id, data_key FROM data_keys WHERE tenant_id = ? AND owner_digest = ?",
            (tenant_id, owner),
        )
        if row is None:
            key_id, key = str(uuid.uuid4()), new_data_key()
            self._db.execute(
                "INSERT INTO data_keys (key_id, tenant_id, owner_digest, data_key, created_us)"
                " VALUES (?, ?, ?, ?, ?)",
                (key_id, tenant_id, owner, key, time.time_ns() // 1000),
            )
        else:
            key_id, key = str(row[0]), bytes(row[1])
        self._by_owner[(tenant_id, owner)] = key_id
        self._by_id[key_id] = key
        return key_id, key

    def key(self, key_id: str) -> bytes | None:
        """The key with this id, or None when it was destroyed."""
        key = self._by_id.get(key_id)
        if key is not None:
            return key
        row = self._db.fetchone("SELECT data_key FROM data_keys WHERE key_id = ?", (key_id,))
        if row is None:
            return None
        key = self._by_id[key_id] = bytes(row[0])
        return key

    def destroy_customer(self, tenant_id: str, customer_ref: str) -> int:
        """Delete the customer's keys (committed before this returns); how many there were."""
        owner = _digest(tenant_id, "customer", customer_ref)
        rows = self._db.fetchall(
            "SELECT key_id FROM data_keys WHERE tenant_id = ? AND owner_digest = ?", (tenant_id, owner)
        )
        self._db.execute("DELETE FROM data_keys WHERE tenant_id = ? AND owner_digest = ?", (tenant_id, owner))
        self._by_owner.pop((tenant_id, owner), None)
        for (key_id,) in rows:
            self._by_id.pop(str(key_id), None)
        return len(rows)

    def close(self) -> None:
        self._db.close()
