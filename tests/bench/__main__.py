"""``make bench``: run every ``tests/bench/bench_*.py`` module's ``main()``.

Each module prints JSON lines through ``harness.report``. Pass module names
(``python -m tests.bench ledger sms``) to run a subset.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import traceback

from tests.bench import harness


def main(argv: list[str]) -> int:
    import tests.bench as pkg

    names = sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    print(json.dumps({"bench": "baseline", **harness.machine_baseline()}), flush=True)
    failed = 0
    for name in names:
        try:
            importlib.import_module(f"tests.bench.{name}").main()
        except Exception:
            failed += 1
            traceback.print_exc()
            print(json.dumps({"bench": name, "error": "failed, see traceback"}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
