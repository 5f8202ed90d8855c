"""End to end: a real Dovecot and a real SMTP server on loopback -> a real engine process
-> the CLI. Real MIME in, nothing lost or doubled across engine and server restarts,
replies threaded into the customer's mailbox, bounces and refusals on the message."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.devices import mail_vectors as v
from tests.helpers.engine_process import WAIT, Engine, cli
from tests.helpers.mail_servers import PASSWORD, Dovecot, SmtpServer
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.slow


def emails(data_dir: Path) -> list[dict[str, Any]]:
    return list(cli(data_dir, "message", "list", "--channel", "email"))


@pytest.fixture
def shop_dir(tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer) -> Path:
    d = tmp_path / "till"
    cli(d, "shop", "create", "--name", "Corner Shop", "--region", "GB")
    cli(d, "customer", "add", "--name", "Ann Smith", "--email", "customer@example.com")
    password = tmp_path / "password"
    password.write_text(PASSWORD + "\n")
    cli(d, "mailbox", "set", "--imap-host", "127.0.0.1", "--imap-port",
        str(dovecot.imaps_port), "--imap-tls", "implicit", "--user", "shop",
        "--password-file", str(password), "--smtp-host", "127.0.0.1", "--smtp-port",
        str(smtp_server.port), "--smtp-tls", "starttls", "--from", "shop@example.com",
        "--ca-file", str(dovecot.ca))
    return d


@pytest.fixture
def engine(shop_dir: Path) -> Iterator[Engine]:
    eng = Engine(shop_dir)
    try:
        yield eng
    finally:
        eng.stop()


def test_settings_stay_on_this_till_readable_by_its_user_alone(
        shop_dir: Path, dovecot: Dovecot, smtp_server: SmtpServer) -> None:
    settings = shop_dir / "mailbox.json"
    assert settings.stat().st_mode & 0o777 == 0o600
    documents = b"".join(p.read_bytes() for p in shop_dir.rglob("*")
                         if p.is_file() and p != settings)
    assert PASSWORD.encode() not in documents  # never in the shop's documents
    tested = cli(shop_dir, "mailbox", "test")
    assert (tested["ok"], tested["imap"], tested["smtp"], tested["idle"]) == (
        True, "ok", "ok", True)
    wrong = shop_dir.parent / "wrong"
    wrong.write_text("not-the-password")
    cli(shop_dir, "mailbox", "set", "--imap-host", "127.0.0.1", "--imap-port",
        str(dovecot.imap_port), "--imap-tls", "starttls", "--user", "shop", "--password-file",
        str(wrong), "--ca-file", str(dovecot.ca), "--smtp-port", str(smtp_server.port))
    failed = cli(shop_dir, "mailbox", "test")
    assert failed["ok"] is False and "refused the login" in failed["imap_error"]
    refused = cli(shop_dir, "mailbox", "status", ok=False)
    assert refused.returncode != 0 and "running engine" in refused.stderr


def test_real_mime_lands_in_the_inbox_once_and_is_flagged_after(
        shop_dir: Path, dovecot: Dovecot, engine: Engine) -> None:
    # waiting before the engine starts: the catch-up brings these in
    dovecot.deliver(v.alternative(sender="Ann Smith <customer@example.com>",
                                  msgid="<ann-1@example.com>", attachment=b"%PDF-1.4 menu"))
    dovecot.deliver(v.latin1())
    dovecot.deliver(v.unreadable())
    engine.start()
    # arriving while it idles
    for raw in (v.shift_jis(), v.windows1252(), v.broken_mime(), v.no_message_id(),
                v.html_only(), v.big()):
        dovecot.deliver(raw)
    got = wait_until(lambda: (lambda m: m if len(m) >= 9 else None)(emails(shop_dir)), WAIT,
                     what="nine email messages")
    by_subject = {m["subject"]: m for m in got}
    ann = by_subject["Order for Saturday"]
    assert (ann["channel"], ann["from"], ann["customer_name"]) == (
        "email", "customer@example.com", "Ann Smith")
    assert ann["body"].startswith("Hi, 2 loaves of sourdough")
    (attachment,) = json.loads(ann["meta"]["attachments"])
    assert (attachment["name"], attachment["size"]) == ("list.pdf", 13)
    stored = Path(attachment["path"])
    assert stored.read_bytes() == b"%PDF-1.4 menu" and stored.stat().st_mode & 0o777 == 0o600
    assert stored.is_relative_to(shop_dir)
    assert by_subject["Bestellung für Montag"]["body"] == "Grüße, bitte 3 Brötchen “ohne Körner”."
    assert by_subject["パンの注文"]["body"] == "明日、食パンを二斤お願いします。"
    assert by_subject["Commande"]["body"] == "Deux baguettes € 2,40 – merci …"
    broken = by_subject["broken"]
    assert broken["body"] == "Still readable: 1 focaccia"
    assert "boundary" in broken["meta"]["defects"]
    assert by_subject["no id"]["meta"]["defects"] == '["no Message-ID"]'
    assert "rye bread" in by_subject["Menu question"]["body"]
    big = by_subject["Photos of the cake"]
    assert int(big["meta"]["size"]) > 5 * 1024 * 1024
    (quarantined,) = [m for m in got if m["state"] == "quarantined"]
    assert "not an email message" in quarantined["body"]
    assert len({m["id"] for m in got}) == len(got) == 9
    # every server copy is flagged seen, and only after it was stored
    wait_until(lambda: all(b"\\Seen" in flags for _, flags, _ in dovecot.messages()), WAIT,
               what="server copies flagged seen")


def test_restarts_of_the_engine_and_the_server_lose_and_double_nothing(
        shop_dir: Path, dovecot: Dovecot, engine: Engine) -> None:
    engine.start()
    for i in range(3):
        dovecot.deliver(v.alternative(msgid=f"<first-{i}@example.com>", subject=f"first {i}"))
    wait_until(lambda: len(emails(shop_dir)) == 3, WAIT, what="first three")
    engine.stop()  # mail arrives while the engine is down
    for i in range(3):
        dovecot.deliver(v.alternative(msgid=f"<down-{i}@example.com>", subject=f"down {i}"))
    engine.start()
    wait_until(lambda: len(emails(shop_dir)) == 6, WAIT, what="mail from while it was down")
    dovecot.restart()  # the server goes away in the middle of IDLE
    dovecot.deliver(v.alternative(msgid="<after-restart@example.com>", subject="after"))
    wait_until(lambda: len(emails(shop_dir)) == 7, WAIT,
               what=lambda: f"mail after the server restart: {engine.log()}")
    # killed in the middle of a burst: whatever it had not flagged comes again, once
    for i in range(40):
        dovecot.deliver(v.alternative(msgid=f"<burst-{i}@example.com>", subject=f"burst {i}"))
    wait_until(lambda: len(emails(shop_dir)) > 8, WAIT, what="the burst started")
    engine.stop(signal.SIGKILL)
    (shop_dir / "writer.lock").unlink(missing_ok=True)
    engine.start()
    final = wait_until(lambda: (lambda m: m if len(m) >= 47 else None)(emails(shop_dir)), WAIT,
                       what="the whole burst")
    subjects = sorted(m["subject"] for m in final)
    assert len(subjects) == len(set(subjects)) == 47
    assert cli(shop_dir, "mailbox", "status")["imap"]["last_uid"] == 47


def test_a_reply_reaches_the_customer_threaded_and_shows_in_the_conversation(
        shop_dir: Path, dovecot: Dovecot, smtp_server: SmtpServer, engine: Engine) -> None:
    engine.start()
    dovecot.deliver(v.alternative(sender="Ann Smith <customer@example.com>",
                                  msgid="<ann-order@example.com>", subject="Order for Saturday"))
    (msg,) = wait_until(lambda: emails(shop_dir), WAIT, what="Ann's email")
    queued = cli(shop_dir, "message", "reply", msg["id"], "--text", "Of course, Ann: 2 loaves.")
    assert (queued["channel"], queued["to"], queued["subject"]) == (
        "email", "customer@example.com", "Re: Order for Saturday")

    def arrived() -> Any:
        return [m for _, _, m in dovecot.messages("customer")] or None

    (reply,) = wait_until(arrived, WAIT, what="the reply in the customer's mailbox")
    assert reply["In-Reply-To"] == "<ann-order@example.com>"
    assert "<ann-order@example.com>" in reply["References"]
    assert reply["Subject"] == "Re: Order for Saturday"
    assert reply["From"].endswith("<shop@example.com>")
    assert reply.get_content().strip() == "Of course, Ann: 2 loaves."
    sent = wait_until(lambda: [m for m in cli(shop_dir, "message", "list")
                               if m["direction"] == "out" and m["state"] == "sent"], WAIT,
                      what="the reply marked sent")
    assert sent[0]["reference"] == reply["Message-ID"]
    thread = cli(shop_dir, "conversation", "show", "customer@example.com")
    assert [(i["direction"], i["channel"]) for i in thread["items"]] == [
        ("in", "email"), ("out", "email")]
    assert thread["reply_channel"] == "email"


def test_refusals_and_bounces_are_shown_on_the_message(
        shop_dir: Path, dovecot: Dovecot, smtp_server: SmtpServer, engine: Engine) -> None:
    engine.start()
    cli(shop_dir, "customer", "add", "--name", "Gone Away", "--email", "gone@example.com")
    smtp_server.refuse.add("gone@example.com")
    refused = cli(shop_dir, "conversation", "reply", "gone@example.com", "--text", "Hello?")
    failed = wait_until(lambda: [m for m in cli(shop_dir, "message", "list")
                                 if m["id"] == refused["id"] and m["state"] == "failed"],
                        WAIT, what="the refusal recorded")
    assert "550" in failed[0]["error"]
    # accepted by our server, bounced later by the next hop
    cli(shop_dir, "customer", "add", "--name", "Bob", "--email", "bob@example.com")
    accepted = cli(shop_dir, "conversation", "reply", "bob@example.com", "--text", "Ready!")
    sent = wait_until(lambda: [m for m in cli(shop_dir, "message", "list")
                               if m["id"] == accepted["id"] and m["state"] == "sent"], WAIT,
                      what="sent")
    dovecot.deliver(v.bounce(sent[0]["reference"], "bob@example.com"))
    bounced = wait_until(lambda: [m for m in cli(shop_dir, "message", "list")
                                  if m["id"] == accepted["id"] and m["state"] == "bounced"],
                         WAIT, what="the bounce shown on the message")
    assert "5.1.1" in bounced[0]["error"] and "user unknown" in bounced[0]["error"]


def test_while_the_smtp_server_is_down_replies_wait_and_go_out_after(
        shop_dir: Path, dovecot: Dovecot, smtp_server: SmtpServer, engine: Engine) -> None:
    engine.start()
    smtp_server.stop()
    queued = cli(shop_dir, "conversation", "reply", "customer@example.com", "--text", "Later")
    waiting = wait_until(lambda: [m for m in cli(shop_dir, "message", "list")
                                  if m["id"] == queued["id"] and "trying again" in
                                  (m["error"] or "")], WAIT, what="a failed attempt")
    assert waiting[0]["state"] in ("queued", "sending")
    smtp_server.start()  # the same port again
    wait_until(lambda: [m for m in cli(shop_dir, "message", "list")
                        if m["id"] == queued["id"] and m["state"] == "sent"], 40,
               what="sent once the server is back")
    assert [m["Subject"] for m in smtp_server.messages()] == ["A message from Corner Shop"]
