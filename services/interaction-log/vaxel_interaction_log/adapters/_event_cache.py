"""The stored events of recently written interactions, so that a batch recomputes their records
without reading and decoding their histories again.

The store is the database's only writer (one process, one writer thread): it reads an
interaction's history from the database on a miss and puts it here only after its transaction
committed; an erasure or a purge drops the entries it touches. An entry is therefore exactly what
the database holds. Least recently written entries go first when the cache is full.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from vaxel_interaction_log.adapters._bulk import Key
from vaxel_interaction_log.domain import LoggedEvent

__all__ = ["EventCache", "History"]


@dataclass(slots=True)
class History:
    """One interaction's stored events by id, and whether it was erased."""

    events: dict[str, LoggedEvent] = field(default_factory=dict)
    erased: bool = False

    def copy(self) -> History:
        return History(dict(self.events), self.erased)


class EventCache:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._held: OrderedDict[Key, History] = OrderedDict()

    def get(self, key: Key) -> History | None:
        """A copy of the interaction's history (the caller may change it), or None."""
        held = self._held.get(key)
        if held is None:
            return None
        self._held.move_to_end(key)
        return held.copy()

    def put(self, key: Key, history: History) -> None:
        if self._capacity <= 0:
            return
        self._held[key] = history
        self._held.move_to_end(key)
        while len(self._held) > self._capacity:
            self._held.popitem(last=False)

    def drop(self, keys: Iterable[Key]) -> None:
        for key in keys:
            self._held.pop(key, None)

    def __len__(self) -> int:
        return len(self._held)
