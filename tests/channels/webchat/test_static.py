"""The widget's files and demo page are served, and nothing else."""

from __future__ import annotations

import aiohttp
from support.webchat import Live, channel, run, running


def test_widget_files_and_demo_page_are_served_and_nothing_else() -> None:
    async def fetch(live: Live, path: str) -> tuple[int, dict[str, str], str]:
        async with aiohttp.ClientSession() as http:
            async with http.get(live.url + path) as response:
                return response.status, dict(response.headers), await response.text()

    async def scenario() -> None:
        async with running(channel()) as live:
            status, headers, body = await fetch(live, "/webchat/")
            assert status == 200 and "/webchat/static/widget.js" in body
            assert "script-src 'self'" in headers["Content-Security-Policy"]
            for name in ("widget.js", "widget.css", "socket.io.min.js"):
                status, headers, _ = await fetch(live, f"/webchat/static/{name}")
                assert status == 200 and headers["X-Content-Type-Options"] == "nosniff"
            status, _, licence = await fetch(live, "/webchat/static/LICENSE-socket.io-client.txt")
            assert status == 200 and "MIT" in licence
            for path in ("/webchat/static/../channel.py", "/webchat/static/%2e%2e%2fchannel.py"):
                assert (await fetch(live, path))[0] == 404

    run(scenario())
