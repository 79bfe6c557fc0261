"""Real mail software on loopback for the e-mail channel tests.

- **Dovecot** (Debian's ``dovecot-imapd`` and ``dovecot-lmtpd``) serves IMAP and LMTP on free
  ports of 127.0.0.1, from a configuration generated into a temporary folder: users in a
  passwd-file, Maildir mailboxes in the same folder, plain IMAP and implicit-TLS IMAPS with a
  self-signed certificate made for the run (:attr:`MailServer.ca_file`). It runs
  unprivileged: as the calling user, or as ``nobody`` when the tests run as root, and it is
  ended if the test process dies (``setpriv --pdeathsig``).
- **aiosmtpd** plays the outgoing relay the bot sends through (SMTP, STARTTLS with the same
  certificate, AUTH only after STARTTLS): it records every accepted message and delivers it
  over LMTP into the recipients' Dovecot mailboxes, so a test reads the bot's replies where a
  customer would, over IMAP.

A test delivers a customer's mail into the support INBOX with :meth:`MailServer.deliver`
(LMTP, the way an MTA delivers) or :meth:`MailServer.append` (IMAP APPEND, returns the UID).
``scripts/ensure_mailserver.sh`` installs Dovecot on a fresh Debian machine.
"""

from __future__ import annotations

import asyncio
import datetime
import grp
import imaplib
import ipaddress
import logging
import os
import pwd
import re
import secrets
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devtools.stack import free_port

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "email"
DOVECOT = Path("/usr/sbin/dovecot")
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"
HOST = "127.0.0.1"
DOMAIN = "gopay.test"
SUPPORT_ADDRESS = f"support@{DOMAIN}"
START_TIMEOUT = 15.0

_CONFIG = """\
# Generated for one test run: unprivileged, loopback only, self-signed TLS.
instance_name = gopay-test-{imap_port}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap lmtp
listen = {host}
ssl = yes
ssl_cert = <{root}/tls/cert.pem
ssl_key = <{root}/tls/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
mail_location = maildir:~/Maildir
postmaster_address = postmaster@{domain}
hostname = mail.{domain}
lmtp_save_to_detail_mailbox = no

# One passwd-file per user: Dovecot looks at a changed file at most once a second, a new
# file is read at once, so a user added by a test can log in right away.
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users/%u
  default_fields = uid={uid} gid={gid} home={root}/mail/%d/%n
}}

service imap-login {{
  chroot =
  inet_listener imap {{
    address = {host}
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {imaps_port}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {host}
    port = {lmtp_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class SentMail:
    """One message the SMTP relay accepted from the bot, and where it delivered it."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    delivered: list[str] = field(default_factory=list)


class _RelayHandler:
    """aiosmtpd handler: record the message, then hand it to Dovecot over LMTP."""

    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        sent = SentMail(envelope.mail_from or "", list(envelope.rcpt_tos), content)
        loop = asyncio.get_running_loop()
        sent.delivered = await loop.run_in_executor(
            None, self.server.lmtp_deliver, content, sent.mail_from, sent.rcpt_tos
        )
        with self.server._lock:
            self.server.sent.append(sent)
        return "250 OK: queued"


