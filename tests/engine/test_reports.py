"""Reports and the cash-up on a real engine: figures that add up to the minor unit and
match ``countertop export --format json``, local days in the shop's timezone, the day
closed as a record in the shop document, files in CSV, XLSX and PDF, and bad input
refused in plain words."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from app.engine.till_engine import TillEngine
from sync.errors import CommandRejected, NotFound
from tests.conftest import CliRunner
from tests.helpers.commands import run

UTC = dt.UTC


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


def sell(engine: TillEngine, clock: Clock, at: dt.datetime, lines: list[str], *,
         pay: tuple[str, str] | None = None, status: str = "collected", by: str = "",
         **extra: Any) -> dict[str, Any]:
    clock.at = at
    order = run(engine, "order.add", {"lines": lines, "by": by, **extra})
    if status != "new":
        run(engine, "order.set_status", {"order": order["number"], "status": status, "by": by})
    if pay:
        run(engine, "order.pay", {"order": order["number"], "amount": pay[0], "method": pay[1],
                                  "by": by})
    return order


@pytest.fixture
def busy(engine: TillEngine) -> Iterator[tuple[TillEngine, Clock]]:
    """Two weeks of a small shop: cash and card, a cancelled order, a refund, a return."""
    clock = Clock(dt.datetime(2026, 11, 2, 9, tzinfo=UTC))
    engine.ledger.clock = clock
    run(engine, "product.update", {"sku": "BREAD", "fields": {"category": "Bakery",
                                                              "tax_rate": "5"}})
    run(engine, "product.update", {"sku": "MILK", "fields": {"category": "Dairy",
                                                             "tax_rate": "20"}})
    run(engine, "stock.adjust", {"sku": "BREAD", "delta": "100", "reason": "delivery"})
    day = dt.datetime(2026, 11, 2, 9, tzinfo=UTC)
    for n in range(14):
        at = day + dt.timedelta(days=n, hours=n % 5)
        sell(engine, clock, at, ["BREAD:2", "MILK:1"], pay=("6.20", "cash"), by="sam")
        sell(engine, clock, at + dt.timedelta(minutes=20), ["FLOUR:0.5"],
             pay=("1.55", "card"), by="jo", channel="phone", customer="ann@example.com")
    sell(engine, clock, day + dt.timedelta(days=3), ["MILK:4"], status="cancelled")
    refunded = sell(engine, clock, day + dt.timedelta(days=5, hours=2), ["BREAD:1"],
                    pay=("2.50", "card"), by="sam")
    clock.at = day + dt.timedelta(days=5, hours=3)
    run(engine, "order.pay", {"order": refunded["number"], "amount": "2.50", "method": "card",
                              "refund": True, "reference": "burnt", "by": "jo"})
    run(engine, "order.return", {"order": refunded["number"], "reason": "burnt", "by": "jo"})
    yield engine, clock


def export_json(engine: TillEngine, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "export.json"
    run(engine, "export", {"format": "json", "out": str(out)})
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def test_sales_add_up_to_the_export_to_the_minor_unit(busy: Any, tmp_path: Path) -> None:
    engine, _ = busy
    data = export_json(engine, tmp_path)
    sold = [o for o in data["orders"] if o["status"] != "cancelled"]
    by_day: Counter[str] = Counter()
    for o in sold:
        by_day[o["created_at"][:10]] += o["total"]
    report = run(engine, "report.sales", {"from": "2026-11-01", "to": "2026-11-30",
                                          "group_by": "day"})
    assert report["currency"] == "EUR"
    assert report["totals"]["sales"] == sum(o["total"] for o in sold)
    assert report["totals"]["orders"] == len(sold)
    rows = {r["key"]: r["sales"] for r in report["tables"][0]["rows"]}
    assert len(rows) == 30  # every day, empty ones too
    assert {k: v for k, v in rows.items() if v} == dict(by_day)
    for by in ("week", "month", "product", "category", "channel", "staff", "till"):
        r = run(engine, "report.sales", {"from": "2026-11-01", "to": "2026-11-30", "group_by": by})
        assert sum(row["sales"] for row in r["tables"][0]["rows"]) == report["totals"]["sales"], by
    staff = {r["key"]: r["sales"] for r in run(engine, "report.sales", {
        "from": "2026-11-01", "to": "2026-11-30", "group_by": "staff"})["tables"][0]["rows"]}
    assert staff == {"sam": 14 * 620 + 250, "jo": 14 * 155}
    products = {r["sku"]: r for r in run(engine, "report.sales", {
        "from": "2026-11-01", "to": "2026-11-30", "group_by": "product"})["tables"][0]["rows"]}
    assert products["BREAD"]["qty"] == "29" and products["BREAD"]["returned"] == "1"
    assert products["MILK"]["sales"] == 14 * 120  # the cancelled order is no sale
    assert products["BREAD"]["sales_text"] == "72.50"


def test_the_cli_json_matches_the_cli_export(busy: Any, cli: CliRunner,
                                             tmp_path: Path) -> None:
    engine, _ = busy
    engine.close()  # the CLI opens the data dir itself
    out = tmp_path / "cli-export.json"
    done = cli("export", "--format", "json", "--out", str(out))
    assert done.returncode == 0, done.stderr
    orders = json.loads(out.read_text())["orders"]
    done = cli("report", "sales", "--from", "2026-11-09", "--to", "2026-11-11", "--by",
               "channel", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    picked = [o for o in orders if "2026-11-09" <= o["created_at"][:10] <= "2026-11-11"
              and o["status"] != "cancelled"]
    assert report["totals"]["sales"] == sum(o["total"] for o in picked) > 0
    assert isinstance(report["totals"]["sales"], int)
    done = cli("report", "cashup", "--date", "2026-11-07", "--json")
    cashup = json.loads(done.stdout)
    taken: defaultdict[str, int] = defaultdict(int)
    for o in orders:
        for pay in o["payments"]:
            if pay["at"][:10] == "2026-11-07":
                taken[pay["method"]] += -pay["amount"] if pay["kind"] == "refund" \
                    else pay["amount"]
    methods = {m["method"]: m["net"] for m in cashup["tables"][1]["rows"] if m["net"]}
    assert methods == dict(taken)
    assert cashup["totals"]["takings"] == sum(taken.values())
    # people's output: not JSON, but the figures are there
    human = cli("report", "sales", "--from", "2026-11-09", "--to", "2026-11-11")
    assert human.returncode == 0 and report["totals"]["sales_text"] in human.stdout


def test_days_are_the_shops_local_days(tmp_path: Path) -> None:
    engine = TillEngine(tmp_path / "nz", role="pytest")
    try:
        run(engine, "shop.create", {"name": "Kiwi", "currency": "NZD", "region": "NZ",
                                    "timezone": "Pacific/Auckland"})
        run(engine, "product.add", {"sku": "PIE", "name": "Pie", "price": "5"})
        clock = Clock(dt.datetime(2026, 11, 20, 23, 30, tzinfo=UTC))  # 21 Nov 12:30 there
        engine.ledger.clock = clock
        sell(engine, clock, clock.at, ["PIE:1"], pay=("5", "cash"))
        r = run(engine, "report.sales", {"from": "2026-11-20", "to": "2026-11-21"})
        assert [(row["key"], row["sales"]) for row in r["tables"][0]["rows"]] == [
            ("2026-11-20", 0), ("2026-11-21", 500)]
        assert run(engine, "report.cashup", {"date": "2026-11-21"})["totals"]["takings"] == 500
        assert run(engine, "report.cashup", {"date": "2026-11-20"})["totals"]["takings"] == 0
    finally:
        engine.close()


def test_cash_up_closes_the_day_and_keeps_the_record(busy: Any) -> None:
    engine, clock = busy
    preview = run(engine, "report.cashup", {"date": "2026-11-07", "float": "50"})
    assert preview["closed"] is None
    assert preview["totals"]["expected_cash"] == 5000 + 620  # float + cash taken
    assert preview["totals"]["refunded"] == 250
    clock.at = dt.datetime(2026, 11, 7, 22, tzinfo=UTC)
    closed = run(engine, "report.cashup", {"date": "2026-11-07", "float": "50",
                                           "counted": "56.00", "by": "jo"})
    assert closed["closed"]["closed_by"] == "jo"
    assert closed["totals"]["counted_cash"] == 5600
    assert closed["totals"]["difference"] == 5600 - 5620
    assert "closed by jo" in closed["title"]
    clock.at = dt.datetime(2026, 11, 7, 22, 5, tzinfo=UTC)
    recount = run(engine, "report.cashup", {"date": "2026-11-07", "float": "50",
                                            "counted": "56.20", "by": "sam"})
    assert recount["totals"]["difference"] == 0
    records = run(engine, "cashup.list", {})
    assert [r["closed_by"] for r in records if r["day"] == "2026-11-07"] == ["sam", "jo"]
    assert run(engine, "report.cashup", {"date": "2026-11-07"})["closed"]["closed_by"] == "sam"
    # the records are in the shop document: a rebuilt read model has them again
    engine.rebuild_read_model()
    assert len(run(engine, "cashup.list", {})) == 2
    one_till = run(engine, "report.cashup", {"date": "2026-11-07", "till": "A"})
    assert one_till["totals"]["takings"] == preview["totals"]["takings"]


def test_other_reports(busy: Any) -> None:
    engine, _ = busy
    span = {"from": "2026-11-01", "to": "2026-11-30"}
    refunds = run(engine, "report.refunds", span)
    assert refunds["totals"]["refunded"] == 250 and refunds["totals"]["returns"] == 1
    assert refunds["tables"][2]["rows"][0]["reason"] == "burnt"
    assert refunds["tables"][2]["rows"][0]["value"] == 250
    tax = run(engine, "report.tax", span)
    rates = {r["rate"]: r for r in tax["tables"][0]["rows"]}
    assert rates["20%"]["sales"] == 14 * 120 and rates["20%"]["tax"] == 280  # 1680 / 6
    assert tax["totals"]["net"] + tax["totals"]["tax"] == tax["totals"]["sales"]
    customers = run(engine, "report.customers", span)
    assert customers["totals"]["customers"] == 1 and customers["totals"]["repeat_rate"] == 100.0
    assert customers["tables"][0]["rows"][0]["sales"] == 14 * 155
    orders = run(engine, "report.orders", span)
    statuses = {r["status"]: r["orders"] for r in orders["tables"][1]["rows"]}
    assert statuses == {"collected": 28, "cancelled": 1, "returned": 1}
    handover = orders["tables"][2]["rows"][1]
    assert handover["count"] == 29 and handover["median"] == 0
    stock = run(engine, "report.stock", span)
    assert stock["totals"]["stock_value"] == sum(r["value"] for r in stock["tables"][0]["rows"])
    assert {r["sku"] for r in stock["tables"][2]["rows"]} == {"MILK", "FLOUR"}
    messages = run(engine, "report.messages", span)
    assert messages["totals"]["messages"] == 0 and len(messages["tables"][1]["rows"]) == 24


def test_message_volume_by_local_hour(engine: TillEngine) -> None:
    for at in ("2026-11-10T12:05:00+00:00", "2026-11-10T12:50:00+00:00",
               "2026-11-11T18:00:00+00:00"):
        run(engine, "message.receive", {"from": "+447700900123", "text": "two loaves",
                                        "received_at": at, "intake": False})
    r = run(engine, "report.messages", {"from": "2026-11-01", "to": "2026-11-30"})
    hours = {row["hour"]: row["messages"] for row in r["tables"][1]["rows"] if row["messages"]}
    assert hours == {"12:00": 2, "18:00": 1}
    assert r["tables"][0]["rows"] == [{"channel": "sms", "messages": 3, "share": 100.0}]


@pytest.mark.parametrize(("command", "args", "words"), [
    ("report.sales", {"from": "2026-13-01"}, "is not a date"),
    ("report.sales", {"from": "2026-11-10", "to": "2026-11-01"}, "starts (2026-11-10) after"),
    ("report.sales", {"group_by": "colour"}, "by"),
    ("report.sales", {"till": "Z"}, "no till 'Z'"),
    ("report.sales", {"out": "/tmp/report.docx"}, "name it .csv, .xlsx or .pdf"),
    ("report.sales", {"from": "2000-01-01", "to": "2026-01-01"}, "at most"),
    ("report.cashup", {"counted": "lots"}, "is not an amount of money"),
    ("report.cashup", {"counted": "-5"}, "cannot be negative"),
    ("report.cashup", {"counted": "1.234"}, "more decimals"),
    ("report.cashup", {"date": "yesterday"}, "is not a date"),
    ("report.cashup", {"float": "-1", "counted": "0"}, "cannot be negative"),
])
def test_bad_input_is_refused_in_plain_words(engine: TillEngine, command: str,
                                             args: dict[str, Any], words: str) -> None:
    if args.get("by") == "colour":
        # the CLI offers only the choices; JSON callers get a plain refusal
        with pytest.raises(CommandRejected, match="group sales by day, week"):
            run(engine, command, args)
        return
    with pytest.raises((CommandRejected, NotFound)) as err:
        run(engine, command, args)
    assert words in str(err.value)


def _xlsx_cells(path: Path, sheet: int = 1) -> list[str]:
    with zipfile.ZipFile(path) as z:
        ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
        shared = [si.findtext("m:t", "", ns) for si in ElementTree.fromstring(
            z.read("xl/sharedStrings.xml")).findall("m:si", ns)]
        sheet_xml = ElementTree.fromstring(z.read(f"xl/worksheets/sheet{sheet}.xml"))
        out = []
        for c in sheet_xml.iter(f"{{{ns['m']}}}c"):
            v = c.findtext("m:v", "", ns)
            out.append(shared[int(v)] if c.get("t") == "s" else v)
        return out


def pdf_pages(pdf: Path) -> list[Path]:
    """The PDF rendered to PNG pages with pdftoppm (installed from apt when missing)."""
    if shutil.which("pdftoppm") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "poppler-utils"], check=False,
                       capture_output=True, timeout=300)
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(pdf.with_suffix(""))],
                   check=True, timeout=60)
    return sorted(pdf.parent.glob(pdf.stem + "-*.png"))


def test_every_report_exports_as_csv_xlsx_and_pdf(busy: Any, tmp_path: Path) -> None:
    engine, _ = busy
    from tests.helpers.screenshots import screenshots_dir

    for name in ("report.sales", "report.orders", "report.customers", "report.refunds",
                 "report.tax", "report.stock", "report.messages", "report.cashup"):
        span = {"date": "2026-11-07"} if name == "report.cashup" else {
            "from": "2026-11-01", "to": "2026-11-30"}
        short = name.split(".")[1]
        for fmt in ("csv", "xlsx", "pdf"):
            out = tmp_path / f"{short}.{fmt}"
            r = run(engine, name, {**span, "out": str(out)})
            assert r["written"] == str(out) and out.stat().st_size > 0
        text = (tmp_path / f"{short}.csv").read_text()
        assert r["tables"][0]["title"] in text
        cells = _xlsx_cells(tmp_path / f"{short}.xlsx")
        assert any(r["tables"][0]["title"] in str(c) for c in cells)
        pages = pdf_pages(tmp_path / f"{short}.pdf")
        assert pages and pages[0].stat().st_size > 2000
        target = screenshots_dir()
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(pages[0], target / f"report-{short}-pdf.png")
    sales = run(engine, "report.sales", {"from": "2026-11-01", "to": "2026-11-30",
                                         "group_by": "product", "out": str(tmp_path / "p.xlsx")})
    cells = _xlsx_cells(tmp_path / "p.xlsx")
    assert "111" in cells and sales["totals"]["sales"] == 11100  # a number, in the currency


def test_export_carries_lines_and_payments(busy: Any, tmp_path: Path) -> None:
    engine, _ = busy
    result = run(engine, "export", {"format": "csv", "out": str(tmp_path / "o.csv")})
    assert [Path(f).name for f in result["files"]] == ["o.csv", "o-lines.csv",
                                                       "o-payments.csv"]
    lines = (tmp_path / "o-lines.csv").read_text().splitlines()
    payments = (tmp_path / "o-payments.csv").read_text().splitlines()
    assert len(lines) - 1 == result["lines"] == 14 * 3 + 2
    assert len(payments) - 1 == result["payments"] == 14 * 2 + 2
    assert any(",refund,card,2.50,burnt," in p for p in payments)
    result = run(engine, "export", {"format": "xlsx", "out": str(tmp_path / "o.xlsx")})
    with zipfile.ZipFile(tmp_path / "o.xlsx") as z:
        assert {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                "xl/worksheets/sheet3.xml"} <= set(z.namelist())
    assert "burnt" in _xlsx_cells(tmp_path / "o.xlsx", 3)
