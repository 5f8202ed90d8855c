"""Real till engines as separate processes: the harness of the cluster reliability tests.

``build_shop(root, names)`` makes one data dir per till, creates the shop on the first
(``countertop shop create``), runs its engine, and joins the others through the real
pairing flow (``countertop join`` prints the code; the first till's engine approves it
with ``pair.approve``). ``Cluster`` runs ``countertop engine`` for each data dir (on
loopback, or inside a network namespace), talks to the engines through
``app.client.connect`` and counts their "changed" events, so tests wait on events with a
deadline instead of sleeping. Every process it starts is killed at ``close()``; use it
as a context manager.

Building a paired shop costs a few seconds, so tests copy a template built once per
session (``shop_template``); the pairing flow still runs for real in that build.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Self

from app.client import EngineClient, connect
from tests.helpers import waiting

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "app.cli"]
_ENV = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}
_LISTENING = re.compile(r"listening on (\S+):(\d+)")
_CLONE_NEWNET = 0x40000000

TILL_NAMES = ("A", "B", "C")


class ClusterError(AssertionError):
    """An engine did not start, answer or converge in time (the message says which)."""


def run_cli(data_dir: Path, *args: str, netns: str | None = None,
            timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """One ``countertop`` command for ``data_dir``; raises if it fails."""
    done = subprocess.run([*_prefix(netns), *CLI, "--data-dir", str(data_dir), *args],
                          cwd=REPO_ROOT, env=_ENV, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        raise ClusterError(f"countertop {' '.join(args)} failed ({done.returncode}): "
                           f"{done.stderr.strip()[-500:]}")
    return done


def _prefix(netns: str | None) -> list[str]:
    return ["ip", "netns", "exec", netns] if netns else []


def in_netns(netns: str | None, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` on a thread that entered ``netns``: sockets it opens live there.

    Namespaces are per thread on Linux, so the test process stays where it is; a socket
    keeps its namespace for life, whichever thread later uses it.
    """
    if netns is None:
        return fn()
    box: dict[str, Any] = {}

    def enter_and_run() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(f"/var/run/netns/{netns}", os.O_RDONLY)
            try:
                if libc.setns(fd, _CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns {netns}")
            finally:
                os.close(fd)
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=enter_and_run, name=f"netns {netns}")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


class EngineProcess:
    """One ``countertop engine`` process; its stderr log is kept and watched."""

    def __init__(self, data_dir: Path, args: list[str], *, netns: str | None,
                 log_path: Path) -> None:
        self.data_dir = data_dir
        self.lines: list[str] = []
        self.sync_port: int | None = None
        self.ready_at: float | None = None
        self._ready = threading.Event()
        self._log = log_path.open("a", encoding="utf-8")
        self._log.write(f"--- engine {' '.join(args)}\n")
        self.popen = subprocess.Popen(
            [*_prefix(netns), *CLI, "--data-dir", str(data_dir), "engine", *args],
            cwd=REPO_ROOT, env=_ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, errors="replace")
        self._reader = threading.Thread(target=self._read_log, daemon=True,
                                        name=f"log {data_dir.name}")
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def _read_log(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            self.lines.append(line.rstrip("\n"))
            self._log.write(line)
            self._log.flush()
            found = _LISTENING.search(line)
            if found and self.sync_port is None:
                self.sync_port = int(found.group(2))
            if "engine ready" in line:
                self.ready_at = time.monotonic()
                self._ready.set()
        self._ready.set()  # exited: wake the waiter, who sees the exit code

    def wait_ready(self, timeout: float = 30.0) -> None:
        if not self._ready.wait(timeout) or self.popen.poll() is not None:
            raise ClusterError(f"engine for {self.data_dir.name} did not start: "
                               + " | ".join(self.lines[-5:]))

    def log_text(self) -> str:
        return "\n".join(self.lines)

    def cpu_seconds(self) -> float:
        """User + system CPU time the engine used so far (from /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def vm_rss_kib(self) -> int:
        """Resident memory of the engine, from /proc (KiB)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise ClusterError("no VmRSS line")

    def signal(self, sig: int) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, then SIGKILL if it does not exit in time; returns the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGCONT)  # a paused engine must see the TERM
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self._finish()
        return int(self.popen.returncode)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)
        self._finish()

    def _finish(self) -> None:
        self._reader.join(5)
        if self.popen.stderr is not None:
            self.popen.stderr.close()
        self._log.close()


