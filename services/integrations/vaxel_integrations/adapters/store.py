"""The integrations store: endpoints and deliveries in SQLite (default) or PostgreSQL.

Every call runs on the event loop thread (one connection); each is a few indexed statements. A lane
reads at most its batch of due deliveries, so memory stays bounded however long an endpoint is down:
the backlog waits here, not in the process.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vaxel_common.db import Database, connect, migrate
from vaxel_integrations.adapters.migrations import migrations
from vaxel_integrations.domain.model import Delivery, DeliveryState, Endpoint, NewDelivery

__all__ = ["AttemptResult", "DueDelivery", "IntegrationsStore", "open_store"]

_US = 1_000_000
_DELIVERY_COLUMNS = (
    "delivery_id, endpoint_id, tenant_id, event_id, event_type, state, attempts, last_status,"
    " last_error, occurred_us, created_us, next_attempt_us, delivered_us"
)


def _us(seconds: float) -> int:
    return round(seconds * _US)


def _s(us: int | None) -> float | None:
    return None if us is None else us / _US


@dataclass(frozen=True, slots=True)
class DueDelivery:
    delivery_id: str
    tenant_id: str
    event_id: str
    event_type: str
    attempts: int
    occurred_at: float
    retry_since: float  # the creation, or the last replay: retries end a while after it
    body: bytes


@dataclass(frozen=True, slots=True)
class AttemptResult:
    delivery_id: str
    state: DeliveryState
    attempts: int
    status: int
    error: str
    next_attempt_at: float | None
    delivered_at: float | None


class IntegrationsStore:
    def __init__(self, db: Database) -> None:
        self.database = db

    def close(self) -> None:
        self.database.close()

    # Endpoints

    def endpoints(self) -> list[Endpoint]:
        rows = self.database.fetchall(
            "SELECT endpoint_id, tenant_id, url, event_types, description, created_us, secret"
            " FROM endpoints ORDER BY created_us, endpoint_id"
        )
        return [Endpoint(r[0], r[1], r[2], frozenset(json.loads(r[3])), r[4], r[5] / _US, r[6]) for r in rows]

    def add_endpoint(self, endpoint: Endpoint) -> None:
        self.database.execute(
            "INSERT INTO endpoints (endpoint_id, tenant_id, url, event_types, description, secret, created_us)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                endpoint.endpoint_id,
                endpoint.tenant_id,
                endpoint.url,
                json.dumps(sorted(endpoint.event_types)),
                endpoint.description,
                endpoint.secret,
                _us(endpoint.created_at),
            ),
        )

    def delete_endpoint(self, tenant_id: str, endpoint_id: str) -> bool:
        with self.database.transaction():
            removed = self.database.execute(
                "DELETE FROM endpoints WHERE tenant_id = ? AND endpoint_id = ?", (tenant_id, endpoint_id)
            )
            if removed:
                self.database.execute("DELETE FROM deliveries WHERE endpoint_id = ?", (endpoint_id,))
        return removed > 0

    # Deliveries: the intake's writes

    def insert_deliveries(self, deliveries: Sequence[NewDelivery]) -> list[NewDelivery]:
        """Store the deliveries not stored yet (one transaction); returns those that are new."""
        new = []
        with self.database.transaction():
            for d in deliveries:
                inserted = self.database.execute(
                    f"INSERT INTO deliveries ({_DELIVERY_COLUMNS}, retry_since_us, body)"  # noqa: S608  (constant columns)
                    " VALUES (?, ?, ?, ?, ?, ?, 0, 0, '', ?, ?, ?, NULL, ?, ?)"
                    " ON CONFLICT (delivery_id) DO NOTHING",
                    (
                        d.delivery_id,
                        d.endpoint_id,
                        d.tenant_id,
                        d.event_id,
                        d.event_type,
                        int(DeliveryState.PENDING),
                        _us(d.occurred_at),
                        _us(d.created_at),
                        _us(d.created_at),
                        _us(d.created_at),
                        d.body,
                    ),
                )
                if inserted:
                    new.append(d)
        return new

    # Deliveries: the lanes' reads and writes

    def due(self, endpoint_id: str, now: float, limit: int) -> list[DueDelivery]:
        rows = self.database.fetchall(
            "SELECT delivery_id, tenant_id, event_id, event_type, attempts, occurred_us, retry_since_us, body"
            " FROM deliveries WHERE endpoint_id = ? AND state = ? AND next_attempt_us <= ?"
            " ORDER BY next_attempt_us, delivery_id LIMIT ?",
            (endpoint_id, int(DeliveryState.PENDING), _us(now), limit),
        )
        return [DueDelivery(r[0], r[1], r[2], r[3], r[4], r[5] / _US, r[6] / _US, bytes(r[7])) for r in rows]

    def next_due(self, endpoint_id: str) -> float | None:
        row = self.database.fetchone(
            "SELECT MIN(next_attempt_us) FROM deliveries WHERE endpoint_id = ? AND state = ?",
            (endpoint_id, int(DeliveryState.PENDING)),
        )
        return None if row is None or row[0] is None else row[0] / _US

    def record(self, results: Sequence[AttemptResult]) -> None:
        """The outcome of a lane's round, in one transaction."""
        with self.database.transaction():
            for r in results:
                self.database.execute(
                    "UPDATE deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?,"
                    " next_attempt_us = ?, delivered_us = ? WHERE delivery_id = ?",
                    (
                        int(r.state),
                        r.attempts,
                        r.status,
                        r.error,
                        None if r.next_attempt_at is None else _us(r.next_attempt_at),
                        None if r.delivered_at is None else _us(r.delivered_at),
                        r.delivery_id,
                    ),
                )

    # Deliveries: the API's reads and replays

    def deliveries(
        self, tenant_id: str, endpoint_id: str, state: DeliveryState | None, limit: int
    ) -> list[Delivery]:
        sql = f"SELECT {_DELIVERY_COLUMNS} FROM deliveries WHERE tenant_id = ?"  # noqa: S608  (constant columns)
        params: list[Any] = [tenant_id]
        if endpoint_id:
            sql += " AND endpoint_id = ?"
            params.append(endpoint_id)
        if state is not None:
            sql += " AND state = ?"
            params.append(int(state))
        sql += " ORDER BY created_us DESC, delivery_id LIMIT ?"
        params.append(limit)
        return [
            Delivery(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                DeliveryState(r[5]),
                r[6],
                r[7],
                r[8],
                r[9] / _US,
                r[10] / _US,
                _s(r[11]),
                _s(r[12]),
            )
            for r in self.database.fetchall(sql, params)
        ]

    def replay(self, endpoint_id: str, start: float, end: float, *, failed_only: bool, now: float) -> int:
        """Deliveries of the endpoint created in [start, end) made pending again, due now."""
        failed = int(DeliveryState.FAILED)
        also = failed if failed_only else int(DeliveryState.DELIVERED)
        return self.database.execute(
            "UPDATE deliveries SET state = ?, attempts = 0, next_attempt_us = ?, retry_since_us = ?,"
            " delivered_us = NULL, last_error = ''"
            " WHERE endpoint_id = ? AND created_us >= ? AND created_us < ? AND state IN (?, ?)",
            (int(DeliveryState.PENDING), _us(now), _us(now), endpoint_id, _us(start), _us(end), failed, also),
        )

    def pending(self) -> int:
        row = self.database.fetchone("SELECT COUNT(*) FROM deliveries WHERE state = ?", (1,))
        return int(row[0]) if row else 0

    def purge(self, before: float) -> int:
        """Delivered and failed deliveries created before ``before`` forgotten."""
        return self.database.execute(
            "DELETE FROM deliveries WHERE state <> ? AND created_us < ?",
            (int(DeliveryState.PENDING), _us(before)),
        )


def open_store(url: str, timeout: float = 60.0) -> IntegrationsStore:
    db = connect(url, timeout)
    migrate(db, migrations(db.dialect))
    return IntegrationsStore(db)
