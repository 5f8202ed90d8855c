"""``countertop``: the command line. Talks to the running engine, or opens the data dir itself.

Exit codes: 0 success; 2 bad input or a refused command (one line on stderr, never a
traceback); 1 anything else (also one line; details in the log).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from sync.data_dir import default_data_dir
from sync.errors import CommandRejected, CountertopError, DataDirLocked, StorageCorrupt

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (its default prints usage on top)."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        sys.stderr.write(f"countertop: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    def options(default: bool) -> argparse.ArgumentParser:
        # sub-commands accept the same options; SUPPRESS keeps a value given earlier
        opts = argparse.ArgumentParser(add_help=False)
        kw: dict[str, Any] = {} if default else {"default": argparse.SUPPRESS}
        opts.add_argument("--data-dir", type=Path, **({"default": None} if default else kw),
                          help="till data dir (default: $COUNTERTOP_DATA_DIR or the user data dir)")
        opts.add_argument("--json", action="store_true", help="machine-readable output", **kw)
        opts.add_argument("-v", "--verbose", action="store_true", help="log to stderr", **kw)
        return opts

    common = options(False)
    p = _Parser(prog="countertop", description="Countertop order desk", parents=[options(True)])
    sub = p.add_subparsers(dest="group", required=True, parser_class=_Parser)

    def group(name: str, help_text: str) -> Any:
        g = sub.add_parser(name, help=help_text, parents=[common])
        return g.add_subparsers(dest="action", required=True, parser_class=_Parser)

    e = sub.add_parser("engine", help="run the headless engine in the foreground", parents=[common])
    e.add_argument("--modem", help="GSM modem port, PORT[@BAUD]")
    e.add_argument("--modem-pin", help="SIM PIN")
    e.add_argument("--callerid", help="caller-ID port, PORT[@BAUD]")
    e.add_argument("--peer", action="append", default=[], help="static peer host:port")
    e.add_argument("--relay", action="append", default=[], help="automerge-repo sync server URL")
    e.add_argument("--listen", default="127.0.0.1:0", help="sync listen address host:port")
    e.add_argument("--interface", action="append", default=None,
                   help="address to announce/browse mDNS on (default 127.0.0.1)")
    e.add_argument("--no-discovery", action="store_true", help="no mDNS")
    e.add_argument("--demo", action="store_true", help="simulated modem and caller-ID")

    ui = sub.add_parser("ui", help="open the counter window", parents=[common])
    ui.add_argument("--no-demo", action="store_true", help="do not open a demo shop")

    s = group("shop", "create or show the shop")
    sc = s.add_parser("create", parents=[common])
    sc.add_argument("--name", required=True)
    sc.add_argument("--currency", default="EUR")
    sc.add_argument("--region", default="GB")
    sc.add_argument("--timezone", default="UTC")
    sc.add_argument("--till-name", default="Till 1")
    s.add_parser("info", parents=[common])

    pr = group("product", "catalog")
    pa = pr.add_parser("add", parents=[common])
    pa.add_argument("--sku", required=True)
    pa.add_argument("--name", required=True)
    pa.add_argument("--price", required=True)
    pa.add_argument("--stock", default=None)
    pa.add_argument("--alias", action="append", default=[])
    pa.add_argument("--unit", default="each")
    pa.add_argument("--tax-rate", default="0")
    pa.add_argument("--low-stock", default=None)
    pa.add_argument("--variant", action="append", default=[],
                    help="a variant the product comes in (repeat)")
    pa.add_argument("--option", action="append", default=[],
                    help="an option group, GROUP=a,b,c (e.g. Size=small,large)")
    pl = pr.add_parser("list", parents=[common])
    pl.add_argument("--search")

    st = sub.add_parser("stock", help="stock levels", parents=[common])
    st_sub = st.add_subparsers(dest="action", required=False, parser_class=_Parser)
    sa = st_sub.add_parser("adjust", parents=[common])
    sa.add_argument("sku")
    sa.add_argument("delta")
    sa.add_argument("--reason", required=True)
    sa.add_argument("--location", default="main")

    cu = group("customer", "customers")
    ca = cu.add_parser("add", parents=[common])
    ca.add_argument("--name", required=True)
    ca.add_argument("--phone", action="append", default=[])
    ca.add_argument("--email", action="append", default=[])
    ca.add_argument("--address", action="append", default=[])
    ca.add_argument("--note", default="")
    cl = cu.add_parser("list", parents=[common])
    cl.add_argument("--search")
    cf = cu.add_parser("show", parents=[common])
    cf.add_argument("ref", help="phone, email or id")
    cm = cu.add_parser("merge", parents=[common])
    cm.add_argument("keep")
    cm.add_argument("merge")

    o = group("order", "orders")
    oa = o.add_parser("add", parents=[common])
    oa.add_argument("--customer", help="phone, email or customer id")
    oa.add_argument("--line", action="append", default=[], help="SKU:QTY")
    oa.add_argument("--note", default="")
    oa.add_argument("--channel", default="counter")
    oa.add_argument("--tag", action="append", default=[])
    oa.add_argument("--assignee", default="")
    oa.add_argument("--due", default=None, help="ISO time with offset")
    oa.add_argument("--deliver-to", default=None, help="delivery address")
    oa.add_argument("--field", action="append", default=[], help="custom field NAME=VALUE")
    ol = o.add_parser("list", parents=[common])
    ol.add_argument("--status")
    ol.add_argument("--search")
    ol.add_argument("--limit", type=int, default=200)
    os_ = o.add_parser("show", parents=[common])
    os_.add_argument("order", help="id or number (A-0042)")
    oss = o.add_parser("set-status", parents=[common])
    oss.add_argument("order")
    oss.add_argument("status")
    op = o.add_parser("pay", parents=[common])
    op.add_argument("order")
    op.add_argument("amount")
    op.add_argument("--method", required=True)
    op.add_argument("--reference", default="")
    orf = o.add_parser("refund", parents=[common])
    orf.add_argument("order")
    orf.add_argument("amount")
    orf.add_argument("--method", required=True)
    orf.add_argument("--reference", default="")
    ort = o.add_parser("return", parents=[common])
    ort.add_argument("order")
    ort.add_argument("--line", action="append", default=[], help="LINE_ID:QTY (default: all)")
    ort.add_argument("--no-restock", action="store_true")
    ort.add_argument("--reason", default="")

    m = group("message", "inbox")
    ml = m.add_parser("list", parents=[common])
    ml.add_argument("--channel")
    ml.add_argument("--unread", action="store_true")
    ml.add_argument("--search")

    c = group("call", "calls")
    c.add_parser("list", parents=[common])

    al = group("alert", "overbooking alerts")
    al.add_parser("list", parents=[common])
    ar = al.add_parser("resolve", parents=[common])
    ar.add_argument("alert")
    ar.add_argument("--note", default="")

    ex = sub.add_parser("export", help="export orders", parents=[common])
    ex.add_argument("--format", choices=["csv", "json"], required=True)
    ex.add_argument("--out", required=True)

    sub.add_parser("rebuild-read-model", help="recreate the SQLite read model", parents=[common])
    _add_extra_commands(sub, common)
    return p


def _add_extra_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Commands of later features (sync, SMS, intake) register here."""
    try:
        from app import cli_extra
    except ImportError:
        return
    cli_extra.add_commands(sub, common)


