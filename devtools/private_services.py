"""Private Redis and PostgreSQL servers on free loopback ports, for runs that kill them.

The machine's own PostgreSQL (5432) and Redis (6379) serve other people's work; a fault
benchmark that stops "the database" must stop one nobody else uses. These start throw-away
instances in a temporary folder: Redis without persistence (a restart loses the locks and
limits, as a crashed Redis without a disk would), PostgreSQL as the ``postgres`` OS user
(it refuses to run as root) with its data and socket in the folder. Every method is bounded
by a time limit; :meth:`close` removes the processes and the folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from devtools.stack import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"


def wait_for_port(port: int, timeout: float) -> float:
    """Seconds until something accepts connections on 127.0.0.1:``port``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with socket.socket() as sock, contextlib.suppress(OSError):
            sock.settimeout(0.5)
            sock.connect(("127.0.0.1", port))
            return time.monotonic() - started
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


class PrivateRedis:
    """``redis-server --save '' --appendonly no`` on a free port; :meth:`kill` is ``kill -9``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20) -> float:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        with open(self.folder / "redis.log", "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return wait_for_port(self.port, timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def close(self) -> None:
        self.kill()


class PrivatePostgres:
    """A PostgreSQL 15 cluster of its own, trust authentication, on 127.0.0.1:<free port>."""

    def __init__(self) -> None:
        # Its own temporary folder: it must belong to the postgres user, all the way down.
        self.folder = Path(tempfile.mkdtemp(prefix="private-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str, timeout: float = 60) -> None:
        subprocess.run(
            ["runuser", "-u", PG_USER, "--", *command],
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
        )

    def init(self) -> None:
        shutil.chown(self.folder, PG_USER, PG_USER)
        os.chmod(self.folder, 0o700)
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", PG_USER, "--auth=trust", "-E", "UTF8")

    def start(self, timeout: float = 60) -> float:
        """Start the server (crash recovery included after :meth:`stop_immediately`)."""
        started = time.monotonic()
        # A process crash loses nothing the OS has, so fsync is not needed on a throw-away
        # cluster (it would only add the other users' disk waits to the figures).
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c max_connections=300 -c fsync=off -c full_page_writes=off"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "pg.log"),
            "-o", options, "-w", "-t", str(int(timeout)), "start",
            timeout=timeout + 10,
        )  # fmt: skip
        wait_for_port(self.port, timeout)
        return time.monotonic() - started

    def stop_immediately(self) -> None:
        """``pg_ctl stop -m immediate``: every backend is gone at once, no checkpoint."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def create_database(self, name: str) -> None:
        import psycopg2

        admin = psycopg2.connect(host="127.0.0.1", port=self.port, user=PG_USER, dbname="postgres")
        try:
            admin.autocommit = True
            admin.cursor().execute(f'CREATE DATABASE "{name}"')
        finally:
            admin.close()

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self.stop_immediately()
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():  # pg_ctl failed: the postmaster by its own pid, nothing broader
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)
