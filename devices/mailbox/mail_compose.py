"""Sans-IO: an outgoing email as bytes, threaded onto the message it answers.

The Message-ID is derived from the outbox id, so a message sent again after a crash
between "sent" and "recorded" is the same message to the recipient's client, and a
bounce names an id the outbox can find.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import re
from email import policy
from email.message import EmailMessage

from devices.events import OutgoingMessage


def message_id_for(outbox_id: str, sender: str) -> str:
    """The Message-ID of outbox message ``outbox_id`` sent from ``sender``."""
    domain = sender.rpartition("@")[2] or "countertop.invalid"
    digest = hashlib.sha256(outbox_id.encode()).hexdigest()[:20]
    return f"<countertop.{digest}@{domain}>"


def reply_subject(subject: str) -> str:
    """"Re: " once, however many the thread already has."""
    bare = re.sub(r"^\s*((re|aw|sv|fw|fwd)\s*:\s*)+", "", subject or "", flags=re.IGNORECASE)
    return f"Re: {bare}" if bare else "Re: your message"


def compose(message: OutgoingMessage, sender: str, *, sender_name: str = "",
            now: dt.datetime | None = None) -> EmailMessage:
    """The RFC 5322 message for ``message`` (plain text, UTF-8)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = email.utils.formataddr((sender_name, sender)) if sender_name else sender
    msg["To"] = message.to
    msg["Subject"] = message.subject or "Your order"
    msg["Date"] = email.utils.format_datetime(now or dt.datetime.now(dt.UTC))
    msg["Message-ID"] = message_id_for(message.outbox_id, sender)
    if message.in_reply_to:
        msg["In-Reply-To"] = message.in_reply_to
        refs = [r for r in message.references if r != message.in_reply_to]
        msg["References"] = " ".join([*refs, message.in_reply_to])
    if message.auto:
        msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(message.body)
    return msg
