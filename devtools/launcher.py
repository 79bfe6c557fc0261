"""``make run``: start the action server, the Rasa server and the agent console, print where
to talk to the bot and where agents log in, stop everything on Ctrl-C.

Each input channel of ``credentials.yml`` whose package has a ``describe(server_url)``
function adds its own status line (``channels/README.md``): the launcher names no channel.
"""

from __future__ import annotations

import contextlib
import importlib
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from console.settings import ConsoleSettings
from devtools.dev_agent import dev_agent_env
from devtools.stack import DEFAULT_MODEL, Stack, StackConfig
from gopay_support.wiring import PROJECT_ROOT, load_settings, secrets_dir


def main() -> int:
    if not DEFAULT_MODEL.exists():
        print(f"No trained model at {DEFAULT_MODEL}; run `make train` first.", file=sys.stderr)
        return 1
    cfg = load_settings()
    agent_env, agent_notice = dev_agent_env()
    stack = Stack(
        StackConfig(
            run_dir=PROJECT_ROOT / "var" / "run",
            action_port=cfg.action_server_port,
            console_port=ConsoleSettings.from_env().port,
            # The ticket command line (python -m gopay_support tickets ...) reads the same database.
            env={**agent_env, "TICKETS_DB_URL": cfg.database_url},
        )
    )
    # A channel's package may import Rasa (seconds): read the status lines while the stack starts.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="channel-status")
    status_lines = pool.submit(channel_status_lines, stack.config.credentials, stack.config.rasa_url)
    pool.shutdown(wait=False)  # the one task still runs; its result is read once the stack is up
    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGHUP, request_stop)
    print("Starting the action server, the Rasa server and the agent console (about 20 s)...", flush=True)
    try:
        stack.start()
        rasa = stack.config.rasa_url
        channels = "".join(f"\n  {line}" for line in status_lines.result())
        secrets = secrets_dir()
        print(
            f"""
Gopay support assistant is running.
  Web chat:        {rasa}/webchat/
  REST channel:    curl -s -XPOST {rasa}/webhooks/rest/webhook \\
                     -H 'Content-Type: application/json' \\
                     -d '{{"sender": "me", "message": "充值失败了怎么办"}}'
  NLU parse:       curl -s -XPOST {rasa}/model/parse -H 'Content-Type: application/json' \\
                     -H "Authorization: Bearer $(cat {secrets}/rasa_token)" \\
                     -d '{{"text": "how do I sign up"}}'
                   (Rasa's HTTP API always needs its token: docs/deployment.md)
  Agent console:   {stack.config.console_url}/   (guide: docs/agent_console.md)
                   {agent_notice}
  Human handoff:   needs an agent logged in to the console with the page open; until then
                   "talk to an agent" is answered with "no agent available" and a ticket.
                   Open the console URL above and log in to take conversations.
  Tickets (CLI):   .venv/bin/python -m gopay_support tickets list
                   (the same database as this run: {cfg.database_url}){channels}
  Logs:            {stack.config.run_dir}/rasa.log, actions.log, console.log
Press Ctrl-C to stop.""",
            flush=True,
        )
        while not stopping:
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with code {process.returncode}; see its log.", file=sys.stderr)
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        # Stop first: the terminal (or a pipe such as `| tee`) may already be gone.
        stack.stop()
        with contextlib.suppress(OSError):
            print("Stopped.", flush=True)


def channel_status_lines(credentials: Path, server_url: str) -> list[str]:
    """``<name>: <status>`` for each input channel in ``credentials`` whose package has a
    ``describe(server_url) -> str`` (the channel ``channels.<name>.<Class>`` is in the
    package ``channels.<name>``, labelled ``<name>``); a channel whose status cannot be told
    says why instead of stopping the launcher."""
    entries = yaml.safe_load(credentials.read_text(encoding="utf-8")) or {}
    lines = []
    for entry in entries:
        package, _, _class = str(entry).rpartition(".")
        if not package:
            continue  # one of Rasa's own channels (rest, socketio, ...)
        try:
            describe = getattr(importlib.import_module(package), "describe", None)
            if not callable(describe):
                continue
            status = " ".join(str(describe(server_url)).split())
        except Exception as error:  # noqa: BLE001 - a status line never stops the launcher
            status = f"status unknown ({type(error).__name__}: {error})"
        name = package.rpartition(".")[2]
        lines.append(f"{name + ':':<17}{status}")
    return lines


if __name__ == "__main__":
    sys.exit(main())
