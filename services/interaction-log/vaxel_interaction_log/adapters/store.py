"""The interaction store on SQL: SQLite (embedded default) or PostgreSQL, through vaxel_common.db.

Writes are batched: :meth:`SqlInteractionStore.add` buffers each consumed event and
:meth:`SqlInteractionStore.flush` (the consumer's flush hook, before the Kafka commit) writes the
batch in one transaction: the events (a known event id is ignored), then the record of every
interaction the batch touched, recomputed from all of that interaction's stored events.
Redeliveries and reordering therefore change nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vaxel.events.v1 import events_pb2
from vaxel_common.db import Database, migrate
from vaxel_common.events import decode_event
from vaxel_interaction_log.adapters.converters import logged_event, scrub
from vaxel_interaction_log.adapters.migrations import migrations
from vaxel_interaction_log.domain import InteractionRecord, LoggedEvent, Outcome, project
from vaxel_interaction_log.domain.search import Search, from_micros, to_micros

__all__ = ["FlushResult", "SqlInteractionStore"]

_CHUNK = 500
_RECORD_COLUMNS = (
    "tenant_id, interaction_id, started_us, queue_id, channel, customer_ref, language, subject,"
    " created_us, queued_us, offered_us, connected_us, ended_us, abandoned_us, wrapped_up_us,"
    " agent_id, outcome, waiting_seconds, talk_seconds, handle_seconds, disposition, tags, notes,"
    " survey_score, survey_comment"
)
_UPDATE = ", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in _RECORD_COLUMNS.split(",")[2:])
_UPSERT = (
    f"INSERT INTO interactions ({_RECORD_COLUMNS}) VALUES ({', '.join('?' * 25)})"  # noqa: S608  (fixed text)
    f" ON CONFLICT (tenant_id, interaction_id) DO UPDATE SET {_UPDATE}"
)
_TIMES = ("created", "queued", "offered", "connected", "ended", "abandoned", "wrapped_up")


@dataclass(frozen=True, slots=True)
class FlushResult:
    events: int
    interactions: int


def _us(value: Any) -> int | None:
    return None if value is None else to_micros(value)


def _row_of(record: InteractionRecord) -> tuple[Any, ...]:
    started = record.started_at
    return (
        record.tenant_id,
        record.interaction_id,
        to_micros(started) if started else 0,
        record.queue_id,
        record.channel,
        record.customer_ref,
        record.language,
        record.subject,
        *(_us(getattr(record, f"{t}_at")) for t in _TIMES),
        record.agent_id,
        record.outcome.value,
        record.waiting_seconds,
        record.talk_seconds,
        record.handle_seconds,
        record.disposition,
        json.dumps(list(record.tags)),
        record.notes,
        record.survey_score,
        record.survey_comment,
    )


def _record_of(row: Sequence[Any]) -> InteractionRecord:
    times = {
        f"{t}_at": None if v is None else from_micros(int(v)) for t, v in zip(_TIMES, row[8:15], strict=True)
    }
    return InteractionRecord(
        interaction_id=row[1],
        tenant_id=row[0],
        queue_id=row[3],
        channel=int(row[4]),
        customer_ref=row[5],
        language=row[6],
        subject=row[7],
        agent_id=row[15],
        outcome=Outcome(row[16]),
        waiting_seconds=row[17],
        talk_seconds=row[18],
        handle_seconds=row[19],
        disposition=row[20],
        tags=tuple(json.loads(row[21])),
        notes=row[22],
        survey_score=int(row[23]),
        survey_comment=row[24],
        **times,  # type: ignore[arg-type]
    )


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqlInteractionStore:
    """Events and interaction records in one SQL database (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        if db.dialect == "sqlite":
            db.execute("PRAGMA secure_delete=ON")  # overwritten content is zeroed, not left in free pages
            db.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages (not 2): the reports read wide ranges
        migrate(db, migrations(db.dialect))
        self._pending: list[tuple[Any, ...]] = []

    @property
    def dialect(self) -> str:
        return self._db.dialect

    @property
    def database(self) -> Database:
        """The connection, for the report and survey queries (same thread, same database)."""
        return self._db

    def add(self, event: events_pb2.Event) -> bool:
        """Buffer one event for the next flush; False for events about no interaction (not kept)."""
        if not event.interaction_id or not event.event_id.strip():
            return False
        self._pending.append(
            (
                event.event_id,
                event.tenant_id,
                event.interaction_id,
                event.event_type,
                to_micros(event.occurred_at.ToDatetime(UTC)),
                event.agent_id,
                event.SerializeToString(deterministic=True),
            )
        )
        return True

    def flush(self) -> FlushResult:
        """Write the buffered events and recompute the records they touch, in one transaction."""
        if not self._pending:
            return FlushResult(0, 0)
        pending, self._pending = self._pending, []
        touched: dict[str, set[str]] = defaultdict(set)
        for row in pending:
            touched[row[1]].add(row[2])
        try:
            with self._db.transaction():
                pending = self._scrub_erased(pending, touched)
                self._db.executemany(
                    "INSERT INTO events (event_id, tenant_id, interaction_id, event_type, occurred_us,"
                    " agent_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
                    pending,
                )
                count = self._reproject(touched)
        except BaseException:
            self._pending = pending + self._pending  # the consumer retries the batch
            raise
        return FlushResult(len(pending), count)

    def _erased(self, tenant_id: str, interaction_ids: Sequence[str]) -> set[str]:
        marks = ", ".join("?" * len(interaction_ids))
        rows = self._db.fetchall(
            f"SELECT interaction_id FROM erased_interactions WHERE tenant_id = ? AND interaction_id IN ({marks})",  # noqa: S608
            (tenant_id, *interaction_ids),
        )
        return {r[0] for r in rows}

    def _scrub_erased(
        self, pending: list[tuple[Any, ...]], touched: dict[str, set[str]]
    ) -> list[tuple[Any, ...]]:
        """Events of erased interactions (redelivered, or late) are kept without personal data."""
        erased = {
            (tenant_id, i)
            for tenant_id, ids in touched.items()
            for chunk in _chunks(sorted(ids))
            for i in self._erased(tenant_id, chunk)
        }
        if not erased:
            return pending
        return [
            (*row[:6], scrub(decode_event(row[6])).SerializeToString(deterministic=True))
            if (row[1], row[2]) in erased
            else row
            for row in pending
        ]

    def erase_customer(self, tenant_id: str, customer_ref: str) -> int:
        """Erase the customer's personal data from every record and stored event; returns interactions."""
        with self._db.transaction():
            ids = [
                r[0]
                for r in self._db.fetchall(
                    "SELECT interaction_id FROM interactions WHERE tenant_id = ? AND customer_ref = ?",
                    (tenant_id, customer_ref),
                )
            ]
            if not ids:
                return 0
            now = to_micros(datetime.now(UTC))
            for chunk in _chunks(ids):
                marks = ", ".join("?" * len(chunk))
                rows = self._db.fetchall(
                    f"SELECT event_id, payload FROM events WHERE tenant_id = ? AND interaction_id IN ({marks})",  # noqa: S608
                    (tenant_id, *chunk),
                )
                self._db.executemany(
                    "UPDATE events SET payload = ? WHERE event_id = ?",
                    [
                        (scrub(decode_event(bytes(payload))).SerializeToString(deterministic=True), event_id)
                        for event_id, payload in rows
                    ],
                )
            self._db.executemany(
                "INSERT INTO erased_interactions (tenant_id, interaction_id, erased_us) VALUES (?, ?, ?)"
                " ON CONFLICT (tenant_id, interaction_id) DO NOTHING",
                [(tenant_id, i, now) for i in ids],
            )
            self._reproject({tenant_id: set(ids)})
        if self._db.dialect == "sqlite":
            self._db.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")  # old page images leave the WAL file
        return len(ids)

    def _reproject(self, touched: dict[str, set[str]]) -> int:
        records: list[InteractionRecord] = []
        for tenant_id, ids in touched.items():
            for chunk in _chunks(sorted(ids)):
                by_interaction: dict[str, list[LoggedEvent]] = defaultdict(list)
                for event in self._load(tenant_id, chunk):
                    by_interaction[event.interaction_id].append(event)
                records.extend(project(i, tenant_id, evs) for i, evs in by_interaction.items())
        if not records:
            return 0
        self._db.executemany(_UPSERT, [_row_of(r) for r in records])
        for tenant_id, ids in touched.items():
            for chunk in _chunks(sorted(ids)):
                marks = ", ".join("?" * len(chunk))
                self._db.execute(
                    f"DELETE FROM interaction_tags WHERE tenant_id = ? AND interaction_id IN ({marks})",  # noqa: S608
                    (tenant_id, *chunk),
                )
        tags = [(r.tenant_id, tag, r.interaction_id) for r in records for tag in r.tags]
        if tags:
            self._db.executemany(
                "INSERT INTO interaction_tags (tenant_id, tag, interaction_id) VALUES (?, ?, ?)", tags
            )
        return len(records)

    def _load(self, tenant_id: str, interaction_ids: Sequence[str]) -> list[LoggedEvent]:
        marks = ", ".join("?" * len(interaction_ids))
        rows = self._db.fetchall(
            f"SELECT payload FROM events WHERE tenant_id = ? AND interaction_id IN ({marks})",  # noqa: S608
            (tenant_id, *interaction_ids),
        )
        return [logged_event(decode_event(bytes(r[0]))) for r in rows]

    def events_of(self, tenant_id: str, interaction_id: str) -> list[LoggedEvent]:
        return self._load(tenant_id, [interaction_id])

    def search(self, query: Search) -> list[InteractionRecord]:
        where = ["tenant_id = ?"]
        params: list[Any] = [query.tenant_id]
        if query.start is not None:
            where.append("started_us >= ?")
            params.append(to_micros(query.start))
        if query.end is not None:
            where.append("started_us < ?")
            params.append(to_micros(query.end))
        f = query.filter
        for column, value in (
            ("queue_id", f.queue_id),
            ("agent_id", f.agent_id),
            ("disposition", f.disposition),
            ("customer_ref", f.customer_ref),
        ):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if f.channel:
            where.append("channel = ?")
            params.append(f.channel)
        if f.outcome is not None:
            where.append("outcome = ?")
            params.append(f.outcome.value)
        if f.tag:
            where.append(
                "EXISTS (SELECT 1 FROM interaction_tags t WHERE t.tenant_id = interactions.tenant_id"
                " AND t.tag = ? AND t.interaction_id = interactions.interaction_id)"
            )
            params.append(f.tag)
        if query.after is not None:
            where.append("(started_us > ? OR (started_us = ? AND interaction_id > ?))")
            params.extend([query.after[0], query.after[0], query.after[1]])
        rows = self._db.fetchall(
            f"SELECT {_RECORD_COLUMNS} FROM interactions WHERE {' AND '.join(where)}"  # noqa: S608  (placeholders only)
            " ORDER BY started_us, interaction_id LIMIT ?",
            (*params, query.page_size + 1),
        )
        return [_record_of(r) for r in rows]

    def fetch_count(self) -> int:
        """Events stored (distinct ids)."""
        row = self._db.fetchone("SELECT COUNT(*) FROM events")
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._db.close()
