"""Load benchmark (issue 11, item 7; its fault half is bench/bench_faults.py, run after it):
mixed Chinese and English conversations, including ticket filing and status look-ups, over
the REST channel, at 16 and 64 concurrent conversations for a fixed time each, on

* the default profile: one Rasa server and one action server, conversations in SQLite;
* the scaled profile: two Rasa servers (each with its action server) behind nginx, on the
  PostgreSQL tracker store, the Redis lock store and PostgreSQL tickets
  (deploy/endpoints.scale.yml, README "Scaling").

Then, unless ``--no-faults``, the scaled profile under faults (bench/bench_faults.py).

Loopback only and bounded: every run stops after ``--duration`` seconds; the processes and
the benchmark's PostgreSQL database are removed at the end. Reports throughput,
p50/p95/p99, errors (HTTP errors, time-outs, a ticket turn without a tracking number) and
resident memory per process, to stdout and reports/bench_load.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_rest import BENCH_LIMITS, percentile, rss_mb  # noqa: E402
from devtools.stack import Stack, StackConfig, free_port, wait_until_ready  # noqa: E402

NUMBER_RE = re.compile(r"GP-[0-9A-HJKMNP-TV-Z]{8}")
SUBMIT_BUTTON = '/ticket_choose{"ticket_choice":"submit"}'

#: One conversation per language: greeting, two FAQs, a ticket filed, its status, goodbye.
SCRIPTS = {
    "zh": [
        "你好",
        "充值失败了怎么办",
        "客服几点上班",
        "我要提交工单",
        "充值",
        "我昨天充值了100元，银行卡已经扣款但钱包余额没有变化",
        "138 1234 5678",
        "交易号 TX20261124001",
        "昨天下午3点左右",
        SUBMIT_BUTTON,
        "{number} 处理得怎么样了",
        "谢谢",
    ],
    "en": [
        "hi",
        "how do I withdraw money it's pending",
        "is gopay safe",
        "I want to file a complaint",
        "refund",
        "The refund for my order from last week never arrived in my wallet",
        "Li.Ming@Example.com",
        "TX20261124001",
        "yesterday around 3pm",
        "yes",
        "what's the status of {number}?",
        "bye",
    ],
}
SUBMIT_STEP = 9


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.tickets = 0

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1


def conversation_loop(url: str, lang: str, until: float, recorder: Recorder) -> None:
    session = requests.Session()
    while time.monotonic() < until:
        sender = f"load-{lang}-{uuid.uuid4().hex}"
        number = ""
        for step, template in enumerate(SCRIPTS[lang]):
            if time.monotonic() >= until:
                return
            text = template.replace("{number}", number or "GP-00000000")
            started = time.perf_counter()
            try:
                reply = session.post(
                    f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
                )
            except requests.RequestException as error:
                recorder.error(type(error).__name__)
                break
            took = time.perf_counter() - started
            if reply.status_code != 200:
                recorder.error(f"http {reply.status_code}")
                break
            with recorder.lock:
                recorder.latencies.append(took)
            if step == SUBMIT_STEP:
                found = NUMBER_RE.findall(" ".join(str(m.get("text", "")) for m in reply.json()))
                if not found:
                    recorder.error("ticket turn without a tracking number")
                    break
                number = found[0]
                with recorder.lock:
                    recorder.tickets += 1


def guarded_loop(url: str, lang: str, until: float, recorder: Recorder) -> None:
    """A conversation loop whose own failure is counted, not lost with its thread."""
    try:
        conversation_loop(url, lang, until, recorder)
    except Exception as error:  # noqa: BLE001 - reported as an error of the run
        recorder.error(f"benchmark client: {type(error).__name__}")


def run_load(url: str, conversations: int, duration: float) -> dict:
    recorder = Recorder()
    until = time.monotonic() + duration
    threads = [
        threading.Thread(target=guarded_loop, args=(url, "zh" if i % 2 else "en", until, recorder))
        for i in range(conversations)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = recorder.latencies or [0.0]
    return {
        "conversations": conversations,
        "seconds": round(elapsed, 1),
        "messages": len(recorder.latencies),
        "throughput_msg_s": round(len(recorder.latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "tickets_filed": recorder.tickets,
        "errors": recorder.errors,
        "error_count": sum(recorder.errors.values()),
    }


def process_rss(pid: int) -> float:
    return round(rss_mb(pid), 0)


def named_rss(name: str) -> list[float]:
    """RSS of the processes called ``name`` (shared services: Redis, nginx workers)."""
    found = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout.split()
    return [process_rss(int(pid)) for pid in found]


def stack(run_dir: Path, env: dict[str, str], template: Path | None = None) -> Stack:
    options = {"endpoints_template": template} if template is not None else {}
    # One set of secrets for every server of a profile.
    return Stack(StackConfig.isolated(run_dir, env, secrets_dir=run_dir.parent / "secrets", **options))


def start(stacks: list[Stack]) -> None:
    for s in stacks:
        s.start_actions()
        s.start_rasa()


def measure(url: str, sizes: list[int], duration: float, processes: dict[str, int]) -> list[dict]:
    for lang in SCRIPTS:  # warm-up, not measured
        body = {"sender": f"warm-{lang}", "message": "hi"}
        requests.post(f"{url}/webhooks/rest/webhook", json=body, timeout=60)
    results = []
    for size in sizes:
        figures = run_load(url, size, duration)
        figures["rss_mb"] = {name: process_rss(pid) for name, pid in processes.items()}
        print(json.dumps(figures), flush=True)
        results.append(figures)
    return results


def default_profile(work: Path, sizes: list[int], duration: float) -> list[dict]:
    s = stack(work / "default", dict(BENCH_LIMITS))
    try:
        start([s])
        processes = {"rasa": s.processes["rasa"].pid, "actions": s.processes["actions"].pid}
        return measure(s.config.rasa_url, sizes, duration, processes)
    finally:
        s.stop()


NGINX_CONF = """
worker_processes 1;
pid {pid};
error_log {error_log} warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    upstream rasa {{
        least_conn;
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://rasa;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 120s;
        }}
    }}
}}
"""


def scaled_env(database: str, db_port: int, redis_port: int, prefix: str) -> dict[str, str]:
    """The environment of deploy/endpoints.scale.yml for one database and one Redis."""
    return {
        **BENCH_LIMITS,
        "TRACKER_DB_HOST": "127.0.0.1",
        "TRACKER_DB_PORT": str(db_port),
        "TRACKER_DB_NAME": database,
        "TRACKER_DB_USER": "postgres",
        "TRACKER_DB_PASSWORD": "",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(redis_port),
        "REDIS_DB": "0",
        "REDIS_KEY_PREFIX": prefix,
        "TICKETS_DB_URL": f"postgresql://postgres@127.0.0.1:{db_port}/{database}",
    }


@dataclass
class Scaled:
    """The scaled profile running: nginx at ``url`` in front of the stacks' Rasa servers."""

    url: str
    stacks: list[Stack]
    nginx: subprocess.Popen

    def processes(self) -> dict[str, int]:
        return {
            "nginx": self.nginx.pid,
            **{f"rasa-{i}": s.processes["rasa"].pid for i, s in enumerate(self.stacks)},
            **{f"actions-{i}": s.processes["actions"].pid for i, s in enumerate(self.stacks)},
        }


