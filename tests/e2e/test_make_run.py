"""``make run``'s launcher: starts everything, says where each service listens, stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

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
