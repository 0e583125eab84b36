"""Export rows: CSV (RFC 4180, header first) or JSON Lines, one chunk per page of records."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from vaxel_interaction_log.domain import InteractionRecord

__all__ = ["COLUMNS", "csv_chunk", "json_lines_chunk", "row_of"]

COLUMNS = (
    "interaction_id",
    "queue_id",
    "channel",
    "customer_ref",
    "language",
    "created_at",
    "queued_at",
    "offered_at",
    "connected_at",
    "ended_at",
    "abandoned_at",
    "wrapped_up_at",
    "agent_id",
    "outcome",
    "waiting_seconds",
    "talk_seconds",
    "handle_seconds",
    "disposition",
    "tags",
    "survey_score",
)


def row_of(record: InteractionRecord) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in COLUMNS:
        value = getattr(record, column)
        if column.endswith("_at"):
            value = value.isoformat() if value is not None else None
        elif column == "outcome":
            value = record.outcome.value
        elif column == "tags":
            value = list(record.tags)
        row[column] = value
    return row


def csv_chunk(records: Iterable[InteractionRecord], *, header: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(COLUMNS)
    for record in records:
        row = row_of(record)
        row["tags"] = ";".join(row["tags"])
        writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
    return out.getvalue().encode()


def json_lines_chunk(records: Iterable[InteractionRecord]) -> bytes:
    return "".join(json.dumps(row_of(r), ensure_ascii=False) + "\n" for r in records).encode()
