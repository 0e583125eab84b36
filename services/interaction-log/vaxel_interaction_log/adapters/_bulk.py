"""Set-wise statements for the store, one per batch where the dialect allows.

PostgreSQL gets each column as one array (``INSERT ... SELECT * FROM unnest(...)``, ``JOIN
unnest(...)``): one round trip and one plan for a batch of any size. The arrays travel in binary
(:class:`_BinaryArray`): psycopg's text array format quotes each element through a regular
expression and costs ~25 times more client time. SQLite, in-process, gets ``executemany`` and
chunked ``IN`` lists. Array element types come from the catalogue, so a column added by a migration
needs no change here.

Table and column names are constants of the store, never input.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import psycopg
from psycopg.types.array import ListBinaryDumper

from vaxel_common.db import Database

__all__ = ["Bulk", "Key"]

Key = tuple[str, str]  # (tenant_id, interaction_id)
_CHUNK = 500


class _BinaryArray(list[Any]):
    """A list that psycopg sends as a binary array for a plain ``%s`` placeholder."""


psycopg.adapters.register_dumper(_BinaryArray, ListBinaryDumper)


class Bulk:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._postgres = db.dialect == "postgresql"
        self._types: dict[str, dict[str, str]] = {}

    def _array_of(self, table: str, column: str) -> str:
        if table not in self._types:
            rows = self._db.fetchall(
                "SELECT column_name, udt_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = ?",
                (table,),
            )
            self._types[table] = {str(name): str(udt) for name, udt in rows}
        return f"{self._types[table][column]}[]"

    def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], suffix: str = ""
    ) -> None:
        """Insert ``rows`` (one tuple per row, in ``columns`` order); ``suffix`` e.g. ``ON CONFLICT ...``."""
        if not rows:
            return
        names = ", ".join(columns)
        if self._postgres:
            arrays = ", ".join(f"?::{self._array_of(table, c)}" for c in columns)
            self._db.execute(
                f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {suffix}",  # noqa: S608  (constants)
                [_BinaryArray(values) for values in zip(*rows, strict=True)],
            )
        else:
            marks = ", ".join("?" * len(columns))
            self._db.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) {suffix}", rows)  # noqa: S608

    def select(self, table: str, columns: Sequence[str], keys: Collection[Key]) -> list[tuple[Any, ...]]:
        """``columns`` of the rows of ``table`` whose (tenant_id, interaction_id) is one of ``keys``."""
        if not keys:
            return []
        names = ", ".join(f"t.{c}" for c in columns)
        if self._postgres:
            tenants, interactions = _columns(keys)
            return self._db.fetchall(
                f"SELECT {names} FROM {table} t JOIN unnest(?::text[], ?::text[]) AS k (tenant_id, interaction_id)"  # noqa: S608
                " ON t.tenant_id = k.tenant_id AND t.interaction_id = k.interaction_id",
                (tenants, interactions),
            )
        rows: list[tuple[Any, ...]] = []
        for tenant_id, chunk in _by_tenant(keys):
            marks = ", ".join("?" * len(chunk))
            rows += self._db.fetchall(
                f"SELECT {names} FROM {table} t WHERE t.tenant_id = ? AND t.interaction_id IN ({marks})",  # noqa: S608
                (tenant_id, *chunk),
            )
        return rows

    def delete(self, table: str, keys: Collection[Key]) -> int:
        """Delete the rows of ``table`` whose (tenant_id, interaction_id) is one of ``keys``; the count."""
        if not keys:
            return 0
        if self._postgres:
            tenants, interactions = _columns(keys)
            return self._db.execute(
                f"DELETE FROM {table} t USING unnest(?::text[], ?::text[]) AS k (tenant_id, interaction_id)"  # noqa: S608
                " WHERE t.tenant_id = k.tenant_id AND t.interaction_id = k.interaction_id",
                (tenants, interactions),
            )
        deleted = 0
        for tenant_id, chunk in _by_tenant(keys):
            marks = ", ".join("?" * len(chunk))
            deleted += self._db.execute(
                f"DELETE FROM {table} WHERE tenant_id = ? AND interaction_id IN ({marks})",  # noqa: S608
                (tenant_id, *chunk),
            )
        return deleted


def _columns(keys: Iterable[Key]) -> tuple[list[str], list[str]]:
    tenants: list[str] = _BinaryArray()
    interactions: list[str] = _BinaryArray()
    for tenant_id, interaction_id in keys:
        tenants.append(tenant_id)
        interactions.append(interaction_id)
    return tenants, interactions


def _by_tenant(keys: Iterable[Key]) -> Iterable[tuple[str, list[str]]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for tenant_id, interaction_id in keys:
        grouped[tenant_id].append(interaction_id)
    for tenant_id, ids in grouped.items():
        ordered = sorted(ids)
        for start in range(0, len(ordered), _CHUNK):
            yield tenant_id, ordered[start : start + _CHUNK]
