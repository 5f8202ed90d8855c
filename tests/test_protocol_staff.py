"""The ``by`` convention of ``app/protocol.py``: every write command records who did it."""

from __future__ import annotations

import dataclasses

from app import protocol


def test_every_write_command_has_by() -> None:
    missing = [spec.name for spec in protocol.COMMANDS if spec.writes
               and "by" not in {f.name for f in dataclasses.fields(spec.params)}]
    assert not missing, f"add `by: str = arg(\"\", cli=False)` to: {missing}"


def test_by_is_json_only_and_empty_by_default() -> None:
    for spec in protocol.COMMANDS:
        for f in dataclasses.fields(spec.params):
            if f.name == "by":
                assert f.default == "" and not protocol.arg_info(f).cli, spec.name
