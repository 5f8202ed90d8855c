"""Real-world shaped MIME messages for the email tests (built as bytes, as servers hold them)."""

from __future__ import annotations

import datetime as dt
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


def alternative(*, sender: str = "Ann Smith <ann@example.com>", to: str = "shop@127.0.0.1",
                subject: str = "Order for Saturday", msgid: str | None = None,
                text: str = "Hi, 2 loaves of sourdough for Saturday please.\n\nAnn",
                html: str | None = None, attachment: bytes | None = None,
                attachment_name: str = "list.pdf", in_reply_to: str = "") -> bytes:
    """multipart/alternative (plain + HTML), with an optional attachment."""
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, to, subject
    m["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    m["Message-ID"] = msgid or make_msgid(domain="example.com")
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
        m["References"] = in_reply_to
    m.set_content(text)
    m.add_alternative(html or f"<html><body><p>{text.replace(chr(10), '<br>')}</p></body></html>",
                      subtype="html")
    if attachment is not None:
        m.add_attachment(attachment, maintype="application", subtype="pdf",
                         filename=attachment_name)
    return m.as_bytes()


def html_only(msgid: str = "<html-only@example.com>") -> bytes:
    return (b"From: Bob <bob@example.com>\r\nTo: shop@127.0.0.1\r\nSubject: Menu question\r\n"
            b"Message-ID: " + msgid.encode() + b"\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: text/html; charset=utf-8\r\n\r\n"
            b"<html><head><style>p{color:red}</style></head><body><p>Do you have</p><ul>"
            b"<li>rye bread</li><li>spelt rolls</li></ul><table><tr><td>Qty</td><td>3</td></tr>"
            b"</table></body></html>\r\n")


def latin1(msgid: str = "<latin1@example.de>") -> bytes:
    """Declared ISO-8859-1, written by Outlook with Windows-1252 curly quotes."""
    return (b"From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <jm@example.de>\r\nTo: shop@127.0.0.1\r\n"
            b"Subject: =?iso-8859-1?q?Bestellung_f=FCr_Montag?=\r\nMessage-ID: " + msgid.encode()
            + b"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\n"
            b"Gr\xfc\xdfe, bitte 3 Br\xf6tchen \x93ohne K\xf6rner\x94.\r\n")


def windows1252(msgid: str = "<cp1252@example.fr>") -> bytes:
    return (b"From: chloe@example.fr\r\nTo: shop@127.0.0.1\r\nSubject: Commande\r\n"
            b"Message-ID: " + msgid.encode() + b"\r\nContent-Type: text/plain; "
            b"charset=windows-1252\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            b"Deux baguettes =80 2,40 =96 merci =85\r\n")


def shift_jis(msgid: str = "<sjis@example.jp>") -> bytes:
    body = "明日、食パンを二斤お願いします。".encode("shift_jis")
    subject = Header("パンの注文", "shift_jis").encode().encode()
    return (b"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\r\n"
            b"To: shop@127.0.0.1\r\nSubject: " + subject + b"\r\n"
            b"Message-ID: " + msgid.encode() + b"\r\nContent-Type: text/plain; "
            b"charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n")


def lying_charset(msgid: str = "<liar@example.com>") -> bytes:
    """Says UTF-8, is Latin-1; and another says a charset nobody knows."""
    return (b"From: liar@example.com\r\nTo: shop@127.0.0.1\r\nSubject: caf\xe9\r\n"
            b"Message-ID: " + msgid.encode() + b"\r\nContent-Type: text/plain; charset=utf-8"
            b"\r\n\r\nOne caf\xe9 cr\xe8me please\r\n")


def broken_mime(msgid: str = "<broken@example.com>") -> bytes:
    """No closing boundary and a garbled header: readable, with defects."""
    return (b"From: broken@example.com\r\nTo: shop@127.0.0.1\r\nSubject: broken\r\n"
            b"Message-ID: " + msgid.encode() + b"\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n"
            b"X-Garbled: =?utf-8?q?unterminated\r\n\r\n"
            b"--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            b"Still readable: 1 focaccia\r\n--XYZ\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; "
            b"filename=\"cut.bin\"\r\n\r\nAAEC\r\n")


def no_message_id() -> bytes:
    return (b"From: nomid@example.com\r\nTo: shop@127.0.0.1\r\nSubject: no id\r\n"
            b"Date: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nA message without an id.\r\n")


def unreadable() -> bytes:
    return b"\x00\x01\x02 this is not a mail message at all \xff\xfe\r\n"


def big(msgid: str = "<big@example.com>", size: int = 5 * 1024 * 1024) -> bytes:
    return alternative(sender="big@example.com", subject="Photos of the cake", msgid=msgid,
                       text="The photos are attached.", attachment=bytes(range(256)) *
                       (size // 256), attachment_name="cake-photos.pdf")


def bounce(original_id: str, recipient: str = "nobody@example.com") -> bytes:
    """An RFC 3464 delivery-status report for the message ``original_id``."""
    return (b"From: MAILER-DAEMON@127.0.0.1\r\nTo: shop@127.0.0.1\r\n"
            b"Subject: Undelivered Mail Returned to Sender\r\n"
            b"Message-ID: <bounce-" + original_id.strip("<>").encode() + b">\r\n"
            b"Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n"
            b"\r\n--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered."
            b"\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
            b"Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; "
            + recipient.encode() + b"\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            b"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
            b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: shop@127.0.0.1\r\n"
            b"To: " + recipient.encode() + b"\r\nMessage-ID: " + original_id.encode() +
            b"\r\nSubject: Your order\r\n\r\n--B--\r\n")


QUOTED_REPLY = (
    "Yes please, make it 3 loaves.\n\nThanks!\nAnn\n-- \nAnn Smith\n07700 900123\n\n"
    "On Fri, 5 Jun 2026 at 10:00, Corner Shop <shop@127.0.0.1> wrote:\n"
    "> Your order A-0001 is ready.\n> See you soon.\n")
