"""The integrations store's schema as numbered migrations (SQLite and PostgreSQL).

Times are integer microseconds since the epoch (UTC). ``endpoints`` holds each webhook endpoint with
its signing secret (needed in clear to sign; the file is 0600, see vaxel_common.db); ``deliveries``
one row per (event, endpoint), keyed by the deterministic delivery id, with the body fixed at creation; retries are given up
a while after ``retry_since_us`` (the creation, or the last replay).
"""

from __future__ import annotations

from vaxel_common.db import Migration

__all__ = ["migrations"]


def migrations(dialect: str) -> list[Migration]:
    blob = "BYTEA" if dialect == "postgresql" else "BLOB"
    return [
        Migration(
            1,
            "webhook endpoints and their deliveries",
            (
                """CREATE TABLE endpoints (
                    endpoint_id TEXT PRIMARY KEY,
                    tenant_id TEXT NOT NULL,
                    url TEXT NOT NULL,
                    event_types TEXT NOT NULL,
                    description TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    created_us BIGINT NOT NULL)""",
                "CREATE INDEX endpoints_by_tenant ON endpoints (tenant_id, created_us)",
                f"""CREATE TABLE deliveries (
                    delivery_id TEXT PRIMARY KEY,
                    endpoint_id TEXT NOT NULL,
                    tenant_id TEXT NOT NULL,
                    event_id TEXT NOT NULL,
                    event_type TEXT NOT NULL,
                    state INTEGER NOT NULL,
                    attempts INTEGER NOT NULL,
                    last_status INTEGER NOT NULL,
                    last_error TEXT NOT NULL,
                    occurred_us BIGINT NOT NULL,
                    created_us BIGINT NOT NULL,
                    next_attempt_us BIGINT,
                    delivered_us BIGINT,
                    retry_since_us BIGINT NOT NULL,
                    body {blob} NOT NULL)""",
                "CREATE INDEX deliveries_due ON deliveries (endpoint_id, state, next_attempt_us)",
                "CREATE INDEX deliveries_by_tenant ON deliveries (tenant_id, created_us)",
                "CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, created_us)",
            ),
        ),
    ]