class MailServer:
    """Dovecot (IMAP + LMTP) and an aiosmtpd relay on free loopback ports, in a temp folder."""

    host = HOST
    domain = DOMAIN
    support_address = SUPPORT_ADDRESS

    def __init__(self) -> None:
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.lmtp_port = free_port()
        self.smtp_port = free_port()
        self.support_password = secrets.token_urlsafe(12)
        self.smtp_user = "gopay-bot"
        self.smtp_password = secrets.token_urlsafe(12)
        self.sent: list[SentMail] = []
        self.start_seconds = 0.0
        self._lock = threading.Lock()
        self._users: dict[str, str] = {}
        self._root: Path | None = None
        self._dovecot: subprocess.Popen[bytes] | None = None
        self._smtp: Controller | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> MailServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Write the configuration, start Dovecot and the relay, wait until both answer."""
        if not DOVECOT.exists():
            pytest.fail(f"Dovecot is not installed ({DOVECOT}): run scripts/ensure_mailserver.sh")
        started = time.monotonic()
        account = _run_as()
        self._root = Path(tempfile.mkdtemp(prefix="gopay-mail-"))
        try:
            self._start_dovecot(account)
            self.add_user(self.support_address, self.support_password)
            # aiosmtpd warns on every successful AUTH about its own deprecated attribute.
            logging.getLogger("mail.log").setLevel(logging.ERROR)
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls.load_cert_chain(self.ca_file, self._root / "tls" / "key.pem")
            self._smtp = Controller(
                _RelayHandler(self),
                hostname=self.host,
                port=self.smtp_port,
                authenticator=self._authenticate,
                auth_required=True,
                tls_context=tls,
                enable_SMTPUTF8=True,
            )
            self._smtp.start()
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started

    def stop(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None
        if self._dovecot is not None:
            if self._dovecot.poll() is None:
                self._dovecot.send_signal(signal.SIGTERM)
                try:
                    self._dovecot.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._dovecot.kill()
                    self._dovecot.wait()
            self._dovecot = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def _start_dovecot(self, account: pwd.struct_passwd) -> None:
        root = self._root
        assert root is not None
        group = grp.getgrgid(account.pw_gid).gr_name
        for sub in ("run", "state", "mail", "tls", "users"):
            (root / sub).mkdir()
        _write_self_signed(root / "tls", self.host)
        (root / "dovecot.conf").write_text(
            _CONFIG.format(
                root=root,
                host=self.host,
                domain=self.domain,
                user=account.pw_name,
                group=group,
                uid=account.pw_uid,
                gid=account.pw_gid,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port,
                lmtp_port=self.lmtp_port,
            )
        )
        command = [SETPRIV, "--pdeathsig", "TERM"]
        if os.geteuid() == 0:
            for path in [root, *root.rglob("*")]:
                os.chown(path, account.pw_uid, account.pw_gid)
            command += [f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups"]
        command += [str(DOVECOT), "-F", "-c", str(root / "dovecot.conf")]
        self._dovecot = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._dovecot.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self._dovecot.returncode}:\n{self._diagnostics()}")
            if (
                _greets(self.host, self.imap_port, b"* OK")
                and _greets(self.host, self.lmtp_port, b"220")
                and _listens(self.host, self.imaps_port)
            ):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot did not answer within {START_TIMEOUT}s:\n{self._diagnostics()}")
            time.sleep(0.05)

    def _diagnostics(self) -> str:
        log = self._root / "dovecot.log" if self._root else None
        text = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
        if self._dovecot is not None and self._dovecot.poll() is not None and self._dovecot.stderr:
            text += self._dovecot.stderr.read().decode(errors="replace")[-2000:]
        return text

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.smtp_user.encode()
            and auth_data.password == self.smtp_password.encode()
        )
        return AuthResult(success=ok, handled=False)

    # -- accounts --------------------------------------------------------------------------

    def add_user(self, address: str, password: str | None = None) -> str:
        """Create a mailbox for ``address`` (e.g. a customer's) and return its IMAP password."""
        assert self._root is not None, "server not started"
        address = address.lower()
        password = password or secrets.token_urlsafe(12)
        if not re.fullmatch(r"[^:/\s@]+@[^:/\s@]+", address):
            raise ValueError("a test address must be local@domain without ':', '/' or spaces")
        with self._lock:
            if address in self._users:
                raise ValueError("user exists already")
            self._users[address] = password
            users = self._root / "users"
            scratch = users / f".{address}.new"
            scratch.write_text(f"{address}:{{PLAIN}}{password}::::::\n")
            if os.geteuid() == 0:
                stat = users.stat()
                os.chown(scratch, stat.st_uid, stat.st_gid)
            scratch.replace(users / address)
        return password

    def password(self, address: str) -> str:
        return self._users[address.lower()]

    @property
    def ca_file(self) -> Path:
        """The run's self-signed certificate, the only one a client should trust here."""
        assert self._root is not None, "server not started"
        return self._root / "tls" / "cert.pem"

    def client_tls(self) -> ssl.SSLContext:
        """A verifying client context that trusts this run's certificate."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def env(self) -> dict[str, str]:
        """The channel's ``GOPAY_EMAIL_*`` settings for the support mailbox and the relay."""
        return {
            "GOPAY_EMAIL_IMAP_HOST": self.host,
            "GOPAY_EMAIL_IMAP_PORT": str(self.imaps_port),
            "GOPAY_EMAIL_IMAP_USER": self.support_address,
            "GOPAY_EMAIL_IMAP_PASSWORD": self.support_password,
            "GOPAY_EMAIL_IMAP_TLS": "ssl",
            "GOPAY_EMAIL_SMTP_HOST": self.host,
            "GOPAY_EMAIL_SMTP_PORT": str(self.smtp_port),
            "GOPAY_EMAIL_SMTP_USER": self.smtp_user,
            "GOPAY_EMAIL_SMTP_PASSWORD": self.smtp_password,
            "GOPAY_EMAIL_SMTP_TLS": "starttls",
            "GOPAY_EMAIL_TLS_CA_FILE": str(self.ca_file),
            "GOPAY_EMAIL_FROM": self.support_address,
        }

    # -- delivering and reading --------------------------------------------------------------

    def lmtp_deliver(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> list[str]:
        """Deliver ``raw`` to each recipient with a mailbox here; return those delivered."""
        delivered = []
        with smtplib.LMTP(self.host, self.lmtp_port, timeout=10) as lmtp:
            for rcpt in rcpt_tos:
                try:
                    lmtp.sendmail(mail_from, [rcpt], raw)
                except smtplib.SMTPRecipientsRefused:
                    continue  # no mailbox here: an outside address, kept in ``sent`` only
                delivered.append(rcpt)
        return delivered

    def deliver(self, raw: bytes, to: str = SUPPORT_ADDRESS, mail_from: str = "customer@example.com") -> None:
        """Deliver an incoming mail into ``to``'s INBOX over LMTP, as the mail exchanger would."""
        if to not in self.lmtp_deliver(raw, mail_from, [to]):
            raise AssertionError("Dovecot refused the delivery: unknown mailbox")

    def append(self, raw: bytes, address: str = SUPPORT_ADDRESS, folder: str = "INBOX") -> int:
        """Put ``raw`` into a folder with IMAP APPEND; return its UID."""
        with self.imap(address, folder) as imap:
            status, data = imap.append(folder, None, None, raw)
        assert status == "OK", data
        match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
        assert match, data
        return int(match.group(1))

    @contextmanager
    def imap(self, address: str = SUPPORT_ADDRESS, folder: str = "INBOX") -> Iterator[imaplib.IMAP4]:
        """A logged-in IMAP connection with ``folder`` selected."""
        imap = imaplib.IMAP4(self.host, self.imap_port, timeout=10)
        try:
            imap.login(address, self.password(address))
            status, data = imap.select(folder)
            assert status == "OK", data
            yield imap
        finally:
            try:
                imap.logout()
            except (imaplib.IMAP4.error, OSError):
                pass

    def messages(self, address: str, folder: str = "INBOX") -> list[tuple[int, bytes]]:
        """Every message in ``address``'s folder as ``(uid, raw bytes)``, oldest first."""
        with self.imap(address, folder) as imap:
            status, data = imap.uid("SEARCH", None, "ALL")
            assert status == "OK", data
            result = []
            for uid in (data[0] or b"").split():
                result.append((int(uid), fetch_uid(imap, int(uid))))
        return result

    def wait_for_messages(
        self, address: str, count: int = 1, timeout: float = 10.0
    ) -> list[tuple[int, bytes]]:
        """Poll ``address``'s INBOX until it holds at least ``count`` messages."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(address)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


def raw_mail(name: str) -> bytes:
    """A stored real-world-shaped mail from tests/fixtures/email/ (``name`` without .eml)."""
    return (FIXTURES / f"{name}.eml").read_bytes()


def fetch_uid(imap: imaplib.IMAP4, uid: int) -> bytes:
    """The raw bytes of message ``uid`` in the selected folder, without setting \\Seen."""
    status, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
    assert status == "OK", data
    for item in data:
        if isinstance(item, tuple):
            return item[1]
    raise AssertionError(f"no message with UID {uid}")


def _run_as() -> pwd.struct_passwd:
    """The account Dovecot runs as: ours, or ``nobody`` when we are root (it refuses root)."""
    if os.geteuid() == 0:
        return pwd.getpwnam("nobody")
    return pwd.getpwuid(os.geteuid())


def _write_self_signed(folder: Path, host: str) -> None:
    """A one-day certificate for ``host`` and localhost (EC key: made in milliseconds)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gopay mail test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(host))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (folder / "key.pem").chmod(0o600)


def _listens(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _greets(host: str, port: int, prefix: bytes) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            return sock.recv(64).startswith(prefix)
    except OSError:
        return False


@pytest.fixture(scope="module", name="mail_server")
def mail_server_fixture() -> Iterator[MailServer]:
    """Dovecot + SMTP relay on loopback, one per test module (about 0.1 s to start).

    Use it as ``mail_server`` after ``from support.mail import mail_server_fixture``
    (not from a conftest: several conftest.py files would clash as top-level modules).
    """
    with MailServer() as server:
        yield server


def customer_mail(
    sender: str,
    subject: str,
    text: str,
    *,
    to: str = SUPPORT_ADDRESS,
    in_reply_to: str | None = None,
    references: tuple[str, ...] = (),
    headers: dict[str, str] | None = None,
    domain: str = "customer.example",
) -> tuple[bytes, str]:
    """A plain customer mail as a mail client writes it: ``(raw bytes, its Message-ID)``."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.datetime.now(datetime.timezone.utc))
    message_id = make_msgid(domain=domain)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    return bytes(message), message_id
