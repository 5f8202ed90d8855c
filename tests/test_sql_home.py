"""Read SQL has one home: ``sync/read_model/`` (``queries.py`` for every reader, the
projector's own write-path reads beside it). Checked on the source, so it stays so.

Any string literal (f-string parts included) holding ``SELECT`` in app/, sync/ or
devices/ outside that package fails: a new read belongs in ``sync.read_model.queries``,
where the engine, the CLI and the UI share it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOME = ROOT / "sync" / "read_model"
PACKAGES = ("app", "sync", "devices")
SELECT = re.compile(r"\bSELECT\s")


def select_literals(path: Path) -> list[str]:
    """``line: text`` of every string constant in ``path`` that holds a SELECT."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [f"{node.lineno}: {node.value[:60]!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and SELECT.search(node.value)]


def test_read_sql_lives_only_in_the_read_model_package() -> None:
    bad = {f"{path.relative_to(ROOT)}:{hit}"
           for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
           if HOME not in path.parents for hit in select_literals(path)}
    assert not bad, "SELECT outside sync/read_model/ (move it to queries.py):\n" + \
        "\n".join(sorted(bad))


def test_the_scan_sees_select_literals(tmp_path: Path) -> None:
    """Guard against a scan that silently finds nothing."""
    assert any("FROM orders" in hit for hit in select_literals(HOME / "queries.py"))
    module = tmp_path / "reads.py"
    module.write_text('def f(conn, t):\n'
                      '    """Selects nothing."""\n'
                      '    conn.execute(f"SELECT id FROM {t} WHERE x=?", (1,))\n'
                      '    return conn.execute("WITH g AS (SELECT 1) "\n'
                      '                        "SELECT * FROM g")\n')
    assert sorted(hit.split(":")[0] for hit in select_literals(module)) == ["3", "4"]
