"""Starts and stops the whole platform on one machine: the broker and the services.

Used by ``make run`` (through :mod:`vaxel_common.launcher`) and by the test session.
With no Kafka bootstrap given, the embedded Tansu broker is started. Each service
is its own process (``python -m <package>``) on free loopback ports; ``start``
returns once every service reports SERVING over gRPC health. ``supervise`` (called in a loop by the
launcher) restarts a service that exited on its own, with exponential :class:`Backoff`, and never touches
the broker or the other services for it: the embedded broker keeps every topic only in memory.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from vaxel_common.broker import EmbeddedBroker, free_port
from vaxel_common.errors import Unavailable
from vaxel_common.logging import get_logger
from vaxel_common.signing import KeyPairFiles, ensure_key_pair

__all__ = ["SERVICES", "Backoff", "Platform", "ServiceProcess", "ServiceSpec", "wait_serving"]

log = get_logger(__name__)
SIGNING_KEY_ENV = "VAXEL_CONFIG_SIGNING_KEY_FILE"
VERIFY_KEY_ENV = "VAXEL_CONFIG_VERIFY_KEY_FILE"


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    module: str
    env_prefix: str


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("client-tenant", "vaxel_client_tenant", "VAXEL_CLIENT_TENANT_"),
    ServiceSpec("routing", "vaxel_routing", "VAXEL_ROUTING_"),
    ServiceSpec("interaction-log", "vaxel_interaction_log", "VAXEL_INTERACTION_LOG_"),
    ServiceSpec("sla", "vaxel_sla", "VAXEL_SLA_"),
    ServiceSpec("integrations", "vaxel_integrations", "VAXEL_INTEGRATIONS_"),
    ServiceSpec("conversation", "vaxel_conversation", "VAXEL_CONVERSATION_"),
)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before restarting a service that exited: ``initial`` doubling up to ``maximum``; a service
    that stayed up ``reset_after`` seconds starts again from ``initial``."""

    initial: float = 0.5
    maximum: float = 30.0
    reset_after: float = 60.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th exit in a row (1-based)."""
        return min(self.maximum, self.initial * 2.0 ** max(0, failures - 1))


@dataclass
class ServiceProcess:
    spec: ServiceSpec
    grpc_port: int
    metrics_port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None
    restarts: int = 0

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"


def wait_serving(target: str, timeout: float, process: subprocess.Popen[bytes] | None = None) -> float:
    """Poll gRPC health at ``target`` until SERVING; returns the seconds it took."""
    started = time.monotonic()
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            if process is not None and process.poll() is not None:
                raise Unavailable(f"{target}: process exited with {process.returncode}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return time.monotonic() - started
            except grpc.RpcError:
                pass
            if time.monotonic() - started > timeout:
                raise Unavailable(f"{target} not SERVING after {timeout:.0f}s")
            time.sleep(0.1)


class Platform:
    """The broker (embedded unless ``kafka_bootstrap`` is given) and the service processes."""

    def __init__(
        self,
        data_dir: Path,
        kafka_bootstrap: str = "",
        services: tuple[ServiceSpec, ...] = SERVICES,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.broker: EmbeddedBroker | None = None
        self.kafka_bootstrap = kafka_bootstrap
        self.services = services
        self.extra_env = extra_env or {}
        self.processes: dict[str, ServiceProcess] = {}
        # The configuration topic's signing pair: the data directory's (made at first start, the
        # private key 0600) unless ``extra_env`` names other files (a second client-tenant in tests).
        own = KeyPairFiles.in_directory(data_dir)
        self.config_keys = KeyPairFiles(
            Path(self.extra_env.get(SIGNING_KEY_ENV, own.signing)),
            Path(self.extra_env.get(VERIFY_KEY_ENV, own.verify)),
        )
        # The provider ops key of this platform: client-tenant's AdminService accepts it.
        self.admin_key = self.extra_env.get("VAXEL_CLIENT_TENANT_ADMIN_API_KEY") or secrets.token_urlsafe(32)

    @property
    def admin_metadata(self) -> tuple[tuple[str, str]]:
        """gRPC metadata carrying the ops key."""
        return (("authorization", f"Bearer {self.admin_key}"),)

    def write_access_files(self) -> Path:
        """Write the ops key (``admin-key``, mode 0600) and ``vaxel.yaml``, the addresses of this run for
        the ``vaxel`` CLI (``vaxel --config DATA_DIR/vaxel.yaml ...``); returns the latter."""
        key_file = self.data_dir / "admin-key"
        key_file.touch(mode=0o600)
        key_file.write_text(self.admin_key + "\n")
        lines = [f"# Written by the platform at start: vaxel --config {self.data_dir / 'vaxel.yaml'} ..."]
        lines += [f"{name.replace('-', '_')}_target: {p.grpc_target}" for name, p in self.processes.items()]
        lines += [f"kafka_bootstrap: {self.kafka_bootstrap}", f"api_key_file: {key_file}"]
        config = self.data_dir / "vaxel.yaml"
        config.write_text("\n".join(lines) + "\n")
        return config

    def start(self, timeout: float = 60.0) -> Platform:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.config_keys == KeyPairFiles.in_directory(self.data_dir):
            ensure_key_pair(self.data_dir)
        if not self.kafka_bootstrap:
            self.broker = EmbeddedBroker(log_path=self.data_dir / "broker.log").start()
            self.kafka_bootstrap = self.broker.bootstrap
        for spec in self.services:
            self.start_service(spec)
        for proc in self.processes.values():
            wait_serving(proc.grpc_target, timeout, proc.process)
        return self

    def start_service(self, spec: ServiceSpec) -> ServiceProcess:
        """Start (or restart) one service on its ports; does not wait for SERVING."""
        held = self.processes.get(spec.name)
        proc = held or ServiceProcess(spec, free_port(), free_port(), self.data_dir / f"{spec.name}.log")
        env = dict(os.environ)
        env.update(self.extra_env)
        env.update(
            {
                f"{spec.env_prefix}GRPC_PORT": str(proc.grpc_port),
                f"{spec.env_prefix}METRICS_PORT": str(proc.metrics_port),
                f"{spec.env_prefix}KAFKA_BOOTSTRAP": self.kafka_bootstrap,
                f"{spec.env_prefix}LOG_FORMAT": "json",
                "VAXEL_INTERACTION_LOG_SQLITE_PATH": str(self.data_dir / "interaction-log.sqlite3"),
                "VAXEL_INTEGRATIONS_SQLITE_PATH": str(self.data_dir / "integrations.sqlite3"),
                # One machine: webhook endpoints on loopback (a receiver of one's own) are allowed.
                "VAXEL_INTEGRATIONS_ALLOW_LOOPBACK_URLS": self.extra_env.get(
                    "VAXEL_INTEGRATIONS_ALLOW_LOOPBACK_URLS", "true"
                ),
                # ``extra_env`` may point client-tenant at another database (PostgreSQL in tests).
                "VAXEL_CLIENT_TENANT_DATABASE_URL": self.extra_env.get(
                    "VAXEL_CLIENT_TENANT_DATABASE_URL",
                    f"sqlite:///{self.data_dir / 'client-tenant.sqlite3'}",
                ),
                "VAXEL_ROUTING_DATABASE_URL": self.extra_env.get(
                    "VAXEL_ROUTING_DATABASE_URL", f"sqlite:///{self.data_dir / 'routing-keys.sqlite3'}"
                ),
                f"{spec.env_prefix}ADMIN_API_KEY": self.admin_key,
                SIGNING_KEY_ENV: str(self.config_keys.signing),
                VERIFY_KEY_ENV: str(self.config_keys.verify),
            }
        )
        routing = self.processes.get("routing")
        if routing is not None:  # interaction-log's EraseCustomer reaches routing, and chats do
            env.setdefault("VAXEL_INTERACTION_LOG_ROUTING_TARGET", routing.grpc_target)
            env.setdefault("VAXEL_CONVERSATION_ROUTING_TARGET", routing.grpc_target)
        with proc.log_path.open("ab") as log:
            proc.process = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
                [sys.executable, "-m", spec.module],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        proc.started_at = time.monotonic()
        proc.restart_at = None
        self.processes[spec.name] = proc
        return proc

    def supervise(self, backoff: Backoff = Backoff(), now: float | None = None) -> list[str]:
        """One supervision step: schedule a restart for each service that exited on its own, restart
        those whose delay has passed (without waiting for SERVING); returns the names restarted now.
        The broker and the other services are left running."""
        now = time.monotonic() if now is None else now
        restarted: list[str] = []
        for name, proc in self.processes.items():
            if proc.process is None or proc.process.poll() is None:
                continue
            if proc.restart_at is None:
                if now - proc.started_at >= backoff.reset_after:
                    proc.failures = 0
                proc.failures += 1
                delay = backoff.delay(proc.failures)
                proc.restart_at = now + delay
                log.warning(
                    "service_exited",
                    name=name,
                    exit_code=proc.process.returncode,
                    uptime_seconds=round(now - proc.started_at, 3),
                    failures_in_a_row=proc.failures,
                    restart_in_seconds=delay,
                )
            if now >= proc.restart_at:
                self.start_service(proc.spec)
                proc.restarts += 1
                restarted.append(name)
                log.info("service_restarted", name=name, restarts=proc.restarts, pid=proc.process.pid)
        return restarted

    def stop_service(self, name: str, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        """Signal one service and wait for it; returns its exit code."""
        proc = self.processes[name].process
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(sig)
        return self._wait(proc, timeout)

    @staticmethod
    def _wait(proc: subprocess.Popen[bytes], timeout: float) -> int:
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()

    def stop(self, timeout: float = 20.0) -> dict[str, int | None]:
        """SIGTERM every service at once, wait for each, then stop the broker; returns exit codes."""
        running = {n: p.process for n, p in self.processes.items() if p.process is not None}
        for proc in running.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {n: self._wait(p, timeout) for n, p in running.items()}
        if self.broker is not None:
            self.broker.stop()
        return codes

    def __enter__(self) -> Platform:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
