"""Finding the vectors: the env override, the default beside the repo, skip here, fail in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import vectors
from tests.helpers.vectors import vector_path, vectors_dir


@pytest.fixture
def no_vectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    missing = tmp_path / "no-vectors-here"
    monkeypatch.setenv("COUNTERTOP_VECTORS", str(missing))
    return missing


def test_the_env_var_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gsm").mkdir()
    (tmp_path / "gsm" / "x.json").write_text("[]")
    monkeypatch.setenv("COUNTERTOP_VECTORS", str(tmp_path))
    assert vectors_dir() == tmp_path
    assert vector_path("gsm", "x.json") == tmp_path / "gsm" / "x.json"


def test_default_is_shared_vectors_beside_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COUNTERTOP_VECTORS", raising=False)
    repo = Path(__file__).resolve().parents[2]
    assert (repo / "pyproject.toml").exists()
    assert repo == vectors.REPO_ROOT
    assert vectors_dir() == repo.parent / "shared" / "vectors"


def test_missing_vectors_skip_locally(no_vectors: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="test vectors not found") as skipped:
        vector_path("callerid", "calls.data")
    assert str(no_vectors / "callerid" / "calls.data") in str(skipped.value)


def test_missing_vectors_fail_in_ci(no_vectors: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="test vectors not found"):
        vector_path("callerid", "calls.data")


def test_only_ci_true_turns_the_skip_into_a_failure(no_vectors: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        vector_path("pizza")
