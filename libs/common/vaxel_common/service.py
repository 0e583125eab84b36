"""The runtime every service's ``__main__`` hands its parts to: one lifecycle for all four.

Start: metrics server, gRPC server (health NOT_SERVING), Kafka producer and
consumers (retrying with backoff while the broker is unreachable), the service's
readiness hooks, then health SERVING. SIGTERM or SIGINT: health NOT_SERVING, the
gRPC server stops with a grace period, consumers finish their batch and leave
their groups, the producer flushes, then the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import uvloop
from prometheus_client import CollectorRegistry

from vaxel_common.auth import Authenticator
from vaxel_common.consumer import BatchHook, EventConsumer, EventHandler
from vaxel_common.errors import ConfigurationError, Unavailable
from vaxel_common.grpc_server import GrpcServer
from vaxel_common.kafka import aio_producer
from vaxel_common.logging import configure_logging, get_logger
from vaxel_common.metrics import MetricsServer, PlatformMetrics
from vaxel_common.progress import ProgressMonitor
from vaxel_common.provenance import Provenance
from vaxel_common.publisher import EventPublisher
from vaxel_common.retry import retry_async
from vaxel_common.settings import ServiceSettings, load_settings
from vaxel_common.signing import RecordSigner, RecordVerifier
from vaxel_common.topics import topic_by_name

__all__ = ["GC_THRESHOLDS", "ServiceRuntime", "run_main", "tune_collector"]

Hook = Callable[[], Awaitable[None]]
S = TypeVar("S", bound=ServiceSettings)


class ServiceRuntime:
    """A service's process: its gRPC server, Kafka clients, metrics and lifecycle."""

    def __init__(
        self,
        name: str,
        settings: ServiceSettings,
        *,
        authenticator: Authenticator | None = None,
        registry: CollectorRegistry | None = None,
        signer: RecordSigner | None = None,
    ) -> None:
        if not settings.kafka_bootstrap:
            prefix = str(settings.model_config.get("env_prefix", "VAXEL_"))
            raise ConfigurationError(f"{prefix}KAFKA_BOOTSTRAP: required (host:port of a Kafka broker)")
        self.name = name
        self.settings = settings
        self.registry = registry or CollectorRegistry()
        self.metrics = PlatformMetrics.create(self.registry)
        self.grpc = GrpcServer(name, self.metrics, settings.grpc_host, settings.grpc_port, authenticator)
        # Every Kafka client of the service connects as its principal (prod: SASL_SSL, SCRAM-SHA-512).
        self.kafka_options = settings.kafka_security().aiokafka()
        self.producer = aio_producer(settings.kafka_bootstrap, client_id=name, **self.kafka_options)
        self._metrics_server = MetricsServer(self.registry, settings.metrics_host, settings.metrics_port)
        self._consumers: list[EventConsumer] = []
        self._ready_hooks: list[Hook] = []
        self._stop_hooks: list[Hook] = []
        self._stopping = asyncio.Event()
        self._ready = False
        self._health_updates: set[asyncio.Task[None]] = set()
        # Consumers (and the service's own loops) report here; a stalled one turns health NOT_SERVING.
        self.progress = ProgressMonitor(name, self.metrics, self._progress_changed)
        self.publisher = EventPublisher(
            self.producer, name, self.metrics, self.progress, settings.write_stall_seconds, signer
        )
        verify_file = settings.config_verify_key_file
        self.provenance = Provenance(RecordVerifier.load(verify_file) if verify_file else None)
        self._verifying = verify_file is not None
        self.log = get_logger(f"vaxel.{name}")

    def consume(
        self,
        topics: Sequence[str],
        handler: EventHandler,
        *,
        flush: Hook | None = None,
        prepare: BatchHook | None = None,
        commit: bool = True,
    ) -> EventConsumer:
        """Feed events of ``topics`` to ``handler`` (group = the service name, unless ``commit=False``),
        each batch first to ``prepare`` when given.
        Records are checked first (:mod:`vaxel_common.provenance`): a signed topic needs the verify keys."""
        for name in topics:
            spec = topic_by_name(name)
            if spec is not None and spec.signed and not self._verifying:
                raise ConfigurationError(f"VAXEL_CONFIG_VERIFY_KEY_FILE: required to read {name}")
        consumer = EventConsumer(
            service=self.name,
            bootstrap=self.settings.kafka_bootstrap,
            topics=topics,
            handler=handler,
            producer=self.producer,
            metrics=self.metrics,
            flush=flush,
            prepare=prepare,
            session_timeout_ms=self.settings.kafka_session_timeout_ms,
            commit=commit,
            dependency_timeout=self.settings.dependency_timeout_seconds,
            monitor=self.progress,
            provenance=self.provenance,
            client_options=self.kafka_options,
        )
        self._consumers.append(consumer)
        return consumer

    def on_ready(self, hook: Hook) -> None:
        """Awaited after the Kafka clients start and before health turns SERVING."""
        self._ready_hooks.append(hook)

    def on_stop(self, hook: Hook) -> None:
        """Awaited on shutdown after the consumers stopped, before the producer closes."""
        self._stop_hooks.append(hook)

    @property
    def stopping(self) -> bool:
        """Whether the service is shutting down: a handler that waits (for a limit, say) gives up."""
        return self._stopping.is_set()

    def request_stop(self) -> None:
        self._stopping.set()

    def _progress_changed(self, stalled: bool) -> None:
        """A consumer stalled (health NOT_SERVING) or every one progresses again (SERVING, once ready)."""
        if not self._ready or self._stopping.is_set():
            return
        update = self.grpc.set_not_serving() if stalled else self.grpc.set_serving()
        task = asyncio.get_running_loop().create_task(update)
        self._health_updates.add(task)
        task.add_done_callback(self._health_updates.discard)

    async def run(self) -> None:
        """Serve until SIGTERM/SIGINT or :meth:`request_stop`; always releases what it started."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        tasks: list[asyncio.Task[None]] = []
        try:
            metrics_port = self._metrics_server.start()
            await self.grpc.start()
            await self._start_kafka()
            tasks = [
                asyncio.create_task(c.run(), name=f"consume:{','.join(c.topics)}") for c in self._consumers
            ]
            for hook in self._ready_hooks:
                await hook()
            self._ready = True
            if self.progress.stalled:
                await self.grpc.set_not_serving()
            else:
                await self.grpc.set_serving()
            self.log.info(
                "service_ready",
                grpc_port=self.grpc.port,
                metrics_port=metrics_port,
                kafka=self.settings.kafka_bootstrap,
            )
            stop_wait = asyncio.create_task(self._stopping.wait())
            await asyncio.wait([stop_wait, *tasks], return_when=asyncio.FIRST_COMPLETED)
            stop_wait.cancel()
            failed = [t.exception() for t in tasks if t.done() and t.exception() is not None]
            if failed:
                raise failed[0]  # type: ignore[misc]
        finally:
            await self._shutdown(tasks)

    async def _start_kafka(self) -> None:
        from aiokafka.errors import KafkaError  # noqa: PLC0415  (keep the import next to its only use)

        await retry_async(
            f"Kafka at {self.settings.kafka_bootstrap}",
            self.producer.start,
            timeout=self.settings.dependency_timeout_seconds,
            retry_on=(KafkaError, OSError),
        )
        for consumer in self._consumers:
            await consumer.start()

    async def _shutdown(self, tasks: list[asyncio.Task[None]]) -> None:
        self.log.info("service_stopping")
        self._stopping.set()
        await self.grpc.stop(self.settings.shutdown_grace_seconds)
        for consumer in self._consumers:
            consumer.stop()
        if tasks:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=15)
        else:
            for consumer in self._consumers:
                await consumer.close()
        for hook in self._stop_hooks:
            await hook()
        await self.producer.stop()
        self._metrics_server.stop()
        self.log.info("service_stopped")


# The cycle collector's thresholds for the services (CPython's default is 700, 10, 10).
GC_THRESHOLDS = (20_000, 20, 20)


def tune_collector() -> None:
    """Call once what lives as long as the process is built: the cycle collector need not scan it
    again, and requests and events make many short-lived objects and few cycles, so it runs less often."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_main(
    name: str,
    settings_cls: type[S],
    build: Callable[[S], ServiceRuntime],
    argv: Sequence[Any] | None = None,
) -> int:
    """Entry point of ``python -m <service>``: settings, logging, build, run; one line on bad settings."""

    async def serve(settings: S) -> None:
        # aiokafka and grpc.aio bind to the running loop: build inside it.
        runtime = build(settings)
        tune_collector()
        try:
            await runtime.run()
        except Unavailable as exc:
            runtime.log.error("dependency_unavailable", error=str(exc))
            raise

    try:
        settings = load_settings(settings_cls)
        configure_logging(name, settings.log_level, settings.log_format)
        if getattr(settings, "event_loop", "asyncio") == "uvloop":
            uvloop.run(serve(settings))
        else:
            asyncio.run(serve(settings))
    except ConfigurationError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    except Unavailable:
        return 3
    return 0
