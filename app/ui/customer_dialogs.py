"""Editing a customer, and merging two cards for one person (with a preview first).

The edit dialog shows every contact one per line; what was added or taken off becomes
one ``customer.update`` (the engine checks and normalises phones and emails). The merge
dialog asks the engine what the kept card would look like (``customer.merge`` with
``preview``) and how many orders, messages and calls move, before it merges.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import protocol as p
from app.ui import operations as ops
from app.ui.read_store import ReadStore
from app.ui.widgets import SearchField


def _lines(edit: QPlainTextEdit) -> list[str]:
    return [x.strip() for x in edit.toPlainText().splitlines() if x.strip()]


def _sentence(message: str) -> str:
    text = message.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


class CustomerEditDialog(QDialog):
    """Name, phones, emails, addresses (one per line), note and tags of a customer."""

    def __init__(self, card: dict[str, Any], actions: Any,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.card = card
        self.actions = actions
        self.setWindowTitle("Edit customer")
        self.resize(480, 520)
        form = QFormLayout(self)
        self.name = QLineEdit(str(card.get("name") or ""))
        self.name.setMaxLength(300)
        self.phones = QPlainTextEdit("\n".join(card.get("phones") or []))
        self.emails = QPlainTextEdit("\n".join(card.get("emails") or []))
        self.addresses = QPlainTextEdit("\n".join(card.get("addresses") or []))
        self.notes = QPlainTextEdit(str(card.get("notes") or ""))
        self.tags = QLineEdit(", ".join(card.get("tags") or []))
        for edit in (self.phones, self.emails):
            edit.setFixedHeight(56)
        self.addresses.setFixedHeight(70)
        self.notes.setFixedHeight(70)
        for label, widget in (("Name", self.name), ("Phones", self.phones),
                              ("Emails", self.emails), ("Addresses", self.addresses),
                              ("Note", self.notes), ("Tags", self.tags)):
            form.addRow(label, widget)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d93636;")
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def params(self) -> p.CustomerUpdate:
        """The change as one ``customer.update``: contacts added and taken off."""
        card = self.card

        def diff(key: str, now: list[str]) -> tuple[list[str], list[str]]:
            before = [str(x) for x in card.get(key) or []]
            low = {x.lower() for x in before}
            added = [x for x in now if x.lower() not in low and x not in before]
            kept = {x.lower() for x in now}
            return added, [x for x in before if x.lower() not in kept]

        phones_add, phones_off = diff("phones", _lines(self.phones))
        emails_add, emails_off = diff("emails", _lines(self.emails))
        addr_add, addr_off = diff("addresses", _lines(self.addresses))
        tags = [t.strip().lstrip("#") for t in self.tags.text().split(",") if t.strip()]
        before_tags = list(card.get("tags") or [])
        name = self.name.text().strip()
        notes = self.notes.toPlainText()
        return p.CustomerUpdate(
            customer=str(card["id"]), name=name if name != card.get("name") else None,
            add_phones=phones_add, remove_phones=phones_off, add_emails=emails_add,
            remove_emails=emails_off, add_addresses=addr_add, remove_addresses=addr_off,
            notes=notes if notes != (card.get("notes") or "") else None,
            add_tags=[t for t in tags if t not in before_tags],
            remove_tags=[t for t in before_tags if t not in tags])

    def save(self) -> None:
        if not self.name.text().strip():
            self.error.setText("The customer needs a name.")
            return
        self.error.setText("")
        self.save_button.setEnabled(False)

        def failed(message: str) -> None:
            self.save_button.setEnabled(True)
            self.error.setText(_sentence(message))

        self.actions.run(ops.update_customer(self.params()), done=lambda _r: self.accept(),
                         failed=failed, info="Customer saved")


class MergeDialog(QDialog):
    """Fold another customer into this one: pick it, see the result, then merge."""

    def __init__(self, store: ReadStore, actions: Any, keep: str, other: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
        self.keep = keep
        self.other = ""
        kept = store.customer(keep) or {}
        self.setWindowTitle("Merge customers")
        self.resize(620, 520)
        lay = QVBoxLayout(self)
        intro = QLabel(f"Keep <b>{str(kept.get('name') or '')[:80]}</b> and fold another "
                       "card for the same person into it. Nothing is deleted: the other card "
                       "is marked as merged, and its orders, messages and calls follow.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.search = SearchField("Find the other card: name, phone, email…")
        lay.addWidget(self.search)
        self.candidates = QListWidget()
        self.candidates.setFixedHeight(140)
        lay.addWidget(self.candidates)
        self.preview_label = QLabel("Pick the other card to see what the merge makes.")
        self.preview_label.setWordWrap(True)
        self.preview_label.setTextFormat(Qt.TextFormat.RichText)
        self.preview_label.setObjectName("Muted")
        lay.addWidget(self.preview_label, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.merge_button = QPushButton("Merge")
        self.merge_button.setObjectName("Primary")
        self.merge_button.setEnabled(False)
        self.merge_button.clicked.connect(self.merge)
        buttons.addWidget(cancel)
        buttons.addWidget(self.merge_button)
        lay.addLayout(buttons)
        self.search.textChanged.connect(self._find)
        self.candidates.currentItemChanged.connect(self._picked)
        self._find("")
        if other:
            self.choose(other)

    def _find(self, text: str) -> None:
        self.candidates.blockSignals(True)
        self.candidates.clear()
        dupes = {c["id"] for g in self.store.customer_duplicates(self.keep)
                 for c in g["customers"]}
        rows = self.store.customers(text.strip(), limit=50) if text.strip() else \
            [r for r in (self.store.customer(c) for c in dupes if c != self.keep) if r]
        for row in rows:
            if row["id"] == self.keep:
                continue
            contact = ", ".join((row.get("phones") or []) + (row.get("emails") or []))
            mark = "  ⚠ same contact" if row["id"] in dupes else ""
            item = QListWidgetItem(f"{str(row['name'])[:70]}  ·  {contact}{mark}")
            item.setData(Qt.ItemDataRole.UserRole, row["id"])
            self.candidates.addItem(item)
        self.candidates.blockSignals(False)

    def _picked(self, item: QListWidgetItem | None, _prev: Any = None) -> None:
        if item is not None:
            self.choose(str(item.data(Qt.ItemDataRole.UserRole)))

    def choose(self, other: str) -> None:
        """Ask the engine what merging ``other`` into the kept card would make."""
        self.other = other
        self.merge_button.setEnabled(False)
        self.preview_label.setText("Working out the merge…")
        self.actions.run(ops.merge_customers(self.keep, other, preview=True),
                         done=self._previewed,
                         failed=lambda m: self.preview_label.setText(_sentence(m)))

    def _previewed(self, preview: Any) -> None:
        import html

        e = html.escape
        result = preview["result"]
        moves = preview["moves"]
        self.preview_label.setText(
            f"<b>After the merge</b><br>{e(str(result.get('name'))[:120])}<br>"
            f"Phones: {e(', '.join(result.get('phones') or []) or '–')}<br>"
            f"Emails: {e(', '.join(result.get('emails') or []) or '–')}<br>"
            f"Addresses: {e(' / '.join(result.get('addresses') or []) or '–')}<br>"
            f"Moving over from {e(str(preview['merge'].get('name'))[:80])}: "
            f"{moves['orders']} orders, {moves['messages']} messages, {moves['calls']} calls "
            f"(the kept card has {preview['kept_orders']} orders).")
        self.preview_label.setObjectName("")
        self.merge_button.setEnabled(True)
        self.merge_button.setText(f"Merge into {str(preview['keep'].get('name'))[:30]}")

    def merge(self) -> None:
        if not self.other:
            return
        self.merge_button.setEnabled(False)
        self.actions.run(ops.merge_customers(self.keep, self.other),
                         done=lambda _r: self.accept(), info="Customers merged",
                         failed=lambda m: self.preview_label.setText(_sentence(m)))
