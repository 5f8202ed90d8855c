"""The ``countertop`` argument parser, generated from the protocol's command table.

Each ``app.protocol.Command`` with CLI places gets a sub-command per place; each of its
parameters that is offered on the CLI becomes an option or a positional, with the help
text declared beside the parameter. ``to_command`` turns what was parsed back into the
command's JSON arguments. The few commands that are not engine commands (``engine``,
``ui``, ``join``) are added by ``app/cli.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import typing
from pathlib import Path
from typing import Any

from app import protocol
from app.protocol import Arg, Cli, Command, arg_info, field_types, json_key
from sync.errors import CommandRejected

EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (its default prints usage on top)."""

    def error(self, message: str) -> typing.NoReturn:
        sys.stderr.write(f"countertop: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def common_options(top: bool) -> Parser:
    """Options every sub-command accepts; below the top, SUPPRESS keeps a value given
    earlier (``countertop --json order list`` and ``countertop order list --json``)."""
    opts = Parser(add_help=False)
    kw: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    opts.add_argument("--data-dir", type=Path, **({"default": None} if top else kw),
                      help="till data dir (default: $COUNTERTOP_DATA_DIR or the user data dir)")
    opts.add_argument("--json", action="store_true", help="machine-readable output", **kw)
    opts.add_argument("-v", "--verbose", action="store_true", help="log to stderr", **kw)
    return opts


def build_parser() -> tuple[argparse.ArgumentParser, Any, argparse.ArgumentParser]:
    """The parser, its sub-command action (to add local commands) and the common options."""
    common = common_options(False)
    parser = Parser(prog="countertop", description="Countertop order desk",
                    parents=[common_options(True)])
    sub = parser.add_subparsers(dest="group", required=True, parser_class=Parser)
    places = [(cli, spec) for spec in protocol.COMMANDS for cli in spec.cli]
    groups = {cli.path[0] for cli, _ in places if len(cli.path) == 2}
    made: dict[str, Any] = {}
    for cli, spec in places:
        top = cli.path[0]
        if len(cli.path) == 1 and top not in groups:
            p = sub.add_parser(top, help=cli.help or spec.help, description=spec.help,
                               parents=[common])
            _add_params(p, spec, cli)
            continue
        if top not in made:
            default = next((s for c, s in places if c.path == (top,)), None)
            group = sub.add_parser(top, help=protocol.CLI_GROUPS.get(top, ""),
                                   parents=[common])
            made[top] = group.add_subparsers(dest="action", required=default is None,
                                             parser_class=Parser)
            if default is not None:
                _add_params(group, default, Cli((top,)))
        if len(cli.path) == 2:
            p = made[top].add_parser(cli.path[1], help=cli.help or spec.help,
                                     description=cli.help or spec.help, parents=[common])
            _add_params(p, spec, cli)
    return parser, sub, common


def _offered(spec: Command[Any, Any], cli: Cli) -> list[tuple[dataclasses.Field[Any], Any]]:
    hints = field_types(spec.params)
    out = []
    for f in dataclasses.fields(spec.params):
        info = arg_info(f)
        if not info.cli or json_key(f) in cli.fixed:
            continue
        if cli.only is not None and f.name not in cli.only:
            continue
        out.append((f, hints[f.name]))
    return out


STAFF_FLAG = "--staff"


def _add_params(p: argparse.ArgumentParser, spec: Command[Any, Any], cli: Cli) -> None:
    p.set_defaults(_command=spec.name, _cli=cli)
    if spec.writes:  # the ``by`` convention (app/protocol.py): who is doing it
        p.add_argument(STAFF_FLAG, dest="_staff", metavar="NAME",
                       help="the staff member doing it (default: who is signed in here)")
    for f, tp in _offered(spec, cli):
        info = arg_info(f)
        text = info.help + _default_hint(f, info)
        if info.positional:
            p.add_argument(f.name, metavar=info.metavar or f.name, help=text)
            continue
        if info.off_flag:
            group = p.add_mutually_exclusive_group()
            group.add_argument(info.flag or "--" + f.name.replace("_", "-"), dest=f.name,
                               action="store_const", const=True, help=text)
            group.add_argument(info.off_flag, dest=f.name, action="store_const", const=False,
                               help="the opposite of " + (info.flag or f.name))
            continue
        flag = info.flag or "--" + f.name.replace("_", "-")
        kw: dict[str, Any] = {"dest": f.name, "help": text}
        if tp is bool:
            kw["action"] = "store_false" if info.cli_form == "invert" else "store_true"
        elif typing.get_origin(tp) is list or info.cli_form in ("pairs", "groups", "line_qty"):
            kw["action"] = "append"
        required = info.cli_required or (f.default is dataclasses.MISSING
                                         and f.default_factory is dataclasses.MISSING)
        if required and tp is not bool:
            kw["required"] = True
        if tp is not bool:
            kw["metavar"] = info.metavar or flag.lstrip("-").replace("-", "_").upper()
        if info.choices:
            kw["choices"] = list(info.choices)
        p.add_argument(flag, **kw)


def _default_hint(f: dataclasses.Field[Any], info: Arg) -> str:
    if info.cli_required or info.cli_form == "invert":
        return ""
    if isinstance(f.default, (str, int)) and not isinstance(f.default, bool) and f.default != "":
        return f" (default {f.default})"
    return ""


def to_command(ns: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The engine command and JSON arguments for what was parsed."""
    name = getattr(ns, "_command", None)
    if name is None:
        raise CommandRejected(f"unknown command {ns.group}")
    spec = protocol.BY_NAME[name]
    cli: Cli = ns._cli
    args: dict[str, Any] = dict(cli.fixed)
    if getattr(ns, "_staff", None):
        args["by"] = ns._staff
    for f, _tp in _offered(spec, cli):
        value = getattr(ns, f.name, None)
        if value is None:
            continue
        value = _from_cli(arg_info(f), value)
        if value is not None:
            args[json_key(f)] = value
    return name, args


def _from_cli(info: Arg, value: Any) -> Any:
    if info.cli_form == "pairs":
        return _pairs(value)
    if info.cli_form == "groups":
        return _groups(value)
    if info.cli_form == "line_qty":
        return _line_quantities(value) or None
    if info.cli_form == "path":
        return str(Path(value).expanduser().resolve())
    if info.cli_form == "secret_file":
        return _secret(value)
    return value


def _secret(path: str) -> str:
    """The first line of the file at ``path`` ("-": standard input): a PIN stays out of
    the command line, where every user of the machine could read it."""
    try:
        text = sys.stdin.readline() if path == "-" else \
            Path(path).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandRejected(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CommandRejected(f"{path} is not a text file") from None
    lines = text.splitlines()
    return lines[0].strip() if lines else ""


def _pairs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CommandRejected(f"custom field {item!r} should look like NAME=VALUE")
        out[name.strip()] = value
    return out


def _groups(items: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        options = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not name.strip() or not options:
            raise CommandRejected(f"option group {item!r} should look like GROUP=a,b,c")
        out[name.strip()] = options
    return out


def _line_quantities(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        lid, sep, qty = item.rpartition(":")
        if not sep:
            raise CommandRejected(f"return line {item!r} should look like LINE_ID:QTY")
        out[lid] = qty
    return out
