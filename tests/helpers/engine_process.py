"""A real ``countertop engine`` process on a data dir, and the CLI against it (tests, bench)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from app.client import connect
from tests.conftest import REPO, cli_env
from tests.helpers.waiting import wait_until

CT = str(Path(sys.executable).parent / "countertop")
WAIT = 30.0



def cli(data_dir: Path, *args: str, ok: bool = True) -> Any:
    done = subprocess.run([CT, "--json", *args], env=cli_env(data_dir), cwd=REPO, text=True,
                          check=False, capture_output=True, timeout=90,
                          stdin=subprocess.DEVNULL)
    if not ok:
        return done
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


class Engine:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> Engine:
        log = open(self.data_dir / "engine-test.log", "a")  # noqa: SIM115 (kept by the proc)
        self.proc = subprocess.Popen([CT, "engine", "--no-discovery"],
                                     env=cli_env(self.data_dir), cwd=REPO, text=True,
                                     stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        log.close()
        wait_until(lambda: connect(self.data_dir) is not None, WAIT, what="engine IPC")
        wait_until(lambda: cli(self.data_dir, "mailbox", "status")["imap"]["state"] == "ok",
                   WAIT, what=lambda: f"mailbox connected: {self.log()}")
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.send_signal(sig)
        try:
            code = proc.wait(20)
        finally:
            if proc.poll() is None:
                proc.kill()
        if sig == signal.SIGTERM:
            assert code == 0, self.log()

    def log(self) -> str:
        return (self.data_dir / "engine-test.log").read_text(errors="replace")[-4000:]
