"""Where the recorded test vectors live, found from the repository, not from one machine.

The vectors (GSM AT transcripts, caller-ID captures, the PIZZA dataset) are test data
that is not ours to ship, so they sit beside the repository: ``<repo>/../shared/vectors``,
or wherever ``$COUNTERTOP_VECTORS`` points. A test that needs a missing file skips with
the reason on a developer machine, but fails in CI (``CI=true``), where a skipped vector
test would quietly pass a run that checked nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_VAR = "COUNTERTOP_VECTORS"


def vectors_dir() -> Path:
    """``$COUNTERTOP_VECTORS`` when set, else ``shared/vectors`` next to the repository."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    return REPO_ROOT.parent / "shared" / "vectors"


def vectors_missing(path: Path) -> None:
    """Skip (locally) or fail (in CI) because ``path`` is not there."""
    reason = f"test vectors not found: {path} (set {ENV_VAR} to their directory)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason, allow_module_level=True)


def vector_path(*parts: str) -> Path:
    """The vector file or directory ``parts`` under ``vectors_dir()``; skips or fails
    (see ``vectors_missing``) when it does not exist."""
    path = vectors_dir().joinpath(*parts)
    if not path.exists():
        vectors_missing(path)
    return path


def has_vectors(*parts: str) -> bool:
    """Whether ``parts`` exists, for ``skipif`` marks and optional benchmarks."""
    return vectors_dir().joinpath(*parts).exists()
