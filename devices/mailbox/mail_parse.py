"""Sans-IO email parsing: RFC 5322 bytes in, a ``ParsedMail`` out.

Built on the standard ``email`` package with ``policy.default``, which reads almost
anything and records what it had to repair as *defects* (a missing closing boundary, a
header it could not parse). We keep reading wherever it does and note those defects on
the message; only bytes it cannot turn into a message at all raise ``MailUnreadable``,
and the driver quarantines those raw.

Text comes from the ``text/plain`` part of a ``multipart/alternative`` when there is one,
else from the HTML, made readable by ``inscriptis`` (lists, tables and paragraphs kept;
not regexes). Charsets are decoded as declared, with the repairs real mail needs: a
Latin-1 label read as Windows-1252 (as browsers do: Outlook's curly quotes), Shift_JIS
read as its Windows superset (cp932), and an unknown or lying declaration falling back
to UTF-8, then Windows-1252, with a defect noted. Everything else is an attachment,
listed with its size. A delivery-status report (RFC 3464) is recognised as a bounce of
the message it names.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import email
import email.header
import email.utils
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from typing import Any

from devices.errors import MailUnreadable
from devices.mailbox.reply_text import preview_text

#: labels mail declares -> the codec that reads what such mail really contains
_CHARSET_REPAIRS = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "us-ascii": "cp1252", "ascii": "cp1252", "shift_jis": "cp932", "shift-jis": "cp932",
    "sjis": "cp932", "x-sjis": "cp932", "windows-31j": "cp932", "ks_c_5601-1987": "cp949",
    "gb2312": "gbk", "utf8": "utf-8", "x-unknown": "",
}
MAX_TEXT = 200_000  # characters of body text kept in the shop's documents


@dataclass(frozen=True)
class MailAttachment:
    """A part that is not the body: a file, an inline image, an attached message."""

    filename: str
    content_type: str
    size: int
    data: bytes = field(repr=False)
    inline: bool = False


@dataclass(frozen=True)
class Bounce:
    """A delivery-status report: which message did not arrive, to whom, and why."""

    original_message_id: str
    recipient: str
    status: str
    diagnostic: str


@dataclass(frozen=True)
class ParsedMail:
    """One message as the inbox shows it. ``message_id`` is "" when the mail has none."""

    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    from_address: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: str
    subject: str
    date: dt.datetime | None
    text: str
    preview: str
    from_html: bool
    attachments: tuple[MailAttachment, ...]
    defects: tuple[str, ...]
    bounce: Bounce | None = None
    auto_submitted: bool = False

    @property
    def reply_address(self) -> str:
        return self.reply_to or self.from_address


def parse_mail(raw: bytes) -> ParsedMail:
    """Read one message; ``MailUnreadable`` when there is no message in ``raw`` at all."""
    if not raw or not raw.strip():
        raise MailUnreadable("the message is empty")
    head = raw[:65536]
    if b":" not in head.split(b"\n\n", 1)[0] and b":" not in head.split(b"\r\n\r\n", 1)[0]:
        raise MailUnreadable("no headers: this is not an email message")
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
    except Exception as exc:  # the parser itself gave up
        raise MailUnreadable(f"the email package cannot read it ({exc})") from exc
    if not isinstance(msg, EmailMessage):
        raise MailUnreadable("not an email message")
    defects: list[str] = [_defect_text(d) for d in msg.defects]
    try:
        return _read(msg, defects)
    except MailUnreadable:
        raise
    except Exception as exc:  # a structure the email package cannot walk
        raise MailUnreadable(f"cannot read the message structure ({exc!r})") from exc


def _read(msg: EmailMessage, defects: list[str]) -> ParsedMail:
    from_name, from_address = _address(msg, "From", defects)
    _, reply_to = _address(msg, "Reply-To", defects)
    message_id = _msg_id(_header(msg, "Message-ID", defects))
    if not message_id:
        defects.append("no Message-ID")
    in_reply_to = _msg_id(_header(msg, "In-Reply-To", defects))
    references = tuple(re.findall(r"<[^<>\s]+>", _header(msg, "References", defects)))
    body = _Body(defects)
    body.walk(msg)
    text, from_html = body.text()
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + "\n[…text cut: the whole message is kept on this till]"
        defects.append(f"text longer than {MAX_TEXT} characters")
    date = None
    raw_date = _header(msg, "Date", defects)
    if raw_date:
        try:
            date = email.utils.parsedate_to_datetime(raw_date)
            if date.tzinfo is None:
                date = date.replace(tzinfo=dt.UTC)
        except (TypeError, ValueError, IndexError):
            defects.append(f"unreadable Date {raw_date[:60]!r}")
    auto = _header(msg, "Auto-Submitted", defects).lower()
    return ParsedMail(
        message_id=message_id, in_reply_to=in_reply_to, references=references,
        from_address=from_address, from_name=from_name,
        to=tuple(a for _, a in _addresses(msg, "To", defects)),
        cc=tuple(a for _, a in _addresses(msg, "Cc", defects)), reply_to=reply_to,
        subject=" ".join(_header(msg, "Subject", defects).split()), date=date, text=text,
        preview=preview_text(text), from_html=from_html, attachments=tuple(body.attachments),
        defects=tuple(dict.fromkeys(defects)), bounce=_bounce(msg, defects),
        auto_submitted=bool(auto) and auto != "no")


# ------------------------------------------------------------------ headers


def _header(msg: Message, name: str, defects: list[str]) -> str:
    """A header's decoded text ("" when absent); a header the policy cannot parse is read
    from its raw value instead, with a defect noted."""
    try:
        value = msg.get(name)
    except Exception as exc:  # policy.default raises on some malformed headers
        defects.append(f"unparseable {name} header ({exc.__class__.__name__})")
        return _raw_header(msg, name)
    if value is None:
        return ""
    text = str(value)
    for d in getattr(value, "defects", ()):
        defects.append(f"{name}: {_defect_text(d)}")
    if "\ufffd" in text:  # raw 8-bit bytes in the header: read them as we read bodies
        raw = _raw_header(msg, name)
        if raw and "\ufffd" not in raw:
            defects.append(f"8-bit characters in the {name} header")
            return " ".join(raw.split())
    return _unsurrogate(text)


def _raw_header(msg: Message, name: str) -> str:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            parts = []
            try:
                for chunk, charset in email.header.decode_header(str(value)):
                    parts.append(chunk if isinstance(chunk, str)
                                 else _decode_bytes(chunk, charset, []))
            except Exception:
                return _unsurrogate(str(value))
            return _unsurrogate("".join(parts)).strip()
    return ""


def _unsurrogate(text: str) -> str:
    """Undo surrogateescape (8-bit bytes in headers): read them as UTF-8, else cp1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    data = text.encode("utf-8", "surrogateescape")
    return _decode_bytes(data, None, [])


