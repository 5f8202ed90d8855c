"""A synthetic shop with three years of history, for the ledger benchmarks.

At full scale: 300k orders (~1M lines), 20k customers, 300 products, two tills, some
messages and calls. Orders are written with ``ledger.orders.import_many`` (the layout
``orders.create`` writes, many orders per Automerge transaction) into one period document
per till per month, exactly as the tills would have. Each till's history is written by its
own process into its own copy of the shop document (the machine has two cores), then the
second till's period documents are moved in and its shop document merged, as sync would.
The read model is then rebuilt from the documents (that build is timed).

Built data dirs are cached under ``$COUNTERTOP_BENCH_CACHE`` (default: the temp dir),
keyed by generator version, scale and the current month (the engine loads the current
and the previous month, so a cache from an earlier month would measure something else).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sync.doc_storage import DocumentStore
from sync.ids import DocId, TillId
from sync.ledger import FulfilmentInput, ImportedOrder, LineInput, ShopLedger

log = logging.getLogger("countertop.bench.synthetic_shop")

GENERATOR_VERSION = 4  # 3: orders hold stock by state; 4: seq_base, early touch-hint map
DOCUMENTS_DONE = "documents.json"
WRITER_CORE = "automerge==1.0.0rc1"  # see synthetic_writer: 20x faster transactions
FULL = {"orders": 300_000, "customers": 20_000, "products": 300, "messages": 2_000,
        "calls": 1_000}
MONTHS = 36
TIMEZONE = "Europe/London"
TILL_B = TillId("b" * 8 + "synthetic0till0b")
SHARE_A = 0.55  # the counter till takes a little more than the second till

_FIRST = ["Anna", "Ben", "Chloe", "Daniel", "Emma", "Finn", "Grace", "Harry", "Isla", "Jack", "Katie", "Liam", "Mia", "Noah", "Olivia", "Oscar", "Poppy", "Ruby", "Sam", "Sophie", "Thomas", "Zoe", "Amira", "Bilal", "Chen", "Dara", "Elif", "Farah", "Gustav", "Hana", "Ivan", "Jonas", "Keiko", "Lars", "Maya", "Nina", "Omar", "Priya", "Rafael", "Sana", "Tariq", "Uma", "Vera", "Wei", "Yusuf", "Zara", "Aoife", "Bruno", "Carmen"]
_LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Patel", "Khan", "Lewis", "James", "Phillips", "Mason", "Mitchell", "Rose", "Davis", "Rodriguez", "Cox", "Alexander", "Garden", "Campbell", "Johnston", "Moore", "Smyth", "Oneill", "Doherty", "Stewart", "Quinn", "Murphy", "Graham", "Mclaughlin", "Hamilton", "Murray", "Hughes", "Robertson", "Thomson", "Scott", "Macdonald", "Reid", "Kowalski", "Nowak", "Schmidt", "Muller", "Rossi", "Ferrari", "Novak", "Horvat", "Kovacs", "Nielsen", "Hansen", "Berg", "Lind", "Dubois", "Moreau", "Laurent"]
_FOODS = ["pizza", "calzone", "focaccia", "lasagne", "risotto", "salad", "soup", "burger", "wrap", "panini", "bagel", "croissant", "muffin", "brownie", "cheesecake", "tiramisu", "gelato", "smoothie", "latte", "cappuccino", "espresso", "lemonade", "cola", "juice", "sourdough", "baguette", "ciabatta", "pretzel", "scone", "flapjack", "quiche", "pie", "pasty", "samosa", "falafel", "hummus", "curry", "noodles", "dumplings", "sushi"]
_STYLES = ["margherita", "pepperoni", "hawaiian", "vegan", "spicy", "classic", "smoky", "garden", "rustic", "royal", "truffle", "pesto", "chorizo", "halloumi", "mushroom", "chicken", "beef", "salmon", "tuna", "caprese"]
_SIZES = ("small", "regular", "large")
_STREETS = ("High Street", "Station Road", "Church Lane", "Mill Road", "Park Avenue",
            "Victoria Road", "Green Lane", "Manor Close", "Kings Road", "Queens Walk")
_NOTES = ("no onions please", "extra cheese", "call on arrival", "ring the back door",
          "gluten free base", "birthday, add a candle", "leave with neighbour", "cut in squares",
          "not too spicy", "pay on collection")
_CHANNELS = (("counter", 50), ("phone", 20), ("sms", 8), ("web", 12), ("email", 4),
             ("whatsapp", 6))


@dataclass
class SyntheticShop:
    """Where a built shop lives and what it holds."""

    root: Path
    scale: float
    orders: int
    lines: int
    customers: int
    products: int
    messages: int
    calls: int
    period_docs: int
    build_seconds: float
    read_model_seconds: float

    @classmethod
    def load(cls, root: Path) -> SyntheticShop:
        data = json.loads((root / "synthetic.json").read_text())
        return cls(root=root, **{k: v for k, v in data.items() if k != "root"})

    def save(self) -> None:
        data = {k: v for k, v in self.__dict__.items() if k != "root"}
        (self.root / "synthetic.json").write_text(json.dumps(data, indent=2))


def bench_scale() -> float:
    """``COUNTERTOP_BENCH_SCALE`` (1.0 = the full 300k-order shop)."""
    return float(os.environ.get("COUNTERTOP_BENCH_SCALE") or 1.0)


def cache_root() -> Path:
    return Path(os.environ.get("COUNTERTOP_BENCH_CACHE") or
                Path(tempfile.gettempdir()) / "countertop-bench")


def cached_dir(scale: float, now: dt.datetime) -> Path:
    return cache_root() / f"shop-v{GENERATOR_VERSION}-s{scale:g}-{now:%Y-%m}"


def ensure_shop(scale: float | None = None, *, rebuild: bool = False) -> tuple[SyntheticShop, bool]:
    """The cached synthetic shop, building it first when missing. Returns (shop, built_now)."""
    scale = bench_scale() if scale is None else scale
    now = dt.datetime.now(dt.UTC)
    target = cached_dir(scale, now)
    if not rebuild and (target / "synthetic.json").exists():
        from sync.read_model.schema import SCHEMA_VERSION

        if _read_model_version(target) == SCHEMA_VERSION:
            return SyntheticShop.load(target), False
        # the read model's schema moved on: an engine would reset it and reproject
        # everything on start, so rebuild (and time) it here, not in the measured start
        return build_read_model(target, scale), True
    work = target.with_name(target.name + ".building")
    shutil.rmtree(target, ignore_errors=True)
    if rebuild or not (work / DOCUMENTS_DONE).exists():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        build_documents(work, scale, now)
    shop = build_read_model(work, scale)
    work.rename(target)
    shop.root = target
    return shop, True


def _read_model_version(root: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(root / "read_model.sqlite3")
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _counts(scale: float) -> dict[str, int]:
    """Record counts at ``scale``; the catalog stays full size (a shop's catalog does not
    shrink with its history)."""
    out = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    out["products"] = FULL["products"]
    return out


def _product_weights(n: int) -> list[float]:
    """Zipf-like popularity: a few best sellers, a long tail."""
    return [1.0 / (i + 1) ** 0.9 for i in range(n)]


def _catalog(n: int) -> list[tuple[str, str, int]]:
    """(sku, name, price) for ``n`` products, deterministic."""
    rng = random.Random(7)
    out, seen = [], set()
    while len(out) < n:
        food, style, size = rng.choice(_FOODS), rng.choice(_STYLES), rng.choice(_SIZES)
        name = f"{style.capitalize()} {food} ({size})"
        if name in seen:
            continue
        seen.add(name)
        sku = f"{food[:4].upper()}-{style[:3].upper()}-{size[0].upper()}{len(out):03d}"
        out.append((sku, name, rng.randrange(150, 2400, 10)))
    return out


def _month_starts(now: dt.datetime) -> list[dt.datetime]:
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    months = []
    year, month = first.year, first.month
    for _ in range(MONTHS):
        months.append(dt.datetime(year, month, 1, tzinfo=dt.UTC))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return sorted(months)


def _plan_month(rng: random.Random, start: dt.datetime, end: dt.datetime, count: int,
                skus: list[str], weights: list[float], customers: list[str],
                now: dt.datetime) -> list[ImportedOrder]:
    """``count`` orders between ``start`` and ``end`` with realistic mixes and lifecycles."""
    span = (end - start).total_seconds()
    channels = [c for c, _ in _CHANNELS]
    channel_w = [w for _, w in _CHANNELS]
    orders = []
    for _ in range(count):
        created = start + dt.timedelta(seconds=rng.random() * span)
        n_lines = rng.choices((1, 2, 3, 4, 5, 6, 7, 8), (17, 22, 20, 15, 11, 8, 5, 2))[0]
        lines = [LineInput(quantity=Decimal(rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0]),
                           sku=sku) for sku in rng.choices(skus, weights, k=n_lines)]
        channel = rng.choices(channels, channel_w)[0]
        customer = None
        if channel != "counter" or rng.random() < 0.4:
            customer = customers[min(len(customers) - 1, int(rng.paretovariate(1.2)) - 1)
                                 if rng.random() < 0.3 else rng.randrange(len(customers))]
        delivery = channel != "counter" and rng.random() < 0.3
        fulfil = FulfilmentInput(kind="delivery", address=(
            f"{rng.randint(1, 180)} {rng.choice(_STREETS)}")) if delivery else None
        age = (now - created).total_seconds()

        def after(minutes: float, base: dt.datetime = created) -> dt.datetime:
            return min(now, base + dt.timedelta(minutes=minutes))

        roll = rng.random()
        if age < 3 * 86400 and roll < 0.5:  # still open: the recent part of the board
            statuses = [(after(5), s) for s in rng.choice(
                ([], ["confirmed"], ["confirmed", "preparing"], ["confirmed", "ready"]))]
        elif roll < 0.04:
            statuses = [(after(3), "confirmed"), (after(60), "cancelled")]
        elif channel == "counter":
            statuses = [(after(2), "collected")]
        elif delivery:
            statuses = [(after(3), "confirmed"), (after(40), "out_for_delivery"),
                        (after(75), "delivered")]
        else:
            statuses = [(after(3), "confirmed"), (after(25), "ready"), (after(50), "collected")]
        payments: list[tuple[dt.datetime, int, str]] = []
        finished = statuses and statuses[-1][1] in ("collected", "delivered")
        orders.append(ImportedOrder(
            created_at=created, lines=lines, customer_id=customer, channel=channel,
            notes=rng.choice(_NOTES) if rng.random() < 0.12 else "",
            tags=["regular"] if customer and rng.random() < 0.05 else [],
            fulfilment=fulfil, statuses=statuses, payments=payments,
            by=rng.choice(("", "sam", "alex", "jo"))))
        if finished:
            orders[-1].payments.append((statuses[-1][0], 0, rng.choice(("cash", "card", "card"))))
    return orders


def _price_payments(orders: list[ImportedOrder], prices: dict[str, int]) -> None:
    """Fill in each finished order's payment with its total (the plan left it at 0)."""
    for o in orders:
        if o.payments:
            total = sum(int(line.quantity) * prices[line.sku or ""] for line in o.lines)
            at, _, method = o.payments[0]
            o.payments[0] = (at, total, method)


