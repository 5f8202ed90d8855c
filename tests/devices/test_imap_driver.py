"""The IMAP driver against a private Dovecot: TLS modes, flag-after-store, the processed
folder, UID state across restarts and a rebuilt folder (UIDVALIDITY), SMTP sending."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.errors import MailboxUnavailable
from devices.events import Channel, OutgoingMessage
from devices.mailbox.imap_driver import MailboxDriver, check_mailbox
from devices.mailbox.mail_config import MailboxConfig
from devices.mailbox.smtp_sender import SmtpSender
from tests.devices import mail_vectors as v
from tests.helpers.mail_servers import PASSWORD, Dovecot, SmtpServer
from tests.helpers.recording_sink import RecordingSink

pytestmark = pytest.mark.slow


def config(dovecot: Dovecot, tls: str = "implicit", **extra: object) -> MailboxConfig:
    port = dovecot.imaps_port if tls == "implicit" else dovecot.imap_port
    return MailboxConfig(imap_host="127.0.0.1", imap_port=port, imap_tls=tls, user="shop",
                         password=PASSWORD, ca_file=str(dovecot.ca), poll_interval=2.0,
                         from_address="shop@example.com", **extra)  # type: ignore[arg-type]


@pytest.fixture
def run_driver(tmp_path: Path) -> Iterator[object]:
    started: list[MailboxDriver] = []

    def start(cfg: MailboxConfig, sink: RecordingSink) -> MailboxDriver:
        driver = MailboxDriver(cfg, sink, state_path=tmp_path / "mail" / "state.json",
                               store_root=tmp_path / "mail", reconnect_delay=(0.2, 1.0))
        driver.start()
        started.append(driver)
        return driver

    yield start
    for driver in started:
        driver.stop()


@pytest.mark.parametrize("tls", ["implicit", "starttls", "none"])
def test_each_tls_mode_logs_in(dovecot: Dovecot, tls: str) -> None:
    found = check_mailbox(config(dovecot, tls))
    assert found["imap"] == "ok" and found["idle"] is True


def test_a_wrong_password_or_an_untrusted_server_is_refused_in_words(dovecot: Dovecot) -> None:
    with pytest.raises(MailboxUnavailable, match="refused the login"):
        check_mailbox(config(dovecot).with_changes(password="wrong"))
    with pytest.raises(MailboxUnavailable, match="cannot reach"):
        check_mailbox(config(dovecot).with_changes(ca_file=""))  # not the system's CA


def test_a_message_is_flagged_only_once_the_sink_stored_it(dovecot: Dovecot,
                                                            run_driver: object) -> None:
    sink = RecordingSink()
    sink.fail_next_deliveries = 2
    dovecot.deliver(v.alternative(msgid="<a@example.com>"))
    run_driver(config(dovecot), sink)  # type: ignore[operator]
    sink.wait_for(lambda: len(sink.refused) >= 1, what="a refused delivery")
    (_, flags, _), = dovecot.messages()
    assert b"\\Seen" not in flags  # refused: still unseen on the server
    sink.wait_for(lambda: sink.delivered, timeout=15, what="delivered after the retry")
    sink.wait_for(lambda: all(b"\\Seen" in f for _, f, _ in dovecot.messages()),
                  what="flagged after storing")
    assert [m.dedupe_key for m in sink.stored_messages()] == ["email:<a@example.com>"]
    assert sink.delivered[0].channel == Channel.EMAIL


def test_idle_brings_new_mail_at_once_and_a_restart_fetches_nothing_twice(
        dovecot: Dovecot, run_driver: object, tmp_path: Path) -> None:
    sink = RecordingSink()
    driver = run_driver(config(dovecot), sink)  # type: ignore[operator]
    sink.wait_for_state("ok")
    dovecot.deliver(v.alternative(msgid="<idle@example.com>"))
    sink.wait_for(lambda: sink.delivered, timeout=1.9, what="IDLE before the poll interval")
    driver.stop()
    dovecot.deliver(v.alternative(msgid="<while-down@example.com>"))
    again = RecordingSink()
    run_driver(config(dovecot), again)  # type: ignore[operator]
    again.wait_for(lambda: again.delivered, what="the mail from while it was down")
    again.wait_for_state("ok")
    assert [m.dedupe_key for m in again.delivered] == ["email:<while-down@example.com>"]


def test_handled_mail_can_be_moved_to_a_processed_folder(dovecot: Dovecot,
                                                          run_driver: object) -> None:
    sink = RecordingSink()
    dovecot.deliver(v.alternative(msgid="<move@example.com>"))
    run_driver(config(dovecot, processed_folder="Countertop"), sink)  # type: ignore[operator]
    sink.wait_for(lambda: sink.delivered, what="delivered")
    sink.wait_for(lambda: not dovecot.messages() and dovecot.messages(folder="Countertop"),
                  what="moved to the processed folder")


def test_a_rebuilt_folder_reads_its_unseen_mail_again(dovecot: Dovecot, run_driver: object,
                                                       tmp_path: Path) -> None:
    sink = RecordingSink()
    dovecot.deliver(v.alternative(msgid="<old@example.com>"))
    driver = run_driver(config(dovecot), sink)  # type: ignore[operator]
    sink.wait_for(lambda: sink.delivered, what="first")
    driver.stop()
    state = tmp_path / "mail" / "state.json"
    state.write_text(state.read_text().replace('"uidvalidity": ', '"uidvalidity": 9'))
    dovecot.deliver(v.alternative(msgid="<new@example.com>"))
    again = RecordingSink()
    run_driver(config(dovecot), again)  # type: ignore[operator]
    again.wait_for(lambda: again.delivered, what="unseen mail after a UIDVALIDITY change")
    assert [m.dedupe_key for m in again.delivered] == ["email:<new@example.com>"]


def test_unreadable_mail_is_quarantined_then_flagged(dovecot: Dovecot,
                                                     run_driver: object) -> None:
    sink = RecordingSink()
    dovecot.deliver(v.unreadable())
    run_driver(config(dovecot), sink)  # type: ignore[operator]
    (item,) = sink.wait_for(lambda: sink.quarantined, what="quarantined")
    assert item.source == "email" and "not an email message" in item.reason
    sink.wait_for(lambda: all(b"\\Seen" in f for _, f, _ in dovecot.messages()),
                  what="flagged after quarantine")


def test_smtp_sends_with_starttls_and_reports_refusals(dovecot: Dovecot,
                                                       smtp_server: SmtpServer) -> None:
    sink = RecordingSink()
    cfg = config(dovecot).with_changes(smtp_host="127.0.0.1", smtp_port=smtp_server.port,
                                       smtp_tls="starttls")
    sender = SmtpSender(cfg, sink, sender_name="Corner Shop")
    ok = sender.send(OutgoingMessage("msg_a", Channel.EMAIL, "customer@example.com", "Hi",
                                     subject="Ready", in_reply_to="<x@y>"))
    assert ok.ok and ok.reference and ok.reference.startswith("<countertop.")
    (mail,) = smtp_server.messages()
    assert (mail["In-Reply-To"], mail["Subject"]) == ("<x@y>", "Ready")
    smtp_server.refuse.add("nobody@example.com")
    refused = sender.send(OutgoingMessage("msg_b", Channel.EMAIL, "nobody@example.com", "Hi"))
    assert not refused.ok and not refused.retry and "550" in (refused.error or "")
    smtp_server.stop()
    down = sender.send(OutgoingMessage("msg_c", Channel.EMAIL, "customer@example.com", "Hi"))
    assert not down.ok and down.retry
    assert down.at <= dt.datetime.now(dt.UTC)


def test_mail_arriving_during_a_catch_up_does_not_wait_for_the_poll(
        dovecot: Dovecot, run_driver: object) -> None:
    sink = RecordingSink()
    run_driver(config(dovecot).with_changes(poll_interval=120.0), sink)  # type: ignore[operator]
    sink.wait_for_state("ok")
    client = dovecot.client()
    try:
        for i in range(80):  # announced while the driver fetches the ones before
            client.append("INBOX", v.alternative(msgid=f"<stream-{i}@example.com>"))
    finally:
        client.logout()
    sink.wait_for(lambda: len(sink.stored_messages()) == 80, timeout=20,
                  what="every message well before the two-minute poll")
