"""The routing group's offset commits: in the background, once their batch's events are acknowledged.

A commit that is lost in a crash only means more records replay their events again, with the same ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TypeAlias

from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from vaxel_common.logging import get_logger

__all__ = ["COMMIT_SECONDS", "OffsetCommits"]

# Offsets are committed at most this often (in the background, once their batch's events are acknowledged).
COMMIT_SECONDS = 0.1

Offsets: TypeAlias = dict[TopicPartition, int]


class OffsetCommits:
    def __init__(self, commit: Callable[[Offsets], Awaitable[None]]) -> None:
        self._commit = commit
        self._to_commit: Offsets = {}  # not committed yet
        self._applied: Offsets = {}  # the latest offsets to commit, committed or not
        self._committing: asyncio.Task[None] | None = None
        self._stopping = False
        self._log = get_logger("vaxel.routing.engine")

    def later(self, offsets: Offsets) -> None:
        """Commit ``offsets`` (their events are already acknowledged) without holding up the next batch:
        one commit at a time, each with the latest offsets."""
        self._to_commit.update(offsets)
        self._applied.update(offsets)
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self._commit_loop(), name="routing-commit")

    def reset(self) -> None:
        """A new generation: records past the committed offsets replay live."""
        self._to_commit.clear()
        self._applied.clear()

    async def _commit_loop(self) -> None:
        while self._to_commit:
            offsets, self._to_commit = self._to_commit, {}
            started = time.monotonic()
            try:
                await self._commit(offsets)
            except KafkaError as exc:  # a rebalance or a broker hiccup: the next batch commits again
                self._log.warning("routing_commit_failed", error_type=type(exc).__name__)
                return
            if not self._stopping:
                # At most one commit per COMMIT_SECONDS: a request to the broker per batch costs both
                # sides CPU, and a crash only replays (republishes, same ids) the last moment's records.
                await asyncio.sleep(max(0.0, started + COMMIT_SECONDS - time.monotonic()))

    async def stop(self) -> None:
        """The last offsets, without the pause between commits."""
        self._stopping = True
        if self._committing is not None:
            self._committing.cancel()
            await asyncio.gather(self._committing, return_exceptions=True)
            self._committing = None
        if self._applied:
            with contextlib.suppress(KafkaError):
                await self._commit(self._applied)
            self._to_commit = {}