def write_till_history(root: Path, till_id: str, shop_doc: str, share: float, seed: int,
                        scale: float, now_iso: str, customers: list[str]) -> int:
    """Write one till's orders for every month into ``root`` (its own store); returns lines."""
    now = dt.datetime.fromisoformat(now_iso)
    counts = _counts(scale)
    store = DocumentStore(Path(root))
    ledger = ShopLedger(store, TillId(till_id), DocId(shop_doc), clock=lambda: now)
    catalog = _catalog(counts["products"])
    skus = [sku for sku, _, _ in catalog]
    prices = {sku: price for sku, _, price in catalog}
    weights = _product_weights(len(skus))
    rng = random.Random(seed)
    months = _month_starts(now)
    total = int(counts["orders"] * share)
    growth = [1.0 + 0.6 * i / len(months) for i in range(len(months))]  # the shop grows
    lines = 0
    done = 0
    for i, start in enumerate(months):
        end = months[i + 1] if i + 1 < len(months) else now
        n = (total - done if i + 1 == len(months)
             else round(total * growth[i] / sum(growth)))
        done += n
        orders = _plan_month(rng, start, end, n, skus, weights, customers, now)
        _price_payments(orders, prices)
        ledger.orders.import_many(orders)
        lines += sum(len(o.lines) for o in orders)
    store.close()
    return lines


