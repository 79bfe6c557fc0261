"""deploy/endpoints.scale.yml as Rasa itself reads it, with the README's variables exported."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.utils import AvailableEndpoints

SCALE = Path(__file__).resolve().parents[2] / "deploy" / "endpoints.scale.yml"
README_VARIABLES = {
    "TRACKER_DB_HOST": "127.0.0.1",
    "TRACKER_DB_PORT": "5432",
    "TRACKER_DB_NAME": "gopay",
    "TRACKER_DB_USER": "postgres",
    "TRACKER_DB_PASSWORD": "",
    "REDIS_HOST": "127.0.0.1",
    "REDIS_PORT": "6379",
    "REDIS_DB": "0",
    "REDIS_KEY_PREFIX": "gopay",
    "ACTION_SERVER_URL": "http://127.0.0.1:5055/webhook",
    "GOPAY_ACTION_TOKEN": "token-from-the-environment",
}


def test_every_value_is_filled_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in README_VARIABLES.items():
        monkeypatch.setenv(name, value)
    endpoints = AvailableEndpoints.read_endpoints(str(SCALE))
    tracker, lock, action = endpoints.tracker_store, endpoints.lock_store, endpoints.action
    assert tracker is not None and lock is not None and action is not None
    assert tracker.url == "127.0.0.1" and int(tracker.kwargs["port"]) == 5432
    assert tracker.kwargs["db"] == "gopay" and tracker.kwargs["username"] == "postgres"
    assert lock.url == "127.0.0.1" and int(lock.kwargs["port"]) == 6379
    assert lock.kwargs["key_prefix"] == "gopay"
    assert action.url == README_VARIABLES["ACTION_SERVER_URL"]
    assert action.headers == {"X-Gopay-Action-Token": "token-from-the-environment"}


def test_a_missing_variable_stops_rasa_instead_of_running_on_a_literal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in README_VARIABLES.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TRACKER_DB_PORT")
    with pytest.raises(Exception, match="TRACKER_DB_PORT"):
        AvailableEndpoints.read_endpoints(str(SCALE))
