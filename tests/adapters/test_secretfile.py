"""Secrets generated on first use into owner-only files."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from gopay_support.adapters.secretfile import SecretFileError, load_or_create
from gopay_support.wiring import RASA_TOKEN, load_settings, secret


def test_first_use_creates_an_owner_only_secret_that_stays(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"
    value = load_or_create(folder, "rasa_token")
    assert len(value) >= 40
    assert stat.S_IMODE((folder / "rasa_token").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert load_or_create(folder, "rasa_token") == value
    assert load_or_create(folder, "identity_key") != value


def test_processes_starting_together_agree_on_one_value(tmp_path: Path) -> None:
    values: list[str] = []
    threads = [
        threading.Thread(target=lambda: values.append(load_or_create(tmp_path, "t"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(values)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["t"], "no temporary files left"


def test_a_secret_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_or_create(tmp_path, "t")
    os.chmod(tmp_path / "t", 0o644)
    with pytest.raises(SecretFileError, match="chmod 600"):
        load_or_create(tmp_path, "t")
    with pytest.raises(ValueError):
        load_or_create(tmp_path, "../escape")


def test_the_api_token_is_never_empty(tmp_path: Path) -> None:
    env = {"GOPAY_SECRETS_DIR": str(tmp_path)}
    token = load_settings(env).rasa_token
    assert token and token == (tmp_path / "rasa_token").read_text().strip()
    assert load_settings({**env, "RASA_TOKEN": "configured"}).rasa_token == "configured"
    assert secret(RASA_TOKEN, env) == token
