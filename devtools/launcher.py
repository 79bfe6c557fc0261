"""``make run``: start the action server, the Rasa server and the agent console, print where
to talk to the bot and where agents log in, stop everything on Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

from console.settings import ConsoleSettings
from devtools.dev_agent import dev_agent_env
from devtools.stack import DEFAULT_MODEL, Stack, StackConfig
from gopay_support.wiring import PROJECT_ROOT, load_settings


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
        email = (
            f"reading the support mailbox; status: curl -s {rasa}/webhooks/email/"
            if os.environ.get("GOPAY_EMAIL_IMAP_HOST")
            else "off (set GOPAY_EMAIL_*, see docs/email.md)"
        )
        print(
            f"""
Gopay support assistant is running.
  Web chat:        {rasa}/webchat/
  REST channel:    curl -s -XPOST {rasa}/webhooks/rest/webhook \\
                     -H 'Content-Type: application/json' \\
                     -d '{{"sender": "me", "message": "充值失败了怎么办"}}'
  NLU parse:       curl -s -XPOST {rasa}/model/parse -d '{{"text": "how do I sign up"}}'
  Agent console:   {stack.config.console_url}/   (guide: docs/agent_console.md)
                   {agent_notice}
  Human handoff:   needs an agent logged in to the console with the page open; until then
                   "talk to an agent" is answered with "no agent available" and a ticket.
                   Open the console URL above and log in to take conversations.
  Tickets (CLI):   .venv/bin/python -m gopay_support tickets list   (same database: {cfg.database_url})
  E-mail channel:  {email}
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


if __name__ == "__main__":
    sys.exit(main())
