"""Train a small NLU model in a temporary folder and ask it, in subprocesses (Rasa and
TensorFlow stay out of the test process)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from gopay_support.wiring import PROJECT_ROOT

_ENV = {
    **os.environ,
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "PYTHONWARNINGS": "ignore",
}


def train_nlu(extra: Path, folder: Path, timeout: float = 900) -> Path:
    """The project's NLU data plus ``extra`` (a training file), trained with config.yml."""
    data = folder / "nlu"
    data.mkdir(parents=True, exist_ok=True)
    for path in (PROJECT_ROOT / "data" / "nlu").glob("*.yml"):
        if path.name != extra.name:
            shutil.copy(path, data / path.name)
    shutil.copy(extra, data / extra.name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "nlu",
            "--config",
            str(PROJECT_ROOT / "config.yml"),
            "--nlu",
            str(data),
            "--out",
            str(folder),
            "--fixed-model-name",
            "reviewed",
            "--quiet",
        ],
        cwd=PROJECT_ROOT,
        env=_ENV,
        check=True,
        timeout=timeout,
        stdout=subprocess.DEVNULL,
    )
    return folder / "reviewed.tar.gz"


def parse(model: Path, texts: list[str], timeout: float = 300) -> list[dict]:
    """Parse results of ``texts`` by ``model`` (devtools.nlu_gate.predict)."""
    code = (
        "import asyncio, json, sys\n"
        "from devtools.nlu_gate import predict\n"
        "texts = json.loads(sys.stdin.read())\n"
        f"rows = asyncio.run(predict({str(model)!r}, texts))\n"
        "print('@@' + json.dumps(rows, ensure_ascii=False))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=_ENV,
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("@@"))
    return json.loads(line[2:])
