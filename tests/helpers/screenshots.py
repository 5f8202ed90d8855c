"""Where tests save screenshots: ``build/screenshots/`` unless ``$COUNTERTOP_SCREENSHOTS``
names another directory (a relative one is taken from the repository root).

The README's images in ``docs/screenshots/`` are tracked files; a plain test run must not
rewrite them, so ``make test`` leaves the tree clean. ``make screenshots`` points the
variable at ``docs/screenshots`` to refresh them on purpose.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_VAR = "COUNTERTOP_SCREENSHOTS"
DEFAULT = Path("build") / "screenshots"


def screenshots_dir() -> Path:
    """The directory screenshots go to (not created here)."""
    path = Path(os.environ.get(ENV_VAR) or DEFAULT)
    return path if path.is_absolute() else REPO_ROOT / path
