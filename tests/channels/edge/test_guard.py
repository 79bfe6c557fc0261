"""The edge guard's rules, on plain request values (the running server: tests/security)."""

from __future__ import annotations

import json

import pytest

from channels.edge.guard import Call, check, is_public
from channels.edge.settings import EdgeSettings

SETTINGS = EdgeSettings(api_token="the-token", max_body_bytes=10_000)
JSON = {"Content-Type": "application/json"}


def call(
    method: str = "GET",
    path: str = "/",
    args: dict | None = None,
    headers: dict | None = None,
    body: object = b"",
) -> Call:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Call(method, path, args or {}, headers or {}, raw)


def status(c: Call) -> int:
    refusal = check(c, SETTINGS)
    return 200 if refusal is None else refusal.status


def test_only_channel_routes_are_public() -> None:
    for path in ("/", "/webhooks/rest/webhook", "/webhooks/telegram/webhook", "/webchat/", "/socket.io/"):
        assert is_public(path), path
    for path in ("/conversations/x/tracker", "/model/parse", "/model", "/status", "/version", "/domain"):
        assert not is_public(path), path
        assert status(call(path=path)) == 401, path


def test_the_api_answers_only_with_the_token() -> None:
    tracker = "/conversations/webchat:abc/tracker"
    assert status(call(path=tracker, args={"token": ["wrong"]})) == 401
    assert status(call(path=tracker, args={"token": ["the-token"]})) == 200
    assert status(call(path=tracker, headers={"Authorization": "Bearer the-token"})) == 200
    assert status(call(path=tracker, headers={"Authorization": "Basic the-token"})) == 401


def test_with_the_token_the_api_still_refuses_pages_proxies_and_model_changes() -> None:
    auth = {"Authorization": "Bearer the-token"}
    assert status(call(path="/status", headers={**auth, "Origin": "https://evil.example"})) == 403
    assert status(call(path="/status", headers={**auth, "X-Forwarded-For": "1.2.3.4"})) == 403
    for method, path in (
        ("PUT", "/model"),
        ("DELETE", "/model"),
        ("POST", "/model/train"),
        ("POST", "/model/test/intents"),
    ):
        assert (
            status(call(method, path, headers={**auth, **JSON}, body={"model_server": {"url": "http://x"}}))
            == 403
        )
    opened = EdgeSettings(api_token="the-token", model_api=True)
    assert check(call("DELETE", "/model", headers=auth), opened) is None


def test_pushes_may_name_only_the_conversations_own_channel() -> None:
    auth = {"Authorization": "Bearer the-token", **JSON}
    path = "/conversations/telegram:42/tracker/events"
    event = [{"event": "bot", "text": "hi"}]
    assert status(call("POST", path, {"output_channel": ["telegram"]}, auth, event)) == 200
    assert status(call("POST", path, {"output_channel": ["latest"]}, auth, event)) == 200
    assert status(call("POST", path, {"output_channel": ["webchat"]}, auth, event)) == 403
    assert (
        status(
            call(
                "POST", "/conversations/telegram%3A42/trigger_intent", {"output_channel": ["rest"]}, auth, {}
            )
        )
        == 403
    )


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"Content-Type": "text/plain"}, {"text": "hi"}, 415),
        ({**JSON, "Content-Encoding": "deflate"}, {"text": "hi"}, 415),
        (JSON, b"{", 400),
        (JSON, b"[" * 100 + b"]" * 100, 400),
        (JSON, b'{"text": "\\ud800"}', 400),
        (JSON, [1], 400),
        (JSON, {"text": ["a"]}, 400),
        (JSON, {"text": "x" * 10_001}, 413),
        (JSON, {"text": "hello"}, 200),
    ],
)
def test_parse_bodies_are_bounded_json(headers: dict, body: object, expected: int) -> None:
    c = call("POST", "/model/parse", {"token": ["the-token"]}, headers, body)
    assert status(c) == expected


def test_webhook_bodies_must_be_json_too() -> None:
    assert (
        status(call("POST", "/webhooks/rest/webhook", headers={"Content-Type": "text/plain"}, body={"a": 1}))
        == 415
    )
    assert status(call("POST", "/webhooks/rest/webhook", headers=JSON, body=b"[" * 50 + b"]" * 50)) == 400
    assert (
        status(call("POST", "/webhooks/rest/webhook", headers=JSON, body={"sender": "a", "message": "b"}))
        == 200
    )
