"""A throw-away PostgreSQL cluster for tests and benchmarks (the counterpart of the embedded broker).

Server binaries come from ``VAXEL_PG_BIN`` or the newest ``/usr/lib/postgresql/*/bin``.
``initdb`` refuses root, so as root the cluster runs as the ``postgres`` user. fsync is off:
this is for measuring and testing, never for data anyone keeps.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from types import TracebackType

from vaxel_common.broker import free_port

NOT_FOUND_REASON = (
    "PostgreSQL server binaries not found: install Debian's postgresql package "
    "(apt-get install postgresql) or set VAXEL_PG_BIN"
)


def postgres_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, or None."""
    configured = os.environ.get("VAXEL_PG_BIN")
    candidates = [Path(configured)] if configured else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


def _as_cluster_user(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


class TemporaryPostgres:
    """``with TemporaryPostgres() as pg:`` a running cluster; ``pg.dsn`` (user ``app``, trust auth)."""

    def __init__(self) -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise FileNotFoundError(NOT_FOUND_REASON)
        self._bin = bindir
        self._data = Path(tempfile.mkdtemp(prefix="vaxel-pg-"))
        self.port = free_port()
        self.dsn = f"postgresql://app@127.0.0.1:{self.port}/postgres"

    def start(self) -> TemporaryPostgres:
        if os.geteuid() == 0:
            shutil.chown(self._data, "postgres", "postgres")
        initdb = [str(self._bin / "initdb"), "-D", str(self._data / "db"), "-U", "app", "--auth=trust"]
        subprocess.run(  # noqa: S603  (argv built here from the located binaries)
            _as_cluster_user([*initdb, "-E", "UTF8", "--no-locale"]),
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = (
            f"-p {self.port} -k {self._data} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        start = [str(self._bin / "pg_ctl"), "-D", str(self._data / "db"), "-o", options]
        subprocess.run(  # noqa: S603
            _as_cluster_user([*start, "-l", str(self._data / "log"), "-w", "start"]),
            check=True,
            capture_output=True,
            timeout=120,
        )
        return self

    def create_database(self) -> str:
        """A fresh, empty database; its DSN."""
        import psycopg  # noqa: PLC0415  (only the harness needs the driver at this point)

        name = f"t_{uuid.uuid4().hex}"
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn.rsplit("/", 1)[0] + f"/{name}"

    def drop_database(self, dsn: str) -> None:
        import psycopg  # noqa: PLC0415

        name = dsn.rsplit("/", 1)[1]
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        subprocess.run(  # noqa: S603
            _as_cluster_user(
                [str(self._bin / "pg_ctl"), "-D", str(self._data / "db"), "-m", "immediate", "stop"]
            ),
            check=False,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self._data, ignore_errors=True)

    def __enter__(self) -> TemporaryPostgres:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
