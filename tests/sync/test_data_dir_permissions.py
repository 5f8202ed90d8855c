"""The data dir and everything in it is 0700/0600, however it was created (issue 15, point 7)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.engine.till_engine import TillEngine
from tests.conftest import REPO, cli_env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def loose_modes(root: Path) -> list[str]:
    """Everything under ``root`` (itself included) readable by anyone but its owner."""
    bad = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if not path.is_symlink() and mode != want:
            bad.append(f"{path.relative_to(root)}: {oct(mode)}")
    return bad


def test_a_data_dir_the_ui_created_first_ends_up_private(tmp_path: Path) -> None:
    data = tmp_path / "till"
    data.mkdir(mode=0o755)  # as a UI with umask 022 makes it, before any engine ran
    os.chmod(data, 0o755)
    (data / "settings.json").write_text("{}")
    os.chmod(data / "settings.json", 0o644)
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "shop", "create", "--name", "Deli"],
        env=cli_env(data), cwd=REPO, capture_output=True, text=True, timeout=60,
        preexec_fn=lambda: os.umask(0o022), check=False)
    assert done.returncode == 0, done.stderr
    assert (data / "read_model.sqlite3").exists() and (data / "docs").is_dir()
    assert loose_modes(data) == []


def test_the_engine_fixes_a_tree_left_world_readable(tmp_path: Path) -> None:
    data = tmp_path / "till"
    TillEngine(data).close()
    for path in [data, *data.rglob("*")]:  # an older version, or a careless copy
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    assert loose_modes(data)
    engine = TillEngine(data)
    try:
        assert loose_modes(data) == []
    finally:
        engine.close()
