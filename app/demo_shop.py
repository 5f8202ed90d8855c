"""Fill a new demo shop with a small pizzeria and deli: catalog, customers, orders.

Everything goes through engine commands (typed ``protocol`` requests sent with
``call(name, args)``, an ``EngineClient.call``), exactly as staff would create it, so the
demo exercises the real ledger. The data lives in ``resources/demo/pizzeria.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app import protocol as p
from sync.errors import CommandRejected

log = logging.getLogger("countertop.demo")

DEMO_DATA = Path(__file__).resolve().parents[1] / "resources" / "demo" / "pizzeria.json"

Call = Callable[[str, dict[str, Any]], Any]


def _send(call: Call, request: p.Request[Any, Any]) -> Any:
    return call(request.name, request.json())


def load_demo_data(path: Path = DEMO_DATA) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def create_demo_shop(call: Call, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Create the shop and mark it as a demo (the UI shows the banner)."""
    data = data or load_demo_data()
    info = _send(call, p.SHOP_CREATE.request(p.ShopCreate(**data["shop"])))
    _send(call, p.SHOP_SET_SETTING.request(p.ShopSetSetting(key="demo", value=True)))
    # the demo's customers are made up: tell none of them about their orders
    _send(call, p.SHOP_SET_SETTING.request(p.ShopSetSetting(key="notify_mode", value="off")))
    return dict(info or {})


def seed_demo_shop(call: Call, data: dict[str, Any] | None = None, *,
                   now: dt.datetime | None = None) -> dict[str, int]:
    """Add products, customers, orders (with statuses and payments) and, when possible,
    messages. Returns how many of each were made."""
    data = data or load_demo_data()
    now = now or dt.datetime.now(dt.UTC)
    made = {"products": 0, "customers": 0, "orders": 0, "messages": 0}
    for product in data["products"]:
        _send(call, p.PRODUCT_ADD.request(p.ProductAdd(
            sku=product["sku"], name=product["name"], price=product["price"],
            stock=product.get("stock"), aliases=product.get("aliases", []),
            unit=product.get("unit", "each"), low_stock=product.get("low_stock"))))
        made["products"] += 1
    customer_ids: list[str] = []
    for name, phone, notes, address in data["customers"]:
        email = data.get("emails", {}).get(name)
        row = _send(call, p.CUSTOMER_ADD.request(p.CustomerAdd(
            name=name, phones=[phone], notes=notes, emails=[email] if email else [],
            addresses=[address] if address else [])))
        customer_ids.append(str(row["id"]))
        made["customers"] += 1
    for spec in data["orders"]:
        cust = spec.get("customer")
        args: dict[str, Any] = {
            "customer": customer_ids[cust] if cust is not None else None,
            "lines": [{"sku": sku, "qty": str(qty)} for sku, qty in spec["lines"]],
            "channel": spec.get("channel", "counter"), "tags": spec.get("tags", []),
            "assignee": spec.get("assignee", ""), "notes": spec.get("notes", ""),
        }
        if spec.get("due_min") is not None:
            due = now + dt.timedelta(minutes=int(spec["due_min"]))
            args["due_at"] = due.replace(second=0, microsecond=0).isoformat()
        if spec.get("fulfilment") == "delivery" and cust is not None:
            address = data["customers"][cust][3] or "address given by phone"
            args["fulfilment"] = {"kind": "delivery", "address": address}
        order = _send(call, p.ORDER_ADD.request(p.OrderAdd(**args)))
        made["orders"] += 1
        status = spec.get("status", "new")
        if status != "new":
            try:
                order = _send(call, p.ORDER_SET_STATUS.request(
                    p.OrderSetStatus(order=order["id"], status=status)))
            except CommandRejected as exc:
                log.warning("demo order %s stays %s: %s", order["number"], order["status"], exc)
        paid = spec.get("paid")
        if paid:
            total = int(order["total"])
            amount = total if paid is True else total // 2
            _send(call, p.ORDER_PAY.request(p.OrderPay(
                order=order["id"], amount=_money_text(amount),
                method="card" if paid is True else "cash")))
    made["messages"] = _seed_messages(call, data, customer_ids, now)
    return made


def _money_text(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _seed_messages(call: Call, data: dict[str, Any], customer_ids: list[str],
                   now: dt.datetime) -> int:
    """Messages as if they had just come in (``message.receive`` runs intake on them)."""
    count = 0
    oldest_first = sorted(data.get("messages", []), key=lambda m: -int(m.get("minutes_ago", 0)))
    for spec in oldest_first:
        cust = spec.get("customer")
        sender = spec.get("sender")
        if sender is None and cust is not None:
            sender = spec.get("sender_email") or data["customers"][cust][1]
        text = spec["body"]
        if spec.get("subject"):
            text = f"{spec['subject']}\n\n{text}"
        try:
            got = _send(call, p.MESSAGE_RECEIVE.request(p.MessageReceive(
                channel=spec["channel"], sender=sender, text=text)))
        except CommandRejected as exc:
            log.warning("demo message not recorded: %s", exc)
            continue
        if spec.get("read") and isinstance(got, dict) and got.get("id"):
            _send(call, p.MESSAGE_UPDATE.request(p.MessageUpdate(message=got["id"], read=True)))
        count += 1
    return count
