"""``countertop`` as a person runs it: a subprocess against a real data dir.

Bad input exits 2 with exactly one line on stderr and no traceback; success exits 0 and
``--json`` output parses. The same cases run through a live ``countertop engine``.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, VENV_BIN, cli_env


def countertop(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VENV_BIN / "countertop"), *args], cwd=REPO, check=False,
                          env=cli_env(data_dir), capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def ok_json(data_dir: Path, *args: str) -> Any:
    done = countertop(data_dir, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def refused(done: subprocess.CompletedProcess[str], text: str, code: int = 2) -> None:
    lines = done.stderr.splitlines()
    assert done.returncode == code, (done.returncode, done.stderr)
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert lines[0].startswith("countertop: ")
    assert text in lines[0], lines[0]
    assert done.stdout == ""


@pytest.fixture(scope="module")
def shop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shop with BREAD and an order A-0001 (new), made through the CLI."""
    d = tmp_path_factory.mktemp("cli") / "till"
    ok_json(d, "shop", "create", "--name", "Corner Shop", "--currency", "GBP")
    ok_json(d, "product", "add", "--sku", "BREAD", "--name", "Bread", "--price", "2.50",
            "--stock", "5")
    ok_json(d, "order", "add", "--line", "BREAD:1")
    return d


BAD_INPUT = [
    (("order", "add", "--line", "NOPE:1"), "unknown SKU 'NOPE'"),
    (("order", "set-status", "A-0001", "new"), "the order is already new"),
    (("order", "set-status", "A-0001", "bogus"), "unknown status 'bogus'"),
    (("order", "list", "--status", "foo"), "unknown status 'foo'"),
    (("customer", "add", "--name", "B", "--phone", "abc"), "'abc' is not a phone number"),
    (("customer", "add", "--name", "B", "--phone", "123"), "not a possible phone number"),
    (("customer", "add", "--name", "B", "--email", "nope"), "not an email address"),
    (("order", "pay", "A-0001", "1.234", "--method", "cash"),
     "1.234 has more decimals than GBP allows"),
    (("order", "pay", "A-0001", "lots", "--method", "cash"), "'lots' is not an amount of money"),
    (("order", "pay", "A-0001", "-1", "--method", "cash"), "more than zero"),
    (("order", "pay", "A-0001", "1", "--method", "gold"), "unknown payment method 'gold'"),
    (("product", "add", "--sku", "X", "--name", "X", "--price", "abc"),
     "'abc' is not an amount of money"),
    (("product", "add", "--sku", "X", "--name", "X", "--price", "NaN"),
     "is not an amount of money"),
    (("product", "add", "--sku", "X", "--name", "X", "--price", "1", "--tax-rate", "lots"),
     "tax rate 'lots' is not a number"),
    (("product", "add", "--sku", "X", "--name", "X", "--price", "1", "--low-stock", "few"),
     "'few' is not a quantity"),
    (("product", "add", "--sku", "X", "--name", "X", "--price", "1", "--stock", "many"),
     "'many' is not a quantity"),
    (("product", "add", "--sku", "BREAD", "--name", "X", "--price", "1"),
     "SKU BREAD already exists"),
    (("order", "add", "--line", "BREAD"), "line 'BREAD' should look like SKU:QTY"),
    (("order", "add", "--line", ":2"), "line ':2' should look like SKU:QTY"),
    (("order", "add", "--line", "BREAD:abc"), "'abc' is not a quantity"),
    (("order", "add", "--line", "BREAD:-1"), "quantity must be more than zero"),
    (("order", "add", "--customer", "07700900000"), "no customer with phone"),
    (("order", "add", "--due", "tomorrow"), "'tomorrow' is not a date and time"),
    (("order", "add", "--due", "2026-11-23T17:00"), "needs a timezone offset"),
    (("order", "add", "--field", "novalue"), "custom field 'novalue' should look like"),
    (("order", "add", "--channel", "pigeon"), "unknown channel 'pigeon'"),
    (("order", "show", "A-9999"), "no order A-9999"),
    (("order", "return", "A-0001"), "only a delivered, collected or closed order"),
    (("order", "return", "A-0001", "--line", "nocolon"), "should look like LINE_ID:QTY"),
    (("stock", "adjust", "BREAD", "lots", "--reason", "count"), "'lots' is not a quantity"),
    (("stock", "adjust", "BREAD", "0", "--reason", "count"), "zero changes nothing"),
    (("stock", "adjust", "NOPE", "1", "--reason", "count"), "unknown SKU 'NOPE'"),
    (("alert", "resolve", "nope"), "no alert nope"),
    (("customer", "show", "nobody@example.com"), "no customer with phone, email or id"),
    (("shop", "create", "--name", "Again"), "already belongs to a shop"),
    (("export", "--format", "xml", "--out", "x"), "invalid choice: 'xml'"),
    (("export", "--format", "csv", "--out", "/nonexistent/dir/x.csv"),
     "cannot write /nonexistent/dir/x.csv: No such file or directory"),
    (("--data-dir", "/dev/null/till", "order", "list"), "data dir /dev/null/till cannot be used"),
    (("order", "add", "--bogus"), "unrecognized arguments: --bogus"),
    (("customer", "add"), "the following arguments are required: --name"),
    (("frobnicate",), "invalid choice: 'frobnicate'"),
]