def build_documents(root: Path, scale: float, now: dt.datetime) -> None:
    """Write the synthetic shop's documents into the empty data dir ``root``.

    Ends by writing ``DOCUMENTS_DONE``: a later run resumes from there (read model only).
    """
    from sync.data_dir import DataDir, ShopPointer
    from sync.identity import load_or_create

    started = time.perf_counter()
    counts = _counts(scale)
    data_dir = DataDir(root)
    data_dir.ensure()
    identity = load_or_create(data_dir.identity_dir)
    store = DocumentStore(data_dir.root)
    ledger = ShopLedger(store, identity.till_id, clock=lambda: now)
    ledger.shop.create("Synthetic Bakery & Pizza", currency="GBP", region="GB",
                       timezone=TIMEZONE, till_name="Counter")
    assert ledger.shop_doc_id is not None
    shop_doc = ledger.shop_doc_id
    data_dir.write_pointer(ShopPointer(shop_doc, identity.till_id))
    ledger.tills.add(TILL_B, "Phone desk")

    catalog = _catalog(counts["products"])
    weights = _product_weights(len(catalog))
    expected_lines = counts["orders"] * 3.3 * 1.6  # lines x mean quantity, for stock
    for (sku, name, price), weight in zip(catalog, weights, strict=True):
        stock = int(expected_lines * weight / sum(weights) * 1.5) + 50
        ledger.catalog.add_product(sku, name, price, aliases=[name.split(" (")[0].lower()],
                                   stock=Decimal(stock), low_stock=Decimal(10))

    rng = random.Random(11)
    people = []
    for i in range(counts["customers"]):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        people.append({"name": f"{first} {last}",
                       "phones": [f"+447700{900000 + i % 100000:06d}"] if i < 100000 else [],
                       "emails": [f"{first}.{last}{i}@example.com".lower()]
                       if rng.random() < 0.6 else [],
                       "notes": "allergic to nuts" if rng.random() < 0.02 else "",
                       "created_at": now - dt.timedelta(days=rng.randrange(1, 3 * 365))})
    ledger.customers.import_many(people)
    customer_ids = sorted(ledger.customers.all())
    store.get(shop_doc).compact()

    # each till writes its history in its own process: till A into this store, till B
    # into its own copy of the shop document, merged below as sync would
    till_b_root = root / "till-b.tmp"
    (till_b_root / "docs").mkdir(parents=True)
    shutil.copytree(store.docs_dir / shop_doc, till_b_root / "docs" / shop_doc)
    store.close()
    python = writer_python()
    jobs = [_start_writer(python, {
        "root": str(r), "till_id": till, "shop_doc": shop_doc, "share": share, "seed": seed,
        "scale": scale, "now_iso": now.isoformat(), "customers": customer_ids}, root)
        for r, till, share, seed in ((root, identity.till_id, SHARE_A, 1),
                                     (till_b_root, TILL_B, 1 - SHARE_A, 2))]
    lines = sum(_finish_writer(job) for job in jobs)

    store = DocumentStore(root)
    b_store = DocumentStore(till_b_root)
    for doc_id in b_store.ids():
        if doc_id != shop_doc:
            os.rename(b_store.docs_dir / doc_id, store.docs_dir / doc_id)
    shop = store.get(shop_doc)
    shop.doc.merge(b_store.get(shop_doc).doc)
    shop.persist()
    b_store.close()
    shutil.rmtree(till_b_root)
    for doc_id in store.ids():  # re-save with the project's core (see synthetic_writer)
        store.get(doc_id).compact()

    ledger = ShopLedger(store, identity.till_id, shop_doc, clock=lambda: now)
    _messages_and_calls(ledger, counts, customer_ids, now)
    period_docs = len(ledger.docs.period_doc_ids())
    store.close()
    (root / DOCUMENTS_DONE).write_text(json.dumps({
        "period_docs": period_docs, "lines_written": lines,
        "build_seconds": round(time.perf_counter() - started, 2)}))