@contextlib.contextmanager
def scaled_servers(work: Path, env: dict[str, str], servers: int = 2) -> Iterator[Scaled]:
    """Two Rasa servers, each with its action server, behind nginx; stopped on exit."""
    template = ROOT / "deploy" / "endpoints.scale.yml"
    stacks = [stack(work / f"scale-{i}", env, template) for i in range(servers)]
    nginx: subprocess.Popen | None = None
    try:
        start(stacks)
        port = free_port()
        temp = work / "nginx"
        temp.mkdir(parents=True, exist_ok=True)
        upstreams = "\n".join(f"        server 127.0.0.1:{s.config.rasa_port};" for s in stacks)
        conf = temp / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                pid=temp / "nginx.pid", error_log=temp / "error.log", temp=temp, servers=upstreams, port=port
            )
        )
        nginx = subprocess.Popen(
            ["/usr/sbin/nginx", "-p", str(temp), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        wait_until_ready(f"{url}/", 30, nginx)
        yield Scaled(url, stacks, nginx)
    finally:
        if nginx is not None:
            os.killpg(nginx.pid, signal.SIGTERM)
            nginx.wait(10)
        for s in stacks:
            s.stop()


def scaled_profile(work: Path, sizes: list[int], duration: float) -> list[dict]:
    import psycopg2
    import redis

    name = f"gopay_bench_{uuid.uuid4().hex[:10]}"
    prefix = f"gopaybench{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        with scaled_servers(work, scaled_env(name, 5432, 6379, prefix)) as scaled:
            results = measure(scaled.url, sizes, duration, scaled.processes())
        for figures in results:
            figures["rss_mb"]["redis-server"] = named_rss("redis-server")
        return results
    finally:
        client = redis.Redis(host="127.0.0.1", port=6379)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        admin.cursor().execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=60, help="seconds per run (at most 300)")
    parser.add_argument("--sizes", default="16,64", help="concurrent conversations, comma-separated")
    parser.add_argument("--profiles", default="default,scaled")
    parser.add_argument(
        "--faults",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="then the same load under faults (bench/bench_faults.py, reports/bench_faults.json)",
    )
    args = parser.parse_args()
    duration = min(max(args.duration, 1.0), 300.0)
    sizes = [int(n) for n in args.sizes.split(",") if n]
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    report: dict = {
        "machine": {"cpus": os.cpu_count(), "loadavg_before": os.getloadavg()},
        "duration_s": duration,
    }
    try:
        for profile in args.profiles.split(","):
            print(f"-- {profile} profile", flush=True)
            run = default_profile if profile == "default" else scaled_profile
            report[profile] = run(work, sizes, duration)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report["machine"]["loadavg_after"] = os.getloadavg()
    if "default" in report and "scaled" in report:
        report["scaled_vs_default"] = {
            str(d["conversations"]): round(s["throughput_msg_s"] / max(d["throughput_msg_s"], 0.1), 2)
            for d, s in zip(report["default"], report["scaled"], strict=True)
        }
    (ROOT / "reports").mkdir(exist_ok=True)
    (ROOT / "reports" / "bench_load.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    if args.faults:
        from bench.bench_faults import bounded_run

        print("-- the scaled profile under faults, 16 conversations", flush=True)
        faults = bounded_run(900, conversations=16, warmup=10, away=12, settle=10)
        print(json.dumps(faults, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
