"""The delivery lanes: one per endpoint, each with its own HTTP connection pool and concurrency.

A lane takes its endpoint's due deliveries from the store (at most ``lane_batch``), sends them (at most
``endpoint_concurrency`` at once), and stores the outcomes in one transaction: delivered (2xx), retried
(a later attempt scheduled with backoff and jitter) or failed (given up, or 410 Gone). A slow or failing
endpoint holds only its own lane: the others have their own tasks, pools and semaphores.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

import aiohttp

from vaxel_common.logging import get_logger
from vaxel_integrations.adapters.addresses import GuardedResolver
from vaxel_integrations.adapters.store import AttemptResult, DueDelivery, IntegrationsStore
from vaxel_integrations.domain.model import DeliveryState, Endpoint
from vaxel_integrations.domain.retry import RetryPolicy
from vaxel_integrations.domain.signature import SIGNATURE_HEADER, signature_header
from vaxel_integrations.metrics import IntegrationsMetrics

__all__ = ["Lane", "LaneSettings"]

_IDLE_POLL_SECONDS = 1.0
_STORE_RETRY_SECONDS = 2.0
_GONE = 410


class LaneSettings:
    def __init__(
        self,
        *,
        policy: RetryPolicy,
        timeout_seconds: float,
        concurrency: int,
        batch: int,
        allow_loopback: bool,
    ) -> None:
        self.policy = policy
        self.timeout_seconds = timeout_seconds
        self.concurrency = concurrency
        self.batch = batch
        self.allow_loopback = allow_loopback


class Lane:
    """Delivers one endpoint's deliveries until stopped."""

    def __init__(
        self,
        endpoint: Endpoint,
        store: IntegrationsStore,
        metrics: IntegrationsMetrics,
        settings: LaneSettings,
    ) -> None:
        self.endpoint = endpoint
        self._store = store
        self._metrics = metrics
        self._settings = settings
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._semaphore = asyncio.Semaphore(settings.concurrency)
        self._log = get_logger("vaxel.integrations.lane")

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self._settings.concurrency,
            resolver=GuardedResolver(allow_loopback=self._settings.allow_loopback),
        )
        timeout = aiohttp.ClientTimeout(total=self._settings.timeout_seconds)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            while not self._stopping.is_set():
                self._wake.clear()  # before the read: a wake after it is not lost
                try:
                    sent = await self._round(session)
                except Exception as exc:  # the store failed: nothing recorded, the round comes again
                    self._log.warning("webhook_lane_failed", error_type=type(exc).__name__)
                    await self._pause(_STORE_RETRY_SECONDS)
                    continue
                if not sent:
                    await self._pause(self._idle_wait())

    def _idle_wait(self) -> float:
        due = self._store.next_due(self.endpoint.endpoint_id)
        if due is None:
            return _IDLE_POLL_SECONDS
        return max(0.0, min(_IDLE_POLL_SECONDS, due - time.time()))

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def _round(self, session: aiohttp.ClientSession) -> int:
        due = self._store.due(self.endpoint.endpoint_id, time.time(), self._settings.batch)
        if not due:
            return 0
        results = await asyncio.gather(*(self._attempt(session, d) for d in due))
        self._store.record(results)
        return len(results)

    async def _attempt(self, session: aiohttp.ClientSession, delivery: DueDelivery) -> AttemptResult:
        async with self._semaphore:
            now = time.time()
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "Vaxel-Webhooks/1",
                "Vaxel-Delivery-Id": delivery.delivery_id,
                "Vaxel-Event-Id": delivery.event_id,
                "Vaxel-Event-Type": delivery.event_type,
                "Vaxel-Attempt": str(delivery.attempts + 1),
                SIGNATURE_HEADER: signature_header(self.endpoint.secret, int(now), delivery.body),
            }
            started = time.perf_counter()
            status, error = 0, ""
            try:
                async with session.post(
                    self.endpoint.url, data=delivery.body, headers=headers, allow_redirects=False
                ) as reply:
                    status = reply.status
                    await reply.read()
            except TimeoutError:
                error = "timeout"
            except aiohttp.ClientConnectorError:
                error = "connect error"
            except aiohttp.ClientError as exc:
                error = f"http client error ({type(exc).__name__})"
            self._metrics.attempt_duration.observe(time.perf_counter() - started)
        return self._outcome(delivery, status, error)

    def _outcome(self, delivery: DueDelivery, status: int, error: str) -> AttemptResult:
        now = time.time()
        attempts = delivery.attempts + 1
        tenant = delivery.tenant_id
        if 200 <= status < 300:
            self._metrics.attempts.labels(tenant, "delivered").inc()
            self._metrics.delivery_latency.observe(max(0.0, now - delivery.occurred_at))
            return AttemptResult(
                delivery.delivery_id, DeliveryState.DELIVERED, attempts, status, "", None, now
            )
        error = error or f"http {status}"
        due = None
        if status != _GONE:
            jitter = random.random()  # noqa: S311  (spreading retries, not security)
            due = self._settings.policy.next_attempt(attempts, delivery.retry_since, now, jitter)
        if due is None:
            self._metrics.attempts.labels(tenant, "failed").inc()
            self._log.info("webhook_delivery_failed", tenant_id=tenant, attempts=attempts, error=error)
            return AttemptResult(
                delivery.delivery_id, DeliveryState.FAILED, attempts, status, error, None, None
            )
        self._metrics.attempts.labels(tenant, "retried").inc()
        return AttemptResult(delivery.delivery_id, DeliveryState.PENDING, attempts, status, error, due, None)
