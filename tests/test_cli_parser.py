"""The ``countertop`` parser is generated from the protocol table: every command's CLI
places parse to that command, with its fixed arguments, and show its help texts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from app import protocol
from app.cli import parser
from app.cli_parser import to_command
from app.protocol import arg_info

PLACES = [(spec, cli) for spec in protocol.COMMANDS for cli in spec.cli]


def _typed_args(spec: protocol.Command[object, object], cli: protocol.Cli,
                secret: str = "x2") -> list[str]:
    """What a person must type after the command's words: every positional and every
    required option (``secret``: a file holding a PIN)."""
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
            value = info.choices[0] if info.choices else {
                "line_qty": "1:1", "secret_file": secret}.get(info.cli_form, "x2")
            words += [info.flag or "--" + f.name.replace("_", "-"), value]
    return words


@pytest.mark.parametrize(("spec", "cli"), PLACES,
                         ids=[" ".join(c.path) for _, c in PLACES])
def test_every_cli_place_parses_to_its_command(spec: protocol.Command[object, object],
                                               cli: protocol.Cli, tmp_path: Path) -> None:
    pin = tmp_path / "pin"
    pin.write_text("1234\n", encoding="utf-8")
    ns = parser().parse_args([*cli.path, *_typed_args(spec, cli, str(pin))])
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


def test_every_write_command_takes_staff_and_a_pin_comes_from_a_file(tmp_path: Path) -> None:
    pin = tmp_path / "pin"
    pin.write_text("  4321  \nignored\n", encoding="utf-8")
    ns = parser().parse_args(["staff", "add", "--name", "Ann", "--pin-file", str(pin),
                              "--staff", "Maria"])
    assert to_command(ns) == ("staff.add", {"name": "Ann", "pin": "4321", "by": "Maria"})
    for spec, cli in PLACES:
        if spec.writes:
            assert "_staff" in vars(parser().parse_args(
                [*cli.path, *_typed_args(spec, cli, str(pin))])), spec.name


def test_restock_and_write_off_are_one_choice() -> None:
    def args(*words: str) -> dict[str, object]:
        return to_command(parser().parse_args(["order", "return", "A-1", *words]))[1]

    assert "restock" not in args()
    assert args("--restock")["restock"] is True
    assert args("--write-off", "--line", "2:1")["restock"] is False
    assert args("--line", "2:1")["lines"] == {"2": "1"}
    with pytest.raises(SystemExit):
        args("--restock", "--write-off")