def _fields(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CommandRejected(f"custom field {item!r} should look like NAME=VALUE")
        out[name.strip()] = value
    return out


def _options(items: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        options = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not name.strip() or not options:
            raise CommandRejected(f"option group {item!r} should look like GROUP=a,b,c")
        out[name.strip()] = options
    return out


def to_command(ns: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """Map parsed arguments to an engine command and its JSON arguments."""
    g, a = ns.group, getattr(ns, "action", None)
    if g == "shop" and a == "create":
        return "shop.create", {"name": ns.name, "currency": ns.currency, "region": ns.region,
                               "timezone": ns.timezone, "till_name": ns.till_name}
    if g == "shop":
        return "shop.info", {}
    if g == "product" and a == "add":
        return "product.add", {"sku": ns.sku, "name": ns.name, "price": ns.price,
                               "stock": ns.stock, "aliases": ns.alias, "unit": ns.unit,
                               "tax_rate": ns.tax_rate, "low_stock": ns.low_stock,
                               "variants": ns.variant, "option_groups": _options(ns.option)}
    if g == "product":
        return "product.list", {"search": ns.search}
    if g == "stock" and a == "adjust":
        return "stock.adjust", {"sku": ns.sku, "delta": ns.delta, "reason": ns.reason,
                                "location": ns.location}
    if g == "stock":
        return "stock.list", {}
    if g == "customer" and a == "add":
        return "customer.add", {"name": ns.name, "phones": ns.phone, "emails": ns.email,
                                "addresses": ns.address, "notes": ns.note}
    if g == "customer" and a == "list":
        return "customer.list", {"search": ns.search}
    if g == "customer" and a == "show":
        return "customer.find", {"ref": ns.ref}
    if g == "customer" and a == "merge":
        return "customer.merge", {"keep": ns.keep, "merge": ns.merge}
    if g == "order" and a == "add":
        return "order.add", {"customer": ns.customer, "lines": ns.line, "notes": ns.note,
                             "channel": ns.channel, "tags": ns.tag, "assignee": ns.assignee,
                             "due_at": ns.due, "delivery_address": ns.deliver_to,
                             "custom_fields": _fields(ns.field)}
    if g == "order" and a == "list":
        return "order.list", {"status": ns.status, "search": ns.search, "limit": ns.limit}
    if g == "order" and a == "show":
        return "order.show", {"order": ns.order}
    if g == "order" and a == "set-status":
        return "order.set_status", {"order": ns.order, "status": ns.status}
    if g == "order" and a in ("pay", "refund"):
        return "order.pay", {"order": ns.order, "amount": ns.amount, "method": ns.method,
                             "reference": ns.reference, "refund": a == "refund"}
    if g == "order" and a == "return":
        lines = {}
        for item in ns.line:
            lid, sep, qty = item.rpartition(":")
            if not sep:
                raise CommandRejected(f"return line {item!r} should look like LINE_ID:QTY")
            lines[lid] = qty
        return "order.return", {"order": ns.order, "lines": lines or None,
                                "restock": not ns.no_restock, "reason": ns.reason}
    if g == "message":
        return "message.list", {"channel": ns.channel, "unread": ns.unread, "search": ns.search}
    if g == "call":
        return "call.list", {}
    if g == "alert" and a == "resolve":
        return "alert.resolve", {"alert": ns.alert, "note": ns.note}
    if g == "alert":
        return "alert.list", {}
    if g == "export":
        return "export", {"format": ns.format, "out": str(Path(ns.out).expanduser().resolve())}
    if g == "rebuild-read-model":
        return "rebuild_read_model", {}
    try:
        from app import cli_extra
    except ImportError:
        cli_extra = None  # type: ignore[assignment]
    if cli_extra is not None:
        found = cli_extra.to_command(ns)
        if found is not None:
            return found
    raise CommandRejected(f"unknown command {g} {a or ''}".strip())


def print_human(cmd: str, result: Any) -> None:
    """Short, readable output for people; ``--json`` gives everything."""
    if cmd in ("order.add", "order.show", "order.set_status", "order.pay", "order.return"):
        o = result
        print(f"{o['number']}  {o['status']}  {o.get('customer_name') or '-'}  "
              f"total {o.get('total_text')}  paid {o.get('paid_text')}  due {o.get('balance_text')}"
              f"  (id {o['id']})")
        for line in o.get("lines", []):
            if not line.get("removed"):
                print(f"  {line['qty']} x {line['description']} @ {line.get('unit_price_text')}"
                      f"  [{line['line_id']}]")
        return
    if cmd == "order.list":
        for o in result:
            print(f"{o['number']:<8} {o['status']:<16} {(o.get('customer_name') or '-'):<24} "
                  f"{o.get('total_text'):>10}  {o['created_at'][:16]}")
        return
    if cmd == "product.list":
        for p in result:
            print(f"{p['sku']:<12} {p['name']:<30} {p['price_text']:>8}  "
                  f"stock {p['available_milli'] / 1000:g}")
        return
    if cmd == "stock.list":
        for s in result:
            flag = " OVERBOOKED" if s["overbooked"] else " low" if s["is_low"] else ""
            print(f"{s['sku']:<12} {s['location']:<8} on hand {s['on_hand']:>6}  reserved "
                  f"{s['reserved']:>6}  available {s['available']:>6}{flag}")
        return
    if cmd == "customer.list":
        for c in result:
            print(f"{c['id']}  {c['name']:<28} {', '.join(c['phones'] + c['emails'])}")
        return
    if cmd in ("shop.create", "shop.info") and result.get("shop"):
        shop = result["shop"]
        print(f"{shop['name']}  ({shop['currency']}, region {shop['region']}, {shop['timezone']})")
        for till in result.get("tills", []):
            me = "  <- this till" if till["id"] == result.get("till_id") else ""
            gone = "  (removed)" if till["removed"] else ""
            print(f"  till {till['prefix']}: {till['name']}  {till['id'][:12]}{gone}{me}")
        return
    print(json.dumps(result, indent=2, default=str))


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    ns = parser.parse_args(argv)
    data_dir = (ns.data_dir or default_data_dir()).expanduser()
    if ns.group == "engine":
        _setup_logging(True)
        return _run_engine(ns, data_dir)
    if ns.group == "ui":
        from app.ui.main import main as ui_main

        return ui_main(data_dir, demo=not ns.no_demo)
    _setup_logging(ns.verbose)
    try:
        from app import cli_extra
    except ImportError:
        cli_extra = None  # type: ignore[assignment]
    if cli_extra is not None:
        code = cli_extra.run_local(ns, data_dir)
        if code is not None:
            return code
    engine = None
    try:
        cmd, args = to_command(ns)
        from app.client import open_engine

        engine = open_engine(data_dir)
        result = engine.call(cmd, args)
    except (CommandRejected, DataDirLocked) as exc:
        sys.stderr.write(f"countertop: {exc}\n")
        return EXIT_BAD_INPUT
    except StorageCorrupt as exc:
        sys.stderr.write(f"countertop: storage problem: {exc}\n")
        return EXIT_ERROR
    except CountertopError as exc:
        sys.stderr.write(f"countertop: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line for the user, the traceback in the log
        logging.getLogger("countertop.cli").debug("command failed", exc_info=True)
        sys.stderr.write(f"countertop: unexpected error: {exc} (run with -v for details)\n")
        return EXIT_ERROR
    finally:
        if engine is not None:
            engine.close()
    if ns.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print_human(cmd, result)
    return EXIT_OK


def _run_engine(ns: argparse.Namespace, data_dir: Path) -> int:
    from app.engine.main import EngineOptions, run_engine
    from app.till_settings import TillSettings

    settings = TillSettings(data_dir)  # the ports chosen in Settings, unless given here
    ns.modem = ns.modem or settings.get("modem_port") or None
    ns.callerid = ns.callerid or settings.get("callerid_port") or None

    host, _, port = ns.listen.rpartition(":")
    options = EngineOptions(
        data_dir=data_dir, modem=ns.modem, modem_pin=ns.modem_pin, callerid=ns.callerid,
        peers=ns.peer, relays=ns.relay, listen_host=host or "127.0.0.1",
        listen_port=int(port or 0), interfaces=ns.interface or ["127.0.0.1"],
        discovery=not ns.no_discovery, demo=ns.demo)
    try:
        return run_engine(options)
    except (DataDirLocked, StorageCorrupt) as exc:
        sys.stderr.write(f"countertop: {exc}\n")
        return EXIT_BAD_INPUT if isinstance(exc, DataDirLocked) else EXIT_ERROR


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
