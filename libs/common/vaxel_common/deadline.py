"""Long work inside an RPC: stop at the call's deadline, and let the event loop breathe meanwhile.

A servicer doing CPU-bound work in steps (a forecast per queue, a report per queue) makes a
:class:`WorkDeadline` from its call's context and awaits :meth:`WorkDeadline.checkpoint` between steps.
A checkpoint yields to the event loop, so other calls, health checks, SIGTERM and the server's
cancellation at the end of its shutdown grace get their turn (a cancelled call ends there with
``CancelledError``), and raises :class:`~vaxel_common.errors.DeadlineExceeded` (DEADLINE_EXCEEDED)
once the call's deadline, or the service's own limit for a call without a deadline, has passed.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

from vaxel_common.errors import DeadlineExceeded

__all__ = ["WorkDeadline"]


class _Context(Protocol):
    def time_remaining(self) -> Any: ...


class WorkDeadline:
    """When a call's work must stop: its deadline, at most ``limit_seconds`` from now."""

    def __init__(self, context: _Context, limit_seconds: float) -> None:
        remaining = context.time_remaining()
        budget = limit_seconds if remaining is None else min(float(remaining), limit_seconds)
        self._end = time.monotonic() + budget

    @property
    def remaining(self) -> float:
        return self._end - time.monotonic()

    async def checkpoint(self) -> None:
        """Yield to the event loop; DeadlineExceeded once the deadline has passed."""
        await asyncio.sleep(0)
        if time.monotonic() >= self._end:
            raise DeadlineExceeded("deadline exceeded before the work was done: ask for less or allow longer")
