"""Which web pages may open the chat socket."""

from __future__ import annotations

from channels.webchat.origins import OriginPolicy


def test_origin_policy_default_allows_only_the_servers_own_pages() -> None:
    policy = OriginPolicy()
    assert policy.allows("http://127.0.0.1:5005", "127.0.0.1:5005")
    assert policy.allows("http://localhost:8080/", "LOCALHOST:8080")
    assert not policy.allows("http://127.0.0.1:5006", "127.0.0.1:5005")
    assert not policy.allows("https://evil.example", "127.0.0.1:5005")
    assert not policy.allows("null", "127.0.0.1:5005")
    assert not policy.allows("http://127.0.0.1:5005", None)
    # No Origin header: not a browser page, so not a cross-site risk.
    assert policy.allows(None, "127.0.0.1:5005")


def test_origin_policy_allow_list_adds_other_sites() -> None:
    policy = OriginPolicy(["https://shop.example/", "HTTPS://Help.Example"])
    assert policy.allows("https://shop.example", "chat.example")
    assert policy.allows("https://help.example", "chat.example")
    assert policy.allows("https://chat.example", "chat.example"), "the demo page still works"
    assert not policy.allows("http://shop.example", "chat.example")
    assert not policy.allows("https://shop.example.evil.example", "chat.example")
    assert OriginPolicy(["*"]).allows("https://anything.example", "chat.example")
