"""``python -m vaxel_common.launcher`` (``make run``): the platform on the embedded default.

Starts the embedded broker (unless ``VAXEL_KAFKA_BOOTSTRAP`` names a Kafka) and the
five services, prints where each listens, and stops everything cleanly on Ctrl-C (SIGINT or SIGTERM).
A service that exits on its own is restarted with exponential backoff (logged as JSON on stderr); the
broker and the other services keep running, so the memory-only broker's topics survive it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from vaxel_common.errors import ConfigurationError, Unavailable
from vaxel_common.logging import configure_logging
from vaxel_common.settings import load_settings
from vaxel_common.supervisor import Platform

__all__ = ["LauncherSettings", "main"]


class LauncherSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VAXEL_", extra="ignore", frozen=True)

    kafka_bootstrap: str = Field(default="", description="empty: start the embedded broker")
    data_dir: Path = Path("var/run")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--once", action="store_true", help="start, report, stop (a smoke check)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(LauncherSettings)
    except ConfigurationError as exc:
        print(f"launcher: {exc}", file=sys.stderr)
        return 2
    configure_logging("launcher", fmt="json")
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    platform = Platform(settings.data_dir.resolve(), settings.kafka_bootstrap)
    started = time.monotonic()
    print(
        "Växel: starting "
        + ("the embedded broker and " if not settings.kafka_bootstrap else "")
        + f"{len(platform.services)} services…"
    )
    try:
        platform.start()
    except Unavailable as exc:
        print(f"failed to start: {exc}; logs in {platform.data_dir}", file=sys.stderr)
        platform.stop()
        return 1
    print(f"All services SERVING after {time.monotonic() - started:.1f}s\n")
    print(f"  {'kafka':<16} {platform.kafka_bootstrap}" + ("  (embedded Tansu)" if platform.broker else ""))
    for name, proc in platform.processes.items():
        print(f"  {name:<16} gRPC {proc.grpc_target:<18} metrics {proc.metrics_url}")
    config = platform.write_access_files()
    print(f"\nOps key (AdminService, authorization: Bearer <key>): {platform.data_dir / 'admin-key'}")
    print(f"CLI: vaxel --config {config} queues list --tenant ID")
    print(f"Logs: {platform.data_dir}/*.log   Ctrl-C stops everything.")
    sys.stdout.flush()
    while not stop.is_set() and not args.once:
        platform.supervise()
        stop.wait(0.25)
    print("\nStopping…")
    codes = platform.stop()
    print("Stopped: " + ", ".join(f"{n} exit {c}" for n, c in codes.items()))
    return 0 if all(c == 0 for c in codes.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