class Till:
    """One till of the cluster: its data dir, engine process and IPC client."""

    def __init__(self, cluster: Cluster, name: str, data_dir: Path, *,
                 netns: str | None = None, host: str = "127.0.0.1") -> None:
        self.cluster = cluster
        self.name = name
        self.data_dir = data_dir
        self.netns = netns
        self.host = host
        self.sync_port = 0
        self.engine: EngineProcess | None = None
        self.client: EngineClient | None = None
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.listeners: list[Callable[[float, dict[str, Any]], None]] = []

    # -- process ------------------------------------------------------------------------

    def start(self, *, peers: list[Till] | None = None, discovery: bool = False,
              port: int | None = None, extra: list[str] | None = None) -> Till:
        """Run the engine (static ``peers``, or mDNS on ``host`` with ``discovery``)."""
        if self.engine is not None and self.engine.popen.poll() is None:
            raise ClusterError(f"till {self.name} already runs")
        listen_port = self.sync_port if port is None else port
        args = ["--listen", f"{self.host}:{listen_port}"]
        for peer in peers or []:
            args += ["--peer", f"{peer.host}:{peer.sync_port}"]
        args += ["--interface", self.host] if discovery else ["--no-discovery"]
        args += extra or []
        (self.data_dir / "engine.json").unlink(missing_ok=True)
        self.engine = EngineProcess(self.data_dir, args, netns=self.netns,
                                    log_path=self.cluster.root / f"{self.name}.log")
        self.engine.wait_ready()
        assert self.engine.sync_port is not None
        self.sync_port = self.engine.sync_port
        self.client = in_netns(self.netns, lambda: connect(
            self.data_dir, on_event=self._on_event, timeout=30))
        if self.client is None:
            raise ClusterError(f"cannot reach the engine of till {self.name} over IPC")
        return self

    def _on_event(self, event: dict[str, Any]) -> None:
        now = time.monotonic()
        self.events.append((now, event))
        for listener in self.listeners:
            listener(now, event)
        self.cluster.notify()

    def _drop_client(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def stop(self) -> int:
        self._drop_client()
        return self.engine.stop() if self.engine is not None else 0

    def kill(self) -> None:
        """SIGKILL: no goodbye to peers, no flush beyond what was fsynced."""
        self._drop_client()
        if self.engine is not None:
            self.engine.kill()

    def pause(self) -> None:
        assert self.engine is not None
        self.engine.signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.engine is not None
        self.engine.signal(signal.SIGCONT)

    @property
    def running(self) -> bool:
        return self.engine is not None and self.engine.popen.poll() is None

    # -- engine commands ----------------------------------------------------------------

    def call(self, cmd: str, **args: Any) -> Any:
        if self.client is None:
            raise ClusterError(f"till {self.name} is not running")
        return self.client.call(cmd, args)

    def till_id(self) -> str:
        return str(self.call("peers.status")["till_id"])

    def heads(self) -> dict[str, list[str]]:
        return dict(self.call("sync.heads"))

    def linked_tills(self) -> set[str]:
        rows = self.call("peers.status")["peers"]
        return {r["till_id"] for r in rows if r["kind"] == "till" and r["state"] == "connected"}

    def read_model_rows(self) -> dict[str, list[tuple[Any, ...]]]:
        return read_model_rows(self.data_dir / "read_model.sqlite3")

    def log_text(self) -> str:
        return self.engine.log_text() if self.engine is not None else ""


def read_model_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read-model table, sorted; per-till columns left out.

    ``doc_state.projected_at`` is when this till projected a document, so it differs
    between tills by design; everything else must be equal once tills converged.
    FTS shadow tables are skipped (their layout is FTS5's, their content follows the
    virtual tables compared here).
    """
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        fts = {t for t in tables if t.endswith("_fts")}
        shadow = {t for t in tables for f in fts if t.startswith(f + "_")}
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table in tables:
            if table in shadow:
                continue
            cursor = conn.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cursor.description]
            keep = [i for i, c in enumerate(columns)
                    if not (table == "doc_state" and c == "projected_at")]
            rows = [tuple(row[i] for i in keep) for row in cursor.fetchall()]
            out[table] = sorted(rows, key=lambda r: tuple("" if v is None else str(v)
                                                          for v in r))
        return out
    finally:
        conn.close()


class Cluster:
    """Engines of one shop as processes; ``wait_until`` re-checks on every engine event."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tills: dict[str, Till] = {}
        self._changed = threading.Event()  # set on every engine event of any till

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, name: str, data_dir: Path | None = None, **kwargs: Any) -> Till:
        till = Till(self, name, data_dir or self.root / name, **kwargs)
        self.tills[name] = till
        return till

    def __getitem__(self, name: str) -> Till:
        return self.tills[name]

    def notify(self) -> None:
        self._changed.set()

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Until ``predicate()`` holds: re-checked after each engine event (and at least
        every ``0.25`` s, for merges that change no row and so send no event)."""
        try:
            waiting.wait_until(predicate, timeout, what=what, interval=0.25, wake=self._changed)
        except AssertionError as exc:
            raise ClusterError(str(exc)) from None

    def running(self) -> list[Till]:
        return [t for t in self.tills.values() if t.running]

    def wait_linked(self, timeout: float = 20.0) -> None:
        """Until every running till has a link to every other running till."""
        tills = self.running()
        ids = {t.name: t.till_id() for t in tills}

        def all_linked() -> bool:
            return all(t.linked_tills() >= {ids[o.name] for o in tills if o is not t}
                       for t in tills)

        self.wait_until(all_linked, timeout, "every till to link to every other")

    def converged(self, tills: list[Till] | None = None) -> bool:
        """Same documents with the same heads, and the same read-model rows, everywhere."""
        tills = tills or self.running()
        heads = [t.heads() for t in tills]
        if any(h != heads[0] for h in heads[1:]):
            return False
        rows = [t.read_model_rows() for t in tills]
        return all(r == rows[0] for r in rows[1:])

    def wait_converged(self, timeout: float = 30.0, tills: list[Till] | None = None) -> None:
        self.wait_until(lambda: self.converged(tills), timeout, "the tills to converge")

    def close(self) -> None:
        """Kill every engine this cluster started (SIGTERM, then SIGKILL)."""
        for till in self.tills.values():
            try:
                till.stop()
            except Exception:
                if till.engine is not None:
                    till.engine.popen.kill()


def build_shop(root: Path, names: tuple[str, ...] = TILL_NAMES, *,
               setup: Callable[[Till], None] | None = None) -> None:
    """Data dirs ``root/<name>`` of one shop: created on the first, the rest paired.

    ``setup`` runs on the first till's engine before the others join (catalog, stock).
    Leaves no engine running.
    """
    first = root / names[0]
    run_cli(first, "shop", "create", "--name", "Cluster Deli", "--till-name", f"Till {names[0]}")
    with Cluster(root) as cluster:
        sponsor = cluster.add(names[0], first).start()
        if setup is not None:
            setup(sponsor)
        joins = [_Join(root / name, f"127.0.0.1:{sponsor.sync_port}", f"Till {name}")
                 for name in names[1:]]
        try:
            for join in joins:
                code, ref = join.code()
                sponsor.call("pair.approve", code=code, till=ref)
            for join in joins:
                join.finish()
        finally:
            for join in joins:
                join.kill()


class _Join:
    """``countertop join`` as staff would run it: read the code, wait for approval."""

    def __init__(self, data_dir: Path, address: str, name: str) -> None:
        self.data_dir = data_dir
        self.popen = subprocess.Popen(
            [*CLI, "--data-dir", str(data_dir), "join", address, "--name", name],
            cwd=REPO_ROOT, env=_ENV, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)

    def code(self, timeout: float = 30.0) -> tuple[str, str]:
        """The code the new till shows, and its short id (to name it on the sponsor)."""
        assert self.popen.stdout is not None
        found: dict[str, str] = {}

        def read() -> None:
            assert self.popen.stdout is not None
            for line in self.popen.stdout:
                if line.startswith("Pairing code:"):
                    found["code"] = line.split(":", 1)[1].strip()
                elif line.startswith("This till:"):
                    found["ref"] = line.split(":", 1)[1].strip()
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        if "code" not in found or "ref" not in found:
            raise ClusterError(f"join of {self.data_dir.name} printed no pairing code")
        return found["code"], found["ref"]

    def finish(self, timeout: float = 60.0) -> None:
        try:
            _, err = self.popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ClusterError(f"join of {self.data_dir.name} did not finish") from None
        if self.popen.returncode != 0:
            raise ClusterError(f"join of {self.data_dir.name} failed: {err.strip()[-300:]}")

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)


def bakery_catalog(till: Till) -> None:
    """A product with five in stock: enough for two tills to oversell it between them."""
    till.call("product.add", sku="BREAD", name="Sourdough", price="4.50", stock="5")
    till.call("product.add", sku="BUN", name="Bun", price="0.80", stock="100")


_TEMPLATES: dict[tuple[str, ...], Path] = {}


def shop_template(base: Path, names: tuple[str, ...] = TILL_NAMES) -> Path:
    """A paired shop built once per session under ``base``; copy it with ``copy_shop``."""
    if names not in _TEMPLATES:
        root = base / ("template-" + "".join(names))
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        build_shop(root, names, setup=bakery_catalog)
        _TEMPLATES[names] = root
    return _TEMPLATES[names]


def copy_shop(template: Path, root: Path) -> None:
    """Fresh copies of the template's data dirs (same tills, same shop) under ``root``."""
    for data_dir in template.iterdir():
        if data_dir.is_dir():
            shutil.copytree(data_dir, root / data_dir.name,
                            ignore=shutil.ignore_patterns("engine.json"))


@contextlib.contextmanager
def running_cluster(template: Path, root: Path, *, mesh: bool = True) -> Iterator[Cluster]:
    """Every till of the template running on loopback, each dialling the tills before it."""
    copy_shop(template, root)
    with Cluster(root) as cluster:
        started: list[Till] = []
        for name in sorted(d.name for d in template.iterdir() if d.is_dir()):
            till = cluster.add(name, root / name)
            till.start(peers=list(started) if mesh else started[:1])
            started.append(till)
        cluster.wait_linked()
        yield cluster


def cluster_template_fixture(tmp_path_factory: Any) -> Path:
    """Body of the ``cluster_template`` fixture of the cluster test modules."""
    return shop_template(tmp_path_factory.getbasetemp() / "cluster-templates")


def run_concurrently(*jobs: Callable[[], Any]) -> list[Any]:
    """Run each job on its own thread at once (the tills edit at the same time)."""
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            start.wait(10)
            results[i] = job()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if errors:
        raise errors[0]
    return results
