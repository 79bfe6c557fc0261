"""Settings of the Rasa server's edge guard, from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gopay_support.wiring import RASA_TOKEN, Environment, secret


@dataclass(frozen=True)
class EdgeSettings:
    #: Token every request to Rasa's HTTP API must carry (``?token=`` or ``Authorization:
    #: Bearer``): ``RASA_TOKEN`` or the generated ``var/secrets/rasa_token``.
    api_token: str
    #: Largest request body the server reads, in bytes (Sanic's ``REQUEST_MAX_SIZE``).
    max_body_bytes: int = 1_000_000
    #: Longest text ``/model/parse`` accepts.
    max_parse_chars: int = 10_000
    #: ``PUT/DELETE /model``, ``/model/train`` and ``/model/test``: off unless an operator
    #: deliberately turns them on (they replace or unload the bot, and fetch URLs).
    model_api: bool = False
    #: The API answers requests that came through a reverse proxy (``X-Forwarded-For``...)
    #: only when this is on; the public proxy of docs/deployment.md never forwards the API.
    api_via_proxy: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EdgeSettings:
        env = Environment(environ)
        return cls(
            api_token=secret(RASA_TOKEN, environ),
            max_body_bytes=env.integer("GOPAY_MAX_BODY_BYTES", cls.max_body_bytes),
            max_parse_chars=env.integer("GOPAY_MAX_PARSE_CHARS", cls.max_parse_chars),
            model_api=env.flag("GOPAY_MODEL_API", cls.model_api),
            api_via_proxy=env.flag("GOPAY_API_VIA_PROXY", cls.api_via_proxy),
        )
