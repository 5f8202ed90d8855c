"""Every product module imports where POSIX-only modules do not exist (Windows, where most
shop PCs run): ``fcntl``, ``termios``, ``pty`` and ``tty`` are made unavailable in a fresh
interpreter, then each module of app/, sync/ and devices/ is imported.

Only the device simulators (pty-based, for tests and the demo) may need them; they are
not imported by any other product module at load time (this test would fail if one were).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSIX_ONLY = ("fcntl", "termios", "pty", "tty")
ALLOWED = ("devices/simulated/",)

_PROBE = """
import importlib, json, sys
for name in {blocked!r}:
    sys.modules[name] = None  # "import fcntl" now raises ImportError
failed = {{}}
for module in {modules!r}:
    try:
        importlib.import_module(module)
    except Exception as exc:
        failed[module] = f"{{type(exc).__name__}}: {{exc}}"
print(json.dumps(failed))
"""


def product_modules() -> list[str]:
    out = []
    for package in ("sync", "devices", "app"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(ALLOWED):
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out.append(".".join(parts))
    return out


def test_every_product_module_imports_without_posix_only_modules() -> None:
    modules = product_modules()
    assert len(modules) > 50, modules  # the scan finds the project
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", _PROBE.format(blocked=POSIX_ONLY,
                                                               modules=modules)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    failed = json.loads(done.stdout.strip().splitlines()[-1])
    assert failed == {}, "\n".join(f"{m}: {e}" for m, e in failed.items())


def test_the_probe_notices_a_posix_only_import(tmp_path: Path) -> None:
    """Guard against a probe that blocks nothing."""
    (tmp_path / "needs_fcntl.py").write_text("import fcntl\n")
    done = subprocess.run([sys.executable, "-c", _PROBE.format(blocked=POSIX_ONLY,
                                                               modules=["needs_fcntl"])],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          check=False, env=dict(os.environ, PYTHONPATH=str(tmp_path)))
    assert "needs_fcntl" in json.loads(done.stdout.strip().splitlines()[-1])
