"""Every channel's own texts (``channels/<name>/texts.py``): both languages, the same
placeholders, and none of them in the core catalogue."""

from __future__ import annotations

import importlib
import string
from pathlib import Path

import pytest

from gopay_support.core import catalogue
from gopay_support.core.catalogue import Bilingual

CHANNELS = Path(__file__).resolve().parents[2] / "channels"
MODULES = sorted(f"channels.{path.parent.name}.texts" for path in CHANNELS.glob("*/texts.py"))


def channel_texts() -> list[tuple[str, Bilingual]]:
    found = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        found += [
            (f"{module_name}.{name}", value)
            for name, value in sorted(vars(module).items())
            if isinstance(value, Bilingual)
        ]
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_email_channel_has_its_texts_in_its_folder() -> None:
    assert "channels.email.texts" in MODULES
    assert any(name.startswith("channels.email.texts.") for name, _ in channel_texts())


@pytest.mark.parametrize(("name", "message"), channel_texts(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_channel_text_has_both_languages_with_the_same_placeholders(
    name: str, message: Bilingual
) -> None:
    assert message.zh.strip() and message.en.strip(), name
    assert fields(message.zh) == fields(message.en), name


def test_the_core_catalogue_holds_no_channels_own_texts() -> None:
    channel_names = {path.name for path in CHANNELS.iterdir() if path.is_dir() and path.name != "toolkit"}
    assert not [key for key in catalogue.MESSAGES if key.split(".")[0] in channel_names]
    own = {message for _, message in channel_texts()}
    assert not own & set(catalogue.MESSAGES.values())
