"""A service as its own process: bad settings, unreachable broker, SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from vaxel_common.broker import free_port
from vaxel_common.signing import ensure_key_pair
from vaxel_common.supervisor import Platform, wait_serving

pytestmark = pytest.mark.integration


def run_sla(env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vaxel_sla"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class TestStartUp:
    def test_invalid_setting_stops_with_one_line_naming_it(self) -> None:
        result = run_sla({"VAXEL_SLA_GRPC_PORT": "not-a-port", "VAXEL_SLA_KAFKA_BOOTSTRAP": "127.0.0.1:9"})
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "VAXEL_SLA_GRPC_PORT" in lines[0]
        assert "Traceback" not in result.stderr

    def test_missing_verify_keys_are_named(self) -> None:
        result = run_sla({"VAXEL_SLA_KAFKA_BOOTSTRAP": "127.0.0.1:9"})
        assert result.returncode == 2
        assert "VAXEL_CONFIG_VERIFY_KEY_FILE" in result.stderr
        assert "Traceback" not in result.stderr

    def test_missing_bootstrap_is_named(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VAXEL_")}
        result = subprocess.run(
            [sys.executable, "-m", "vaxel_routing"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 2
        assert "VAXEL_ROUTING_KAFKA_BOOTSTRAP" in result.stderr

    def test_unreachable_broker_retries_with_backoff_then_gives_a_clear_error(self, tmp_path: Path) -> None:
        result = run_sla(
            {
                "VAXEL_SLA_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
                "VAXEL_CONFIG_VERIFY_KEY_FILE": str(ensure_key_pair(tmp_path).verify),
                "VAXEL_SLA_DEPENDENCY_TIMEOUT_SECONDS": "1.5",
                "VAXEL_SLA_LOG_FORMAT": "json",
            }
        )
        assert result.returncode == 3
        assert "Traceback" not in result.stderr
        assert result.stderr.count('"dependency_unreachable"') >= 2, result.stderr
        assert '"dependency_unavailable"' in result.stderr


class TestShutdown:
    def test_sigterm_turns_health_not_serving_and_exits_zero(
        self, platform: Platform, tmp_path: Path
    ) -> None:
        port = free_port()
        env = {
            **os.environ,
            "VAXEL_CLIENT_TENANT_GRPC_PORT": str(port),
            "VAXEL_CLIENT_TENANT_KAFKA_BOOTSTRAP": platform.kafka_bootstrap,
            "VAXEL_CLIENT_TENANT_SHUTDOWN_GRACE_SECONDS": "1",
            "VAXEL_CLIENT_TENANT_ADMIN_API_KEY": platform.admin_key,
            "VAXEL_CONFIG_SIGNING_KEY_FILE": str(platform.config_keys.signing),
            "VAXEL_CLIENT_TENANT_DATABASE_URL": f"sqlite:///{tmp_path / 'ct.sqlite3'}",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "vaxel_client_tenant"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "err.log").open("w"),
        )
        try:
            wait_serving(f"127.0.0.1:{port}", 60, proc)
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                health = health_pb2_grpc.HealthStub(channel)
                watch = health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=30)
                assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
                proc.send_signal(signal.SIGTERM)
                seen = [reply.status for reply in _until_closed(watch)]
            assert health_pb2.HealthCheckResponse.NOT_SERVING in seen
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
        assert "Traceback" not in (tmp_path / "err.log").read_text()


def _until_closed(watch: Iterator[health_pb2.HealthCheckResponse]) -> list[health_pb2.HealthCheckResponse]:
    replies = []
    deadline = time.monotonic() + 30
    try:
        for reply in watch:
            replies.append(reply)
            if time.monotonic() > deadline:
                break
    except grpc.RpcError:
        pass  # the server went away: the stream ends
    return replies
