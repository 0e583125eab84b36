"""Retry with capped, jittered exponential backoff for dependencies that are not up yet.

One log line per failed attempt (never a traceback storm); when time runs out the
last error is raised as :class:`~vaxel_common.errors.Unavailable` with a clear message.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from vaxel_common.errors import Unavailable
from vaxel_common.logging import get_logger

__all__ = ["Backoff", "retry_async", "retry_sync"]

T = TypeVar("T")
RETRYABLE: tuple[type[BaseException], ...] = (OSError, ConnectionError)


class Backoff:
    """The schedule of one retry loop: ``failed(exc)`` returns how long to wait, or raises."""

    def __init__(self, what: str, timeout: float = 60.0, initial: float = 0.2, maximum: float = 5.0) -> None:
        self.what = what
        self.deadline = time.monotonic() + timeout
        self.initial = initial
        self.maximum = maximum
        self.attempt = 0
        self._log = get_logger(__name__)

    def failed(self, exc: BaseException) -> float:
        """Record a failed attempt; the delay before the next one, or :class:`Unavailable`."""
        self.attempt += 1
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise Unavailable(f"{self.what} unreachable after {self.attempt} attempts: {exc}") from exc
        base: float = min(self.maximum, self.initial * (2 ** (self.attempt - 1)))
        delay = min(base * (0.8 + 0.4 * random.random()), remaining)  # noqa: S311  (jitter)
        self._log.warning(
            "dependency_unreachable",
            dependency=self.what,
            attempt=self.attempt,
            retry_in_s=round(delay, 2),
            error=str(exc) or type(exc).__name__,
        )
        return delay


async def retry_async(
    what: str,
    action: Callable[[], Awaitable[T]],
    *,
    timeout: float = 60.0,
    retry_on: tuple[type[BaseException], ...] = RETRYABLE,
) -> T:
    """Await ``action()`` until it succeeds or ``timeout`` seconds pass."""
    backoff = Backoff(what, timeout)
    while True:
        try:
            return await action()
        except retry_on as exc:
            await asyncio.sleep(backoff.failed(exc))


def retry_sync(
    what: str,
    action: Callable[[], T],
    *,
    timeout: float = 60.0,
    retry_on: tuple[type[BaseException], ...] = RETRYABLE,
) -> T:
    """Blocking twin of :func:`retry_async`."""
    backoff = Backoff(what, timeout)
    while True:
        try:
            return action()
        except retry_on as exc:
            time.sleep(backoff.failed(exc))
