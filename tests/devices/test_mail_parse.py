"""The email parser on real MIME: bodies, charsets, attachments, threading, defects."""

from __future__ import annotations

import pytest

from devices.errors import MailUnreadable
from devices.events import Channel, OutgoingMessage
from devices.mailbox.mail_compose import compose, message_id_for, reply_subject
from devices.mailbox.mail_parse import parse_mail
from devices.mailbox.reply_text import preview_text
from tests.devices import mail_vectors as v


def test_multipart_alternative_takes_the_plain_part_and_lists_attachments() -> None:
    raw = v.alternative(msgid="<a1@example.com>", attachment=b"%PDF" + b"x" * 2000)
    mail = parse_mail(raw)
    assert (mail.from_address, mail.from_name, mail.subject, mail.message_id) == (
        "ann@example.com", "Ann Smith", "Order for Saturday", "<a1@example.com>")
    assert mail.text.startswith("Hi, 2 loaves of sourdough") and not mail.from_html
    assert [(a.filename, a.content_type, a.size) for a in mail.attachments] == [
        ("list.pdf", "application/pdf", 2004)]
    assert mail.defects == ()


def test_html_only_becomes_readable_text() -> None:
    mail = parse_mail(v.html_only())
    assert mail.from_html
    assert "Do you have" in mail.text and "rye bread" in mail.text and "spelt rolls" in mail.text
    assert "<" not in mail.text and "color:red" not in mail.text


@pytest.mark.parametrize(("raw", "expected", "subject"), [
    (v.latin1(), "Grüße, bitte 3 Brötchen “ohne Körner”.", "Bestellung für Montag"),
    (v.windows1252(), "Deux baguettes € 2,40 – merci …", "Commande"),
    (v.shift_jis(), "明日、食パンを二斤お願いします。", "パンの注文"),
])
def test_charsets_are_decoded_as_real_mail_means_them(raw: bytes, expected: str,
                                                      subject: str) -> None:
    mail = parse_mail(raw)
    assert mail.text == expected
    assert mail.subject == subject


def test_a_lying_charset_is_read_anyway_with_a_defect_noted() -> None:
    mail = parse_mail(v.lying_charset())
    assert mail.text == "One café crème please"
    assert mail.subject == "café"
    assert any("declared charset" in d for d in mail.defects)


def test_broken_mime_is_ingested_with_its_defects() -> None:
    mail = parse_mail(v.broken_mime())
    assert mail.text == "Still readable: 1 focaccia"
    assert [a.filename for a in mail.attachments] == ["cut.bin"]
    assert any("boundary" in d for d in mail.defects)


def test_no_message_id_is_a_defect_not_a_refusal() -> None:
    mail = parse_mail(v.no_message_id())
    assert mail.message_id == "" and "no Message-ID" in mail.defects
    assert mail.date is not None and mail.date.year == 2026


def test_bytes_that_are_no_message_are_unreadable() -> None:
    with pytest.raises(MailUnreadable):
        parse_mail(v.unreadable())
    with pytest.raises(MailUnreadable):
        parse_mail(b"")


def test_a_delivery_status_report_names_the_bounced_message() -> None:
    mail = parse_mail(v.bounce("<countertop.abc@127.0.0.1>"))
    assert mail.bounce is not None
    assert mail.bounce.original_message_id == "<countertop.abc@127.0.0.1>"
    assert (mail.bounce.recipient, mail.bounce.status) == ("nobody@example.com", "5.1.1")
    assert "user unknown" in mail.bounce.diagnostic and mail.auto_submitted


def test_threading_headers_are_read() -> None:
    mail = parse_mail(v.alternative(in_reply_to="<orig@shop>"))
    assert mail.in_reply_to == "<orig@shop>" and mail.references == ("<orig@shop>",)


@pytest.mark.parametrize(("text", "preview"), [
    (v.QUOTED_REPLY, "Yes please, make it 3 loaves.\n\nThanks!\nAnn"),
    ("Sounds good\n\n-----Original Message-----\nFrom: shop\nSent: today\nold", "Sounds good"),
    ("Ok!\n\nFrom: Corner Shop <shop@x>\nSent: Friday\nTo: ann\n\nold text", "Ok!"),
    ("See below\n> quoted\nmy answer\n> more", "See below\nmy answer"),
    ("Two please\n\nSent from my iPhone", "Two please"),
    ("Am 5. Juni 2026 schrieb Laden <l@x>:\n> alt", "Am 5. Juni 2026 schrieb Laden <l@x>:\n> alt"),
    ("Danke\nAm 5. Juni 2026 um 10:00 schrieb Laden <l@x>:\n> alt", "Danke"),
    ("> only a quote", "> only a quote"),
])
def test_previews_trim_quotes_and_signatures(text: str, preview: str) -> None:
    assert preview_text(text) == preview


def test_a_reply_is_composed_threaded_with_a_stable_message_id() -> None:
    out = OutgoingMessage("msg_1", Channel.EMAIL, "ann@example.com", "Ready!",
                          subject=reply_subject("RE: Re: Order"), in_reply_to="<a@x>",
                          references=("<root@x>", "<a@x>"))
    mail = compose(out, "shop@127.0.0.1", sender_name="Corner Shop")
    assert mail["Subject"] == "Re: Order"
    assert mail["In-Reply-To"] == "<a@x>" and mail["References"] == "<root@x> <a@x>"
    assert mail["Message-ID"] == message_id_for("msg_1", "shop@127.0.0.1")
    assert compose(out, "shop@127.0.0.1")["Message-ID"] == mail["Message-ID"]
    assert parse_mail(mail.as_bytes()).text == "Ready!"