def check_all_refused(data_dirs: list[Path], cases: list[tuple[tuple[str, ...], str]]) -> None:
    """Run the cases in parallel, one worker per data dir, and report every miss.

    Without an engine each CLI process holds the data dir while it runs, so parallel
    workers need their own copies; through an engine they may share one.
    """

    def check(worker: int) -> list[str]:
        misses = []
        for args, text in cases[worker::len(data_dirs)]:
            try:
                refused(countertop(data_dirs[worker], *args), text)
            except AssertionError as exc:
                misses.append(f"countertop {' '.join(args)}: {exc}")
        return misses

    with ThreadPoolExecutor(max_workers=len(data_dirs)) as pool:
        misses = [m for found in pool.map(check, range(len(data_dirs))) for m in found]
    assert not misses, "\n".join(misses)


def test_bad_input_exits_2_with_one_line(shop_dir: Path, tmp_path: Path) -> None:
    copies = [shop_dir]
    for i in range(3):
        copies.append(Path(shutil.copytree(shop_dir, tmp_path / f"copy{i}")))
    check_all_refused(copies, BAD_INPUT)


def test_missing_shop(tmp_path: Path) -> None:
    refused(countertop(tmp_path / "empty", "order", "list"), "no shop here yet")
    refused(countertop(tmp_path / "empty", "order", "add", "--line", "BREAD:1"),
            "no shop here yet")


def test_second_writer_is_named(shop_dir: Path) -> None:
    from app.engine.till_engine import TillEngine

    holder = TillEngine(shop_dir, role="pytest holder")
    try:
        refused(countertop(shop_dir, "order", "list"), "is in use by pytest holder")
    finally:
        holder.close()