def build_read_model(root: Path, scale: float) -> SyntheticShop:
    """Build the read model of a written shop from nothing (timed: an engine start with no
    read model file projects every document) and record what the shop holds."""
    from app.engine.till_engine import TillEngine

    done = json.loads((root / DOCUMENTS_DONE).read_text())
    for path in root.glob("read_model.sqlite3*"):
        path.unlink()
    started = time.perf_counter()
    engine = TillEngine(root, role="bench build")  # no read model: catch_up projects all
    try:
        read_model_seconds = time.perf_counter() - started
        conn = engine.read_model.conn

        def count(table: str) -> int:
            return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

        shop_info = SyntheticShop(
            root=root, scale=scale, orders=count("orders"), lines=count("order_lines"),
            customers=count("customers"), products=count("products"),
            messages=count("messages"), calls=count("calls"),
            period_docs=int(done["period_docs"]), build_seconds=float(done["build_seconds"]),
            read_model_seconds=round(read_model_seconds, 2))
    finally:
        engine.close()
    shop_info.save()
    return shop_info


def writer_python() -> str:
    """A python with the fast writer core (a helper venv in the cache), else this one."""
    venv = cache_root() / "writer-venv"
    python = venv / "bin" / "python"
    stamp = venv / "installed.txt"
    if stamp.exists() and stamp.read_text() == WRITER_CORE:
        return str(python)
    try:
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True,
                       capture_output=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "-q", WRITER_CORE, "phonenumbers"],
                       check=True, capture_output=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as exc:
        log.warning("no helper venv with %s (%s); writing with the project's core, which "
                    "takes about 20 times longer", WRITER_CORE, exc)
        return sys.executable
    stamp.write_text(WRITER_CORE)
    return str(python)


