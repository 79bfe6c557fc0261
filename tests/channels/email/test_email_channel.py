"""The Rasa input channel: off (and saying why) without settings; with them, its output
channel is the one Rasa uses for ``output_channel=latest``; a half configuration fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.services import make_services, sqlite_url

from channels.email import EmailInput, EmailOutput
from channels.email.settings import EmailSettings, EmailSettingsError


def test_without_settings_the_channel_is_off_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GOPAY_EMAIL_IMAP_HOST", "GOPAY_EMAIL_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    channel = EmailInput.from_credentials(None)
    assert isinstance(channel, EmailInput)
    assert channel.service is None and channel.get_output_channel() is None
    assert channel.disabled_reason and "GOPAY_EMAIL_IMAP_HOST" in channel.disabled_reason
    assert EmailInput.name() == "email"


def test_half_configured_fails_with_the_missing_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOPAY_EMAIL_IMAP_HOST", "imap.mail.example")
    monkeypatch.delenv("GOPAY_EMAIL_SMTP_HOST", raising=False)
    with pytest.raises(EmailSettingsError, match="GOPAY_EMAIL_SMTP_HOST"):
        EmailInput()


def test_with_settings_rasa_gets_the_mail_output_channel(tmp_path: Path) -> None:
    settings = EmailSettings(
        imap_host="127.0.0.1",
        imap_user="support@gopay.test",
        imap_password="x",
        imap_tls="none",
        smtp_host="127.0.0.1",
        smtp_tls="none",
        from_address="support@gopay.test",
    )
    channel = EmailInput(settings, make_services(sqlite_url(tmp_path)))
    output = channel.get_output_channel()
    assert isinstance(output, EmailOutput) and output.name() == channel.name()
    assert channel.disabled_reason is None
