"""Settings from the environment, and the services built on them."""

from __future__ import annotations

import pytest

from gopay_support.core.errors import ConfigurationError
from gopay_support.wiring import DEFAULT_DATABASE_URL, Environment, build_services, load_settings


def test_a_fresh_environment_gives_the_local_defaults() -> None:
    settings = load_settings({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.hours.staffed == (9, 18) and settings.hours.timezone == "Asia/Shanghai"
    assert settings.rasa_url == "http://127.0.0.1:5005"


def test_values_are_read_and_typed() -> None:
    settings = load_settings(
        {
            "GOPAY_STAFFED_HOURS": "8-20",
            "GOPAY_HOLIDAYS": "2026-10-01, 2026-10-02,",
            "GOPAY_HANDOFF_MINUTES": "2/12",
            "TICKET_VERIFY_MAX_ATTEMPTS": "5",
            "RASA_URL": "http://rasa:5005/",
        }
    )
    assert settings.hours.staffed == (8, 20) and settings.hours.holidays == ("2026-10-01", "2026-10-02")
    assert (settings.handoff.minutes_staffed, settings.handoff.minutes_off_hours) == (2.0, 12.0)
    assert settings.tickets.verify_max_attempts == 5 and settings.rasa_url == "http://rasa:5005"


@pytest.mark.parametrize(
    "environ",
    [
        {"TICKET_VERIFY_MAX_ATTEMPTS": "three"},
        {"GOPAY_STAFFED_HOURS": "nine-six"},
        {"TICKET_NOTIFY_TIMEOUT": "soon"},
    ],
)
def test_malformed_values_fail_loudly_naming_the_variable(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(environ))):
        load_settings(environ)


def test_flags_accept_the_usual_words_only() -> None:
    env = Environment({"A": "yes", "B": "0", "C": "maybe"})
    assert env.flag("A") is True and env.flag("B") is False and env.flag("MISSING", True) is True
    with pytest.raises(ConfigurationError, match="C"):
        env.flag("C")


def test_services_share_one_database(tmp_path) -> None:
    services = build_services(load_settings({"TICKETS_DB_URL": f"sqlite:///{tmp_path / 'app.db'}"}))
    try:
        assert services.tickets.url == services.database.url
        assert services.escalation.tickets is services.tickets
    finally:
        services.database.dispose()
