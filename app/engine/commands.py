"""The engine's command table: JSON in, JSON out, the same for IPC and the in-process CLI.

Each handler takes the engine and a dict of JSON-able arguments, validates them in plain
words (``CommandRejected``), runs ledger commands through ``TillEngine.execute`` and
returns a JSON-able result. Read commands query the read model.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.engine.till_engine import TillEngine
from sync import read_queries as q
from sync.errors import CommandRejected, NotFound
from sync.ledger import FulfilmentInput, LineInput
from sync.money import format_money, parse_money, parse_quantity

Handler = Callable[[TillEngine, dict[str, Any]], Any]
COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        COMMANDS[name] = fn
        return fn
    return register


def run(engine: TillEngine, name: str, args: dict[str, Any]) -> Any:
    handler = COMMANDS.get(name)
    if handler is None:
        raise CommandRejected(f"unknown command {name!r}")
    return handler(engine, args)


def _conn(engine: TillEngine) -> Any:
    conn = engine.read_model.conn
    conn.row_factory = None
    return conn


def _str(args: dict[str, Any], key: str, default: str | None = None, *,
         required: bool = False) -> str | None:
    value = args.get(key, default)
    if value is None:
        if required:
            raise CommandRejected(f"{key} is required")
        return None
    if not isinstance(value, str):
        value = str(value)
    return value


def _need(args: dict[str, Any], key: str) -> str:
    """A required text argument, refused in plain words when missing."""
    value = _str(args, key, required=True)
    assert value is not None
    return value


def _order_ref(engine: TillEngine, args: dict[str, Any]) -> str:
    """The order an order command names (id or number); the shop must exist."""
    engine.require_shop()
    return _need(args, "order")


def _list(args: dict[str, Any], key: str) -> list[Any]:
    value = args.get(key) or []
    if isinstance(value, (str, dict)):
        value = [value]
    return list(value)


def _int(args: dict[str, Any], key: str, default: int) -> int:
    value = args.get(key)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CommandRejected(f"{key} must be a whole number, not {value!r}") from None


def _decimal(value: Any) -> Decimal:
    """A signed quantity (stock adjustment, threshold) from text or a number."""
    try:
        qty = Decimal(str(value).strip().replace(",", "."))
    except ArithmeticError:
        raise CommandRejected(f"{value!r} is not a quantity") from None
    if not qty.is_finite():
        raise CommandRejected(f"{value!r} is not a quantity")
    return qty


def _money(engine: TillEngine, value: Any, what: str = "amount") -> int:
    if value is None or value == "":
        raise CommandRejected(f"{what} is required")
    return parse_money(value, engine.ledger.currency)


def _when(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise CommandRejected(f"{value!r} is not a date and time (use 2026-11-23T17:00)") from None
    if when.tzinfo is None:
        raise CommandRejected(f"{value!r} needs a timezone offset, e.g. +00:00")
    return when


def _money_fields(engine: TillEngine, row: dict[str, Any], *keys: str) -> dict[str, Any]:
    cur = engine.ledger.currency
    for key in keys:
        if row.get(key) is not None:
            row[f"{key}_text"] = format_money(int(row[key]), cur)
    return row


# ---------------------------------------------------------------------- shop


@command("shop.create")
def shop_create(engine: TillEngine, a: dict[str, Any]) -> Any:
    name = _need(a, "name")
    engine.execute(lambda L: L.shop.create(
        name, currency=str(a.get("currency") or "EUR"), region=str(a.get("region") or "GB"),
        timezone=str(a.get("timezone") or "UTC"), till_name=str(a.get("till_name") or "Till 1")))
    return shop_info(engine, {})


@command("shop.info")
def shop_info(engine: TillEngine, a: dict[str, Any]) -> Any:
    if not engine.has_shop:
        return {"shop": None, "till_id": engine.identity.till_id}
    info = q.shop_info(_conn(engine))
    return {"shop": info, "shop_doc": engine.ledger.shop_doc_id,
            "till_id": engine.identity.till_id, "tills": q.list_tills(_conn(engine))}


@command("shop.set_setting")
def shop_set_setting(engine: TillEngine, a: dict[str, Any]) -> Any:
    key = _need(a, "key")
    engine.execute(lambda L: L.shop.set_setting(key, a.get("value")))
    return {"ok": True}


# ---------------------------------------------------------------------- catalog


@command("product.add")
def product_add(engine: TillEngine, a: dict[str, Any]) -> Any:
    engine.require_shop()
    price = _money(engine, a.get("price"), "price")
    stock = parse_quantity(a["stock"]) if a.get("stock") not in (None, "", 0, "0") else None
    low = _decimal(a["low_stock"]) if a.get("low_stock") not in (None, "") else None
    changes = engine.execute(lambda L: L.catalog.add_product(
        str(a.get("sku") or ""), str(a.get("name") or ""), price,
        aliases=[str(x) for x in _list(a, "aliases")], unit=str(a.get("unit") or "each"),
        tax_rate=str(a.get("tax_rate") or "0"), stock=stock, low_stock=low,
        variants=[str(x) for x in _list(a, "variants")],
        option_groups=a.get("option_groups") or None, by=str(a.get("by") or "")))
    return _product(engine, str(changes.created))


def _product(engine: TillEngine, sku: str) -> dict[str, Any]:
    for row in q.list_products(_conn(engine)):
        if row["sku"] == sku:
            return _money_fields(engine, row, "price")
    raise NotFound(f"unknown SKU {sku!r}")


@command("product.update")
def product_update(engine: TillEngine, a: dict[str, Any]) -> Any:
    sku = _need(a, "sku")
    fields = {k: v for k, v in (a.get("fields") or {}).items()}
    if "price" in fields:
        fields["price"] = _money(engine, fields["price"], "price")
    engine.execute(lambda L: L.catalog.update_product(sku, **fields))
    return _product(engine, sku)


@command("product.alias")
def product_alias(engine: TillEngine, a: dict[str, Any]) -> Any:
    sku = _need(a, "sku")
    alias = _need(a, "alias")
    engine.execute(lambda L: L.catalog.add_alias(sku, alias))
    return _product(engine, sku)


@command("product.list")
def product_list(engine: TillEngine, a: dict[str, Any]) -> Any:
    engine.require_shop()
    return [_money_fields(engine, r, "price") for r in q.list_products(
        _conn(engine), search=_str(a, "search"))]


@command("stock.list")
def stock_list(engine: TillEngine, a: dict[str, Any]) -> Any:
    engine.require_shop()
    return q.list_stock(_conn(engine))


@command("stock.adjust")
def stock_adjust(engine: TillEngine, a: dict[str, Any]) -> Any:
    sku = _need(a, "sku")
    delta = _decimal(a.get("delta"))
    engine.execute(lambda L: L.catalog.adjust_stock(sku, delta,
                                                    reason=str(a.get("reason") or ""),
                                                    location=str(a.get("location") or "main"),
                                                    by=str(a.get("by") or "")))
    return [r for r in q.list_stock(_conn(engine)) if r["sku"] == sku]


@command("supplier.add")
def supplier_add(engine: TillEngine, a: dict[str, Any]) -> Any:
    changes = engine.execute(lambda L: L.catalog.add_supplier(
        str(a.get("name") or ""), contact=str(a.get("contact") or ""),
        products=[str(x) for x in _list(a, "products")],
        lead_time_days=_int(a, "lead_time_days", 0)))
    return {"id": changes.created}


# ---------------------------------------------------------------------- customers


@command("customer.add")
def customer_add(engine: TillEngine, a: dict[str, Any]) -> Any:
    engine.require_shop()
    changes = engine.execute(lambda L: L.customers.add(
        str(a.get("name") or ""), phones=[str(x) for x in _list(a, "phones")],
        emails=[str(x) for x in _list(a, "emails")],
        addresses=[str(x) for x in _list(a, "addresses")], notes=str(a.get("notes") or ""),
        tags=[str(x) for x in _list(a, "tags")]))
    return q.list_customers_by_id(_conn(engine), str(changes.created))[0]


@command("customer.update")
def customer_update(engine: TillEngine, a: dict[str, Any]) -> Any:
    cid = _resolve_customer(engine, _str(a, "customer", required=True))
    engine.execute(lambda L: L.customers.update(
        cid, name=_str(a, "name"), add_phones=[str(x) for x in _list(a, "add_phones")],
        add_emails=[str(x) for x in _list(a, "add_emails")],
        add_addresses=[str(x) for x in _list(a, "add_addresses")], notes=_str(a, "notes"),
        add_tags=[str(x) for x in _list(a, "add_tags")],
        remove_tags=[str(x) for x in _list(a, "remove_tags")]))
    return q.list_customers_by_id(_conn(engine), cid)[0]


@command("customer.list")
def customer_list(engine: TillEngine, a: dict[str, Any]) -> Any:
    engine.require_shop()
    return q.list_customers(_conn(engine), search=_str(a, "search"),
                            limit=_int(a, "limit", 500))


def _resolve_customer(engine: TillEngine, ref: str | None) -> str:
    engine.require_shop()
    if not ref:
        raise CommandRejected("name a customer by phone, email or id")
    cid = engine.ledger.customers.find(ref)
    if cid is None:
        raise NotFound(f"no customer with phone, email or id {ref!r}")
    return cid


@command("customer.find")
def customer_find(engine: TillEngine, a: dict[str, Any]) -> Any:
    cid = _resolve_customer(engine, _str(a, "ref", required=True))
    return q.customer_card(_conn(engine), cid)


@command("customer.merge")
def customer_merge(engine: TillEngine, a: dict[str, Any]) -> Any:
    keep = _resolve_customer(engine, _str(a, "keep", required=True))
    other = _resolve_customer(engine, _str(a, "merge", required=True))
    engine.execute(lambda L: L.customers.merge(keep, other))
    return q.list_customers_by_id(_conn(engine), keep)[0]


# ---------------------------------------------------------------------- orders


def _line_inputs(engine: TillEngine, raw: list[Any]) -> list[LineInput]:
    lines = []
    for item in raw:
        if isinstance(item, str):
            sku, sep, qty = item.rpartition(":")
            if not sep or not sku:
                raise CommandRejected(f"line {item!r} should look like SKU:QTY")
            item = {"sku": sku, "qty": qty}
        if not isinstance(item, dict):
            raise CommandRejected(f"cannot read order line {item!r}")
        price = item.get("unit_price")
        lines.append(LineInput(
            quantity=parse_quantity(item.get("qty", 1)), sku=item.get("sku") or None,
            description=item.get("description"),
            unit_price=_money(engine, price, "line price") if price not in (None, "") else None,
            notes=str(item.get("notes") or ""),
            modifiers=[str(m) for m in item.get("modifiers") or []]))
    return lines


def _fulfilment(a: dict[str, Any]) -> FulfilmentInput | None:
    f = a.get("fulfilment")
    if f is None and not a.get("delivery_address"):
        return None
    if isinstance(f, str):
        f = {"kind": f}
    f = dict(f or {})
    if a.get("delivery_address"):
        f.setdefault("kind", "delivery")
        f["address"] = a["delivery_address"]
    return FulfilmentInput(kind=str(f.get("kind") or "pickup"), address=str(f.get("address") or ""),
                           carrier=str(f.get("carrier") or ""),
                           tracking=str(f.get("tracking") or ""))


@command("order.add")
def order_add(engine: TillEngine, a: dict[str, Any]) -> Any:
    engine.require_shop()
    ref = _str(a, "customer")
    cid = _resolve_customer(engine, ref) if ref else None
    lines = _line_inputs(engine, _list(a, "lines"))
    custom = {str(k): str(v) for k, v in (a.get("custom_fields") or {}).items()}
    changes = engine.execute(lambda L: L.orders.create(
        customer_id=cid, lines=lines, channel=str(a.get("channel") or "counter"),
        notes=str(a.get("notes") or ""), tags=[str(t) for t in _list(a, "tags")],
        assignee=str(a.get("assignee") or ""), due_at=_when(a.get("due_at")),
        fulfilment=_fulfilment(a), custom_fields=custom,
        source_message_ids=[str(m) for m in _list(a, "source_messages")],
        by=str(a.get("by") or "")))
    return order_show(engine, {"order": changes.created})


@command("order.list")
def order_list(engine: TillEngine, a: dict[str, Any]) -> Any:
    engine.require_shop()
    status = _str(a, "status")
    if status:
        from sync.lifecycle import STATUSES

        if status not in STATUSES:
            raise CommandRejected(f"unknown status {status!r}; use one of: {', '.join(STATUSES)}")
    rows = q.list_orders(_conn(engine), status=status, search=_str(a, "search"),
                         limit=_int(a, "limit", 200), open_only=bool(a.get("open")))
    return [_money_fields(engine, r, "total", "paid", "balance") for r in rows]


@command("order.show")
def order_show(engine: TillEngine, a: dict[str, Any]) -> Any:
    ref = _order_ref(engine, a)
    found = engine.ledger.orders.locate(ref)  # raises NotFound in plain words
    detail = q.order_detail(_conn(engine), found[0])
    if detail is None:
        raise NotFound(f"no order {ref}")
    for line in detail["lines"]:
        _money_fields(engine, line, "unit_price", "line_total")
    for pay in detail["payments"]:
        _money_fields(engine, pay, "amount")
    return _money_fields(engine, detail, "total", "paid", "balance")


@command("order.set_status")
def order_set_status(engine: TillEngine, a: dict[str, Any]) -> Any:
    ref = _order_ref(engine, a)
    status = _need(a, "status")
    engine.execute(lambda L: L.orders.set_status(ref, status, by=str(a.get("by") or "")))
    return order_show(engine, {"order": ref})


@command("order.undo_status")
def order_undo_status(engine: TillEngine, a: dict[str, Any]) -> Any:
    """Take back the last status move of one order (``order``, ``from``, ``to``) or of
    several (``moves``: a list of those). Each order is its own transaction: a move that
    can no longer be undone is reported in ``refused`` and the others still go back."""
    moves = _list(a, "moves") or [a]
    by = str(a.get("by") or "")

    def undo(ref: str, moved_from: str, moved_to: str) -> None:
        engine.execute(lambda L: L.orders.undo_status(ref, moved_from=moved_from,
                                                      moved_to=moved_to, by=by))

    undone, refused = [], []
    for move in moves:
        if not isinstance(move, dict):
            raise CommandRejected("each move is an object with order, from and to")
        ref = _order_ref(engine, move)
        try:
            undo(ref, _need(move, "from"), _need(move, "to"))
        except CommandRejected as exc:
            if len(moves) == 1:
                raise
            refused.append({"order": ref, "reason": str(exc)})
            continue
        undone.append(order_show(engine, {"order": ref}))
    if not undone:
        raise CommandRejected("; ".join(f"{r['order']}: {r['reason']}" for r in refused))
    return undone[0] if len(moves) == 1 else {"undone": undone, "refused": refused}


@command("order.pay")
def order_pay(engine: TillEngine, a: dict[str, Any]) -> Any:
    ref = _order_ref(engine, a)
    amount = _money(engine, a.get("amount"))
    engine.execute(lambda L: L.orders.record_payment(
        ref, amount, method=str(a.get("method") or ""), reference=str(a.get("reference") or ""),
        refund=bool(a.get("refund")), by=str(a.get("by") or "")))
    return order_show(engine, {"order": ref})


@command("order.update")
def order_update(engine: TillEngine, a: dict[str, Any]) -> Any:
    ref = _order_ref(engine, a)
    cust = _str(a, "customer")
    cid = _resolve_customer(engine, cust) if cust else None
    due: Any = False
    if "due_at" in a:
        due = _when(a.get("due_at"))
    engine.execute(lambda L: L.orders.update(
        ref, assignee=_str(a, "assignee"), notes=_str(a, "notes"), due_at=due,
        fulfilment=_fulfilment(a), custom_fields=a.get("custom_fields") or None,
        add_tags=[str(t) for t in _list(a, "add_tags")],
        remove_tags=[str(t) for t in _list(a, "remove_tags")], customer_id=cid,
        by=str(a.get("by") or "")))
    return order_show(engine, {"order": ref})


@command("order.add_line")
def order_add_line(engine: TillEngine, a: dict[str, Any]) -> Any:
    ref = _order_ref(engine, a)
    (line,) = _line_inputs(engine, [a.get("line")])
    engine.execute(lambda L: L.orders.add_line(ref, line, by=str(a.get("by") or "")))
    return order_show(engine, {"order": ref})


@command("order.update_line")
def order_update_line(engine: TillEngine, a: dict[str, Any]) -> Any:
    ref = _order_ref(engine, a)
    line_id = _need(a, "line_id")
    qty = parse_quantity(a["qty"]) if a.get("qty") not in (None, "") else None
    price = _money(engine, a["unit_price"]) if a.get("unit_price") not in (None, "") else None
    engine.execute(lambda L: L.orders.update_line(ref, line_id, quantity=qty, unit_price=price,
                                                  notes=_str(a, "notes"),
                                                  remove=bool(a.get("remove")),
                                                  by=str(a.get("by") or "")))
    return order_show(engine, {"order": ref})


@command("order.return")
def order_return(engine: TillEngine, a: dict[str, Any]) -> Any:
    ref = _order_ref(engine, a)
    lines = a.get("lines")
    parsed = {str(k): parse_quantity(v) for k, v in lines.items()} if lines else None
    engine.execute(lambda L: L.orders.record_return(ref, parsed,
                                                    restock=bool(a.get("restock", True)),
                                                    reason=str(a.get("reason") or ""),
                                                    by=str(a.get("by") or "")))
    return order_show(engine, {"order": ref})


# ---------------------------------------------------------------------- messages and calls


@command("message.list")
def message_list(engine: TillEngine, a: dict[str, Any]) -> Any:
    engine.require_shop()
    return q.list_messages(_conn(engine), channel=_str(a, "channel"),
                           unread_only=bool(a.get("unread")), search=_str(a, "search"),
                           direction=_str(a, "direction"), state=_str(a, "state"),
                           limit=_int(a, "limit", 200))


@command("message.update")
def message_update(engine: TillEngine, a: dict[str, Any]) -> Any:
    mid = _need(a, "message")
    fields = {k: a[k] for k in ("read", "order_id", "customer_id") if k in a}
    engine.execute(lambda L: L.inbox.update_message(mid, **fields))
    return {"ok": True}


@command("call.list")
def call_list(engine: TillEngine, a: dict[str, Any]) -> Any:
    engine.require_shop()
    return q.list_calls(_conn(engine), limit=_int(a, "limit", 200))


@command("alert.list")
def alert_list(engine: TillEngine, a: dict[str, Any]) -> Any:
    engine.require_shop()
    return q.list_alerts(_conn(engine), open_only=not a.get("all"))


@command("alert.resolve")
def alert_resolve(engine: TillEngine, a: dict[str, Any]) -> Any:
    aid = _need(a, "alert")
    engine.execute(lambda L: L.alerts.resolve(aid, note=str(a.get("note") or ""),
                                              by=str(a.get("by") or "")))
    return {"ok": True}


# ---------------------------------------------------------------------- maintenance


@command("rebuild_read_model")
def rebuild(engine: TillEngine, a: dict[str, Any]) -> Any:
    return engine.rebuild_read_model()


@command("export")
def export(engine: TillEngine, a: dict[str, Any]) -> Any:
    """Write orders (with lines and payments) to a CSV or JSON file."""
    engine.require_shop()
    fmt = str(a.get("format") or "json")
    out = _need(a, "out")
    conn = _conn(engine)
    orders = q.list_orders(conn, limit=10**9, order_by="created_at")
    path = Path(out).expanduser()
    if fmt == "json":
        full = [q.order_detail(conn, o["id"]) for o in orders]
        data = {"shop": q.shop_info(conn), "orders": full,
                "customers": q.list_customers(conn, limit=10**9, include_merged=True),
                "products": q.list_products(conn), "stock": q.list_stock(conn)}
        text = json.dumps(data, indent=1, default=str)
    elif fmt == "csv":
        buf = io.StringIO()
        cols = ["number", "id", "created_at", "status", "channel", "customer_name", "customer_id",
                "total", "paid", "balance", "assignee", "due_at", "fulfilment", "address", "notes",
                "tags"]
        writer = csv.writer(buf)
        writer.writerow(cols)
        cur = engine.ledger.currency
        for o in orders:
            row = dict(o, total=format_money(o["total"], cur), paid=format_money(o["paid"], cur),
                       balance=format_money(o["balance"], cur), tags=" ".join(o["tags"]))
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in cols])
        text = buf.getvalue()
    else:
        raise CommandRejected("export format is csv or json")
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise CommandRejected(f"cannot write {path}: {exc.strerror or exc}") from None
    return {"path": str(path), "orders": len(orders), "format": fmt}


from app.engine import feature_commands  # noqa: F401  (registers the channel commands)
