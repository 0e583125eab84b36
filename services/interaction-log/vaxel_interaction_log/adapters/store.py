"""The interaction store on SQL: SQLite (embedded default) or PostgreSQL, through vaxel_common.db.

Writes are batched: :meth:`SqlInteractionStore.add` buffers each consumed event and
:meth:`SqlInteractionStore.flush` (or :meth:`~SqlInteractionStore.write` with a batch, from the
writer thread; see ``adapters/ingest.py``) writes the batch in one transaction: the new events (a
known event id is ignored), then the record of every interaction that got a new event, recomputed
from all of that interaction's stored events. Redeliveries and reordering therefore change nothing.
On PostgreSQL each step is one set-wise statement (``adapters/_bulk.py``); the histories of recently
written interactions are kept in memory (``adapters/_event_cache.py``) so that a batch does not read
and decode them again.

An event of an erased interaction is stored without personal data; an ``interaction.erased`` event
erases its interaction (so a replay of the topic erases again); an event of an interaction purged
by retention is dropped (``purged_interactions``). Writes (ingest, erasure, purge) take one lock:
one write transaction at a time, on a connection of their own; reads use the other connection.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from vaxel.events.v1 import events_pb2
from vaxel_common.db import Database, connect, migrate
from vaxel_common.events import decode_event, event_type_of_field
from vaxel_interaction_log.adapters._bulk import Bulk, Key
from vaxel_interaction_log.adapters._event_cache import EventCache, History
from vaxel_interaction_log.adapters.converters import logged_event, scrub
from vaxel_interaction_log.adapters.migrations import migrations
from vaxel_interaction_log.domain import InteractionRecord, LoggedEvent, Outcome, project
from vaxel_interaction_log.domain.search import Search, from_micros, to_micros

__all__ = ["ERASED", "FlushResult", "PendingEvent", "PurgeResult", "SqlInteractionStore", "open_store"]

_CHUNK = 500
_RECORD_COLUMNS = (
    "tenant_id, interaction_id, started_us, queue_id, channel, customer_ref, language, subject,"
    " created_us, queued_us, offered_us, connected_us, ended_us, abandoned_us, wrapped_up_us,"
    " agent_id, outcome, waiting_seconds, talk_seconds, handle_seconds, disposition, tags, notes,"
    " survey_score, survey_comment"
)
_RECORD_NAMES = tuple(c.strip() for c in _RECORD_COLUMNS.split(","))
_RECORD_SELECT = ", ".join(f"i.{c}" for c in _RECORD_NAMES)
_UPDATE = ", ".join(f"{c} = excluded.{c}" for c in _RECORD_NAMES[2:])
_UPSERT = f"ON CONFLICT (tenant_id, interaction_id) DO UPDATE SET {_UPDATE}"
# Both marks in one round trip (each side is read by its primary key).
_MARKS_TABLE = (
    "(SELECT tenant_id, interaction_id, 'purged' AS mark FROM purged_interactions"
    " UNION ALL SELECT tenant_id, interaction_id, 'erased' AS mark FROM erased_interactions)"
)
_MARKS = ("tenant_id", "interaction_id", "mark")
_EVENT_COLUMNS = (
    "event_id",
    "tenant_id",
    "interaction_id",
    "event_type",
    "occurred_us",
    "agent_id",
    "payload",
)
# From when an interaction's retention counts: domain.retention.retained_from, in SQL.
_RETAINED_FROM = "COALESCE(wrapped_up_us, ended_us, abandoned_us, started_us)"
_EXPIRED = (
    "SELECT interaction_id FROM interactions WHERE tenant_id = ? AND started_us < ?"  # noqa: S608  (constants)
    f" AND {_RETAINED_FROM} < ? ORDER BY started_us LIMIT ?"
)
ERASED = event_type_of_field("interaction_erased")
# Tags come from the last wrap-up and carry the start (created, else the first event): only these
# events, or any event of an interaction without a created event, change an interaction's tag rows.
_RETAG = frozenset(event_type_of_field(f) for f in ("interaction_wrapped_up", "interaction_created"))
_TIMES = ("created", "queued", "offered", "connected", "ended", "abandoned", "wrapped_up")


@dataclass(frozen=True, slots=True)
class FlushResult:
    events: int  # events in the batch (redeliveries included)
    interactions: int  # records recomputed and written
    stored: int = 0  # events new to the store
    dropped: int = 0  # events of purged interactions, not kept


@dataclass(frozen=True, slots=True)
class PurgeResult:
    interactions: int
    events: int


class PendingEvent(NamedTuple):
    """A consumed interaction event, as the events table keeps it (and the message, to read it)."""

    event_id: str
    tenant_id: str
    interaction_id: str
    event_type: str
    occurred_us: int
    agent_id: str
    payload: bytes
    event: events_pb2.Event

    @classmethod
    def of(cls, event: events_pb2.Event) -> PendingEvent | None:
        """None for events about no interaction (agent events): the log does not keep them."""
        if not event.interaction_id or not event.event_id.strip():
            return None
        at = event.occurred_at
        return cls(
            event.event_id,
            event.tenant_id,
            event.interaction_id,
            event.event_type,
            at.seconds * 1_000_000 + at.nanos // 1000,
            event.agent_id,
            event.SerializeToString(deterministic=True),
            event,
        )

    def scrubbed(self) -> PendingEvent:
        clean = scrub(self.event)
        return self._replace(payload=clean.SerializeToString(deterministic=True), event=clean)


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


def open_store(url: str, timeout: float = 60.0, cache_interactions: int = 20_000) -> SqlInteractionStore:
    """The store at ``url`` with a connection for reads and one for writes (one for both in memory)."""
    writer = connect(url, timeout=timeout)
    reader = writer if url == "sqlite://:memory:" else connect(url, timeout=timeout)
    return SqlInteractionStore(reader, writer, cache_interactions=cache_interactions)


class SqlInteractionStore:
    """Events and interaction records in one SQL database (see the module docstring).

    ``db`` serves the reads; ``writer``, when given, is a second connection to the same database
    for the writes (ingest on the writer thread, erasure, purge), so that reads never wait for a
    write transaction and never see one half done.
    """

    def __init__(
        self, db: Database, writer: Database | None = None, *, cache_interactions: int = 20_000
    ) -> None:
        self._db = db
        self._writer = writer or db
        for conn in {id(db): db, id(self._writer): self._writer}.values():
            if conn.dialect == "sqlite":
                conn.execute(
                    "PRAGMA secure_delete=ON"
                )  # overwritten content is zeroed, not left in free pages
        if db.dialect == "sqlite":
            db.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages (not 2): the reports read wide ranges
        migrate(self._writer, migrations(self._writer.dialect))
        self._bulk = Bulk(self._writer)
        self._lock = threading.Lock()
        self._cache = EventCache(cache_interactions)
        self._pending: list[PendingEvent] = []

    @property
    def dialect(self) -> str:
        return self._db.dialect

    @property
    def database(self) -> Database:
        """The read connection, for the report and survey queries on the event loop's thread (the
        survey ledger's few writes go through it too: a connection of their own, apart from the
        writer thread's)."""
        return self._db

    def add(self, event: events_pb2.Event) -> bool:
        """Buffer one event for the next flush; False for events about no interaction (not kept)."""
        pending = PendingEvent.of(event)
        if pending is None:
            return False
        self._pending.append(pending)
        return True

    def flush(self) -> FlushResult:
        """Write the buffered events and recompute the records they touch, in one transaction."""
        pending, self._pending = self._pending, []
        try:
            return self.write(pending)
        except BaseException:
            self._pending = pending + self._pending  # the consumer retries the batch
            raise

    # -- the write path ---------------------------------------------------------------------------

    def write(self, batch: Sequence[PendingEvent]) -> FlushResult:
        """Write one consumed batch in one transaction (any thread; one write at a time)."""
        if not batch:
            return FlushResult(0, 0)
        unique: dict[str, PendingEvent] = {}
        for pending in batch:
            unique.setdefault(pending.event_id, pending)  # the first delivery of an id wins, as in the table
        by_key: dict[Key, list[PendingEvent]] = defaultdict(list)
        for pending in unique.values():
            by_key[(pending.tenant_id, pending.interaction_id)].append(pending)
        with self._lock:
            try:
                with self._writer.transaction():
                    histories = self._histories(by_key.keys())
                    stored, dropped, changed, retagged, untagged = self._apply(by_key, histories)
                    records = [project(key[1], key[0], changed[key].events.values()) for key in changed]
                    retagged += [(r.tenant_id, r.interaction_id) for r in records if r.created_at is None]
                    self._write_records(records, retagged, untagged)
            except BaseException:
                self._cache.drop(by_key.keys())
                raise
            for key, history in histories.items():
                if history is not None:
                    self._cache.put(key, history)
        return FlushResult(len(batch), len(records), stored, dropped)

    def _histories(self, keys: Collection[Key]) -> dict[Key, History | None]:
        """Each interaction's stored events (None: purged), from the cache or else the database."""
        found: dict[Key, History | None] = {}
        missing: list[Key] = []
        for key in keys:
            held = self._cache.get(key)
            if held is None:
                missing.append(key)
            else:
                found[key] = held
        if not missing:
            return found
        purged: set[Key] = set()
        erased: set[Key] = set()
        for tenant_id, interaction_id, mark in self._bulk.select(_MARKS_TABLE, _MARKS, missing):
            (purged if mark == "purged" else erased).add((tenant_id, interaction_id))
        live = [k for k in missing if k not in purged]
        loaded: dict[Key, dict[str, LoggedEvent]] = defaultdict(dict)
        for tenant_id, interaction_id, payload in self._bulk.select(
            "events", ("tenant_id", "interaction_id", "payload"), live
        ):
            event = logged_event(decode_event(bytes(payload)))
            loaded[(tenant_id, interaction_id)][event.event_id] = event
        for key in missing:
            found[key] = None if key in purged else History(loaded.pop(key, {}), key in erased)
        return found

    def _apply(
        self, by_key: dict[Key, list[PendingEvent]], histories: dict[Key, History | None]
    ) -> tuple[int, int, dict[Key, History], list[Key], set[Key]]:
        """Insert the batch's new events; (stored, dropped, the histories that changed, the interactions
        whose tag rows may have changed (see _RETAG), those of them with no tag rows yet)."""
        new_rows: list[PendingEvent] = []
        changed: dict[Key, History] = {}
        retagged: list[Key] = []
        untagged: set[Key] = set()
        erasing: list[Key] = []
        dropped = 0
        for key, rows in by_key.items():
            history = histories[key]
            if history is None:
                dropped += len(rows)
                continue
            if not history.erased and any(r.event_type == ERASED for r in rows):
                history.erased = True
                erasing.append(key)
                changed[key] = history
            if not history.events and all(r.event_type == ERASED for r in rows):
                # The erasure of an interaction the store does not hold (its events left the topic before
                # a replay): remembered, so that none of its events is stored with personal data, but no
                # record made of the erasure alone.
                changed.pop(key, None)
                continue
            retag = False
            known_before = bool(history.events)
            for pending in rows:
                if pending.event_id in history.events:
                    continue
                row = pending.scrubbed() if history.erased else pending
                new_rows.append(row)
                history.events[row.event_id] = logged_event(row.event)
                changed[key] = history
                retag = retag or row.event_type in _RETAG
            if retag:
                retagged.append(key)
                if not known_before:
                    untagged.add(key)  # no tag rows yet: nothing to delete
        if erasing:  # what was stored before this batch loses its personal data now
            self._mark_erased(erasing)
            for key, events in self._scrub_stored(erasing).items():
                changed[key].events.update(events)  # the same object as histories[key]
        self._bulk.insert(
            "events", _EVENT_COLUMNS, [r[:7] for r in new_rows], "ON CONFLICT (event_id) DO NOTHING"
        )
        return len(new_rows), dropped, changed, retagged, untagged

    def _write_records(
        self, records: list[InteractionRecord], retag: Collection[Key], untagged: Collection[Key] = ()
    ) -> None:
        """Upsert ``records``; rewrite the tags of those in ``retag`` (``untagged`` have none yet)."""
        self._bulk.insert("interactions", _RECORD_NAMES, [_row_of(r) for r in records], _UPSERT)
        self._bulk.delete("interaction_tags", [k for k in retag if k not in untagged])
        wanted = set(retag)
        tags = [
            (r.tenant_id, tag, r.interaction_id, to_micros(r.started_at) if r.started_at else 0)
            for r in records
            if (r.tenant_id, r.interaction_id) in wanted
            for tag in r.tags
        ]
        self._bulk.insert("interaction_tags", ("tenant_id", "tag", "interaction_id", "started_us"), tags)

    def _mark_erased(self, keys: Collection[Key]) -> None:
        now = to_micros(datetime.now(UTC))
        self._bulk.insert(
            "erased_interactions",
            ("tenant_id", "interaction_id", "erased_us"),
            [(t, i, now) for t, i in keys],
            "ON CONFLICT (tenant_id, interaction_id) DO NOTHING",
        )

    def _scrub_stored(self, keys: Collection[Key]) -> dict[Key, dict[str, LoggedEvent]]:
        """Rewrite the stored events of ``keys`` without personal data; their scrubbed histories."""
        rewritten: list[tuple[bytes, str]] = []
        histories: dict[Key, dict[str, LoggedEvent]] = defaultdict(dict)
        for tenant_id, interaction_id, event_id, payload in self._bulk.select(
            "events", ("tenant_id", "interaction_id", "event_id", "payload"), keys
        ):
            clean = scrub(decode_event(bytes(payload)))
            rewritten.append((clean.SerializeToString(deterministic=True), event_id))
            histories[(tenant_id, interaction_id)][event_id] = logged_event(clean)
        if rewritten:
            self._writer.executemany("UPDATE events SET payload = ? WHERE event_id = ?", rewritten)
        return histories

    # -- erasure ----------------------------------------------------------------------------------

    def customer_interactions(self, tenant_id: str, customer_ref: str) -> list[str]:
        """The ids of the customer's interactions (of this tenant)."""
        rows = self._db.fetchall(
            "SELECT interaction_id FROM interactions WHERE tenant_id = ? AND customer_ref = ?"
            " ORDER BY interaction_id",
            (tenant_id, customer_ref),
        )
        return [str(r[0]) for r in rows]

    def erase_interactions(self, tenant_id: str, interaction_ids: Sequence[str]) -> int:
        """Erase the personal data of these interactions from their records and stored events, and
        remember them so that their later events are stored scrubbed; returns the interactions erased."""
        with self._lock:
            try:
                with self._writer.transaction():
                    known = self._bulk.select(
                        "interactions",
                        ("tenant_id", "interaction_id"),
                        [(tenant_id, i) for i in interaction_ids],
                    )
                    keys = sorted({(str(t), str(i)) for t, i in known})
                    if not keys:
                        return 0
                    histories = self._scrub_stored(keys)
                    self._mark_erased(keys)
                    records = [project(i, t, histories.get((t, i), {}).values()) for t, i in keys]
                    self._write_records(records, keys)
            finally:
                self._cache.drop((tenant_id, i) for i in interaction_ids)
        if self._writer.dialect == "sqlite":
            self._writer.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")  # old page images leave the WAL file
        return len(keys)

    def erase_customer(self, tenant_id: str, customer_ref: str) -> int:
        """Erase the customer's personal data from every record and stored event; returns interactions."""
        return self.erase_interactions(tenant_id, self.customer_interactions(tenant_id, customer_ref))

    # -- retention --------------------------------------------------------------------------------

    def tenants(self) -> list[str]:
        """The tenants with interactions stored (a skip scan over the records' primary key)."""
        rows = self._writer.fetchall(
            "WITH RECURSIVE t (id) AS ("
            " SELECT MIN(tenant_id) FROM interactions"
            " UNION ALL SELECT (SELECT MIN(tenant_id) FROM interactions WHERE tenant_id > t.id) FROM t"
            " WHERE t.id IS NOT NULL) SELECT id FROM t WHERE id IS NOT NULL"
        )
        return [str(r[0]) for r in rows]

    def purge_expired(self, tenant_id: str, horizon: datetime, limit: int = 1000) -> PurgeResult:
        """Purge up to ``limit`` of the tenant's interactions that ended before ``horizon``, with their
        events, tags, erasure marks and survey ledger rows, and remember their ids; one transaction."""
        horizon_us = to_micros(horizon)
        with self._lock:
            with self._writer.transaction():
                rows = self._writer.fetchall(_EXPIRED, (tenant_id, horizon_us, horizon_us, limit))
                keys = [(tenant_id, str(r[0])) for r in rows]
                if not keys:
                    return PurgeResult(0, 0)
                events = self._bulk.delete("events", keys)
                for table in (
                    "interaction_tags",
                    "erased_interactions",
                    "survey_requests",
                    "survey_answers",
                    "interactions",
                ):
                    self._bulk.delete(table, keys)
                now = to_micros(datetime.now(UTC))
                self._bulk.insert(
                    "purged_interactions",
                    ("tenant_id", "interaction_id", "purged_us", "horizon_us"),
                    [(t, i, now, horizon_us) for t, i in keys],
                    "ON CONFLICT (tenant_id, interaction_id) DO NOTHING",
                )
            self._cache.drop(keys)
        return PurgeResult(len(keys), events)

    def forget_purged(self, before: datetime) -> int:
        """Forget the ids of interactions purged before ``before``; the count."""
        with self._lock, self._writer.transaction():
            return self._writer.execute(
                "DELETE FROM purged_interactions WHERE purged_us < ?", (to_micros(before),)
            )

    def maintain(self) -> None:
        """Keep the query planner's statistics current. SQLite has no autovacuum: a sampled ANALYZE
        (20,000 entries per index: ~50 ms at a million interactions, where a full one takes seconds;
        1,000 entries are too few to tell an agent's index from the period's). PostgreSQL's
        autovacuum does it."""
        if self._writer.dialect == "sqlite":
            with self._lock:
                self._writer.execute("PRAGMA analysis_limit=20000")
                self._writer.execute("ANALYZE")

    # -- replay -----------------------------------------------------------------------------------

    def recompute_all(self, chunk: int = 1000) -> int:
        """Recompute every record from its stored events (a chunk of interactions per transaction)."""
        done = 0
        after: Key = ("", "")
        while True:
            keys = [
                (str(r[0]), str(r[1]))
                for r in self._writer.fetchall(
                    "SELECT tenant_id, interaction_id FROM interactions WHERE (tenant_id > ?)"
                    " OR (tenant_id = ? AND interaction_id > ?) ORDER BY tenant_id, interaction_id LIMIT ?",
                    (after[0], after[0], after[1], chunk),
                )
            ]
            if not keys:
                return done
            with self._lock:
                with self._writer.transaction():
                    histories: dict[Key, list[LoggedEvent]] = defaultdict(list)
                    for (payload,) in self._bulk.select("events", ("payload",), keys):
                        event = logged_event(decode_event(bytes(payload)))
                        histories[(event.tenant_id, event.interaction_id)].append(event)
                    records = [project(i, t, histories.get((t, i), [])) for t, i in keys]
                    self._write_records(records, keys)
                self._cache.drop(keys)
            done += len(keys)
            after = keys[-1]

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
        # Pages run along (started_us, interaction_id), the cursor a row-value bound that the
        # indexes seek to. A tag filter runs along interaction_tags (tenant, tag, started_us,
        # interaction_id) instead: only the pages' rows are read, however rare the tag.
        f = query.filter
        key = "t" if f.tag else "i"
        source = (
            "interaction_tags t JOIN interactions i"
            " ON i.tenant_id = t.tenant_id AND i.interaction_id = t.interaction_id"
            if f.tag
            else "interactions i"
        )
        where = [f"{key}.tenant_id = ?"]
        params: list[Any] = [query.tenant_id]
        if f.tag:
            where.append("t.tag = ?")
            params.append(f.tag)
        if query.start is not None:
            where.append(f"{key}.started_us >= ?")
            params.append(to_micros(query.start))
        if query.end is not None:
            where.append(f"{key}.started_us < ?")
            params.append(to_micros(query.end))
        for column, value in (
            ("queue_id", f.queue_id),
            ("agent_id", f.agent_id),
            ("disposition", f.disposition),
            ("customer_ref", f.customer_ref),
        ):
            if value:
                where.append(f"i.{column} = ?")
                params.append(value)
        if f.channel:
            where.append("i.channel = ?")
            params.append(f.channel)
        if f.outcome is not None:
            where.append("i.outcome = ?")
            params.append(f.outcome.value)
        if query.after is not None:
            where.append(f"({key}.started_us, {key}.interaction_id) > (?, ?)")
            params.extend(query.after)
        rows = self._db.fetchall(
            f"SELECT {_RECORD_SELECT} FROM {source} WHERE {' AND '.join(where)}"  # noqa: S608  (placeholders only)
            f" ORDER BY {key}.started_us, {key}.interaction_id LIMIT ?",
            (*params, query.page_size + 1),
        )
        return [_record_of(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """Rows in the store's tables: events, interactions, erased, purged (ids kept)."""
        tables = {
            "events": "events",
            "interactions": "interactions",
            "erased": "erased_interactions",
            "purged": "purged_interactions",
        }
        return {
            name: int(self._writer.fetchall(f"SELECT COUNT(*) FROM {table}")[0][0])  # noqa: S608  (constants)
            for name, table in tables.items()
        }

    def fetch_count(self) -> int:
        """Events stored (distinct ids)."""
        row = self._db.fetchone("SELECT COUNT(*) FROM events")
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._db.close()
        if self._writer is not self._db:
            self._writer.close()
