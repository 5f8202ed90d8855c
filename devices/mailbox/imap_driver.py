"""IMAP driver: one thread owns the connection and brings the mailbox's mail in.

On connect (implicit TLS, STARTTLS, or plain for a server on this machine) it logs in,
selects the folder and catches up: every message after the last UID it handled (or,
the first time and after a UIDVALIDITY change, every unseen one). Then it waits in IDLE
and, as a fallback and a safety net for lost notifications, checks every
``poll_interval`` seconds (servers without IDLE are simply polled).

Nothing is lost: each message is fetched with ``BODY.PEEK[]`` (which leaves it unseen),
parsed (``mail_parse``), its source and attachments written to the till's disk
(``mail_store``), and handed to ``sink.deliver``, which returns once it is fsynced in the
shop's documents. Only then is it flagged ``\\Seen`` (or moved to the processed folder)
and the last UID recorded (``imap_state``). A crash anywhere in between fetches it again
and the ledger's dedupe key stores it once. Mail the ``email`` package cannot read at
all goes to ``sink.quarantine`` with its reason, the source kept on disk.

A dropped connection, a server restart or a refused login is retried with backoff
(``reconnect_delay``), and the catch-up on return brings in what arrived meanwhile.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devices.errors import MailboxUnavailable, MailUnreadable
from devices.events import Channel, DeviceStatus, EventSink, InboundMessage, QuarantinedInput
from devices.mailbox.imap_state import FolderState, ImapState
from devices.mailbox.mail_config import MailboxConfig
from devices.mailbox.mail_parse import ParsedMail, parse_mail
from devices.mailbox.mail_store import MailStore

log = logging.getLogger("countertop.devices.mailbox")

DEVICE = "mailbox"
FETCH_BATCH = 25
HEADER_KEEP = 16_384  # bytes of the header block kept in the documents (the rest on disk)


def tls_context(config: MailboxConfig) -> ssl.SSLContext:
    """The system's trust store, plus the shop's own CA when one was given."""
    context = ssl.create_default_context()
    if config.ca_file:
        context.load_verify_locations(cafile=config.ca_file)
    return context


def open_imap(config: MailboxConfig, timeout: float = 30.0) -> Any:
    """A logged-in ``IMAPClient`` (``MailboxUnavailable`` in words when it cannot be)."""
    import imapclient
    from imapclient.exceptions import IMAPClientError, LoginError

    host, port = config.imap_host, config.imap_port_or_default
    try:
        client = imapclient.IMAPClient(host, port=port, ssl=config.imap_tls == "implicit",
                                       ssl_context=tls_context(config), timeout=timeout)
    except (OSError, IMAPClientError) as exc:
        raise MailboxUnavailable(f"cannot reach the IMAP server {host}:{port} ({exc})") from exc
    try:
        if config.imap_tls == "starttls":
            client.starttls(tls_context(config))
        client.login(config.user, config.password)
    except LoginError as exc:
        _quietly_close(client)
        raise MailboxUnavailable(f"the IMAP server refused the login for {config.user} "
                                 f"({_text(exc)})") from exc
    except (OSError, IMAPClientError) as exc:
        _quietly_close(client)
        raise MailboxUnavailable(f"IMAP {host}:{port}: {_text(exc)}") from exc
    client.normalise_times = False  # INTERNALDATE with its offset
    return client


def _quietly_close(client: Any) -> None:
    try:
        client.logout()
    except Exception:
        with contextlib.suppress(Exception):
            client.shutdown()


def _text(exc: BaseException) -> str:
    text = str(exc)
    return text[2:-1] if text.startswith("b'") and text.endswith("'") else text


class MailboxDriver:
    """Brings mail from ``config``'s folder to ``sink``; ``start()``/``stop()`` its thread."""

    def __init__(self, config: MailboxConfig, sink: EventSink, *, state_path: Path,
                 store_root: Path, reconnect_delay: tuple[float, float] = (1.0, 120.0),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._sink = sink
        self._state = ImapState(state_path)
        self._store = MailStore(store_root)
        self._reconnect_delay = reconnect_delay
        self._clock = clock
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: Any = None
        self._status: DeviceStatus | None = None
        self._lock = threading.Lock()
        self.fetched = 0
        self.quarantined = 0
        self.last_check: dt.datetime | None = None
        self.idle_supported: bool | None = None
        self.connected_since: dt.datetime | None = None

    # ---------------------------------------------------------------- public API

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("MailboxDriver already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="mailbox-imap", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.error("mailbox thread did not stop within %.1f s", timeout)

    def check_now(self) -> None:
        """Leave IDLE and catch up at once (after the settings changed, or on request)."""
        self._wake.set()

    @property
    def status(self) -> DeviceStatus | None:
        return self._status

    def stats(self) -> dict[str, Any]:
        state = self._state.get(self._state_key)
        return {"state": self._status.state if self._status else "stopped",
                "detail": self._status.detail if self._status else "",
                "fetched": self.fetched, "quarantined": self.quarantined,
                "idle": self.idle_supported,
                "last_check": self.last_check.isoformat() if self.last_check else None,
                "connected_since": (self.connected_since.isoformat()
                                    if self.connected_since else None),
                "uidvalidity": state.uidvalidity if state else None,
                "last_uid": state.last_uid if state else None}

    @property
    def _state_key(self) -> str:
        c = self.config
        return f"{c.user}@{c.imap_host}:{c.imap_port_or_default}/{c.folder}"

    # ---------------------------------------------------------------- thread

    def _report(self, state: str, detail: str = "") -> None:
        status = DeviceStatus(device=DEVICE, state=state, detail=detail,
                              port=f"{self.config.imap_host}:{self.config.imap_port_or_default}")
        if status == self._status:
            return
        self._status = status
        try:
            self._sink.status(status)
        except Exception:
            log.exception("reporting mailbox status failed")

    def _run(self) -> None:
        delay = self._reconnect_delay[0]
        while not self._stop.is_set():
            self._report("connecting")
            served = False
            try:
                self._client = open_imap(self.config)
                self.connected_since = dt.datetime.now(dt.UTC)
                self._report("ok", f"connected as {self.config.user}")
                served = True
                self._serve(self._client)
            except MailboxUnavailable as exc:
                log.warning("%s", exc)
                self._report("disconnected", str(exc))
            except (TimeoutError, OSError, EOFError, ssl.SSLError) as exc:
                log.warning("IMAP connection lost: %s", exc)
                self._report("disconnected", f"connection lost ({exc})")
            except Exception as exc:
                if _is_imap_error(exc):
                    log.warning("IMAP error: %s", exc)
                    self._report("error", _text(exc))
                else:  # a bug: log it with context, keep the channel alive
                    log.exception("mailbox driver failed; reconnecting")
                    self._report("error", "internal error, see log")
            finally:
                client, self._client = self._client, None
                self.connected_since = None
                if client is not None:
                    _quietly_close(client)
            if self._stop.is_set():
                break
            if served:
                delay = self._reconnect_delay[0]
            self._wake.clear()
            if self._stop.wait(delay):
                break
            delay = min(delay * 2, self._reconnect_delay[1])
        self._report("stopped")

    def _serve(self, client: Any) -> None:
        if self.config.processed_folder and not client.folder_exists(
                self.config.processed_folder):
            client.create_folder(self.config.processed_folder)
        selected = client.select_folder(self.config.folder)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        uidnext = int(selected.get(b"UIDNEXT", 0) or 0)
        self.idle_supported = b"IDLE" in client.capabilities()
        self._catch_up_fully(client, uidvalidity, uidnext)
        while not self._stop.is_set():
            self._wait_for_mail(client)
            if self._stop.is_set():
                return
            self._catch_up_fully(client, uidvalidity, 0)

    def _catch_up_fully(self, client: Any, uidvalidity: int, uidnext: int) -> None:
        """Catch up until a search finds nothing new. Mail that arrives while we fetch is
        announced (EXISTS) in the answers to those commands, not again in the IDLE that
        follows: idling right after a catch-up that found mail would leave it waiting for
        the next poll (measured: the tail of a 500-mail burst waited the full minute)."""
        while self._catch_up(client, uidvalidity, uidnext) and not self._stop.is_set():
            uidnext = 0

    def _wait_for_mail(self, client: Any) -> None:
        """IDLE until the server says something changed, the poll interval passes, or we
        are woken; without IDLE, a NOOP after the interval."""
        limit = min(self.config.poll_interval, self.config.idle_renew)
        started = self._clock()
        if not self.idle_supported:
            while not self._wake.is_set() and self._clock() - started < limit:
                self._wake.wait(0.5)
            self._wake.clear()
            client.noop()
            return
        client.idle()
        try:
            while not self._wake.is_set() and self._clock() - started < limit:
                responses = client.idle_check(timeout=0.5)
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    break
        finally:
            self._wake.clear()
            client.idle_done()

    # ---------------------------------------------------------------- catching up

    def _catch_up(self, client: Any, uidvalidity: int, uidnext: int) -> int:
        """Handle every message after the last one handled; how many there were."""
        key = self._state_key
        known = self._state.get(key)
        if known is None or known.uidvalidity != uidvalidity:
            if known is not None:
                log.warning("folder %s has a new UIDVALIDITY (%s, was %s): reading its unseen "
                            "mail again", self.config.folder, uidvalidity, known.uidvalidity)
            uids = sorted(int(u) for u in client.search(["UNSEEN"]))
            floor = max(uidnext - 1, 0)
            if not uids:
                self._state.set(key, FolderState(uidvalidity, floor))
        else:
            floor = known.last_uid
            uids = sorted(int(u) for u in client.search(["UID", f"{known.last_uid + 1}:*"])
                          if int(u) > known.last_uid)
        self.last_check = dt.datetime.now(dt.UTC)
        for start in range(0, len(uids), FETCH_BATCH):
            if self._stop.is_set():
                return 0
            batch = uids[start:start + FETCH_BATCH]
            fetched = client.fetch(batch, ["BODY.PEEK[]", "INTERNALDATE"])
            handled: list[int] = []
            try:
                for uid in batch:
                    item = fetched.get(uid)
                    if item is None:  # expunged meanwhile
                        handled.append(uid)
                        continue
                    self._handle(uid, bytes(item.get(b"BODY[]") or b""),
                                 item.get(b"INTERNALDATE"))
                    handled.append(uid)
            finally:
                if handled:
                    self._mark_handled(client, handled)
                    floor = max(floor, *handled)
                    self._state.set(key, FolderState(uidvalidity, floor))
        return len(uids)

    def _mark_handled(self, client: Any, uids: list[int]) -> None:
        """Only after the sink returned for each: flag them seen, or move them away."""
        target = self.config.processed_folder
        if not target:
            client.add_flags(uids, [b"\\Seen"], silent=True)
            return
        if b"MOVE" in client.capabilities():
            client.move(uids, target)
            return
        client.copy(uids, target)
        client.add_flags(uids, [b"\\Deleted", b"\\Seen"], silent=True)
        if b"UIDPLUS" in client.capabilities():
            client.uid_expunge(uids)
        else:
            client.expunge()

    def _handle(self, uid: int, raw: bytes, internal_date: Any) -> None:
        arrived = internal_date if isinstance(internal_date, dt.datetime) else None
        if arrived is not None and arrived.tzinfo is None:
            arrived = arrived.replace(tzinfo=dt.UTC)
        digest = hashlib.sha256(raw).hexdigest()
        try:
            parsed = parse_mail(raw)
        except MailUnreadable as exc:
            path = self._store.save_raw(raw)
            self._sink.quarantine(QuarantinedInput(
                source="email", raw=raw[:HEADER_KEEP].decode("utf-8", "replace"),
                reason=f"{exc} (source kept on this till: {path.name})",
                at=arrived or dt.datetime.now(dt.UTC), dedupe_key=f"email:raw:{digest}"))
            self.quarantined += 1
            return
        self._sink.deliver(self._inbound(uid, raw, digest, parsed, arrived))
        self.fetched += 1

    def _inbound(self, uid: int, raw: bytes, digest: str, parsed: ParsedMail,
                 arrived: dt.datetime | None) -> InboundMessage:
        raw_path = self._store.save_raw(raw)
        attachments = []
        for att in parsed.attachments:
            path = self._store.save_attachment(att.data, att.filename)
            attachments.append({"name": att.filename, "type": att.content_type,
                                "size": att.size, "inline": att.inline,
                                "sha256": path.stem, "path": str(path)})
        header_end = raw.find(b"\r\n\r\n")
        header_end = raw.find(b"\n\n") if header_end < 0 else header_end
        headers = raw[:header_end if 0 <= header_end < HEADER_KEEP else HEADER_KEEP]
        meta = {"message_id": parsed.message_id, "in_reply_to": parsed.in_reply_to,
                "references": " ".join(parsed.references), "from_name": parsed.from_name,
                "to": ", ".join(parsed.to), "cc": ", ".join(parsed.cc),
                "reply_to": parsed.reply_to, "preview": parsed.preview,
                "attachments": json.dumps(attachments) if attachments else "",
                "defects": json.dumps(list(parsed.defects)) if parsed.defects else "",
                "html": "1" if parsed.from_html else "", "size": str(len(raw)),
                "source": str(raw_path), "folder": self.config.folder, "uid": str(uid),
                "auto": "1" if parsed.auto_submitted else ""}
        if parsed.bounce is not None:
            meta["bounce_for"] = parsed.bounce.original_message_id
            meta["bounce_status"] = parsed.bounce.status
            meta["bounce_reason"] = parsed.bounce.diagnostic
            meta["bounce_recipient"] = parsed.bounce.recipient
        key = f"email:{parsed.message_id}" if parsed.message_id else f"email:raw:{digest}"
        return InboundMessage(
            channel=Channel.EMAIL, sender=parsed.from_address or "unknown sender",
            body=parsed.text, received_at=arrived or parsed.date or dt.datetime.now(dt.UTC),
            dedupe_key=key, raw=headers.decode("utf-8", "replace"),
            recipient=parsed.to[0] if parsed.to else self.config.sender,
            subject=parsed.subject, meta={k: v for k, v in meta.items() if v})


def _is_imap_error(exc: BaseException) -> bool:
    from imapclient.exceptions import IMAPClientError

    return isinstance(exc, IMAPClientError) or type(exc).__module__.startswith("imaplib")


def check_mailbox(config: MailboxConfig) -> dict[str, Any]:
    """``mailbox test``: log in, select the folder, report what the server offers."""
    client = open_imap(config, timeout=15.0)
    try:
        caps = sorted(c.decode() for c in client.capabilities())
        selected = client.select_folder(config.folder, readonly=True)
        unseen = len(client.search(["UNSEEN"]))
        return {"imap": "ok", "folder": config.folder,
                "messages": int(selected.get(b"EXISTS", 0)), "unseen": unseen,
                "idle": "IDLE" in caps, "capabilities": caps}
    except Exception as exc:
        if _is_imap_error(exc) or isinstance(exc, OSError):
            raise MailboxUnavailable(f"IMAP folder {config.folder}: {_text(exc)}") from exc
        raise
    finally:
        _quietly_close(client)
