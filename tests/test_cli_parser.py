"""The ``countertop`` parser is generated from the protocol table: every command's CLI
places parse to that command, with its fixed arguments, and show its help texts."""

from __future__ import annotations

import dataclasses

import pytest

from app import protocol
from app.cli import parser
from app.cli_parser import to_command
from app.protocol import arg_info

PLACES = [(spec, cli) for spec in protocol.COMMANDS for cli in spec.cli]


def _typed_args(spec: protocol.Command[object, object], cli: protocol.Cli) -> list[str]:
    """What a person must type after the command's words: every positional and every
    required option."""
    words: list[str] = []
    for f in dataclasses.fields(spec.params):  # type: ignore[arg-type]
        info = arg_info(f)
        if not info.cli or protocol.json_key(f) in cli.fixed:
            continue
        required = info.cli_required or (f.default is dataclasses.MISSING
                                         and f.default_factory is dataclasses.MISSING)
        if info.positional:
            words.append("x1")
        elif required:
            value = info.choices[0] if info.choices else "x2"
            words += [info.flag or "--" + f.name.replace("_", "-"), value]
    return words


@pytest.mark.parametrize(("spec", "cli"), PLACES,
                         ids=[" ".join(c.path) for _, c in PLACES])
def test_every_cli_place_parses_to_its_command(spec: protocol.Command[object, object],
                                               cli: protocol.Cli) -> None:
    ns = parser().parse_args([*cli.path, *_typed_args(spec, cli)])
    name, args = to_command(ns)
    assert name == spec.name
    for key, value in cli.fixed.items():
        assert args[key] == value


def test_help_comes_from_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["order", "add", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps the help
    assert "a line, SKU:QTY (repeat)" in out  # OrderAdd.lines' help
    assert "--deliver-to" in out and "(default counter)" in out


def test_every_group_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["--help"])
    out = capsys.readouterr().out
    for cli in {c.path[0] for _, c in PLACES} | {"engine", "ui", "join"}:
        assert cli in out
