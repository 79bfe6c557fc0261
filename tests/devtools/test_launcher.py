"""``make run``'s channel status lines: discovered from credentials.yml, no channel named in
the launcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.launcher import channel_status_lines

URL = "http://127.0.0.1:5005"


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two made-up channel packages: one that cannot tell its status, one without describe()."""
    for name, body in {
        "broken_channel": "def describe(server_url):\n    raise RuntimeError('no settings')\n",
        "quiet_channel": "class QuietInput:\n    pass\n",
    }.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(body, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def credentials(folder: Path, *entries: str) -> Path:
    path = folder / "credentials.yml"
    path.write_text("".join(f"{entry}:\n" for entry in entries), encoding="utf-8")
    return path


def test_each_channel_with_describe_gets_a_line_labelled_with_its_package(
    packages: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GOPAY_EMAIL_IMAP_HOST", "GOPAY_EMAIL_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    path = credentials(
        packages,
        "rest",
        "channels.email.EmailInput",
        "broken_channel.BrokenInput",
        "quiet_channel.QuietInput",
    )
    assert channel_status_lines(path, URL) == [
        "email:           off (set GOPAY_EMAIL_*, see docs/email.md)",
        "broken_channel:  status unknown (RuntimeError: no settings)",
    ]


def test_the_email_channel_says_where_its_status_is_once_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOPAY_EMAIL_IMAP_HOST", "imap.example")
    monkeypatch.setenv("GOPAY_EMAIL_SMTP_HOST", "smtp.example")
    monkeypatch.setenv("GOPAY_EMAIL_IMAP_USER", "support@gopay.example")
    monkeypatch.setenv("GOPAY_EMAIL_IMAP_PASSWORD", "secret")
    path = credentials(tmp_path, "channels.email.EmailInput")
    [line] = channel_status_lines(path, URL)
    assert line == f"email:           reading the support mailbox; status: curl -s {URL}/webhooks/email/"
    assert "secret" not in line
    monkeypatch.delenv("GOPAY_EMAIL_IMAP_PASSWORD")
    [line] = channel_status_lines(path, URL)
    assert line.startswith("email:           misconfigured: ") and "GOPAY_EMAIL_IMAP_PASSWORD" in line


def test_the_projects_credentials_list_the_email_channel() -> None:
    lines = channel_status_lines(Path(__file__).resolve().parents[2] / "credentials.yml", URL)
    assert "email" in [line.split(":")[0] for line in lines]
