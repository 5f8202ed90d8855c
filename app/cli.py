"""``countertop``: the command line. Talks to the running engine, or opens the data dir itself.

The engine commands and their options come from ``app/protocol.py`` (``cli_parser``);
three commands run here rather than in an engine: ``engine`` (run one), ``ui`` (open the
window) and ``join`` (pair this till with a shop before its engine starts).

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

from app.cli_output import print_human
from app.cli_parser import EXIT_BAD_INPUT, build_parser, to_command
from sync.data_dir import default_data_dir
from sync.errors import CommandRejected, CountertopError, DataDirLocked, StorageCorrupt

EXIT_OK, EXIT_ERROR = 0, 1

log = logging.getLogger("countertop.cli")


def parser() -> argparse.ArgumentParser:
    """The whole ``countertop`` parser: the protocol's commands and the local ones."""
    top, sub, common = build_parser()
    e = sub.add_parser("engine", help="run the headless engine in the foreground",
                       parents=[common])
    e.add_argument("--modem", help="GSM modem port, PORT[@BAUD]")
    e.add_argument("--modem-pin", help="SIM PIN")
    e.add_argument("--callerid", help="caller-ID port, PORT[@BAUD]")
    e.add_argument("--peer", action="append", default=[], help="static peer host:port")
    e.add_argument("--relay", action="append", default=[],
                   help="automerge-repo sync server, wss://HOST[:PORT][/PATH] (it reads what "
                        "it stores: run it where the shop keeps its data)")
    e.add_argument("--relay-token", default=os.environ.get("COUNTERTOP_RELAY_TOKEN", ""),
                   help="token the relay's operator issued (sent as a bearer token at the "
                        "upgrade; default $COUNTERTOP_RELAY_TOKEN)")
    e.add_argument("--relay-ca", default=None,
                   help="CA certificate file for a relay with a private certificate")
    e.add_argument("--listen", default="127.0.0.1:0", help="sync listen address host:port")
    e.add_argument("--interface", action="append", default=None,
                   help="address to announce/browse mDNS on (default 127.0.0.1)")
    e.add_argument("--no-discovery", action="store_true", help="no mDNS")
    e.add_argument("--demo", action="store_true", help="simulated modem and caller-ID")
    e.set_defaults(_local=_run_engine)

    ui = sub.add_parser("ui", help="open the counter window", parents=[common])
    ui.add_argument("--no-demo", action="store_true", help="do not open a demo shop")
    ui.set_defaults(_local=_run_ui)

    join = sub.add_parser("join", help="ask a shop's till to let this till join",
                          parents=[common])
    join.add_argument("address", nargs="?", help="host:port of a member till "
                                                  "(`countertop peers` on it shows the port)")
    join.add_argument("--name", default="Till", help="this till's name")
    join.set_defaults(_local=_run_join)

    restore = sub.add_parser("restore", help="bring a shop back from a backup file into a "
                             "new, empty data dir", parents=[common])
    restore.add_argument("file", type=Path, help="the backup file (.ctbackup)")
    restore.add_argument("--name", default="", help="this till's name (a new till only)")
    restore.set_defaults(_local=_run_restore)
    return top


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    # a till's files are the shop's data: private to this user (sync.data_dir)
    os.umask(0o077)
    ns = parser().parse_args(argv)
    data_dir = (ns.data_dir or default_data_dir()).expanduser()
    local = getattr(ns, "_local", None)
    if local is not None:
        code: int = local(ns, data_dir)
        return code
    _setup_logging(ns.verbose)
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
        log.debug("command failed", exc_info=True)
        sys.stderr.write(f"countertop: unexpected error: {exc} (run with -v for details)\n")
        return EXIT_ERROR
    finally:
        if engine is not None:
            engine.close()
    return _print(cmd, result, as_json=ns.json)


def _print(cmd: str, result: Any, *, as_json: bool) -> int:
    """Print the result; a reader that went away (``| head``) is not an error."""
    try:
        if as_json:
            print(json.dumps(result, indent=2, default=str))
        else:
            print_human(cmd, result)
        sys.stdout.flush()
    except BrokenPipeError:
        # the rest of the output has nowhere to go: point stdout at nothing, so the
        # interpreter's final flush does not complain either
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return EXIT_OK