def _start_writer(python: str, kwargs: dict[str, object], root: Path) -> subprocess.Popen[str]:
    repo = Path(__file__).resolve().parents[2]
    job = subprocess.Popen(
        [python, "-m", "tests.bench.synthetic_writer"], cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo)}, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert job.stdin is not None
    job.stdin.write(json.dumps(kwargs))  # 20k customer ids: too long for argv
    job.stdin.close()
    return job


def _finish_writer(job: subprocess.Popen[str]) -> int:
    assert job.stdout is not None and job.stderr is not None
    out, err = job.stdout.read(), job.stderr.read()
    job.wait()
    if job.returncode != 0:
        raise RuntimeError(f"synthetic history writer failed:\n{err[-3000:]}")
    return int(json.loads(out.strip().splitlines()[-1])["lines"])


def _messages_and_calls(ledger: ShopLedger, counts: dict[str, int], customers: list[str],
                        now: dt.datetime) -> None:
    """Inbound SMS/e-mail and caller-ID records spread over the history (counter till)."""
    rng = random.Random(13)
    phones = {cid: c.get("phones", []) for cid, c in ledger.customers.all().items()}
    start = now - dt.timedelta(days=MONTHS * 30 - 5)
    span = (now - start).total_seconds()
    for i in range(counts["messages"]):
        cid = rng.choice(customers)
        sender = (phones.get(cid) or ["+447700800123"])[0]
        at = start + dt.timedelta(seconds=rng.random() * span)
        body = (f"Hi, could I get {rng.randint(1, 4)} {rng.choice(_STYLES)} "
                f"{rng.choice(_FOODS)} for {rng.choice(('6pm', 'lunch', 'tomorrow', '7:30'))}?")
        ledger.inbox.record_message(channel="sms", direction="in", sender=sender,
                                    recipient="+447700000001", body=body, received_at=at,
                                    dedupe_key=f"synthetic-sms-{i}")
    for _ in range(counts["calls"]):
        cid = rng.choice(customers)
        number = (phones.get(cid) or ["+447700800123"])[0]
        at = start + dt.timedelta(seconds=rng.random() * span)
        ledger.inbox.record_call(number=number, name=None, at=at, presentation="allowed",
                                 answered=rng.random() < 0.8)


def main_build(argv: list[str] | None = None) -> int:
    """``python -m tests.bench.synthetic_shop [SCALE] [--rebuild]``: build the cached shop."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    numbers = [a for a in args if not a.startswith("--")]
    scale = float(numbers[0]) if numbers else bench_scale()
    shop, _ = ensure_shop(scale, rebuild="--rebuild" in args)
    print(json.dumps({"root": str(shop.root), **{k: v for k, v in shop.__dict__.items()
                                                 if k != "root"}}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main_build())
