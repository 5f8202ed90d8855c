"""Email under load, against the private Dovecot and aiosmtpd on loopback.

- 500 emails arriving at once: appended to the shop's INBOX as fast as one IMAP
  connection can while the engine idles; the time from the first append until all 500
  are in the read model (goal < 30 s), and how many are missing or doubled (goal 0, 0).
- A status notification: an order moved to Ready (notify_mode auto) over IPC, to the
  moment the SMTP server accepted the email (goal < 2 s online); 10 moves a run.

Three runs each; the medians are reported, with every run's figure.
"""

from __future__ import annotations

import contextlib
import statistics
import tempfile
import time
from pathlib import Path

from app.client import connect
from sync.read_model import queries
from tests.bench.harness import report
from tests.devices import mail_vectors as v
from tests.helpers.engine_process import Engine, cli
from tests.helpers.mail_servers import PASSWORD, Dovecot, SmtpServer
from tests.helpers.waiting import wait_until

BURST = 500
RUNS = 3
MOVES = 10


def _shop(root: Path, dovecot: Dovecot, smtp: SmtpServer) -> Path:
    d = root / "till"
    cli(d, "shop", "create", "--name", "Bench Bakery")
    cli(d, "product", "add", "--sku", "LOAF", "--name", "Loaf", "--price", "3", "--stock",
        "100000")
    cli(d, "customer", "add", "--name", "Ann Smith", "--email", "customer@example.com")
    secret = root / "password"
    secret.write_text(PASSWORD)
    cli(d, "mailbox", "set", "--imap-host", "127.0.0.1", "--imap-port", str(dovecot.imaps_port),
        "--user", "shop", "--password-file", str(secret), "--smtp-host", "127.0.0.1",
        "--smtp-port", str(smtp.port), "--from", "shop@example.com", "--ca-file",
        str(dovecot.ca))
    return d


def _email_count(data_dir: Path) -> tuple[int, int]:
    conn = queries.open_readonly(data_dir / "read_model.sqlite3")
    try:
        rows = queries.list_messages(conn, channel="email", limit=BURST * 2)
        return len(rows), len({r["dedupe_key"] for r in rows})
    finally:
        conn.close()


def burst_run() -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        dovecot = Dovecot().start()
        smtp = SmtpServer(dovecot).start()
        engine = None
        try:
            data_dir = _shop(Path(tmp), dovecot, smtp)
            engine = Engine(data_dir).start()
            mails = [v.alternative(msgid=f"<burst-{i}@example.com>", subject=f"Order {i}",
                                   text=f"Hello, {i % 5 + 1} loaves please. Order {i}.")
                     for i in range(BURST)]
            client = dovecot.client()
            started = time.perf_counter()
            for raw in mails:
                client.append("INBOX", raw)
            client.logout()
            with contextlib.suppress(AssertionError):  # counted as missing below
                wait_until(lambda: _email_count(data_dir)[0] >= BURST, 120, interval=0.1)
            elapsed = time.perf_counter() - started
            wait_until(lambda: engine is not None and not [
                m for m in dovecot.messages() if b"\\Seen" not in m[1]], 60)
            rows, distinct = _email_count(data_dir)
            return elapsed, BURST - distinct, rows - distinct
        finally:
            if engine is not None:
                engine.stop()
            smtp.stop()
            dovecot.close()


def notice_run() -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        dovecot = Dovecot().start()
        smtp = SmtpServer(dovecot).start()
        engine = None
        try:
            data_dir = _shop(Path(tmp), dovecot, smtp)
            cli(data_dir, "shop", "info")
            engine = Engine(data_dir).start()
            client = connect(data_dir)
            assert client is not None
            client.call("shop.set_setting", {"key": "notify_mode", "value": "auto"})
            latencies = []
            for _ in range(MOVES):
                order = client.call("order.add", {"customer": "customer@example.com",
                                                  "lines": ["LOAF:1"]})
                before = len(smtp.received_at)
                moved = time.perf_counter()
                client.call("order.set_status", {"order": order["id"], "status": "ready"})
                wait_until(lambda b=before: len(smtp.received_at) > b, 30, interval=0.005)
                latencies.append(smtp.received_at[before] - moved)
            client.close()
            return latencies
        finally:
            if engine is not None:
                engine.stop()
            smtp.stop()
            dovecot.close()


def main() -> None:
    bursts = [burst_run() for _ in range(RUNS)]
    times = [b[0] for b in bursts]
    report("email", "burst_500_ingest", statistics.median(times), "s", goal="< 30 s",
           runs=[round(t, 2) for t in times], missing=max(b[1] for b in bursts),
           doubled=max(b[2] for b in bursts), rate_per_s=round(BURST / statistics.median(times),
                                                                1))
    runs = [notice_run() for _ in range(RUNS)]
    medians = [statistics.median(r) * 1000 for r in runs]
    report("email", "status_notice_to_smtp", statistics.median(medians), "ms", goal="< 2000 ms",
           runs=[round(m, 1) for m in medians],
           worst_ms=round(max(max(r) for r in runs) * 1000, 1))
