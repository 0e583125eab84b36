"""Prometheus plumbing shared by the services: the metrics HTTP server and the shared instruments.

Each service keeps its own instruments in its ``metrics.py`` with an injectable
registry; what every service has (gRPC requests, consumed events, dead letters)
lives here, created on the registry it is given. Labels come from small known
sets: never customer, interaction or agent ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.process_collector import ProcessCollector

__all__ = ["MetricsServer", "PlatformMetrics"]

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass(frozen=True)
class PlatformMetrics:
    """Instruments every service has, named ``vaxel_*`` so one dashboard covers all four."""

    grpc_requests: Counter
    grpc_latency: Histogram
    events_consumed: Counter
    events_produced: Counter
    dead_letters: Counter
    records_refused: Counter
    event_processing_latency: Histogram
    consumer_lag: Gauge
    consumer_stalled: Gauge
    consumer_errors: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> PlatformMetrics:
        return cls(
            grpc_requests=Counter(
                "vaxel_grpc_requests_total",
                "gRPC requests handled, by method and status code.",
                ["service", "method", "code"],
                registry=registry,
            ),
            grpc_latency=Histogram(
                "vaxel_grpc_request_duration_seconds",
                "gRPC request latency.",
                ["service", "method"],
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
            events_consumed=Counter(
                "vaxel_events_consumed_total",
                "Events consumed from Kafka and processed, by topic and event type.",
                ["service", "topic", "event_type"],
                registry=registry,
            ),
            events_produced=Counter(
                "vaxel_events_produced_total",
                "Events produced to Kafka, by topic and event type.",
                ["service", "topic", "event_type"],
                registry=registry,
            ),
            dead_letters=Counter(
                "vaxel_dead_letters_total",
                "Records sent to the dead-letter topic, by source topic.",
                ["service", "topic"],
                registry=registry,
            ),
            records_refused=Counter(
                "vaxel_records_refused_total",
                "Consumed records refused (and dead-lettered) as not genuine, by source topic and reason"
                " (unsigned, unknown_key, bad_signature, no_verify_key, wrong_producer).",
                ["service", "topic", "reason"],
                registry=registry,
            ),
            event_processing_latency=Histogram(
                "vaxel_event_processing_duration_seconds",
                "Time to process one consumed batch of events.",
                ["service", "topic"],
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
            consumer_lag=Gauge(
                "vaxel_consumer_lag_records",
                "Records on the topic not yet processed by the service (high-water mark - position).",
                ["service", "topic"],
                registry=registry,
            ),
            consumer_stalled=Gauge(
                "vaxel_consumer_stalled",
                "1 while the consumer cannot make progress (its batch failed repeatedly), else 0.",
                ["service", "consumer"],
                registry=registry,
            ),
            consumer_errors=Counter(
                "vaxel_consumer_errors_total",
                "Failed attempts to process a consumed batch, by reason (dead_letter, kafka, handler).",
                ["service", "consumer", "reason"],
                registry=registry,
            ),
        )

    def consuming(self, service: str, topics: Iterable[str]) -> None:
        """Create ``service``'s dead-letter series of each topic it consumes at 0, before anything goes
        wrong: Prometheus then sees the first dead letter as an increase (a series that first appears
        at 1 shows none), and the dashboards show 0 rather than no data."""
        for topic in topics:
            self.dead_letters.labels(service, topic)


class MetricsServer:
    """Serves ``/metrics`` for one registry over HTTP on a background thread."""

    def __init__(self, registry: CollectorRegistry, host: str = "127.0.0.1", port: int = 0) -> None:
        self.registry = registry
        self.host = host
        self.requested_port = port
        self._server: WSGIServer | None = None
        self._thread: Thread | None = None

    def start(self) -> int:
        """Start serving; returns the bound port."""
        if not any(isinstance(c, ProcessCollector) for c in self._collectors()):
            ProcessCollector(registry=self.registry)
        server, thread = start_http_server(self.requested_port, addr=self.host, registry=self.registry)
        self._server, self._thread = server, thread
        return int(self._server.server_port)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("metrics server not started")
        return int(self._server.server_port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _collectors(self) -> list[object]:
        return list(getattr(self.registry, "_collector_to_names", {}).keys())
