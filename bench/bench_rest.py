"""Benchmark this assistant against a stock ``rasa init`` bot over the REST channel.

Both bots run on loopback with the same Python; one run reports, for each: cold start
(process launch until the first reply), latency at one user (p50/p95/p99 over several
conversations of 30 messages, one after the other), throughput with 16 concurrent
conversations, how the per-turn time grows with a conversation's length (median of turns
6-15 against turns 86-95 of 100-turn conversations), and resident memory of the server
processes; then the ratios and each target, met or not met. This bot runs its default
profile (conversations in SQLite, persistent); the stock bot keeps them in memory.
Results go to stdout and reports/bench.json.

Targets: issue 11 (persistent default store): throughput at 16 users >= 3x the stock bot,
median latency at one user <= 0.3x, p99 at one user <= 100 ms. Issue 2 (kept): throughput
>= 1.5x, median <= 0.8x, cold start <= 15 s, memory <= 1.2 GB.

Benchmark figures on a shared machine are noisy: repeat runs and report ranges with the
load average, which the report records (``machine``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.stack import Stack, StackConfig, free_port, wait_until_ready  # noqa: E402

OUR_MESSAGES = [
    "你好",
    "充值失败了怎么办",
    "how do I withdraw money it's pending",
    "退款还没到账",
    "怎么联系客服",
    "is gopay safe",
    "谢谢",
    "客服几点上班",
    "forgot my password",
    "bye",
]
STOCK_MESSAGES = [
    "hello",
    "I am sad",
    "yes",
    "great",
    "are you a bot",
    "no",
    "hi",
    "bye",
    "I am happy",
    "goodbye",
]


#: A benchmark is a load test from one loopback address: the REST channel's per-sender and
#: per-address rate limits (30 and 120 a minute by default) would answer it 429.
BENCH_LIMITS = {"GOPAY_REST_RATE_LIMIT": "1000000/60", "GOPAY_REST_ADDRESS_RATE_LIMIT": "1000000/60"}


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
        pids += [int(p) for p in children.split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def send(url: str, sender: str, text: str) -> float:
    started = time.perf_counter()
    reply = requests.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    reply.raise_for_status()
    return time.perf_counter() - started


def first_reply_after(url: str, started: float, message: str) -> float:
    wait_until_ready(f"{url}/", 300)
    send(url, f"cold-{uuid.uuid4().hex}", message)
    return time.monotonic() - started


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def growth(url: str, messages: list[str], turns: int, conversations: int) -> dict:
    """Per-turn time early and late in long conversations (one user at a time)."""
    early: list[float] = []
    late: list[float] = []
    for _ in range(conversations):
        sender = f"long-{uuid.uuid4().hex}"
        for turn in range(1, turns + 1):
            took = send(url, sender, messages[(turn - 1) % len(messages)])
            if 6 <= turn <= 15:
                early.append(took)
            elif turns - 14 <= turn <= turns - 5:
                late.append(took)
    early_ms = statistics.median(early) * 1000
    late_ms = statistics.median(late) * 1000
    return {
        "turns": turns,
        "conversations": conversations,
        "median_turn_10_ms": round(early_ms, 1),
        f"median_turn_{turns - 10}_ms": round(late_ms, 1),
        "late_vs_early": round(late_ms / early_ms, 2),
    }


def measure(url: str, messages: list[str], rounds: int, conversations: int, solo_conversations: int) -> dict:
    for text in messages:  # warm-up, not measured
        send(url, "warmup", text)
    latencies: list[float] = []
    for _ in range(solo_conversations):  # one user at a time, as a user would have it
        solo = f"solo-{uuid.uuid4().hex}"
        latencies += [send(url, solo, text) for _ in range(rounds) for text in messages]

    def conversation(_: int) -> int:
        sender = f"load-{uuid.uuid4().hex}"
        for _ in range(rounds):
            for text in messages:
                send(url, sender, text)
        return rounds * len(messages)

    started = time.perf_counter()
    with ThreadPoolExecutor(conversations) as pool:
        total = sum(pool.map(conversation, range(conversations)))
    elapsed = time.perf_counter() - started
    return {
        "median_latency_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_latency_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_latency_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "solo_messages": len(latencies),
        "throughput_msg_s": round(total / elapsed, 1),
        "messages": total,
    }


def stock_bot(workdir: Path) -> tuple[subprocess.Popen, str, float]:
    project = workdir / "stock"
    if not (project / "models").exists() or not any((project / "models").glob("*.tar.gz")):
        print("Training the stock `rasa init` bot (once)...", flush=True)
        project.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(project)],
            check=True,
            capture_output=True,
            cwd=workdir,
        )
    port = free_port()
    started = time.monotonic()
    log = open(workdir / "stock.log", "ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rasa",
            "run",
            "--enable-api",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "-m",
            "models",
        ],
        cwd=project,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    return process, url, first_reply_after(url, started, "hello")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--conversations", type=int, default=16)
    parser.add_argument("--solo-conversations", type=int, default=6, help="one-user conversations, in turn")
    parser.add_argument("--long-turns", type=int, default=100, help="length of the growth conversations")
    parser.add_argument("--long-conversations", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    results: dict = {"machine": machine()}

    process, url, cold = stock_bot(args.workdir)
    try:
        results["stock"] = {
            "cold_start_s": round(cold, 1),
            **measure(url, STOCK_MESSAGES, args.rounds, args.conversations, args.solo_conversations),
            "growth": growth(url, STOCK_MESSAGES, args.long_turns, args.long_conversations),
            "rss_mb": round(rss_mb(process.pid), 0),
        }
    finally:
        os.killpg(process.pid, 15)
        process.wait(30)

    run_dir = Path(tempfile.mkdtemp(prefix="bench-ours-"))
    stack = Stack(
        StackConfig(run_dir=run_dir, rasa_port=free_port(), action_port=free_port(), env=BENCH_LIMITS)
    )
    started = time.monotonic()
    try:
        stack.start_actions()
        stack._spawn("rasa", stack.rasa_command())
        cold = first_reply_after(stack.config.rasa_url, started, "你好")
        figures = measure(
            stack.config.rasa_url, OUR_MESSAGES, args.rounds, args.conversations, args.solo_conversations
        )
        url = stack.config.rasa_url
        figures["growth"] = growth(url, OUR_MESSAGES, args.long_turns, args.long_conversations)
        rasa_rss = rss_mb(stack.processes["rasa"].pid)
        actions_rss = rss_mb(stack.processes["actions"].pid)
        results["ours"] = {
            "cold_start_s": round(cold, 1),
            **figures,
            "rss_mb": round(rasa_rss, 0),
            "rss_with_action_server_mb": round(rasa_rss + actions_rss, 0),
        }
    finally:
        stack.stop()
        shutil.rmtree(run_dir, ignore_errors=True)

    ours, stock = results["ours"], results["stock"]
    results["ratios"] = {
        "throughput_vs_stock": round(ours["throughput_msg_s"] / stock["throughput_msg_s"], 2),
        "median_latency_vs_stock": round(ours["median_latency_ms"] / stock["median_latency_ms"], 2),
    }
    results["targets"] = targets = {
        # issue 11: the persistent default store
        "issue11_throughput_16_users_ge_3x": results["ratios"]["throughput_vs_stock"] >= 3,
        "issue11_median_one_user_le_0_3x": results["ratios"]["median_latency_vs_stock"] <= 0.3,
        "issue11_p99_one_user_le_100ms": ours["p99_latency_ms"] <= 100,
        # issue 2
        "throughput_ge_1_5x": results["ratios"]["throughput_vs_stock"] >= 1.5,
        "latency_le_0_8x": results["ratios"]["median_latency_vs_stock"] <= 0.8,
        "cold_start_le_15s": ours["cold_start_s"] <= 15,
        "memory_le_1_2gb": ours["rss_with_action_server_mb"] <= 1200,
    }
    results["machine"]["loadavg_after"] = os.getloadavg()
    (ROOT / "reports").mkdir(exist_ok=True)
    (ROOT / "reports" / "bench.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    print()
    print(f"{'':40} {'this bot':>10} {'stock':>10}")
    for key in ("median_latency_ms", "p95_latency_ms", "p99_latency_ms", "throughput_msg_s"):
        print(f"{key:40} {ours[key]:>10} {stock[key]:>10}")
    for label, bot in (("this bot", ours), ("stock", stock)):
        g = bot["growth"]
        print(f"per-turn growth, {label}: turn 10 {g['median_turn_10_ms']} ms, late {g['late_vs_early']}x")
    for name, met in targets.items():
        print(f"{name:40} {'met' if met else 'NOT MET'}")
    return 0


def machine() -> dict:
    """Where the figures come from: they mean little without the machine and its load."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "loadavg_before": os.getloadavg(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


if __name__ == "__main__":
    sys.exit(main())
