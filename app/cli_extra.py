"""CLI commands of the channel and sync features, added to ``countertop``'s parser."""

from __future__ import annotations

import argparse
from typing import Any


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    from app.cli import _Parser

    def group(name: str, help_text: str) -> Any:
        g = sub.add_parser(name, help=help_text, parents=[common])
        return g.add_subparsers(dest="action", required=True, parser_class=_Parser)

    sms = group("sms", "text messages through the shop's GSM modem")
    send = sms.add_parser("send", parents=[common], help="queue an SMS in the shop outbox")
    send.add_argument("--to", required=True)
    send.add_argument("--text", required=True)

    intake = group("intake", "turn messages into draft orders")
    parse = intake.add_parser("parse", parents=[common], help="show the parser's proposal")
    parse.add_argument("text")
    correct = intake.add_parser("correct", parents=[common],
                                help="teach the parser: these words mean this product")
    correct.add_argument("text", help="the words the customer used, e.g. 'margs'")
    correct.add_argument("--sku", required=True)

    dev = sub.add_parser("devices", help="modem and caller-ID state", parents=[common])
    dev.set_defaults(action=None)

    peers = sub.add_parser("peers", help="tills this engine syncs with", parents=[common])
    peers.set_defaults(action=None)

    join = sub.add_parser("join", help="ask a shop's till to let this till join",
                          parents=[common])
    join.add_argument("address", nargs="?", help="host:port of a member till "
                                                  "(default: find one by mDNS)")
    join.add_argument("--name", default="Till", help="this till's name")

    pair = group("pair", "approve a till that asked to join")
    approve = pair.add_parser("approve", parents=[common])
    approve.add_argument("code")
    pair.add_parser("list", parents=[common], help="tills waiting to join")

    till = group("till", "the shop's tills")
    till.add_parser("list", parents=[common])
    remove = till.add_parser("remove", parents=[common])
    remove.add_argument("till_id")


def to_command(ns: argparse.Namespace) -> tuple[str, dict[str, Any]] | None:
    g, a = ns.group, getattr(ns, "action", None)
    if g == "sms" and a == "send":
        return "sms.send", {"to": ns.to, "text": ns.text}
    if g == "intake" and a == "parse":
        return "intake.parse", {"text": ns.text}
    if g == "intake" and a == "correct":
        return "intake.correct", {"text": ns.text, "sku": ns.sku}
    if g == "devices":
        return "devices.status", {}
    if g == "peers":
        return "peers.status", {}
    if g == "pair" and a == "approve":
        return "pair.approve", {"code": ns.code}
    if g == "pair" and a == "list":
        return "pair.pending", {}
    if g == "till" and a == "list":
        return "shop.info", {}
    if g == "till" and a == "remove":
        return "till.remove", {"till": ns.till_id}
    return None


def run_local(ns: argparse.Namespace, data_dir: Any) -> int | None:
    """Commands that run here rather than in an engine; None when ``ns`` is not one."""
    if ns.group != "join":
        return None
    import asyncio
    import json
    import sys

    from app.client import connect
    from app.engine.peer_wiring import join_shop
    from sync.errors import CountertopError

    if not ns.address:
        sys.stderr.write("countertop: give the address (HOST:PORT) of a till of the shop; "
                         "`countertop peers` on that till shows its port\n")
        return 2
    running = connect(data_dir)
    if running is not None:
        running.close()
        sys.stderr.write("countertop: stop this till's engine before joining a shop\n")
        return 2

    def show(code: str) -> None:
        print(f"Pairing code: {code}\nOn a till of the shop run: countertop pair approve "
              f"\"{code}\"  (or approve it in Settings). Waiting...", flush=True)

    try:
        result = asyncio.run(join_shop(data_dir, ns.address, ns.name, on_code=show))
    except CountertopError as exc:
        sys.stderr.write(f"countertop: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    print(json.dumps(result, indent=2) if ns.json else
          "Joined the shop. Start this till with: countertop engine")
    return 0
