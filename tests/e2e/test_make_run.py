"""``make run``'s launcher: starts everything, says where each service listens, stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from vaxel_common.supervisor import SERVICES

pytestmark = pytest.mark.e2e


def test_launcher_starts_all_services_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAXEL_")}
    env["VAXEL_DATA_DIR"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "vaxel_common.launcher"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 90
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C stops everything" in line or time.monotonic() > deadline:
                break
        output = "".join(lines)
        assert "All services SERVING" in output, output
        for spec in SERVICES:
            assert re.search(
                rf"^  {re.escape(spec.name)} +gRPC 127\.0\.0\.1:\d+ +metrics http://", output, re.M
            )
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, rest
    assert "Stopped: " in rest
    assert rest.count("exit 0") == len(SERVICES), rest


def _children(pid: int) -> dict[int, str]:
    """The launcher's child processes: pid -> command line."""
    kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    found: dict[int, str] = {}
    for kid in kids:
        try:
            found[int(kid)] = Path(f"/proc/{kid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except FileNotFoundError:
            continue
    return found


def _serving(target: str) -> bool:
    with grpc.insecure_channel(target) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1.0)
        except grpc.RpcError:
            return False
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def test_launcher_restarts_a_killed_service_and_keeps_the_broker(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAXEL_")}
    env["VAXEL_DATA_DIR"] = str(tmp_path)
    out = tmp_path / "launcher.out"
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vaxel_common.launcher"], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 90
        while "Ctrl-C stops everything" not in out.read_text():
            assert proc.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.2)
        output = out.read_text()
        target = re.search(r"^  interaction-log +gRPC (127\.0\.0\.1:\d+)", output, re.M)
        assert target is not None, output
        before = _children(proc.pid)
        victim = [p for p, cmd in before.items() if "vaxel_interaction_log" in cmd]
        assert len(victim) == 1, before
        assert any("tansu" in cmd for cmd in before.values()), before
        assert len(before) == len(SERVICES) + 1, before
        os.kill(victim[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            now = _children(proc.pid)
            again = [p for p, cmd in now.items() if "vaxel_interaction_log" in cmd and p != victim[0]]
            if again and _serving(target.group(1)):
                break
            assert proc.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.2)
        kept = {p: cmd for p, cmd in before.items() if p != victim[0]}
        assert {p: cmd for p, cmd in now.items() if p in kept} == kept, (before, now)
        logged = out.read_text()
        assert '"event": "service_exited"' in logged, logged
        assert '"name": "interaction-log"' in logged, logged
        assert '"event": "service_restarted"' in logged, logged
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    rest = out.read_text()
    assert proc.returncode == 0, rest
    assert rest.count("exit 0") == len(SERVICES), rest
