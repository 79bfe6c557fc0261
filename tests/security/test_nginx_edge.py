"""The documented production edge (deploy/nginx/gopay-support.conf, docs/deployment.md) in
front of the stack, with a self-signed certificate: only the public routes pass, with TLS."""

from __future__ import annotations

import asyncio
import re
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from support.telegram_fake import load_update
from support.telegram_fake.harness import SECRET

from devtools.stack import Stack, free_port
from gopay_support.wiring import PROJECT_ROOT, REST_TOKEN

pytestmark = [pytest.mark.e2e]

NGINX = "/usr/sbin/nginx"
SITE = PROJECT_ROOT / "deploy" / "nginx" / "gopay-support.conf"


def render(site: str, rasa_port: int, https_port: int, http_port: int, cert: Path, key: Path) -> str:
    """The shipped site file with this machine's ports and the test certificate."""
    site = site.replace("server 127.0.0.1:5005;", f"server 127.0.0.1:{rasa_port};")
    site = re.sub(r"\n\s*listen \[::\]:\d+( ssl)?;", "", site)
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("/etc/ssl/gopay/fullchain.pem", str(cert)).replace(
        "/etc/ssl/gopay/privkey.pem", str(key)
    )
    assert f"127.0.0.1:{rasa_port}" in site and str(cert) in site
    return site


@pytest.fixture(scope="module")
def proxy(edge: Stack, edge_tls_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    subprocess.run([str(PROJECT_ROOT / "scripts" / "ensure_nginx.sh")], check=True)
    folder = tmp_path_factory.mktemp("nginx")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    http_port = free_port()
    (folder / "site.conf").write_text(
        render(SITE.read_text(), edge.config.rasa_port, edge_tls_port, http_port, cert, key)
    )
    (folder / "nginx.conf").write_text(
        f"""user root;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/site.conf;
}}
"""
    )
    check = subprocess.run(
        [NGINX, "-t", "-c", str(folder / "nginx.conf"), "-p", str(folder)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [NGINX, "-c", str(folder / "nginx.conf"), "-p", str(folder), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"https://127.0.0.1:{edge_tls_port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{base}/webchat/", verify=str(cert), timeout=2)
            break
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                errors = (folder / "error.log").read_text() if (folder / "error.log").exists() else ""
                process.kill()
                pytest.fail(f"nginx did not come up (exit {process.poll()}): {errors[-2000:]}")
            time.sleep(0.1)
    yield {"base": base, "cert": str(cert), "http": f"http://127.0.0.1:{http_port}", "folder": folder}
    process.terminate()
    process.wait(10)


def get(proxy: dict, path: str, **kwargs: object) -> requests.Response:
    return requests.get(proxy["base"] + path, verify=proxy["cert"], timeout=30, **kwargs)  # type: ignore[arg-type]


def post(proxy: dict, path: str, **kwargs: object) -> requests.Response:
    return requests.post(proxy["base"] + path, verify=proxy["cert"], timeout=30, **kwargs)  # type: ignore[arg-type]


def test_the_widget_is_served_over_tls_and_http_redirects(proxy: dict) -> None:
    assert get(proxy, "/webchat/").status_code == 200
    assert get(proxy, "/webchat/static/widget.js").status_code == 200
    plain = requests.get(proxy["http"] + "/webchat/", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
    assert "Strict-Transport-Security" in get(proxy, "/webchat/").headers


def test_the_api_is_not_reachable_even_with_the_token(proxy: dict, edge: Stack) -> None:
    token = {"token": edge.api_token}
    for method, path in (
        ("GET", "/conversations/webchat:x/tracker"),
        ("POST", "/conversations/telegram:1/tracker/events"),
        ("POST", "/model/parse"),
        ("PUT", "/model"),
        ("DELETE", "/model"),
        ("GET", "/status"),
        ("GET", "/version"),
        ("GET", "/domain"),
        ("GET", "/"),
    ):
        reply = requests.request(
            method, proxy["base"] + path, params=token, json={}, verify=proxy["cert"], timeout=30
        )
        assert reply.status_code == 404, (method, path, reply.status_code)


def test_rest_needs_its_token_through_the_proxy(proxy: dict, edge: Stack) -> None:
    body = {"sender": "integration", "message": "how do I sign up"}
    assert post(proxy, "/webhooks/rest/webhook", json=body).status_code == 401
    wrong = post(proxy, "/webhooks/rest/webhook", json=body, headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 401
    good = post(
        proxy,
        "/webhooks/rest/webhook",
        json=body,
        headers={"Authorization": f"Bearer {edge.secret(REST_TOKEN)}", "X-Forwarded-For": "1.2.3.4"},
    )
    assert good.status_code == 200 and good.json()[0]["recipient_id"] == "rest:integration"
    assert get(proxy, "/webhooks/rest/webhook").status_code == 403, "POST only"


def test_the_telegram_webhook_passes_with_its_secret(proxy: dict) -> None:
    update = load_update("private_text_en", update_id=990000001, chat_id=990000001, text="hello")
    assert post(proxy, "/webhooks/telegram/webhook", json=update).status_code == 403
    reply = post(
        proxy, "/webhooks/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert reply.status_code == 200


def test_the_web_chat_works_through_the_proxy(proxy: dict) -> None:
    import aiohttp
    import socketio

    async def chat() -> tuple[object, dict, list]:
        context = ssl.create_default_context(cafile=proxy["cert"])
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))
        client = socketio.AsyncClient(reconnection=False, http_session=http, ssl_verify=True)
        received: list = []
        confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
        client.on("bot_uttered", received.append)
        client.on("session_confirm", lambda data: confirmed.done() or confirmed.set_result(data))
        await client.connect(
            proxy["base"], transports=["polling"], headers={"Origin": proxy["base"]}, wait_timeout=10
        )
        try:
            await client.emit("session_request", {"session_id": None})
            session = await asyncio.wait_for(confirmed, 10)
            ack = await client.call("user_uttered", {"message": "how do I sign up"}, timeout=60)
            return session, ack, received
        finally:
            await client.eio.disconnect(abort=True)
            await http.close()

    session, ack, received = asyncio.run(chat())
    assert isinstance(session, str) and len(session) == 32
    assert ack["status"] == "accepted" and received
