"""Whether a service's consumers make progress: health and metrics for one that is stuck.

A consumer that fails on a batch retries it (nothing is skipped), but after
``STALL_AFTER_ATTEMPTS`` failures in a row it is *stalled*: the gauge
``vaxel_consumer_stalled{service,consumer}`` is 1 and the service's gRPC health turns
NOT_SERVING, so probes, load balancers and alerts see it instead of a silent loop. Every
failure counts in ``vaxel_consumer_errors_total{service,consumer,reason}`` (``reason`` from
:class:`FailureReason`, a small fixed set). The first batch that goes through again clears
the stall and health returns to SERVING.

Writes are watched the same way (:meth:`ProgressMonitor.writing`): a write to the broker that has
not finished after ``stall_after_seconds`` (a paused or unreachable broker, on which every send
blocks) stalls its writer until a write succeeds, so a service whose writes all block does not keep
saying SERVING.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import AsyncIterator, Awaitable, Callable

from aiokafka.errors import KafkaError

from vaxel_common.logging import get_logger
from vaxel_common.metrics import PlatformMetrics
from vaxel_common.retry import Backoff

__all__ = ["STALL_AFTER_ATTEMPTS", "DeadLetterFailed", "FailureReason", "ProgressMonitor"]

STALL_AFTER_ATTEMPTS = 3


class DeadLetterFailed(Exception):  # noqa: N818  (the name says what failed)
    """A dead letter could not be produced (the broker refused it or did not answer)."""


class FailureReason(enum.StrEnum):
    """Why a consumer's batch failed: the ``reason`` label of ``vaxel_consumer_errors_total``."""

    DEAD_LETTER = "dead_letter"  # the dead letter of a record could not be produced
    KAFKA = "kafka"  # producing, committing or fetching failed
    HANDLER = "handler"  # the service's handler (or flush) raised

    @classmethod
    def of(cls, exc: BaseException) -> FailureReason:
        if isinstance(exc, DeadLetterFailed):
            return cls.DEAD_LETTER
        if isinstance(exc, KafkaError):
            return cls.KAFKA
        return cls.HANDLER


class ProgressMonitor:
    """The stalled consumers of one service; ``on_change(stalled)`` is called when the service goes
    from no stalled consumer to one, or back."""

    def __init__(
        self,
        service: str,
        metrics: PlatformMetrics,
        on_change: Callable[[bool], None] | None = None,
        stall_after: int = STALL_AFTER_ATTEMPTS,
    ) -> None:
        self.service = service
        self._metrics = metrics
        self._on_change = on_change
        self._stall_after = stall_after
        self._failures: dict[str, int] = {}
        self._stalled: set[str] = set()
        self._log = get_logger("vaxel.progress")

    @property
    def stalled(self) -> bool:
        return bool(self._stalled)

    def register(self, consumer: str) -> None:
        """Create ``consumer``'s series at 0 (a series first seen at 1 shows no increase)."""
        self._metrics.consumer_stalled.labels(self.service, consumer).set(0)
        for reason in FailureReason:
            self._metrics.consumer_errors.labels(self.service, consumer, reason.value)

    def failed(self, consumer: str, exc: BaseException) -> None:
        """One failed attempt of ``consumer``; stalled once they reach the bound in a row."""
        reason = FailureReason.of(exc)
        self._metrics.consumer_errors.labels(self.service, consumer, reason.value).inc()
        attempts = self._failures[consumer] = self._failures.get(consumer, 0) + 1
        if attempts >= self._stall_after:
            self._stall(consumer, reason, attempts, type(exc).__name__)

    def _stall(self, consumer: str, reason: FailureReason, attempts: int, error_type: str) -> None:
        self._failures[consumer] = max(self._failures.get(consumer, 0), 1)
        if consumer not in self._stalled:
            was = self.stalled
            self._stalled.add(consumer)
            self._metrics.consumer_stalled.labels(self.service, consumer).set(1)
            self._log.error(
                "consumer_stalled",
                consumer=consumer,
                reason=reason.value,
                attempts=attempts,
                error_type=error_type,
            )
            if not was and self._on_change is not None:
                self._on_change(True)

    def progressed(self, consumer: str) -> None:
        """``consumer`` got a batch through."""
        if not self._failures.pop(consumer, 0):
            return
        if consumer in self._stalled:
            self._stalled.discard(consumer)
            self._metrics.consumer_stalled.labels(self.service, consumer).set(0)
            self._log.info("consumer_progressing", consumer=consumer)
            if not self.stalled and self._on_change is not None:
                self._on_change(False)

    @contextlib.asynccontextmanager
    async def writing(self, writer: str, stall_after_seconds: float) -> AsyncIterator[None]:
        """Watch one write of ``writer``: still unfinished after ``stall_after_seconds``, the writer is
        stalled (health NOT_SERVING); a write that succeeds clears it, a failed one counts as a failure."""
        handle = asyncio.get_running_loop().call_later(
            stall_after_seconds, self._stall, writer, FailureReason.KAFKA, 1, "WriteBlocked"
        )
        try:
            yield
        except Exception as exc:
            self.failed(writer, exc)
            raise
        else:
            self.progressed(writer)
        finally:
            handle.cancel()

    async def until_done(self, consumer: str, action: Callable[[], Awaitable[None]]) -> None:
        """Await ``action()`` until it succeeds (nothing may be skipped), reporting each failure."""
        backoff: Backoff | None = None
        while True:
            try:
                await action()
            except (KafkaError, DeadLetterFailed) as exc:
                self.failed(consumer, exc)
                backoff = backoff or Backoff(f"{consumer} producing", timeout=float("inf"))
                await asyncio.sleep(backoff.failed(exc))
            else:
                self.progressed(consumer)
                return
