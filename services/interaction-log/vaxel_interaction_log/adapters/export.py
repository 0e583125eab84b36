"""Export rows: CSV (RFC 4180, header first) or JSON Lines, one chunk per page of records.

CSV is opened in spreadsheets, which run a cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return before one) as a formula: such a text cell gets a leading apostrophe (OWASP's CSV
injection advice), so ``=HYPERLINK(...)`` in a disposition or tag shows as text. Numbers and times are
written as they are; JSON Lines carries the values unchanged.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from vaxel_interaction_log.domain import InteractionRecord

__all__ = ["COLUMNS", "csv_chunk", "csv_text", "json_lines_chunk", "row_of"]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

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
        writer.writerow([csv_text(row[c]) for c in COLUMNS])
    return out.getvalue().encode()


def csv_text(value: object) -> object:
    """A CSV cell: None empty, text that a spreadsheet would run as a formula with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def json_lines_chunk(records: Iterable[InteractionRecord]) -> bytes:
    return "".join(json.dumps(row_of(r), ensure_ascii=False) + "\n" for r in records).encode()
