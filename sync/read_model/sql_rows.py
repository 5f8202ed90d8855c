"""The small pieces every read-model query uses: a read-only connection, rows as dicts,
one value, and what staff type turned into a safe FTS5 query."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection (the engine is the only writer)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA query_only=1")
    return conn


def rows(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, args)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def scalar(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(sql, args).fetchone()
    return row[0] if row else None


def phone_suffix(text: str) -> str:
    """The last nine digits of a search that is a phone number ("07700 900123",
    "+44 7700 900123"), matched against the end of stored E.164 numbers; "" otherwise."""
    stripped = text.strip()
    digits = "".join(c for c in stripped if c.isdigit())
    if len(digits) < 7 or any(not (c.isdigit() or c in " +-().") for c in stripped):
        return ""
    return digits[-9:]


def fts_query(text: str) -> str:
    """Turn what staff type into a safe FTS5 prefix query ("ann smi" -> "ann"* "smi"*)."""
    words = [w.replace('"', '""') for w in text.split() if w.strip()]
    return " ".join(f'"{w}"*' for w in words)