def _run_engine(ns: argparse.Namespace, data_dir: Path) -> int:
    from app.engine.main import run_engine
    from app.engine.services import EngineOptions
    from app.till_settings import TillSettings

    _setup_logging(True)
    settings = TillSettings(data_dir)  # the ports chosen in Settings, unless given here
    modem = ns.modem or settings.get("modem_port") or None
    callerid = ns.callerid or settings.get("callerid_port") or None
    host, _, port = ns.listen.rpartition(":")
    options = EngineOptions(
        data_dir=data_dir, modem=modem, modem_pin=ns.modem_pin, callerid=callerid,
        peers=ns.peer, relays=ns.relay, relay_token=ns.relay_token, relay_ca=ns.relay_ca,
        listen_host=host or "127.0.0.1",
        listen_port=int(port or 0), interfaces=ns.interface or ["127.0.0.1"],
        discovery=not ns.no_discovery, demo=ns.demo)
    try:
        return run_engine(options)
    except (DataDirLocked, StorageCorrupt) as exc:
        sys.stderr.write(f"countertop: {exc}\n")
        return EXIT_BAD_INPUT if isinstance(exc, DataDirLocked) else EXIT_ERROR


def _run_ui(ns: argparse.Namespace, data_dir: Path) -> int:
    from app.ui.main import main as ui_main

    code: int = ui_main(data_dir, demo=not ns.no_demo)
    return code


def _run_join(ns: argparse.Namespace, data_dir: Path) -> int:
    """Pair this new till with a shop: runs here, before this till has an engine."""
    import asyncio

    from app.client import connect
    from app.engine.peer_wiring import join_shop

    _setup_logging(ns.verbose)
    if not ns.address:
        sys.stderr.write("countertop: give the address (HOST:PORT) of a till of the shop; "
                         "`countertop peers` on that till shows its port\n")
        return EXIT_BAD_INPUT
    running = connect(data_dir)
    if running is not None:
        running.close()
        sys.stderr.write("countertop: stop this till's engine before joining a shop\n")
        return EXIT_BAD_INPUT

    def show(code: str, ref: str) -> None:
        print(f"Pairing code: {code}\nThis till: {ref}\nType the code on a manager till of "
              f"the shop: countertop pair approve \"{code}\"  (add --till {ref} if several "
              "tills wait), or in Settings > Pair another till. Waiting...", flush=True)

    try:
        result = asyncio.run(join_shop(data_dir, ns.address, ns.name, on_code=show))
    except CountertopError as exc:
        sys.stderr.write(f"countertop: {exc}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    if ns.json:
        return _print("join", result, as_json=True)
    print("Joined the shop. Start this till with: countertop engine")
    return EXIT_OK


def _run_restore(ns: argparse.Namespace, data_dir: Path) -> int:
    """Restore runs here, before this till has an engine (the data dir must be empty)."""
    from app.client import connect
    from sync.backup import restore_shop

    _setup_logging(ns.verbose)
    running = connect(data_dir)
    if running is not None:
        running.close()
        sys.stderr.write("countertop: an engine runs on this data dir; restore into a new, "
                         "empty one\n")
        return EXIT_BAD_INPUT
    try:
        done = restore_shop(ns.file.expanduser(), data_dir, till_name=ns.name)
    except (CommandRejected, DataDirLocked) as exc:
        sys.stderr.write(f"countertop: {exc}\n")
        return EXIT_BAD_INPUT
    except CountertopError as exc:
        sys.stderr.write(f"countertop: {exc}\n")
        return EXIT_ERROR
    result = {"shop": done.shop.get("name"), "till_id": done.till_id,
              "same_till": done.same_till, "prefix": done.prefix,
              "documents": done.documents, "data_dir": str(data_dir)}
    if ns.json:
        return _print("restore", result, as_json=True)
    who = "this same till" if done.same_till else "a new till of the shop"
    print(f"Restored {done.shop.get('name')} ({done.documents} documents) as {who}; new "
          f"orders are numbered {done.prefix}-…  Start it with: countertop engine")
    return EXIT_OK


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
