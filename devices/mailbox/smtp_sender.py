"""SMTP sender: one thread sends what the outbox submits (``smtplib``, TLS).

``submit()`` queues an ``OutgoingMessage``; the thread composes it (``mail_compose``),
connects (implicit TLS, STARTTLS or plain for a server on this machine), logs in when the
account has a password and sends. Each attempt ends in one ``sink.send_result``: ok with
the Message-ID as the reference, or a failure that says whether it is worth retrying (a
server that cannot be reached, a 4xx answer) or not (a refused recipient, a 5xx answer).
The outbox owns the retry policy (backoff, when to give up); a message refused for good
shows that on the message, as a bounce that arrives later does.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import smtplib
import ssl
import threading
from typing import Any

from devices.errors import MailboxUnavailable
from devices.events import EventSink, OutgoingMessage, SendResult
from devices.mailbox.imap_driver import tls_context
from devices.mailbox.mail_compose import compose, message_id_for
from devices.mailbox.mail_config import MailboxConfig

log = logging.getLogger("countertop.devices.mailbox")


def open_smtp(config: MailboxConfig, timeout: float = 30.0) -> smtplib.SMTP:
    """A connected (and, with a password, logged-in) SMTP session."""
    host, port = config.smtp_server, config.smtp_port_or_default
    try:
        server: smtplib.SMTP
        if config.smtp_tls == "implicit":
            server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls_context(config))
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
            if config.smtp_tls == "starttls":
                server.starttls(context=tls_context(config))
        if config.password and server.has_extn("auth"):
            server.login(config.smtp_user or config.user, config.password)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailboxUnavailable(f"the SMTP server refused the login ({_reply(exc)})") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise MailboxUnavailable(f"cannot send through {host}:{port} ({exc})") from exc
    return server


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
        else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}"


class SmtpSender:
    """Sends submitted messages from ``config``'s account, one at a time, in order."""

    def __init__(self, config: MailboxConfig, sink: EventSink, *,
                 sender_name: str = "") -> None:
        self.config = config
        self.sender_name = sender_name
        self._sink = sink
        self._queue: queue.Queue[OutgoingMessage | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.failed = 0
        self.last_error = ""

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("SmtpSender already started")
        self._thread = threading.Thread(target=self._run, name="mailbox-smtp", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def submit(self, message: OutgoingMessage) -> None:
        """Queue ``message``; what became of it arrives as ``sink.send_result``."""
        self._queue.put(message)

    def stats(self) -> dict[str, Any]:
        return {"sent": self.sent, "failed": self.failed, "queued": self._queue.qsize(),
                "last_error": self.last_error}

    def _run(self) -> None:
        while True:
            message = self._queue.get()
            if message is None:
                return
            try:
                result = self.send(message)
            except Exception as exc:  # a bug: report it on the message, keep the thread
                log.exception("sending %s failed", message.outbox_id)
                result = SendResult(message.outbox_id, ok=False, at=dt.datetime.now(dt.UTC),
                                    error=f"internal error ({exc})", retry=True)
            if result.ok:
                self.sent += 1
            else:
                self.failed += 1
                self.last_error = result.error or ""
            try:
                self._sink.send_result(result)
            except Exception:
                log.exception("recording the send result of %s failed", message.outbox_id)

    def send(self, message: OutgoingMessage) -> SendResult:
        """One attempt, synchronously (the thread's work; ``mailbox test`` uses it too)."""
        sender = self.config.sender
        now = dt.datetime.now(dt.UTC)
        if not sender:
            return SendResult(message.outbox_id, ok=False, at=now, retry=False,
                              error="the mailbox has no From address (mailbox set --from)")
        mail = compose(message, sender, sender_name=self.sender_name, now=now)
        try:
            server = open_smtp(self.config)
        except MailboxUnavailable as exc:
            return SendResult(message.outbox_id, ok=False, at=now, error=str(exc), retry=True)
        try:
            refused = server.send_message(mail, from_addr=sender, to_addrs=[message.to])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return SendResult(message.outbox_id, ok=False, at=now, retry=400 <= code < 500,
                              error=f"{message.to} refused: {code} "
                                    f"{text.decode('utf-8', 'replace')}")
        except smtplib.SMTPResponseException as exc:
            return SendResult(message.outbox_id, ok=False, at=now,
                              retry=400 <= exc.smtp_code < 500, error=_reply(exc))
        except (TimeoutError, OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            return SendResult(message.outbox_id, ok=False, at=now, retry=True,
                              error=f"sending failed ({exc})")
        finally:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException):
                server.close()
        if refused:
            return SendResult(message.outbox_id, ok=False, at=now, retry=False,
                              error=f"refused: {refused}")
        return SendResult(message.outbox_id, ok=True, at=dt.datetime.now(dt.UTC),
                          reference=message_id_for(message.outbox_id, sender))


def check_smtp(config: MailboxConfig) -> dict[str, Any]:
    """``mailbox test``: connect and log in to the SMTP server, send nothing."""
    server = open_smtp(config, timeout=15.0)
    try:
        return {"smtp": "ok", "smtp_server": f"{config.smtp_server}:"
                                             f"{config.smtp_port_or_default}",
                "auth": bool(server.has_extn("auth"))}
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
