"""docs/ARCHITECTURE.md carries the command and event catalogue generated from
app/protocol.py; it must not go stale, and the map must name modules that exist."""

from __future__ import annotations

import re
from pathlib import Path

from app import protocol

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "ARCHITECTURE.md"


def test_the_catalogue_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert text == protocol.with_catalogue(text), (
        "docs/ARCHITECTURE.md is stale: run `python -m app.protocol --write "
        "docs/ARCHITECTURE.md`")


def test_the_catalogue_lists_every_command_and_event() -> None:
    table = protocol.catalogue_markdown()
    for spec in protocol.COMMANDS:
        assert f"| `{spec.name}` |" in table
    for event in protocol.EVENTS:
        assert f"| `{event.name.value}` |" in table


def test_the_map_names_real_modules() -> None:
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:app|sync|devices|tests)/[\w/]+\.py)`", text))
    assert len(named) > 20, named
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, missing
