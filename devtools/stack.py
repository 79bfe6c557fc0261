"""Start and stop the processes of the assistant: action server, Rasa server, agent console.

One place that knows the command lines, ports and health checks, used by ``make run``
(:mod:`devtools.launcher`) and by the end-to-end tests, so the tests exercise exactly
what users run. Each stack renders its own ``endpoints.yml`` into a run folder, which lets
tests start isolated stacks on free ports with their own databases.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests
import yaml

from gopay_support.wiring import (
    ACTION_TOKEN,
    ACTION_TOKEN_HEADER,
    PROJECT_ROOT,
    RASA_TOKEN,
    REST_TOKEN,
    secret,
)

DEFAULT_MODEL = PROJECT_ROOT / "models" / "current.tar.gz"


def free_port() -> int:
    """A free loopback port below the kernel's ephemeral range.

    Ports are chosen before the servers bind them, sometimes minutes before (a test module
    late in a session); a port from the ephemeral range could meanwhile become the local end
    of one of the thousands of client connections a test makes, and the server's bind fail.
    """
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    for _ in range(200):
        port = random.randrange(10000, low) if low > 11000 else 0
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free loopback port")


def wait_until_ready(url: str, timeout: float, process: subprocess.Popen | None = None) -> float:
    """Poll ``url`` until it answers 200; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with code {process.returncode} before {url} was up")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout:.0f}s")


def _detach_but_die_with_parent() -> None:
    """In the child: own process group (Ctrl-C reaches only the launcher, which stops the
    children in order), and SIGTERM when the launcher dies without cleaning up (Linux)."""
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


@dataclass
class StackConfig:
    run_dir: Path
    model: Path = DEFAULT_MODEL
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_port: int = 5055
    console_port: int = 5006
    credentials: Path = PROJECT_ROOT / "credentials.yml"
    endpoints_template: Path = PROJECT_ROOT / "endpoints.yml"
    env: Mapping[str, str] = field(default_factory=dict)
    #: Extra keys merged into the rendered endpoints.yml (e.g. a PostgreSQL tracker store).
    endpoint_overrides: Mapping[str, object] = field(default_factory=dict)
    cors: str | None = None
    #: Where generated secrets live (API token, action server token, identity key): the
    #: default ``var/secrets`` of ``make run`` unless a test gives each stack its own.
    secrets_dir: Path | None = None

    @classmethod
    def isolated(
        cls,
        run_dir: Path,
        env: Mapping[str, str] | None = None,
        *,
        secrets_dir: Path | None = None,
        **options: Any,
    ) -> StackConfig:
        """A stack of its own beside others: free loopback ports, its run folder and its own
        secrets (``run_dir/secrets``, or ``secrets_dir`` shared by servers that must agree)."""
        return cls(
            run_dir=run_dir,
            rasa_port=free_port(),
            action_port=free_port(),
            console_port=free_port(),
            env=dict(env or {}),
            secrets_dir=secrets_dir or run_dir / "secrets",
            **options,
        )

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"

    @property
    def console_url(self) -> str:
        return f"http://{self.host}:{self.console_port}"


