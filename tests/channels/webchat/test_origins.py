"""Which web pages may open the chat socket."""

from __future__ import annotations

from channels.webchat.origins import OriginPolicy


def test_same_origin_means_the_configured_public_origins_not_the_host_header() -> None:
    policy = OriginPolicy(public=["http://127.0.0.1:5005", "https://support.example/"])
    assert policy.allows("http://127.0.0.1:5005")
    assert policy.allows("HTTPS://Support.Example")
    assert not policy.allows("http://127.0.0.1:5006")
    assert not policy.allows("https://evil.example")
    assert not policy.allows("null")
    # The Host header is the client's to choose: a page of evil.example claiming to reach
    # evil.example is still refused (engine.io passes the environ; it is not consulted).
    assert not policy("https://evil.example", {"HTTP_HOST": "evil.example"})
    # No Origin header: not a browser page, so not a cross-site risk.
    assert policy.allows(None)


def test_origin_policy_allow_list_adds_other_sites() -> None:
    policy = OriginPolicy(["https://shop.example/", "HTTPS://Help.Example"], ["https://chat.example"])
    assert policy.allows("https://shop.example")
    assert policy.allows("https://help.example")
    assert policy.allows("https://chat.example"), "the demo page still works"
    assert not policy.allows("http://shop.example")
    assert not policy.allows("https://shop.example.evil.example")
    assert OriginPolicy(["*"]).allows("https://anything.example")
    assert not OriginPolicy().allows("http://127.0.0.1:5005"), "nothing configured: no page"
