"""Interactions offered per tenant and queue, counted once per event id.

First cut for the walking skeleton: counts since start, held in memory; intervals in
the queue's time zone, formulas and persistence come with the SLA issue.
"""

from __future__ import annotations

from collections import Counter


class OfferedCounts:
    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._seen: set[str] = set()

    def record(self, event_id: str, tenant_id: str, queue_id: str) -> bool:
        """Count one offered interaction; a redelivered event id counts nothing (False)."""
        if event_id in self._seen:
            return False
        self._seen.add(event_id)
        self._counts[(tenant_id, queue_id)] += 1
        return True

    def offered(self, tenant_id: str, queue_id: str) -> int:
        return self._counts[(tenant_id, queue_id)]