def _address(msg: Message, name: str, defects: list[str]) -> tuple[str, str]:
    found = _addresses(msg, name, defects)
    return found[0] if found else ("", "")


def _addresses(msg: Message, name: str, defects: list[str]) -> list[tuple[str, str]]:
    text = _header(msg, name, defects)
    if not text:
        return []
    out = []
    for display, addr in email.utils.getaddresses([text]):
        addr = addr.strip().strip("<>").lower()
        if "@" in addr:
            out.append((display.strip(), addr))
    if not out:
        defects.append(f"no address in {name}: {text[:60]!r}")
    return out


def _msg_id(text: str) -> str:
    found = re.search(r"<[^<>\s]+>", text or "")
    if found:
        return found.group(0)
    bare = (text or "").strip()
    return f"<{bare}>" if bare and " " not in bare and "@" in bare else ""


def _defect_text(defect: Any) -> str:
    name = re.sub(r"(?<!^)(?=[A-Z])", " ", type(defect).__name__).lower()
    return name.replace(" defect", "")


# ------------------------------------------------------------------ bodies


class _Body:
    """Collects the readable text and the attachments of one message tree."""

    def __init__(self, defects: list[str]) -> None:
        self.defects = defects
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[MailAttachment] = []

    def walk(self, part: Message, in_alternative: bool = False) -> None:
        ctype = part.get_content_type()
        if part.is_multipart():
            payload = part.get_payload()
            children = [c for c in payload if isinstance(c, Message)] \
                if isinstance(payload, list) else []
            if ctype == "multipart/alternative":
                self._alternative(children)
                return
            if ctype == "multipart/report":
                for child in children:
                    if child.get_content_type() in ("message/delivery-status",
                                                    "text/rfc822-headers"):
                        continue
                    self.walk(child)
                return
            for child in children:
                self.walk(child)
            return
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if ctype == "text/plain" and disposition != "attachment" and not filename:
            self.plain.append(self._text_of(part))
        elif ctype == "text/html" and disposition != "attachment" and not filename:
            self.html.append(self._text_of(part))
        else:
            self._attach(part, ctype, disposition, filename)

    def _alternative(self, children: list[Message]) -> None:
        plain = [c for c in children if c.get_content_type() == "text/plain"]
        if plain:
            self.plain.append(self._text_of(plain[-1]))
        else:
            html = [c for c in children if c.get_content_type() == "text/html"]
            if html:
                self.html.append(self._text_of(html[-1]))
            else:
                for child in children[-1:]:
                    self.walk(child)
        for child in children:  # inline images of a related part, and the like
            if child.is_multipart():
                sub = _Body(self.defects)
                sub.walk(child)
                if not plain and not self.html and not self.plain:
                    self.plain.extend(sub.plain)
                    self.html.extend(sub.html)
                self.attachments.extend(sub.attachments)

    def _text_of(self, part: Message) -> str:
        data = _payload_bytes(part, self.defects)
        return _decode_bytes(data, part.get_content_charset(), self.defects)

    def _attach(self, part: Message, ctype: str, disposition: str, filename: str) -> None:
        if ctype == "message/rfc822":
            inner = part.get_payload()
            data = (inner[0].as_bytes(policy=policy.default)
                    if isinstance(inner, list) and inner and isinstance(inner[0], Message)
                    else _payload_bytes(part, self.defects))
            filename = filename or "attached-message.eml"
        else:
            data = _payload_bytes(part, self.defects)
        self.attachments.append(MailAttachment(
            filename=filename or f"part-{len(self.attachments) + 1}{_extension(ctype)}",
            content_type=ctype, size=len(data), data=data, inline=disposition == "inline"))

    def text(self) -> tuple[str, bool]:
        """The message's readable text, and whether it came from HTML."""
        plain = "\n\n".join(t.strip("\n") for t in self.plain if t.strip())
        if plain:
            return _normalise(plain), False
        html = "\n\n".join(h for h in self.html if h.strip())
        if html:
            return _normalise(html_to_text(html, self.defects)), True
        return "", False


