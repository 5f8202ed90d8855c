"""Catalog files: the columns of a product CSV or XLSX, read and written.

One layout both ways, so an export imports back unchanged (``COLUMNS``): lists are
separated by ``|`` (aliases ``loaf|bread``; variants ``Small|Large=5.00``; option
groups ``Size=small,large=1.50|Crust=thin,thick``, as ``sync.catalog_prices`` reads
them). Headers are matched without regard to case, spaces or a few common synonyms
(``code`` for ``sku``), so a supplier's sheet often imports as it is.

XLSX goes through openpyxl, the one maintained library that both reads and writes it
(xlsxwriter only writes); read-only and write-only modes keep 10,000 rows quick. Text
that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) is written
as text: a CSV cell gets a leading apostrophe (taken off again on import), an XLSX cell
is typed as a string.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sync.errors import CommandRejected

COLUMNS = ("sku", "name", "price", "unit", "tax_rate", "low_stock", "active", "aliases",
           "variants", "options", "stock")
REQUIRED = ("sku",)
SYNONYMS = {"code": "sku", "item": "sku", "product code": "sku", "article": "sku",
            "description": "name", "product": "name", "title": "name",
            "unit price": "price", "sell price": "price", "vat": "tax_rate", "tax": "tax_rate",
            "tax rate": "tax_rate", "vat rate": "tax_rate", "reorder level": "low_stock",
            "low stock": "low_stock", "min stock": "low_stock", "status": "active",
            "alias": "aliases", "variant": "variants", "option groups": "options",
            "on hand": "stock", "quantity": "stock", "qty": "stock"}
FORMATS = ("csv", "xlsx")
MAX_ROWS = 100_000
MAX_CELL = 2_000
_FORMULA_START = ("=", "+", "-", "@")


def file_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("csv", "txt"):
        return "csv"
    if suffix in ("xlsx", "xlsm"):
        return "xlsx"
    raise CommandRejected(f"{path.name} is not a .csv or .xlsx file")


def column_of(header: Any) -> str | None:
    """Our column for a header cell ("Unit Price" -> "price"); None when unknown."""
    text = " ".join(str(header or "").replace("_", " ").split()).lower()
    if not text:
        return None
    key = text.replace(" ", "_")
    if key in COLUMNS:
        return key
    return SYNONYMS.get(text)


def read_rows(path: Path) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    """(format, [(row number as the user sees it, column -> text)]) of a catalog file.

    Refuses, in plain words, a file it cannot read or without a SKU column; blank rows
    are skipped; unknown columns are ignored."""
    fmt = file_format(path)
    if not path.is_file():
        raise CommandRejected(f"no file {path}")
    raw = _xlsx_cells(path) if fmt == "xlsx" else _csv_cells(path)
    try:
        header = next(raw)
    except StopIteration:
        raise CommandRejected(f"{path.name} is empty") from None
    columns = [column_of(h) for h in header]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise CommandRejected(f"{path.name} has no {missing[0]} column (the first row names "
                              f"the columns: {', '.join(COLUMNS)})")
    out: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(raw, start=2):
        row: dict[str, str] = {}
        for col, cell in zip(columns, cells, strict=False):
            if col is None or cell is None:
                continue
            text = _text(cell)
            if text:
                row[col] = text[:MAX_CELL + 1]
        if row:
            out.append((number, row))
        if len(out) > MAX_ROWS:
            raise CommandRejected(f"{path.name} has more than {MAX_ROWS:,} products")
    return fmt, out


def _text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in _FORMULA_START:
        text = text[1:]  # our own guard against spreadsheet formulas (see write_rows)
    return text


def _csv_cells(path: Path) -> Iterator[list[str]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything
        raise CommandRejected(f"{path.name} is not UTF-8 or Windows text")
    if "\0" in text:
        raise CommandRejected(f"{path.name} is not a text file")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        yield from csv.reader(io.StringIO(text, newline=""), dialect)
    except csv.Error as exc:
        raise CommandRejected(f"{path.name} is not a readable CSV file: {exc}") from None


def _xlsx_cells(path: Path) -> Iterator[list[Any]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise CommandRejected(f"{path.name} is not a readable XLSX file ({exc})") from None
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        book.close()


def write_rows(path: Path, fmt: str, rows: Iterable[dict[str, Any]]) -> int:
    """Write ``rows`` (column -> value) under the ``COLUMNS`` header; returns how many."""
    if fmt not in FORMATS:
        raise CommandRejected(f"format is one of: {', '.join(FORMATS)}")
    count = 0
    if fmt == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow([_guard(row.get(c, "")) for c in COLUMNS])
                count += 1
        return count
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Catalog")
    sheet.append(list(COLUMNS))
    for row in rows:
        cells = []
        for col in COLUMNS:
            value = row.get(col, "")
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever it starts with
            cells.append(cell)
        sheet.append(cells)
        count += 1
    book.save(path)
    return count


def _guard(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in _FORMULA_START:
        return "'" + value
    return value
