"""Talking to the mail provider: reading the support folder over IMAP, sending over SMTP.

Both use the standard library (``imaplib``, ``smtplib``) and block, so the service runs them
in a worker thread. TLS is always verified (system CAs or ``GOPAY_EMAIL_TLS_CA_FILE``); plain
connections are only possible to loopback hosts (:mod:`.settings` refuses anything else).

The folder is opened read-only (``EXAMINE``) and bodies are fetched with ``BODY.PEEK``: the
channel never changes flags or deletes mail, so people may read the mailbox with another
client too. Which mails are new is decided by UID alone (:mod:`.store`), never by ``\\Seen``.
"""

from __future__ import annotations

import imaplib
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import date

from channels.email.settings import EmailSettings
from gopay_support.core.pii import mask

IMAP_TIMEOUT = 30.0
SMTP_TIMEOUT = 30.0
_SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class MailboxError(Exception):
    """The IMAP server refused a command or the connection broke."""


class PermanentFailure(Exception):
    """The relay refused the mail for good (5xx): retrying cannot help."""


def tls_context(settings: EmailSettings) -> ssl.SSLContext:
    """A verifying client context: system CAs, or only the configured CA bundle."""
    return (
        ssl.create_default_context(cafile=settings.tls_ca_file)
        if settings.tls_ca_file
        else (ssl.create_default_context())
    )


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    uidnext: int | None
    exists: int


class Mailbox:
    """One IMAP connection to the support folder (blocking; one thread at a time)."""

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings
        self._imap: imaplib.IMAP4 | None = None

    def open(self) -> FolderState:
        """(Re)select the folder read-only and return its UIDVALIDITY and size."""
        if self._imap is None:
            self._imap = self._connect()
        imap = self._imap
        try:
            status, data = imap.select(_quoted(self.settings.imap_folder), readonly=True)
            if status != "OK":
                raise MailboxError(f"cannot open the folder: {status}")
            uidvalidity = _first_int(imap.response("UIDVALIDITY")[1])
            uidnext = _first_int(imap.response("UIDNEXT")[1])
            if uidvalidity is None:
                raise MailboxError("the server gave no UIDVALIDITY")
            return FolderState(uidvalidity, uidnext, int(data[0] or 0) if data and data[0] else 0)
        except (imaplib.IMAP4.error, OSError) as error:
            self.close()
            raise MailboxError(f"{type(error).__name__}: {error}") from error

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above ``last_uid``, ascending (``n:*`` also answers the highest UID: dropped)."""
        status, data = self._call("uid", "SEARCH", None, f"UID {last_uid + 1}:*")
        if status != "OK":
            raise MailboxError(f"UID SEARCH failed: {status}")
        uids = sorted({int(x) for x in (data[0] or b"").split()})
        return [uid for uid in uids if uid > last_uid]

    def uids_since(self, day: date) -> list[int]:
        """UIDs of the mails that arrived on ``day`` or later (IMAP dates are whole days)."""
        status, data = self._call(
            "uid", "SEARCH", None, f"SINCE {day.day}-{_MONTHS[day.month - 1]}-{day.year}"
        )
        if status != "OK":
            raise MailboxError(f"UID SEARCH failed: {status}")
        return sorted({int(x) for x in (data[0] or b"").split()})

    def highest_uid(self) -> int:
        status, data = self._call("uid", "SEARCH", None, "ALL")
        if status != "OK":
            raise MailboxError(f"UID SEARCH failed: {status}")
        uids = [int(x) for x in (data[0] or b"").split()]
        return max(uids, default=0)

    def size(self, uid: int) -> int | None:
        """``RFC822.SIZE`` of the mail, or ``None`` when it is gone (expunged meanwhile)."""
        status, data = self._call("uid", "FETCH", str(uid), "(RFC822.SIZE)")
        if status != "OK":
            raise MailboxError(f"UID FETCH failed: {status}")
        for item in data:
            raw = item[0] if isinstance(item, tuple) else item
            if isinstance(raw, bytes):
                found = _SIZE_RE.search(raw)
                if found:
                    return int(found.group(1))
        return None

    def fetch(self, uid: int, headers_only: bool = False) -> bytes | None:
        """The raw mail (or only its header), without setting ``\\Seen``."""
        part = "BODY.PEEK[HEADER]" if headers_only else "BODY.PEEK[]"
        status, data = self._call("uid", "FETCH", str(uid), f"({part})")
        if status != "OK":
            raise MailboxError(f"UID FETCH failed: {status}")
        for item in data:
            if isinstance(item, tuple) and isinstance(item[1], bytes):
                return item[1]
        return None

    def close(self) -> None:
        imap, self._imap = self._imap, None
        if imap is None:
            return
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass

    def _call(self, name: str, *args: object) -> tuple[str, list]:  # type: ignore[type-arg]
        if self._imap is None:
            raise MailboxError("not connected")
        try:
            return getattr(self._imap, name)(*args)  # type: ignore[no-any-return]
        except (imaplib.IMAP4.error, OSError) as error:
            self.close()
            raise MailboxError(f"{type(error).__name__}: {error}") from error

    def _connect(self) -> imaplib.IMAP4:
        s = self.settings
        try:
            imap: imaplib.IMAP4
            if s.imap_tls == "ssl":
                imap = imaplib.IMAP4_SSL(
                    s.imap_host, s.imap_port, ssl_context=tls_context(s), timeout=IMAP_TIMEOUT
                )
            else:
                imap = imaplib.IMAP4(s.imap_host, s.imap_port, timeout=IMAP_TIMEOUT)
                if s.imap_tls == "starttls":
                    imap.starttls(ssl_context=tls_context(s))
            imap.login(s.imap_user, s.imap_password)
            return imap
        except (imaplib.IMAP4.error, OSError) as error:
            # Never the password; imaplib's messages carry the server's words only.
            raise MailboxError(f"cannot log in to the mailbox: {type(error).__name__}") from error


def send(settings: EmailSettings, raw: bytes, recipient: str) -> None:
    """Hand one mail to the SMTP relay (blocking). Raises :class:`PermanentFailure` on 5xx."""
    s = settings
    try:
        smtp: smtplib.SMTP
        if s.smtp_tls == "ssl":
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT, context=tls_context(s))
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT)
        with smtp:
            if s.smtp_tls == "starttls":
                smtp.starttls(context=tls_context(s))
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
            smtp.sendmail(s.from_address, [recipient], raw)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        if all(code >= 500 for code in codes):
            raise PermanentFailure(f"recipient refused ({', '.join(map(str, codes))})") from None
        raise ConnectionError(f"recipient deferred ({', '.join(map(str, codes))})") from None
    except smtplib.SMTPResponseException as error:
        said = _said(error.smtp_error)
        if error.smtp_code >= 500 and not isinstance(error, smtplib.SMTPAuthenticationError):
            raise PermanentFailure(f"relay refused ({error.smtp_code} {said})") from None
        raise ConnectionError(f"relay answered {error.smtp_code} {said}") from None
    except smtplib.SMTPException as error:
        raise ConnectionError(type(error).__name__) from None


def _said(reply: bytes | str) -> str:
    """The relay's words, short and masked (they may quote an address)."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return mask(" ".join(text.split())[:120])


def _first_int(values: list | None) -> int | None:  # type: ignore[type-arg]
    for value in values or ():
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace")
        if value is None:
            continue
        try:
            return int(str(value).split()[0])
        except (ValueError, IndexError):
            continue
    return None


def _quoted(folder: str) -> str:
    """A folder name as an IMAP quoted string (spaces and quotes allowed)."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
