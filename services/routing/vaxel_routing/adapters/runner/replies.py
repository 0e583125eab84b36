"""The front door's side: a request waits until the engine applied its record, for the engine's outcome
or error, at most the reply timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeAlias

from vaxel_common.errors import Unavailable, VaxelError
from vaxel_routing.domain.commands import Outcome

__all__ = ["Replies", "Result"]

Result: TypeAlias = Outcome | VaxelError


def _expire(future: asyncio.Future[Outcome]) -> None:
    if not future.done():
        future.set_exception(
            Unavailable("routing did not apply the request in time; retry with the same key")
        )


class Replies:
    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._pending: dict[str, asyncio.Future[Outcome]] = {}

    async def wait(self, input_id: str, append: Awaitable[None]) -> Outcome:
        """Run ``append`` (which writes the record ``input_id``), then wait for the record's result:
        its outcome, or the engine's error raised here."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._pending[input_id] = future
        expiry: asyncio.TimerHandle | None = None
        try:
            await append
            # A timer handle, not asyncio.timeout(): cheaper, and this wait is on every request.
            expiry = loop.call_later(self._timeout, _expire, future)
            return await future
        finally:
            if expiry is not None:
                expiry.cancel()
            self._pending.pop(input_id, None)

    def resolve(self, results: Iterable[tuple[str, Result]]) -> None:
        """Answer the requests waiting here for these records (records appended elsewhere have none)."""
        for input_id, result in results:
            future = self._pending.get(input_id)
            if future is not None and not future.done():
                if isinstance(result, VaxelError):
                    future.set_exception(result)
                else:
                    future.set_result(result)