def test_corrupt_snapshot_is_a_storage_problem(tmp_path: Path) -> None:
    d = tmp_path / "till"
    ok_json(d, "shop", "create", "--name", "X")
    from app.engine.till_engine import TillEngine

    engine = TillEngine(d)
    engine.ledger.shop_doc.compact()
    engine.close()
    (snap,) = list((d / "docs").glob("*/snapshot.am"))
    data = bytearray(snap.read_bytes())
    data[len(data) // 2] ^= 0xFF
    snap.write_bytes(bytes(data))
    refused(countertop(d, "order", "list"), "storage problem", code=1)


def test_success_paths_exit_0_and_json_parses(tmp_path: Path) -> None:
    d = tmp_path / "till"
    shop = ok_json(d, "shop", "create", "--name", "Corner Shop", "--timezone", "Europe/London")
    assert shop["shop"]["name"] == "Corner Shop" and len(shop["tills"]) == 1
    product = ok_json(d, "product", "add", "--sku", "BREAD", "--name", "Sourdough",
                      "--price", "2.50", "--stock", "5", "--alias", "loaf", "--low-stock", "1")
    assert (product["price"], product["available_milli"]) == (250, 5000)
    ann = ok_json(d, "customer", "add", "--name", "Ann", "--phone", "07700 900123",
                  "--email", "ann@example.com")
    assert ann["phones"] == ["+447700900123"]
    order = ok_json(d, "order", "add", "--customer", "07700900123", "--line", "BREAD:2",
                    "--due", "2026-11-23T17:00+00:00", "--field", "table=4", "--tag", "vip")
    assert (order["number"], order["total"], order["customer_name"]) == ("A-0001", 500, "Ann")
    confirmed = ok_json(d, "order", "set-status", "A-0001", "confirmed")
    assert confirmed["status"] == "confirmed"
    (stock,) = ok_json(d, "stock")
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == ("5", "2", "3")
    paid = ok_json(d, "order", "pay", "A-0001", "5", "--method", "cash")
    assert (paid["paid"], paid["balance"], paid["balance_text"]) == (500, 0, "£0.00")
    ok_json(d, "order", "set-status", "A-0001", "collected")
    returned = ok_json(d, "order", "return", "A-0001", "--reason", "stale")
    assert returned["status"] == "returned"
    refund = ok_json(d, "order", "refund", "A-0001", "5", "--method", "cash")
    assert refund["paid"] == 0
    found = ok_json(d, "order", "list", "--search", "sourdough")
    assert [o["number"] for o in found] == ["A-0001"]
    assert ok_json(d, "customer", "show", "ann@example.com")["recent_orders"][0]["number"] \
        == "A-0001"
    assert [c["name"] for c in ok_json(d, "customer", "list", "--search", "ann")] == ["Ann"]
    assert ok_json(d, "product", "list", "--search", "loaf")[0]["sku"] == "BREAD"
    assert ok_json(d, "message", "list") == [] and ok_json(d, "call", "list") == []
    assert ok_json(d, "alert", "list") == []
    out = tmp_path / "orders.csv"
    assert ok_json(d, "export", "--format", "csv", "--out", str(out))["orders"] == 1
    header, row = out.read_text().splitlines()
    assert header.startswith("number,id,") and row.startswith("A-0001,")
    assert "total_text" in header and "£" in row  # people's amounts beside the plain ones
    out_json = tmp_path / "orders.json"
    ok_json(d, "export", "--format", "json", "--out", str(out_json))
    assert json.loads(out_json.read_text())["orders"][0]["number"] == "A-0001"
    assert ok_json(d, "rebuild-read-model")["documents"] == 2
    # human output too
    human = countertop(d, "order", "show", "A-0001")
    assert human.returncode == 0 and human.stdout.startswith("A-0001  returned  Ann")


# ---------------------------------------------------------------------- through the engine


class RunningEngine:
    """``countertop engine`` as a subprocess; ready once it logs its IPC address."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "countertop"), "engine", "--no-discovery"], cwd=REPO,
            env=cli_env(data_dir), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        self.log: list[str] = []
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line)
            if "engine IPC on" in line:
                break
        else:
            raise AssertionError("engine did not start:\n" + "".join(self.log))
        assert (data_dir / "engine.json").exists()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.stderr is not None
        self.log.extend(self.proc.stderr.read().splitlines(keepends=True))
        return self.proc.wait(timeout=30)


@pytest.fixture
def running_engine(shop_dir: Path) -> Iterator[RunningEngine]:
    engine = RunningEngine(shop_dir)
    try:
        yield engine
    finally:
        if engine.proc.poll() is None:
            engine.proc.kill()
            engine.proc.wait(timeout=30)


THROUGH_ENGINE = [case for case in BAD_INPUT if case[1] in (
    "unknown SKU 'NOPE'", "the order is already new", "unknown status 'bogus'",
    "'abc' is not a phone number", "1.234 has more decimals than GBP allows",
    "line 'BREAD' should look like SKU:QTY", "'lots' is not a quantity",
    "tax rate 'lots' is not a number", "no order A-9999",
    "the following arguments are required: --name")]


def test_bad_input_and_success_through_a_running_engine(running_engine: RunningEngine,
                                                        shop_dir: Path) -> None:
    assert len(THROUGH_ENGINE) == 11
    check_all_refused([shop_dir] * 4, THROUGH_ENGINE)
    order = ok_json(shop_dir, "order", "add", "--line", "BREAD:1", "--note", "via engine")
    assert order["number"].startswith("A-")
    assert ok_json(shop_dir, "order", "show", order["number"])["notes"] == "via engine"
    # the engine holds the data dir: an in-process CLI engine could not have opened it
    refused(countertop(shop_dir, "order", "show", "A-9999"), "no order A-9999")
    assert running_engine.stop() == 0, "".join(running_engine.log)
    assert not (shop_dir / "engine.json").exists()
    assert not any("Traceback" in line for line in running_engine.log), "".join(
        running_engine.log)
    # and the order is there for the next process
    assert ok_json(shop_dir, "order", "show", order["number"])["notes"] == "via engine"


def test_refunds_returns_discounts_and_staff_from_the_cli(tmp_path: Path) -> None:
    d = tmp_path / "till"
    ok_json(d, "shop", "create", "--name", "Corner Shop", "--currency", "GBP")
    ok_json(d, "product", "add", "--sku", "CAKE", "--name", "Tiramisu", "--price", "4.50",
            "--stock", "5")
    pin = tmp_path / "pin"
    pin.write_text("2468\n", encoding="utf-8")
    staff = ok_json(d, "staff", "add", "--name", "Ann", "--role", "manager", "--pin-file",
                    str(pin))
    assert staff["name"] == "Ann" and "pin" not in staff
    assert [s["name"] for s in ok_json(d, "staff", "list")] == ["Ann"]
    ok_json(d, "order", "add", "--line", "CAKE:2", "--staff", "Ann")
    ok_json(d, "order", "set-status", "A-0001", "collected")
    ok_json(d, "order", "pay", "A-0001", "9", "--method", "card")
    refused = countertop(d, "order", "refund", "A-0001", "9.01", "--method", "card",
                      "--staff", "Ann")
    assert refused.returncode == 2
    assert "more than the £9.00 paid" in refused.stderr and "Traceback" not in refused.stderr
    back = ok_json(d, "order", "return", "A-0001", "--line", "1:1", "--reason", "dropped",
                   "--restock", "--staff", "Ann")
    assert back["balance"] == -450
    refund = ok_json(d, "order", "refund", "A-0001", "4.50", "--method", "card",
                     "--staff", "Ann")
    assert refund["balance"] == 0
    shown = countertop(d, "order", "show", "A-0001")
    assert "Ann returned 1 × Tiramisu (dropped), restocked" in shown.stdout
    assert "Ann refunded £4.50 by card" in shown.stdout
    ok_json(d, "order", "add", "--line", "CAKE:2")
    discounted = ok_json(d, "order", "discount", "A-0002", "--percent", "10", "--staff", "Ann")
    assert discounted["total"] == 810
    unknown = countertop(d, "order", "add", "--line", "CAKE:1", "--staff", "Nobody")
    assert unknown.returncode == 2 and "no staff member called 'Nobody'" in unknown.stderr
