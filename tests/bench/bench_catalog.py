"""Catalog benchmarks (issue 11): importing 10,000 products, and reading them as the
Catalog page does.

- ``import_10k_s``: ``product.import`` of a 10,000-row CSV (names, prices, units, tax,
  aliases; some thresholds, variants with prices, option groups, initial stock) into a
  new shop on an in-process engine, preview and checks included, until the read model
  shows every product (goal < 5 s). Three runs, each on a fresh data dir; the median.
- ``import_10k_xlsx_s``: the same rows as XLSX (openpyxl read-only), one run.
- ``export_10k_s``: ``product.export`` of those 10,000 products to CSV.
- ``catalog_page_ms``: what the Catalog page's lazy model reads for one screen: a window
  of 200 SKUs and the rows of the first 100 (first page, a deep page, a search, and the
  sort by stock), p50 over 30 repeats (goal < 16 ms: one frame).

Run with ``make bench`` or ``python -m tests.bench catalog``. Targets are reported,
never asserted.
"""

from __future__ import annotations

import csv
import random
import statistics
import tempfile
import time
from pathlib import Path

from tests.bench.harness import percentile, report

BENCH = "catalog"
PRODUCTS = 10_000
RUNS = 3
UNITS = ("each", "each", "each", "kg", "l", "pack")


def write_catalog(path: Path, n: int = PRODUCTS, seed: int = 11) -> Path:
    rnd = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["sku", "name", "price", "unit", "tax_rate", "low_stock", "aliases",
                      "variants", "options", "stock"])
        for i in range(n):
            out.writerow([
                f"P{i:05d}", f"Product {i} {rnd.choice(['Crème', 'Pão', 'Käse', 'Tea'])}",
                f"{rnd.randint(50, 9_999) / 100:.2f}", rnd.choice(UNITS),
                rnd.choice(["0", "5", "20"]), "5" if i % 3 == 0 else "",
                f"alias{i}|other {i}", "Small|Large=9.99" if i % 5 == 0 else "",
                "Size=small,large=1.50" if i % 7 == 0 else "", str(rnd.randint(0, 40))])
    return path


def _engine(root: Path):  # type: ignore[no-untyped-def]
    from app.engine.commands import in_process_registry
    from app.engine.till_engine import TillEngine

    engine = TillEngine(root)
    registry = in_process_registry(engine)
    registry.run("shop.create", {"name": "Bench Deli", "region": "GB"})
    return engine, registry


def bench_import(work: Path, source: Path) -> None:
    times = []
    for run in range(RUNS):
        engine, registry = _engine(work / f"import-{run}")
        try:
            started = time.perf_counter()
            result = registry.run("product.import", {"path": str(source)})
            times.append(time.perf_counter() - started)
            assert result["add"] == PRODUCTS and result["errors"] == 0, result["errors"]
        finally:
            engine.close()
    report(BENCH, "import_10k_s", statistics.median(times), "s", goal="< 5 s",
           runs=[round(t, 3) for t in times])


def bench_xlsx_and_export(work: Path, source: Path) -> None:
    engine, registry = _engine(work / "xlsx")
    try:
        xlsx = work / "catalog.xlsx"
        registry.run("product.import", {"path": str(source)})
        started = time.perf_counter()
        registry.run("product.export", {"format": "csv", "out": str(work / "out.csv")})
        report(BENCH, "export_10k_s", time.perf_counter() - started, "s")
        registry.run("product.export", {"format": "xlsx", "out": str(xlsx)})
        page_reads(engine)
    finally:
        engine.close()
    engine, registry = _engine(work / "xlsx-again")
    try:
        started = time.perf_counter()
        result = registry.run("product.import", {"path": str(xlsx)})
        report(BENCH, "import_10k_xlsx_s", time.perf_counter() - started, "s",
               rows=result["add"])
    finally:
        engine.close()


def page_reads(engine) -> None:  # type: ignore[no-untyped-def]
    from sync.read_model import queries as q

    conn = engine.read_model.conn
    cases = {"first": q.ProductFilter(), "deep": q.ProductFilter(),
             "search": q.ProductFilter(search="Käse 12"),
             "by_stock": q.ProductFilter(order_by="stock DESC")}
    for name, f in cases.items():
        samples = []
        for _ in range(30):
            started = time.perf_counter()
            offset = 9_000 if name == "deep" else 0
            skus = q.product_skus(conn, f, 200, offset)
            q.products_by_sku(conn, skus[:100])
            samples.append((time.perf_counter() - started) * 1000)
        report(BENCH, f"catalog_page_{name}_ms", percentile(samples, 50), "ms",
               goal="< 16 ms", p99=round(percentile(samples, 99), 3))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-catalog-") as tmp:
        work = Path(tmp)
        source = write_catalog(work / "catalog.csv")
        bench_import(work, source)
        bench_xlsx_and_export(work, source)


if __name__ == "__main__":
    main()
