"""The layers import only what they may (docs/architecture.md, "What may import what").

Checked statically on every module's import statements, so a forbidden import fails here
even when no test happens to execute that module.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Third-party packages that make code framework-, web- or database-bound.
FRAMEWORKS = {
    "rasa",
    "rasa_sdk",
    "sanic",
    "sanic_cors",
    "aiohttp",
    "socketio",
    "telegram",
    "httpx",
    "requests",
    "sqlalchemy",
    "alembic",
    "psycopg2",
    "redis",
    "jwt",
}
#: The only third-party packages the core may import (docs/architecture.md): spaCy for
#: segmentation, OpenCC's tables for traditional -> simplified Chinese (core/script.py).
CORE_THIRD_PARTY = {"spacy", "opencc"}
#: Layer -> project packages it must not import.
FORBIDDEN = {
    "gopay_support/core": {
        "gopay_support.adapters",
        "gopay_support.wiring",
        "gopay_support.cli",
        "actions",
        "channels",
        "console",
        "devtools",
    },
    "gopay_support/adapters": {"gopay_support.cli", "actions", "channels", "console", "devtools"},
    "actions": {"channels", "console", "devtools", "gopay_support.adapters.db"},
    "channels": {"actions", "console", "devtools"},
    "console": {"actions", "channels", "devtools"},
}
#: Layer -> packages it may import although FORBIDDEN names a parent: the console hands
#: agent replies and rating prompts to the channels' durable outbox (channels/toolkit).
ALLOWED = {"console": {"channels.toolkit"}}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules_of(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


def _within(name: str, packages: set[str]) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def _violations(path: Path, forbidden: set[str], allowed: set[str] = frozenset()) -> list[str]:
    return sorted(
        name for name in imported_modules(path) if _within(name, forbidden) and not _within(name, allowed)
    )


@pytest.mark.parametrize("path", modules_of("gopay_support/core"), ids=lambda p: p.name)
def test_core_has_no_framework_web_or_database_imports(path: Path) -> None:
    assert _violations(path, FRAMEWORKS) == []


@pytest.mark.parametrize("path", modules_of("gopay_support/core"), ids=lambda p: p.name)
def test_core_imports_only_the_standard_library_spacy_opencc_and_itself(path: Path) -> None:
    assert _outside_core_allowance(path) == []


def _outside_core_allowance(path: Path) -> list[str]:
    allowed = set(sys.stdlib_module_names) | CORE_THIRD_PARTY | {"gopay_support", "__future__"}
    return sorted(name for name in imported_modules(path) if name.split(".")[0] not in allowed)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_inwards(layer: str) -> None:
    allowed = ALLOWED.get(layer, set())
    problems = {
        str(p.relative_to(ROOT)): _violations(p, FORBIDDEN[layer], allowed) for p in modules_of(layer)
    }
    assert {path: names for path, names in problems.items() if names} == {}


def test_the_rule_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from sqlalchemy import select\nimport gopay_support.adapters.db\n")
    assert _violations(module, FRAMEWORKS) == ["sqlalchemy"]
    assert _violations(module, FORBIDDEN["gopay_support/core"]) == ["gopay_support.adapters.db"]
    console = tmp_path / "console_module.py"
    console.write_text("from channels.toolkit.outbox import Outbox\nfrom channels.telegram import x\n")
    assert _violations(console, FORBIDDEN["console"], ALLOWED["console"]) == ["channels.telegram"]
    core_module = tmp_path / "core_module.py"
    core_module.write_text("import json\nfrom opencc import OpenCC\nimport jieba\nfrom numpy import array\n")
    assert _outside_core_allowance(core_module) == ["jieba", "numpy"]
