"""Shared fixtures: a till data dir, an engine holding a small shop, the ``countertop`` CLI.

Everything is real: the engine writes its documents and read model under ``tmp_path``,
and ``cli`` runs the installed console script as a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty till data dir (created on first use by whoever opens it)."""
    return tmp_path / "till"


def demo_shop(engine: Any) -> None:
    """A shop with three products (one weighed) and one customer, through the command table."""
    from tests.helpers.commands import run

    run(engine, "shop.create", {"name": "Corner Shop", "currency": "EUR", "region": "GB"})
    run(engine, "product.add", {"sku": "BREAD", "name": "Sourdough bread", "price": "2.50",
                                "stock": "5", "low_stock": "1"})
    run(engine, "product.add", {"sku": "MILK", "name": "Whole milk", "price": "1.20",
                                "stock": "10"})
    run(engine, "product.add", {"sku": "FLOUR", "name": "Rye flour", "price": "3.10",
                                "stock": "2.5", "unit": "kg"})
    run(engine, "customer.add", {"name": "Ann Smith", "phones": ["07700 900123"],
                                 "emails": ["ann@example.com"]})


@pytest.fixture
def engine(data_dir: Path) -> Iterator[Any]:
    """A ``TillEngine`` on ``data_dir`` holding the demo shop; closed after the test."""
    from app.engine.till_engine import TillEngine

    eng = TillEngine(data_dir, role="pytest")
    try:
        demo_shop(eng)
        yield eng
    finally:
        eng.close()


def cli_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNTERTOP_")}
    env["COUNTERTOP_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def cli(data_dir: Path) -> CliRunner:
    """Run ``countertop ARGS...`` against ``data_dir``; returns the completed process."""

    def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(VENV_BIN / "countertop"), *args], check=False, cwd=REPO,
                              env=cli_env(data_dir), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    return run


@pytest.fixture
def dovecot() -> Iterator[Any]:
    """A private Dovecot on loopback (installed when missing; tests/helpers/mail_servers)."""
    from tests.helpers.mail_servers import Dovecot

    server = Dovecot().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def smtp_server(dovecot: Any) -> Iterator[Any]:
    """aiosmtpd on loopback, STARTTLS + AUTH, filing what it accepts into Dovecot."""
    from tests.helpers.mail_servers import SmtpServer

    server = SmtpServer(dovecot).start()
    try:
        yield server
    finally:
        server.stop()
