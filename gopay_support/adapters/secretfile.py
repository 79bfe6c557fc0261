"""Secrets generated on first start and kept in files only their owner can read.

When a deployment does not configure a secret (``RASA_TOKEN``, ``GOPAY_ACTION_TOKEN``...),
the first process that needs it creates a random one in the secrets folder (``var/secrets``
by default, ``GOPAY_SECRETS_DIR`` otherwise) with mode 0600 in a 0700 folder; every other
process of the same installation reads the same file. Creation is atomic (written aside,
then hard-linked into place), so processes starting together agree on one value.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


class SecretFileError(RuntimeError):
    """The secrets folder or a secret file is unusable (e.g. readable by others)."""


def load_or_create(directory: Path, name: str, nbytes: int = 32) -> str:
    """The secret ``name`` from ``directory``, created (URL-safe random text) if missing."""
    if not name or not set(name) <= _NAME_CHARS:
        raise ValueError(f"bad secret name {name!r}")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(PermissionError):
        os.chmod(directory, 0o700)
    path = directory / name
    if not path.exists():
        _create(path, secrets.token_urlsafe(nbytes))
    return _read(path)


def _create(path: Path, value: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        with contextlib.suppress(FileExistsError):  # another process won the race: use its value
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _read(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretFileError(f"{path} is readable by other users: chmod 600 it (or delete it to rotate)")
    value = path.read_text().strip()
    if not value:
        raise SecretFileError(f"{path} is empty: delete it to have a new secret generated")
    return value
