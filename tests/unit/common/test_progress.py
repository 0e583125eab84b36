"""A consumer that keeps failing is reported stalled, and progressing again once a batch goes through."""

from __future__ import annotations

import asyncio

from aiokafka.errors import KafkaTimeoutError
from prometheus_client import CollectorRegistry

from vaxel_common.metrics import PlatformMetrics
from vaxel_common.progress import STALL_AFTER_ATTEMPTS, DeadLetterFailed, FailureReason, ProgressMonitor


def gauge(registry: CollectorRegistry, consumer: str) -> float | None:
    return registry.get_sample_value("vaxel_consumer_stalled", {"service": "svc", "consumer": consumer})


def errors(registry: CollectorRegistry, consumer: str, reason: str) -> float | None:
    return registry.get_sample_value(
        "vaxel_consumer_errors_total", {"service": "svc", "consumer": consumer, "reason": reason}
    )


class TestProgressMonitor:
    def setup_method(self) -> None:
        self.registry = CollectorRegistry()
        self.changes: list[bool] = []
        self.monitor = ProgressMonitor("svc", PlatformMetrics.create(self.registry), self.changes.append)
        self.monitor.register("a")
        self.monitor.register("b")

    def stalled(self) -> bool:
        return self.monitor.stalled  # a call: mypy would keep a property's narrowing across calls

    def test_series_start_at_zero(self) -> None:
        assert gauge(self.registry, "a") == 0.0
        assert errors(self.registry, "a", "dead_letter") == 0.0

    def test_stalled_after_the_bound_in_a_row_then_progressing(self) -> None:
        for _ in range(STALL_AFTER_ATTEMPTS - 1):
            self.monitor.failed("a", DeadLetterFailed("x"))
        assert not self.stalled()
        assert self.changes == []
        self.monitor.failed("a", DeadLetterFailed("x"))
        assert self.stalled()
        assert self.changes == [True]
        assert gauge(self.registry, "a") == 1.0
        assert errors(self.registry, "a", "dead_letter") == STALL_AFTER_ATTEMPTS
        self.monitor.progressed("a")
        assert not self.stalled()
        assert self.changes == [True, False]
        assert gauge(self.registry, "a") == 0.0

    def test_serving_again_only_when_every_consumer_progresses(self) -> None:
        for _ in range(STALL_AFTER_ATTEMPTS):
            self.monitor.failed("a", KafkaTimeoutError())
            self.monitor.failed("b", RuntimeError("handler"))
        assert self.changes == [True]
        self.monitor.progressed("a")
        assert self.stalled()
        self.monitor.progressed("b")
        assert self.changes == [True, False]
        assert errors(self.registry, "b", "handler") == STALL_AFTER_ATTEMPTS
        assert errors(self.registry, "a", "kafka") == STALL_AFTER_ATTEMPTS

    def test_a_success_resets_the_count(self) -> None:
        for _ in range(STALL_AFTER_ATTEMPTS - 1):
            self.monitor.failed("a", RuntimeError())
        self.monitor.progressed("a")
        self.monitor.failed("a", RuntimeError())
        assert not self.stalled()

    def test_until_done_retries_and_reports(self) -> None:
        attempts = 0

        async def flaky() -> None:
            nonlocal attempts
            attempts += 1
            if attempts <= STALL_AFTER_ATTEMPTS:
                raise DeadLetterFailed("broker refused")

        asyncio.run(self.monitor.until_done("a", flaky))
        assert attempts == STALL_AFTER_ATTEMPTS + 1
        assert self.changes == [True, False]
        assert not self.stalled()


class TestFailureReason:
    def test_reasons_are_a_small_fixed_set(self) -> None:
        assert FailureReason.of(DeadLetterFailed()) is FailureReason.DEAD_LETTER
        assert FailureReason.of(KafkaTimeoutError()) is FailureReason.KAFKA
        assert FailureReason.of(ValueError()) is FailureReason.HANDLER


class TestBlockedWrites:
    def setup_method(self) -> None:
        self.registry = CollectorRegistry()
        self.changes: list[bool] = []
        self.monitor = ProgressMonitor("svc", PlatformMetrics.create(self.registry), self.changes.append)
        self.monitor.register("publisher")

    def test_a_write_blocked_past_the_bound_stalls_until_a_write_succeeds(self) -> None:
        async def scenario() -> list[bool]:
            release = asyncio.Event()

            async def blocked_write() -> None:
                async with self.monitor.writing("publisher", 0.05):
                    await release.wait()

            task = asyncio.create_task(blocked_write())
            await asyncio.sleep(0.01)
            seen = [self.monitor.stalled]  # not yet past the bound
            await asyncio.sleep(0.1)
            seen.append(self.monitor.stalled)
            release.set()
            await task
            seen.append(self.monitor.stalled)
            return seen

        assert asyncio.run(scenario()) == [False, True, False]
        assert self.changes == [True, False]
        assert gauge(self.registry, "publisher") == 0.0

    def test_a_quick_write_never_stalls_and_a_failed_one_counts(self) -> None:
        async def scenario() -> None:
            async with self.monitor.writing("publisher", 0.05):
                pass
            await asyncio.sleep(0.1)  # the cancelled watchdog does not fire later
            try:
                async with self.monitor.writing("publisher", 5.0):
                    raise KafkaTimeoutError()
            except KafkaTimeoutError:
                pass

        asyncio.run(scenario())
        assert not self.stalled()
        assert self.changes == []
        assert errors(self.registry, "publisher", "kafka") == 1.0

    def stalled(self) -> bool:
        return self.monitor.stalled