class Stack:
    """The running processes of one assistant instance."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.config.run_dir.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs: dict[str, IO[bytes]] = {}

    # -- configuration -------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("TICKETS_DB_URL", f"sqlite:///{self.config.run_dir / 'tickets.db'}")
        env.update(self.config.env)
        env["RASA_URL"] = self.config.rasa_url
        env["ACTION_SERVER_PORT"] = str(self.config.action_port)
        env.setdefault("ACTION_SERVER_URL", f"{self.config.action_url}/webhook")
        env.setdefault("GOPAY_TRACKER_DB_URL", self.tracker_db_url())
        env["GOPAY_CONSOLE_HOST"] = self.config.host
        env["GOPAY_CONSOLE_PORT"] = str(self.config.console_port)
        if self.config.secrets_dir is not None:
            env["GOPAY_SECRETS_DIR"] = str(self.config.secrets_dir)
        # The demo page's own origin is "same origin" for the web chat, besides any public
        # origin configured (e.g. the nginx of docs/deployment.md).
        own = f"http://{self.config.host}:{self.config.rasa_port},http://localhost:{self.config.rasa_port}"
        env["GOPAY_PUBLIC_ORIGINS"] = ",".join(filter(None, [own, env.get("GOPAY_PUBLIC_ORIGINS", "")]))
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
        # endpoints files may name it as ${GOPAY_ACTION_TOKEN} (deploy/endpoints.scale.yml).
        env.setdefault(ACTION_TOKEN[0], secret(ACTION_TOKEN, env))
        return env

    # -- secrets (generated on first start, owner-only files; docs/deployment.md) -----------
    def secret(self, which: tuple[str, str]) -> str:
        return secret(which, self.environment())

    @property
    def api_token(self) -> str:
        """The token of Rasa's HTTP API (``RASA_TOKEN`` or the generated one)."""
        return self.secret(RASA_TOKEN)

    def _stores(self) -> dict:
        """The template with this run's action server and databases (no secrets)."""
        endpoints = yaml.safe_load(self.config.endpoints_template.read_text()) or {}
        if "ACTION_SERVER_URL" not in str(endpoints.get("action_endpoint")):
            endpoints["action_endpoint"] = {"url": f"{self.config.action_url}/webhook"}
        tracker = endpoints.get("tracker_store") or {}
        if tracker.get("dialect") == "sqlite":
            tracker["db"] = str(self.config.run_dir / "rasa_tracker.db")
        endpoints.update(self.config.endpoint_overrides)
        return endpoints

    def endpoints(self) -> dict:
        """This stack's endpoints: the template with its action server, token and databases."""
        endpoints = self._stores()
        action = endpoints.get("action_endpoint")
        if isinstance(action, dict) and not (action.get("headers") or {}).get(ACTION_TOKEN_HEADER):
            action["headers"] = {
                **(action.get("headers") or {}),
                ACTION_TOKEN_HEADER: self.secret(ACTION_TOKEN),
            }
        return endpoints

    def tracker_db_url(self) -> str:
        """SQLAlchemy URL of Rasa's SQL tracker store, for the console ("" if not SQL)."""
        variables = {**os.environ, **self.config.env}
        tracker = {
            key: re.sub(r"\$\{(\w+)\}", lambda m: variables.get(m.group(1), ""), str(value))
            for key, value in (self._stores().get("tracker_store") or {}).items()
        }
        dialect = str(tracker.get("dialect") or "")
        if not dialect or "SQL" not in str(tracker.get("type", "SQL")).upper():
            return ""
        if dialect == "sqlite":
            return f"sqlite:///{tracker.get('db')}"
        user = tracker.get("username") or ""
        password = f":{tracker['password']}" if tracker.get("password") else ""
        credentials = f"{user}{password}@" if user else ""
        port = f":{tracker['port']}" if tracker.get("port") else ""
        host = tracker.get("url") or "localhost"
        return f"{dialect}://{credentials}{host}{port}/{tracker.get('db') or 'rasa'}"

    def render_endpoints(self) -> Path:
        """This stack's endpoints.yml (mode 0600: it holds the action server's token).

        A template that takes its values from the environment (``${VAR}``, as
        deploy/endpoints.scale.yml) is used exactly as written, the way the README's command
        runs it: re-writing it would hide what Rasa itself makes of the file.
        """
        template = self.config.endpoints_template
        if "${" in template.read_text() and not self.config.endpoint_overrides:
            return template
        endpoints = self.endpoints()
        path = self.config.run_dir / "endpoints.yml"
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(yaml.safe_dump(endpoints, allow_unicode=True))
        return path

    def action_command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "actions",
            "--host",
            self.config.host,
            "--port",
            str(self.config.action_port),
        ]

    def rasa_command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "rasa",
            "run",
            "--enable-api",
            "--interface",
            self.config.host,
            "--port",
            str(self.config.rasa_port),
            "--model",
            str(self.config.model),
            "--endpoints",
            str(self.render_endpoints()),
            "--credentials",
            str(self.config.credentials),
            "--logging-config-file",
            str(PROJECT_ROOT / "logging.yml"),
        ]
        # No --auth-token: it would show the token to every local user in the process list.
        # The edge guard (channels/edge, loaded from credentials.yml) requires the token on
        # every API route, reading it from RASA_TOKEN or the secrets folder.
        if self.config.cors:
            command += ["--cors", self.config.cors]
        return command

    def console_command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "console",
            "serve",
            "--host",
            self.config.host,
            "--port",
            str(self.config.console_port),
        ]

    # -- lifecycle -----------------------------------------------------------------------
    def start_actions(self, timeout: float = 60) -> float:
        self._spawn("actions", self.action_command())
        return wait_until_ready(f"{self.config.action_url}/health", timeout, self.processes["actions"])

    def start_rasa(self, timeout: float = 180) -> float:
        self._spawn("rasa", self.rasa_command())
        # Rasa opens its port only after the model is loaded: "/" answering means ready.
        return wait_until_ready(f"{self.config.rasa_url}/", timeout, self.processes["rasa"])

    def start_console(self, timeout: float = 60) -> float:
        self._spawn("console", self.console_command())
        # The page itself answers 401 without a login; its stylesheet is public.
        return wait_until_ready(
            f"{self.config.console_url}/static/console.css", timeout, self.processes["console"]
        )

    def start(self) -> None:
        # Generate the secrets before any process starts, so they all read the same files.
        for which in (RASA_TOKEN, ACTION_TOKEN, REST_TOKEN):
            self.secret(which)
        self.start_actions()
        self.start_rasa()
        self.start_console()

    def stop(self, name: str | None = None, timeout: float = 20) -> None:
        names = [name] if name else list(self.processes)
        for key in names:
            process = self.processes.pop(key, None)
            if process is None:
                continue
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(5)
            log = self._logs.pop(key, None)
            if log is not None:
                log.close()

    def kill(self, name: str) -> None:
        """``kill -9`` of a process (and its group): no clean-up, as in a crash."""
        process = self.processes.pop(name, None)
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        log = self._logs.pop(name, None)
        if log is not None:
            log.close()

    def restart_actions(self) -> float:
        self.stop("actions")
        return self.start_actions()

    def log_path(self, name: str) -> Path:
        return self.config.run_dir / f"{name}.log"

    def _spawn(self, name: str, command: list[str]) -> None:
        if name in self.processes and self.processes[name].poll() is None:
            raise RuntimeError(f"{name} already running")
        log = open(self.log_path(name), "ab")
        self._logs[name] = log
        self.processes[name] = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_detach_but_die_with_parent,
        )

    # -- talking to it -------------------------------------------------------------------
    def send(self, sender: str, text: str, metadata: dict | None = None, timeout: float = 30) -> list[dict]:
        """One REST-channel turn: the bot's replies to ``text`` from ``sender``.

        The conversation is ``rest:<sender>`` (:meth:`conversation`); from loopback the REST
        channel needs no token.
        """
        body: dict = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        reply = requests.post(f"{self.config.rasa_url}/webhooks/rest/webhook", json=body, timeout=timeout)
        reply.raise_for_status()
        return reply.json()

    @staticmethod
    def conversation(sender: str) -> str:
        """The conversation id of REST sender ``sender``."""
        return f"rest:{sender}"

    def api(self, method: str, path: str, **kwargs: object) -> requests.Response:
        """A call to Rasa's HTTP API with the API token."""
        headers = {"Authorization": f"Bearer {self.api_token}", **dict(kwargs.pop("headers", None) or {})}  # type: ignore[call-overload]
        kwargs.setdefault("timeout", 30)
        return requests.request(method, f"{self.config.rasa_url}{path}", headers=headers, **kwargs)  # type: ignore[arg-type]

    def tracker(self, conversation_id: str) -> dict:
        reply = self.api("GET", f"/conversations/{conversation_id}/tracker")
        reply.raise_for_status()
        return reply.json()

    def parse(self, text: str) -> dict:
        reply = self.api("POST", "/model/parse", json={"text": text})
        reply.raise_for_status()
        return reply.json()

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
