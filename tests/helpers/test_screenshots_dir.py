"""Screenshots go to the ignored build/ folder unless asked to go elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.screenshots import REPO_ROOT, screenshots_dir


def test_default_is_the_ignored_build_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COUNTERTOP_SCREENSHOTS", raising=False)
    assert screenshots_dir() == REPO_ROOT / "build" / "screenshots"
    assert "build/" in (REPO_ROOT / ".gitignore").read_text().split()


def test_a_relative_override_is_taken_from_the_repository_root(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNTERTOP_SCREENSHOTS", "docs/screenshots")
    assert screenshots_dir() == REPO_ROOT / "docs" / "screenshots"


def test_an_absolute_override_is_used_as_is(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNTERTOP_SCREENSHOTS", str(tmp_path))
    assert screenshots_dir() == tmp_path
