"""Per-tenant limits (fault 11 of issue 17): the token bucket, the bound on submissions in flight,
the contract version in force in the tenant's zone."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from vaxel_routing.domain.errors import TenantLimited
from vaxel_routing.domain.limits import (
    CONCURRENCY_RETRY_SECONDS,
    REPORT_EVERY_SECONDS,
    Limit,
    LimitBook,
    Limits,
    Permit,
    TenantLimiter,
)
from vaxel_vocabulary.content import TenantLimits

LIMITS = Limits(rate_per_second=10.0, burst=5, max_in_flight=3)
ROOMY = Limits(rate_per_second=10.0, burst=5, max_in_flight=1000)


def refusal(limiter: TenantLimiter, tenant: str, limits: Limits, now: float) -> TenantLimited:
    with pytest.raises(TenantLimited) as refused:
        limiter.acquire(tenant, limits, now)
    return refused.value


class TestRate:
    def test_a_full_bucket_gives_the_burst_then_refuses_with_the_time_to_the_next_token(self) -> None:
        limiter = TenantLimiter()
        for _ in range(5):
            limiter.acquire("t1", ROOMY, 100.0).release()
        refused = refusal(limiter, "t1", ROOMY, 100.0)
        assert refused.limit == Limit.RATE
        assert refused.retry_after_seconds == pytest.approx(0.1)
        assert "rate limit (10 per second)" in refused.message
        assert "retry after 100 ms" in refused.message

    def test_the_bucket_refills_at_the_rate_and_never_beyond_the_burst(self) -> None:
        limiter = TenantLimiter()
        for _ in range(5):
            limiter.acquire("t1", ROOMY, 0.0).release()
        # 0.25 s at 10/s: two tokens and a half; the third waits the other half token.
        limiter.acquire("t1", ROOMY, 0.25).release()
        limiter.acquire("t1", ROOMY, 0.25).release()
        assert refusal(limiter, "t1", ROOMY, 0.25).retry_after_seconds == pytest.approx(0.05)
        # An hour idle fills the bucket to the burst, not to 36,000.
        for _ in range(5):
            limiter.acquire("t1", ROOMY, 3600.0).release()
        assert refusal(limiter, "t1", ROOMY, 3600.0).limit == Limit.RATE

    def test_a_sustained_flood_passes_at_the_rate(self) -> None:
        limiter = TenantLimiter()
        passed = 0
        for step in range(1000):  # 1,000 attempts over 10 s: 100/s against 10/s
            try:
                limiter.acquire("t1", ROOMY, step * 0.01).release()
                passed += 1
            except TenantLimited:
                pass
        assert 5 + 10 * 9 <= passed <= 5 + 10 * 10

    def test_tenants_have_buckets_of_their_own(self) -> None:
        limiter = TenantLimiter()
        for _ in range(5):
            limiter.acquire("noisy", ROOMY, 0.0).release()
        refusal(limiter, "noisy", ROOMY, 0.0)
        limiter.acquire("quiet", ROOMY, 0.0).release()

    def test_a_lowered_burst_applies_at_once(self) -> None:
        limiter = TenantLimiter()
        limiter.acquire("t1", ROOMY, 0.0).release()
        lower = Limits(rate_per_second=10.0, burst=1, max_in_flight=1000)
        limiter.acquire("t1", lower, 0.0).release()
        refusal(limiter, "t1", lower, 0.0)

    def test_a_clock_going_back_refills_nothing(self) -> None:
        limiter = TenantLimiter()
        for _ in range(5):
            limiter.acquire("t1", ROOMY, 10.0).release()
        refusal(limiter, "t1", ROOMY, 5.0)
        refusal(limiter, "t1", ROOMY, 10.0)


class TestConcurrency:
    def test_beyond_the_bound_is_refused_until_a_permit_is_released(self) -> None:
        limiter = TenantLimiter()
        plenty = Limits(rate_per_second=1000.0, burst=1000, max_in_flight=3)
        permits = [limiter.acquire("t1", plenty, 0.0) for _ in range(3)]
        refused = refusal(limiter, "t1", plenty, 0.0)
        assert refused.limit == Limit.CONCURRENCY
        assert refused.retry_after_seconds == CONCURRENCY_RETRY_SECONDS
        assert "limit of 3 submissions in flight" in refused.message
        permits[0].release()
        permits[0].release()  # once only
        assert limiter.in_flight("t1") == 2
        limiter.acquire("t1", plenty, 0.0)
        refusal(limiter, "t1", plenty, 0.0)

    def test_a_refusal_takes_neither_a_token_nor_a_place(self) -> None:
        limiter = TenantLimiter()
        held = [limiter.acquire("t1", LIMITS, 0.0) for _ in range(3)]
        for _ in range(10):
            refusal(limiter, "t1", LIMITS, 0.0)
        assert limiter.in_flight("t1") == 3
        for permit in held:
            permit.release()
        # Two tokens of five are left, whatever the ten refusals.
        limiter.acquire("t1", LIMITS, 0.0).release()
        limiter.acquire("t1", LIMITS, 0.0).release()
        assert refusal(limiter, "t1", LIMITS, 0.0).limit == Limit.RATE

    def test_the_permit_is_released_when_the_work_fails(self) -> None:
        limiter = TenantLimiter()
        seen: list[int] = []

        def submission() -> None:
            with limiter.acquire("t1", LIMITS, 0.0):
                seen.append(limiter.in_flight("t1"))
                raise RuntimeError("the engine did not answer")

        with pytest.raises(RuntimeError):
            submission()
        assert seen == [1]
        assert limiter.in_flight("t1") == 0

    async def test_the_permit_is_released_when_the_call_is_cancelled(self) -> None:
        limiter = TenantLimiter()
        entered = asyncio.Event()

        async def submission() -> None:
            permit: Permit = limiter.acquire("t1", LIMITS, 0.0)
            with permit:
                entered.set()
                await asyncio.sleep(3600)

        task = asyncio.create_task(submission())
        await entered.wait()
        assert limiter.in_flight("t1") == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert limiter.in_flight("t1") == 0


class TestReports:
    def test_a_limited_tenant_is_reported_at_most_once_per_period_with_the_count(self) -> None:
        limiter = TenantLimiter()
        one = Limits(rate_per_second=0.001, burst=1, max_in_flight=10)
        limiter.acquire("t1", one, 0.0).release()
        assert refusal(limiter, "t1", one, 0.0).report == 1
        assert [refusal(limiter, "t1", one, 1.0).report for _ in range(4)] == [0, 0, 0, 0]
        assert refusal(limiter, "t1", one, REPORT_EVERY_SECONDS).report == 5


class TestLimitBook:
    DEFAULTS = Limits(rate_per_second=500.0, burst=1000, max_in_flight=1000)

    def test_without_a_contract_the_defaults_apply(self) -> None:
        book = LimitBook(self.DEFAULTS)
        assert book.in_force("t1", datetime(2027, 1, 1, tzinfo=UTC)) == self.DEFAULTS

    def test_the_contract_sets_what_it_names_and_the_defaults_fill_the_rest(self) -> None:
        book = LimitBook(self.DEFAULTS)
        book.put("t1", date(2027, 1, 1), TenantLimits(submissions_per_second=20.0))
        assert book.in_force("t1", datetime(2027, 1, 2, tzinfo=UTC)) == Limits(20.0, 1000, 1000)
        book.put("t1", date(2027, 1, 1), TenantLimits(20.0, 40, 8))  # same date: replaced
        assert book.in_force("t1", datetime(2027, 1, 2, tzinfo=UTC)) == Limits(20.0, 40, 8)

    def test_the_version_in_force_is_today_s_in_the_tenant_s_zone(self) -> None:
        book = LimitBook(self.DEFAULTS)
        book.set_zone("t1", "Europe/Stockholm")
        book.put("t1", date(2027, 1, 1), TenantLimits(10.0, 10, 10))
        book.put("t1", date(2027, 3, 1), TenantLimits(99.0, 99, 99))
        # 23:30 UTC on 28 February is already 1 March in Stockholm (UTC+1).
        assert book.in_force("t1", datetime(2027, 2, 28, 22, 30, tzinfo=UTC)).burst == 10
        assert book.in_force("t1", datetime(2027, 2, 28, 23, 30, tzinfo=UTC)).burst == 99
        assert book.in_force("t1", datetime(2026, 12, 31, 12, tzinfo=UTC)) == self.DEFAULTS

    def test_a_removed_version_no_longer_applies(self) -> None:
        book = LimitBook(self.DEFAULTS)
        book.put("t1", date(2027, 1, 1), TenantLimits(10.0, 10, 10))
        book.put("t1", date(2027, 2, 1), TenantLimits(99.0, 99, 99))
        book.remove("t1", date(2027, 2, 1))
        book.remove("t1", date(2027, 2, 1))  # twice: the same book
        assert book.in_force("t1", datetime(2027, 6, 1, tzinfo=UTC)).burst == 10
