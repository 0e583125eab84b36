"""Retrying unreachable dependencies with backoff, then a clear Unavailable."""

from __future__ import annotations

import pytest

from vaxel_common.errors import Unavailable
from vaxel_common.retry import retry_async, retry_sync


class Flaky:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionRefusedError("refused")
        return "up"


class TestRetry:
    def test_sync_succeeds_after_transient_errors(self) -> None:
        flaky = Flaky(2)
        assert retry_sync("db", flaky, timeout=5) == "up"
        assert flaky.calls == 3

    def test_sync_gives_up_with_a_clear_message(self) -> None:
        with pytest.raises(Unavailable, match=r"^db unreachable after \d+ attempts: refused"):
            retry_sync("db", Flaky(10**6), timeout=0.3)

    async def test_async_succeeds_after_transient_errors(self) -> None:
        flaky = Flaky(1)

        async def action() -> str:
            return flaky()

        assert await retry_async("broker", action, timeout=5) == "up"
        assert flaky.calls == 2

    def test_other_errors_are_not_retried(self) -> None:
        def broken() -> str:
            raise KeyError("bug")

        with pytest.raises(KeyError):
            retry_sync("db", broken, timeout=5)