def _payload_bytes(part: Message, defects: list[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception as exc:
        defects.append(f"undecodable {part.get_content_type()} part ({exc.__class__.__name__})")
        raw = part.get_payload()
        return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    for d in part.defects:
        defects.append(_defect_text(d))
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _decode_bytes(data: bytes, declared: str | None, defects: list[str]) -> str:
    """``data`` as text: as declared (with the repairs real mail needs), else UTF-8, else
    Windows-1252, else Latin-1 (which reads every byte)."""
    label = (declared or "").strip().strip('"').lower()
    tried: list[str] = []
    if label:
        repaired = _CHARSET_REPAIRS.get(label, label)
        for name in dict.fromkeys(n for n in (repaired, label) if n):
            try:
                codecs.lookup(name)
            except LookupError:
                continue
            tried.append(name)
            try:
                return data.decode(name)
            except UnicodeDecodeError:
                continue
        defects.append(f"text is not in its declared charset {declared!r}" if tried
                       else f"unknown charset {declared!r}")
    for name in ("utf-8", "cp1252"):
        if name in tried:
            continue
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def html_to_text(html: str, defects: list[str] | None = None) -> str:
    """Readable text of an HTML body (``inscriptis``: block layout, lists, tables)."""
    from inscriptis import get_text

    try:
        return str(get_text(html))
    except Exception as exc:  # lxml refuses some broken documents outright
        if defects is not None:
            defects.append(f"HTML not readable as a document ({exc.__class__.__name__})")
        return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", html)).strip()


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = [ln.rstrip() for ln in text.split("\n")]
    out = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


def _filename(part: Message) -> str:
    name = None
    with contextlib.suppress(Exception):
        name = part.get_filename()
    return _unsurrogate(str(name)).strip().replace("/", "_").replace("\\", "_") if name else ""


def _extension(ctype: str) -> str:
    return {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
            "application/pdf": ".pdf", "text/calendar": ".ics", "text/plain": ".txt",
            "text/html": ".html", "message/rfc822": ".eml"}.get(ctype, ".bin")


# ------------------------------------------------------------------ bounces


def _bounce(msg: EmailMessage, defects: list[str]) -> Bounce | None:
    """The delivery-status report in ``msg`` (RFC 3464), if it is one."""
    if msg.get_content_type() != "multipart/report":
        return None
    status_part = original = None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status" and status_part is None:
            status_part = part
        elif ctype in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = part
    if status_part is None:
        return None
    fields: dict[str, str] = {}
    blocks = status_part.get_payload()
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, Message):
            continue
        for key, value in block.items():
            fields.setdefault(key.lower(), str(value))
    original_id = ""
    if original is not None:
        inner = original.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            original_id = _msg_id(_header(inner[0], "Message-ID", defects))
        else:
            text = _decode_bytes(_payload_bytes(original, defects), "utf-8", [])
            found = re.search(r"^Message-ID:\s*(<[^>\s]+>)", text, re.I | re.M)
            original_id = found.group(1) if found else ""
    recipient = fields.get("final-recipient", "").partition(";")[2].strip()
    return Bounce(original_message_id=original_id, recipient=recipient.lower(),
                  status=fields.get("status", ""), diagnostic=" ".join(
                      fields.get("diagnostic-code", fields.get("action", "")).split()))
