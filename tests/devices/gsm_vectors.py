"""Loader for the recorded Gammu AT transcripts in /work/shared/vectors/gsm (test data only)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VECTORS = Path(os.environ.get("COUNTERTOP_VECTORS", "/work/shared/vectors")) / "gsm" / "gammu_at_sms.json"


@dataclass(frozen=True)
class Transcript:
    name: str  # e.g. "22.dump"
    transcript: str
    decoded: list[dict[str, Any]]


def load_transcripts() -> list[Transcript]:
    entries = json.loads(VECTORS.read_text(encoding="utf-8"))
    return [
        Transcript(e["source"].rsplit("/", 1)[-1], e["transcript"], e["decoded_by_python_gammu"])
        for e in entries
    ]
