"""Channel settings from GOPAY_EMAIL_* variables (channels/email/settings.py)."""

from __future__ import annotations

import dataclasses

import pytest

from channels.email.settings import EmailSettings, EmailSettingsError, is_loopback

FULL = {
    "GOPAY_EMAIL_IMAP_HOST": "imap.mail.example",
    "GOPAY_EMAIL_IMAP_USER": "support@gopay.test",
    "GOPAY_EMAIL_IMAP_PASSWORD": "imap-secret",
    "GOPAY_EMAIL_SMTP_HOST": "smtp.mail.example",
    "GOPAY_EMAIL_SMTP_USER": "support@gopay.test",
    "GOPAY_EMAIL_SMTP_PASSWORD": "smtp-secret",
}


def test_disabled_without_settings() -> None:
    assert EmailSettings.from_env({}) is None
    assert EmailSettings.from_env({"GOPAY_EMAIL_FROM_NAME": "Gopay"}) is None


def test_secure_defaults() -> None:
    settings = EmailSettings.from_env(FULL)
    assert settings is not None
    assert (settings.imap_tls, settings.imap_port, settings.imap_folder) == ("ssl", 993, "INBOX")
    assert (settings.smtp_tls, settings.smtp_port) == ("starttls", 587)
    assert settings.from_address == "support@gopay.test"  # the mailbox's own address
    assert settings.domain == "gopay.test"
    assert settings.tls_ca_file is None


def test_every_variable_is_read() -> None:
    env = dict(
        FULL,
        GOPAY_EMAIL_IMAP_PORT="1993",
        GOPAY_EMAIL_IMAP_FOLDER="Support",
        GOPAY_EMAIL_SMTP_TLS="ssl",
        GOPAY_EMAIL_FROM="help@gopay.test",
        GOPAY_EMAIL_FROM_NAME="Gopay 客服",
        GOPAY_EMAIL_ALIASES="kefu@gopay.test, Service@GoPay.test",
        GOPAY_EMAIL_TLS_CA_FILE="/etc/ca.pem",
        GOPAY_EMAIL_POLL_SECONDS="10",
        GOPAY_EMAIL_MAX_MESSAGE_BYTES="1000000",
        GOPAY_EMAIL_MAX_ATTACHMENTS="3",
        GOPAY_EMAIL_MAX_PARTS="20",
        GOPAY_EMAIL_MAX_TEXT_CHARS="500",
    )
    settings = EmailSettings.from_env(env)
    assert settings is not None
    assert settings.imap_port == 1993 and settings.imap_folder == "Support"
    assert (settings.smtp_tls, settings.smtp_port) == ("ssl", 465)
    assert settings.from_address == "help@gopay.test" and settings.from_name == "Gopay 客服"
    assert settings.own_addresses == {
        "help@gopay.test",
        "support@gopay.test",
        "kefu@gopay.test",
        "service@gopay.test",
    }
    assert settings.tls_ca_file == "/etc/ca.pem" and settings.poll_seconds == 10
    assert dataclasses.astuple(settings.limits) == (1_000_000, 3, 20, 500)


def test_half_configured_names_what_is_missing_without_values() -> None:
    with pytest.raises(EmailSettingsError) as error:
        EmailSettings.from_env(
            {"GOPAY_EMAIL_IMAP_HOST": "imap.mail.example", "GOPAY_EMAIL_IMAP_PASSWORD": "imap-secret"}
        )
    message = str(error.value)
    assert "GOPAY_EMAIL_IMAP_USER" in message and "GOPAY_EMAIL_SMTP_HOST" in message
    assert "imap-secret" not in message


def test_passwords_stay_out_of_repr() -> None:
    settings = EmailSettings.from_env(FULL)
    assert "imap-secret" not in repr(settings) and "smtp-secret" not in repr(settings)


def test_plaintext_only_to_loopback() -> None:
    with pytest.raises(EmailSettingsError, match="loopback"):
        EmailSettings.from_env(dict(FULL, GOPAY_EMAIL_IMAP_TLS="none"))
    local = dict(
        FULL,
        GOPAY_EMAIL_IMAP_HOST="127.0.0.1",
        GOPAY_EMAIL_IMAP_TLS="none",
        GOPAY_EMAIL_SMTP_HOST="localhost",
        GOPAY_EMAIL_SMTP_TLS="none",
    )
    settings = EmailSettings.from_env(local)
    assert settings is not None and (settings.imap_port, settings.smtp_port) == (143, 25)


@pytest.mark.parametrize(
    "name,value",
    [
        ("GOPAY_EMAIL_SMTP_TLS", "tls1.0"),
        ("GOPAY_EMAIL_IMAP_PORT", "abc"),
        ("GOPAY_EMAIL_FROM", "not-an-address"),
        ("GOPAY_EMAIL_MAX_TEXT_CHARS", "0"),
        ("GOPAY_EMAIL_POLL_SECONDS", "0"),
        ("GOPAY_EMAIL_POLL_SECONDS", "often"),
        ("GOPAY_EMAIL_SMTP_PASSWORD", ""),
        ("GOPAY_EMAIL_REPLY_LIMIT", "0"),
        ("GOPAY_EMAIL_REPLY_WINDOW_SECONDS", "-1"),
        ("GOPAY_EMAIL_RETRY_SECONDS", "0"),
    ],
)
def test_invalid_values(name: str, value: str) -> None:
    with pytest.raises(EmailSettingsError):
        EmailSettings.from_env(dict(FULL, **{name: value}))


def test_intake_pace_and_reply_limit() -> None:
    defaults = EmailSettings.from_env(FULL)
    assert defaults is not None
    assert (defaults.poll_seconds, defaults.reply_limit, defaults.reply_window, defaults.retry_seconds) == (
        30.0,
        20,
        3600.0,
        3600.0,
    )
    tuned = EmailSettings.from_env(
        dict(
            FULL,
            GOPAY_EMAIL_POLL_SECONDS="0.5",
            GOPAY_EMAIL_REPLY_LIMIT="5",
            GOPAY_EMAIL_REPLY_WINDOW_SECONDS="600",
            GOPAY_EMAIL_RETRY_SECONDS="120",
        )
    )
    assert tuned is not None
    assert (tuned.poll_seconds, tuned.reply_limit, tuned.reply_window, tuned.retry_seconds) == (
        0.5,
        5,
        600.0,
        120.0,
    )


def test_settings_are_frozen() -> None:
    settings = EmailSettings.from_env(FULL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.imap_host = "elsewhere"  # type: ignore[misc]


@pytest.mark.parametrize(
    "host,loopback",
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("10.0.0.5", False),
        ("imap.mail.example", False),
        ("localhost.evil.example", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
