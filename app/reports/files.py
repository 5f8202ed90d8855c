"""One report as a file: CSV (every table, one after the other), XLSX (a sheet per
table, amounts as numbers in the currency's format) or PDF (the tables, each with its
chart drawn as bars).

XLSX through XlsxWriter: write-only, pure Python, no dependencies, and a sheet of 100k
rows in about a second. PDF through fpdf2: pure Python, so the headless engine writes
it without Qt; a TrueType font is used when the system has one (DejaVu Sans, Arial),
else the built-in Helvetica with text limited to Latin-1.
"""

from __future__ import annotations

import csv
import io
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.protocol import Report, ReportTable
from app.reports.tables import cell_text
from sync.errors import CommandRejected
from sync.money import exponent

FORMATS = ("csv", "xlsx", "pdf")


def format_of(path: Path) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise CommandRejected(f"cannot write {path.name}: name it .csv, .xlsx or .pdf")
    return fmt


def write_report(report: Report, path: Path) -> Path:
    """Write ``report`` to ``path`` (format from its extension), replacing it whole."""
    fmt = format_of(path)
    data = {"csv": csv_bytes, "xlsx": xlsx_bytes, "pdf": pdf_bytes}[fmt](report)
    return write_file(path, data)


def write_file(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file, so no reader sees half of it."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise CommandRejected(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def _span(report: Report) -> str:
    return (report["date_from"] if report["date_from"] == report["date_to"]
            else f"{report['date_from']} to {report['date_to']}")


def _heading(report: Report) -> str:
    return f"{report['title']} · {_span(report)}"


def _row_cells(t: ReportTable, row: dict[str, Any], currency: str) -> list[str]:
    return [cell_text(row.get(c["key"]), c["kind"], row, c["key"], currency)
            for c in t["columns"]]


def _total_cells(t: ReportTable, currency: str) -> list[str] | None:
    totals = t.get("totals") or {}
    keys = {c["key"] for c in t["columns"]}
    if not any(k in keys for k in totals):
        return None
    cells = [cell_text(totals.get(c["key"]), c["kind"], totals, c["key"], currency)
             if c["key"] in totals else "" for c in t["columns"]]
    cells[0] = cells[0] or "Total"
    return cells


# ---------------------------------------------------------------------- CSV


def csv_bytes(report: Report) -> bytes:
    """Each table: its title, its header, its rows, its totals, then a blank line.
    Amounts are decimal text in the currency (``12.50``), as ``export`` writes them."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([_heading(report), report["currency"]])
    w.writerow([])
    for t in report["tables"]:
        w.writerow([t["title"]])
        w.writerow([c["label"] or c["key"] for c in t["columns"]])
        for row in t["rows"]:
            w.writerow(_row_cells(t, row, report["currency"]))
        totals = _total_cells(t, report["currency"])
        if totals:
            w.writerow(totals)
        w.writerow([])
    return buf.getvalue().encode("utf-8")


# ---------------------------------------------------------------------- XLSX


def sheet_name(title: str, used: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\, unique."""
    base = re.sub(r"[\[\]:*?/\\]", "-", title).strip("'")[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def xlsx_bytes(report: Report) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    exp = exponent(report["currency"])
    money = book.add_format({"num_format": "#,##0" + ("." + "0" * exp if exp else "")})
    bold = book.add_format({"bold": True})
    bold_money = book.add_format({"bold": True, "num_format": money.num_format})
    used: set[str] = set()
    for t in report["tables"]:
        ws = book.add_worksheet(sheet_name(t["title"], used))
        ws.write(0, 0, f"{_heading(report)} · {t['title']}", bold)
        ws.write(1, 0, f"Amounts in {report['currency']}")
        header = 3
        for n, c in enumerate(t["columns"]):
            ws.write(header, n, c["label"] or c["key"], bold)
            ws.set_column(n, n, 12 if c["kind"] != "text" else 24)
        r = header
        for r, row in enumerate(t["rows"], start=header + 1):
            _xlsx_row(ws, r, t, row, money, exp, report["currency"])
        totals = t.get("totals") or {}
        if _total_cells(t, report["currency"]):
            r += 1
            ws.write(r, 0, "Total", bold)
            for n, c in enumerate(t["columns"]):
                if c["key"] in totals and n:
                    _xlsx_cell(ws, r, n, c["kind"], totals[c["key"]], totals, c["key"],
                               bold_money, exp, report["currency"])
    book.close()
    return buf.getvalue()


def _xlsx_row(ws: Any, r: int, t: ReportTable, row: dict[str, Any], money: Any, exp: int,
              currency: str) -> None:
    for n, c in enumerate(t["columns"]):
        _xlsx_cell(ws, r, n, c["kind"], row.get(c["key"]), row, c["key"], money, exp, currency)


def _xlsx_cell(ws: Any, r: int, n: int, kind: str, value: Any, row: dict[str, Any], key: str,
               money: Any, exp: int, currency: str) -> None:
    if value is None:
        return
    if kind == "money" and isinstance(value, int):
        ws.write_number(r, n, float(Decimal(value).scaleb(-exp)), money)
    elif kind in ("count",) and isinstance(value, (int, float)):
        ws.write_number(r, n, value)
    elif kind == "qty":
        try:
            ws.write_number(r, n, float(value))
        except (TypeError, ValueError):
            ws.write(r, n, str(value))
    else:
        ws.write(r, n, cell_text(value, kind, row, key, currency))


# ---------------------------------------------------------------------- PDF

_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
          "/usr/share/fonts/dejavu/DejaVuSans.ttf", "C:/Windows/Fonts/arial.ttf",
          "/Library/Fonts/Arial.ttf", "/System/Library/Fonts/Supplemental/Arial.ttf")
_BOLD = {"DejaVuSans.ttf": "DejaVuSans-Bold.ttf", "arial.ttf": "arialbd.ttf",
         "Arial.ttf": "Arial Bold.ttf"}
_ACCENT = (37, 99, 235)


def _pdf(title: str) -> tuple[Any, str, bool]:
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(title)
    pdf.set_creator("Countertop")
    pdf.set_auto_page_break(auto=True, margin=14)
    for path in _FONTS:
        if Path(path).exists():
            pdf.add_font("Body", "", path)
            bold = Path(path).with_name(_BOLD.get(Path(path).name, Path(path).name))
            pdf.add_font("Body", "B", str(bold if bold.exists() else path))
            return pdf, "Body", True
    return pdf, "Helvetica", False


def pdf_bytes(report: Report) -> bytes:
    pdf, font, unicode_ok = _pdf(report["title"])

    def text(value: str) -> str:
        return value if unicode_ok else value.encode("latin-1", "replace").decode("latin-1")

    pdf.add_page()
    pdf.set_font(font, "B", 15)
    pdf.cell(0, 8, text(report["title"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, "", 9)
    till = "whole shop" if not report.get("till") else "one till"
    pdf.cell(0, 5, text(f"{_span(report)} · {till} · amounts in {report['currency']}"),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for t in report["tables"]:
        _pdf_table(pdf, font, text, t, report["currency"])
    return bytes(pdf.output())


def _pdf_table(pdf: Any, font: str, text: Any, t: ReportTable, currency: str) -> None:
    width = pdf.w - pdf.l_margin - pdf.r_margin
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    pdf.set_font(font, "B", 11)
    pdf.cell(0, 7, text(t["title"]), new_x="LMARGIN", new_y="NEXT")
    spec = t.get("chart")
    if spec and t["rows"]:
        _pdf_chart(pdf, font, text, t, spec, width)
    cols = t["columns"]
    weights = [2.2 if c["kind"] == "text" else 1.0 for c in cols]
    widths = [width * w / sum(weights) for w in weights]
    pdf.set_font(font, "B", 8)
    pdf.set_fill_color(235, 238, 245)
    for c, w in zip(cols, widths, strict=True):
        pdf.cell(w, 6, text(_fit(pdf, c["label"] or c["key"], w)), border="B", fill=True,
                 align="L" if c["kind"] == "text" else "R")
    pdf.ln()
    pdf.set_font(font, "", 8)
    body = [_row_cells(t, row, currency) for row in t["rows"][:500]]
    totals = _total_cells(t, currency)
    for n, cells in enumerate([*body, *([totals] if totals else [])]):
        if totals and n == len(body):
            pdf.set_font(font, "B", 8)
        for c, w, value in zip(cols, widths, cells, strict=True):
            pdf.cell(w, 5, text(_fit(pdf, value, w)),
                     border="T" if totals and n == len(body) else 0,
                     align="L" if c["kind"] == "text" else "R")
        pdf.ln()
    if len(t["rows"]) > 500:
        pdf.set_font(font, "", 8)
        pdf.cell(0, 5, text(f"… and {len(t['rows']) - 500} more rows (see the CSV or XLSX)"),
                 new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _fit(pdf: Any, value: str, width: float) -> str:
    if pdf.get_string_width(value) <= width - 1.5:
        return value
    while value and pdf.get_string_width(value + "…") > width - 1.5:
        value = value[:-1]
    return value + "…"


def _pdf_chart(pdf: Any, font: str, text: Any, t: ReportTable, spec: dict[str, Any],
               width: float) -> None:
    """Bars of the chart's first series (a ranking: the top 12)."""
    key = spec["y"][0]
    rows = [r for r in t["rows"] if isinstance(r.get(key), (int, float))]
    if spec["kind"] == "hbar":
        rows = sorted(rows, key=lambda r: -float(r[key]))[:12]
    rows = rows[-40:]
    if not rows:
        return
    top = max(float(r[key]) for r in rows)
    if top <= 0:
        return
    height = 38.0
    x0, y0 = pdf.l_margin, pdf.get_y() + 2
    if y0 + height + 10 > pdf.h - 14:
        pdf.add_page()
        x0, y0 = pdf.l_margin, pdf.get_y() + 2
    slot = width / len(rows)
    pdf.set_fill_color(*_ACCENT)
    pdf.set_font(font, "", 6)
    for n, r in enumerate(rows):
        h = height * float(r[key]) / top
        pdf.rect(x0 + n * slot + slot * 0.15, y0 + height - h, slot * 0.7, h, style="F")
        if len(rows) <= 16:
            pdf.set_xy(x0 + n * slot, y0 + height + 0.5)
            pdf.cell(slot, 3, text(_fit(pdf, str(r.get(spec["x"]) or ""), slot)), align="C")
    pdf.set_draw_color(160, 160, 160)
    pdf.line(x0, y0 + height, x0 + width, y0 + height)
    pdf.set_xy(pdf.l_margin, y0 + height + 5)
