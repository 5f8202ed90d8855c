"""Loader for the recorded Gammu AT transcripts in the shared vectors, ``gsm/`` (test data only)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.helpers.vectors import vector_path


@dataclass(frozen=True)
class Transcript:
    name: str  # e.g. "22.dump"
    transcript: str
    decoded: list[dict[str, Any]]


def load_transcripts() -> list[Transcript]:
    """Every transcript; skips the caller (fails in CI) when the file is missing."""
    path = vector_path("gsm", "gammu_at_sms.json")
    entries = json.loads(path.read_text(encoding="utf-8"))
    return [
        Transcript(e["source"].rsplit("/", 1)[-1], e["transcript"], e["decoded_by_python_gammu"])
        for e in entries
    ]
