"""With am_touch, doc_storage and replication, the only place that speaks the Automerge API.

Schema convention: every string is a scalar ``Str`` (reads in JS as ImmutableString);
timestamps are timezone-aware UTC ``Timestamp``; money is ``Int`` minor units;
quantities are decimal strings; stock levels are counters in thousandths.

Counters: automerge 0.2.0.dev4's Python binding panics when asked to put a
``ScalarType.Counter`` (``import_scalar``: "not yet implemented"), so a counter is a
set of per-till registers whose value is the sum. Each till writes only its own register
(one writer per till), so concurrent increments from different tills never conflict and
all count: the PN-counter CRDT, built on Automerge maps. A register must sit at a key
that only its till ever creates: two tills creating the same nested map concurrently
leave two maps of which a merge keeps one, dropping the other's counts. So stock lives
flat in a period document's ``stock`` map (created with the document), one entry per
(sku, location, till): ``stock["BREAD:main:<till>"] = {sku, location, till, on_hand,
reserved}`` (``stock_register_key``) for goods counted in or out; a level is their sum
over every till and document plus what orders hold, derived from the orders' merged
state (``sync.read_model.stock_projection.order_stock``), never counted per move.
Records are maps keyed by id, never list positions, and never deleted (DESIGN.md).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from automerge.core import ROOT, Document, ObjType, ScalarType

from sync.ids import DocId

Obj = bytes
Root: Obj = ROOT

Record = tuple[str, "str | None"]
"""(top-level key, record key) a change touched: ``("orders", "ord_1")``; record None for a
root value (see ``sync.am_touch``)."""


def new_doc_id() -> DocId:
    """A fresh document id valid for automerge-repo 1.x and 2.x: base58check of a
    random (version 4) UUID. 2.x takes any 16 bytes; 1.x (the published sync server,
    0.2.8, bundles 1.2.1) refuses ids whose bytes are not a UUID ("Invalid AutomergeUrl"),
    which ids before issue 15 were not: those are mapped for relays (``relay_doc_id``)."""
    return DocId(_base58(uuid.uuid4().bytes))


def relay_doc_id(doc_id: str) -> str:
    """The id a document has on a relay: its bytes with the UUID version (4) and variant
    bits set. The same for ids made by ``new_doc_id`` (already UUIDs); for older ids a
    different, equally stable id every till computes alike (a 122-bit space: two of a
    shop's documents never meet)."""
    from automerge._automerge import DocumentId  # type: ignore[attr-defined]

    raw = bytearray(DocumentId.from_string(doc_id).to_bytes())
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return _base58(bytes(raw))


def _base58(raw: bytes) -> str:
    from automerge._automerge import DocumentId  # type: ignore[attr-defined]

    return str(DocumentId.from_bytes(raw).to_string())


def is_doc_id(text: str) -> bool:
    from automerge._automerge import DocumentId  # type: ignore[attr-defined]

    try:
        DocumentId.from_string(text)
    except (ValueError, TypeError):
        return False
    return True


def stock_register_key(sku: str, location: str, till: str) -> str:
    """Key of one till's stock register; SKUs never contain ``:`` (the ledger refuses it)."""
    return f"{sku}:{location}:{till}"


def stock_register_sku(key: str) -> str:
    """The SKU part of a ``stock_register_key``."""
    return key.split(":", 1)[0]


def _scalar(value: Any) -> tuple[ScalarType, Any]:
    if value is None:
        return ScalarType.Null, None
    if isinstance(value, bool):
        return ScalarType.Boolean, value
    if isinstance(value, int):
        return ScalarType.Int, value
    if isinstance(value, float):
        return ScalarType.F64, value
    if isinstance(value, str):
        return ScalarType.Str, value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return ScalarType.Timestamp, value
    if isinstance(value, bytes):
        return ScalarType.Bytes, value
    raise TypeError(f"cannot store {type(value).__name__} in the shop document")


class Reader:
    """Typed reads from a document or an open transaction (same read API)."""

    def __init__(self, source: Any) -> None:
        self._src = source

    def obj(self, parent: Obj, key: str | int) -> Obj | None:
        got = self._src.get(parent, key)
        if got is None or not isinstance(got[0], ObjType):
            return None
        return bytes(got[1])

    def path(self, *keys: str) -> Obj | None:
        obj: Obj | None = Root
        for key in keys:
            if obj is None:
                return None
            obj = self.obj(obj, key)
        return obj

    def value(self, parent: Obj, key: str | int, default: Any = None) -> Any:
        got = self._src.get(parent, key)
        if got is None:
            return default
        kind = got[0]
        if isinstance(kind, ObjType):
            return self.to_py(bytes(got[1]))
        return kind[1]

    def keys(self, obj: Obj) -> list[str]:
        return list(self._src.keys(obj))

    def length(self, obj: Obj) -> int:
        return int(self._src.length(obj))

    def items(self, obj: Obj) -> Iterator[tuple[str, Obj]]:
        """(key, child object) for every map entry that is an object."""
        for key in self._src.keys(obj):
            child = self.obj(obj, key)
            if child is not None:
                yield key, child

    def to_py(self, obj: Obj) -> Any:
        kind = self._src.object_type(obj)
        if kind == ObjType.Map:
            out: dict[str, Any] = {}
            for key in self._src.keys(obj):
                out[key] = self.value(obj, key)
            return out
        if kind == ObjType.List:
            return [self.value(obj, i) for i in range(self._src.length(obj))]
        return self._src.text(obj)


class AtHeads:
    """A document as it was at ``heads``, readable through :class:`Reader`
    (``Reader(AtHeads(doc, change.deps))``: the state a change was written on)."""

    def __init__(self, doc: Document, heads: list[bytes]) -> None:
        self._doc = doc
        self._heads = list(heads)

    def get(self, obj: Obj, key: str | int) -> Any:
        return self._doc.get(obj, key, self._heads)

    def keys(self, obj: Obj) -> list[str]:
        return list(self._doc.keys(obj, self._heads))

    def length(self, obj: Obj) -> int:
        return int(self._doc.length(obj, self._heads))

    def text(self, obj: Obj) -> str:
        return str(self._doc.text(obj, self._heads))

    def object_type(self, obj: Obj) -> ObjType:
        return self._doc.object_type(obj)


def written_by(value_id: bytes, actor: bytes, counter: int) -> bool:
    """True when ``value_id`` (the id ``Document.get`` returns beside a value, in
    automerge 0.2.0.dev4: ``0x10, len(actor), actor, actor index, counter`` as LEB128)
    names the op ``counter@actor``: which change wrote a value."""
    head = b"\x10" + _uleb(len(actor)) + actor
    if not value_id.startswith(head):
        return False
    rest = value_id[len(head):]
    try:
        _index, pos = _read_uleb(rest, 0)
        found, pos = _read_uleb(rest, pos)
    except IndexError:
        return False
    return found == counter and pos == len(rest)


def _read_uleb(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


_UNKNOWN: Record = ("*", None)


class Writer(Reader):
    """Writes inside one Automerge transaction, noting which records it touches.

    ``touched`` lets the ledger store, in the same change, which records it changed
    (``am_touch.write_touch_hint``), so a till receiving the change can update its read
    model without ``Document.diff``, which costs time in proportion to the whole document.
    """

    def __init__(self, tx: Any) -> None:
        super().__init__(tx)
        self.tx = tx
        self.touched: set[Record] = set()
        self._where: dict[bytes, Record] = {}

    def _note_child(self, parent: Obj, key: str | int, child: Obj) -> None:
        if parent == Root:
            self._where[child] = (str(key), None)
            return
        anc = self._where.get(parent)
        if anc is None:
            return
        self._where[child] = (anc[0], str(key)) if anc[1] is None else anc

    def _note_write(self, obj: Obj, key: str | int) -> None:
        if obj == Root:
            self.touched.add((str(key), None))
            return
        anc = self._where.get(obj)
        if anc is None:
            self.touched.add(_UNKNOWN)
        elif anc[1] is None:
            self.touched.add((anc[0], str(key)))
        else:
            self.touched.add(anc)

    def obj(self, parent: Obj, key: str | int) -> Obj | None:
        child = super().obj(parent, key)
        if child is not None:
            self._note_child(parent, key, child)
        return child

    def put(self, obj: Obj, key: str | int, value: Any) -> None:
        if isinstance(value, Mapping):
            self.put_map(obj, key, value)
        elif isinstance(value, (list, tuple)):
            self._note_write(obj, key)
            child = bytes(self.tx.put_object(obj, key, ObjType.List))
            self._note_child(obj, key, child)
            for i, item in enumerate(value):
                self.insert(child, i, item)
        else:
            self._note_write(obj, key)
            kind, scalar = _scalar(value)
            self.tx.put(obj, key, kind, scalar)

    def put_if_changed(self, obj: Obj, key: str, value: Any) -> bool:
        if self.value(obj, key, _MISSING) == value and not isinstance(value, (Mapping, list)):
            return False
        self.put(obj, key, value)
        return True

    def put_map(self, obj: Obj, key: str | int, values: Mapping[str, Any]) -> Obj:
        self._note_write(obj, key)
        child = bytes(self.tx.put_object(obj, key, ObjType.Map))
        self._note_child(obj, key, child)
        tx_put = self.tx.put
        for k, v in values.items():
            if isinstance(v, (Mapping, list, tuple)):
                self.put(child, k, v)
            else:  # the new map's record is noted above: no note per field (bulk imports)
                kind, scalar = _scalar(v)
                tx_put(child, k, kind, scalar)
        return child

    def ensure_map(self, obj: Obj, key: str) -> Obj:
        existing = self.obj(obj, key)
        if existing is not None:
            return existing
        self._note_write(obj, key)
        child = bytes(self.tx.put_object(obj, key, ObjType.Map))
        self._note_child(obj, key, child)
        return child

    def insert(self, list_obj: Obj, index: int, value: Any) -> None:
        self._note_write(list_obj, index)
        if isinstance(value, Mapping):
            child = bytes(self.tx.insert_object(list_obj, index, ObjType.Map))
            self._note_child(list_obj, index, child)
            for k, v in value.items():
                self.put(child, k, v)
        else:
            kind, scalar = _scalar(value)
            self.tx.insert(list_obj, index, kind, scalar)

    def append(self, list_obj: Obj, value: Any) -> None:
        self.insert(list_obj, self.length(list_obj), value)

    def delete_at(self, list_obj: Obj, index: int) -> None:
        """Take one element out of a list (a contact, never a record: DESIGN.md)."""
        self._note_write(list_obj, index)
        self.tx.delete(list_obj, index)


_MISSING = object()


def transaction(doc: Document) -> Any:
    """Context manager: an Automerge transaction on ``doc`` (commits on clean exit)."""
    return doc.transaction()
