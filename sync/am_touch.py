"""Touch hints: which records an Automerge change wrote, stored in that same change.

A till that receives changes must update its read model. Automerge can tell it what
changed (``Document.diff``), but the Python binding has no incremental patches, so a diff
costs time in proportion to the whole month's document: profiling the A-to-B latency
(p99 123 ms, goal 50 ms) put half of it in ``Document.diff``. So the writer notes which
(top-level key, record key) pairs a transaction writes (``am_doc.Writer.touched``) and
stores them, in the same change, in the root ``_touch`` map under the writing actor,
stamped with the change's seq (``write_touch_hint``). A receiver reads, for each new
change, that actor's hint as of that change (``touched_since``); a hint is trusted only
if its seq equals the change's, so a change written by anything else (a JS peer, an
older version, a bulk import) falls back to a diff, which ``record_keys_from_patches``
reads back into the same record keys.

The hint is a write into an object made early in the document, which automerge
0.2.0.dev4 charges in proportion to everything stored after it: ~11 ms per command on a
month of 5k orders. The ledger therefore writes hints only in shops of several tills,
where the writer pays once and every receiver skips a diff (remote edit p50 55 -> 13.5
ms, p99 123 -> 57 ms in bench_sync).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from automerge.core import Document, ObjType, ScalarType

from sync.am_doc import Reader, Record, Root, Writer

__all__ = ["TOUCH_KEY", "Record", "next_local_seq", "record_keys_from_patches",
           "touched_since", "write_touch_hint"]

TOUCH_KEY = "_touch"


def next_local_seq(doc: Document) -> int:
    """The sequence number the next change of this document's actor will carry."""
    last = doc.get_last_local_change()
    return int(last.seq) + 1 if last is not None else 1


def write_touch_hint(w: Writer, actor: bytes, seq: int) -> None:
    """Store ``w.touched`` in this change, under this actor, stamped with the change's seq."""
    if not w.touched:
        return
    existing = Reader.obj(w, Root, TOUCH_KEY)
    hints = existing if existing is not None else bytes(
        w.tx.put_object(Root, TOUCH_KEY, ObjType.Map))
    entries = sorted(([t, r] for t, r in w.touched if t != TOUCH_KEY),
                     key=lambda e: (e[0], e[1] or ""))
    w.tx.put(hints, actor.hex(), ScalarType.Str,
             json.dumps([seq, entries], separators=(",", ":")))


def touched_since(doc: Document, old_heads: list[bytes]) -> set[Record] | None:
    """Records changed since ``old_heads``, from the hints each change carries.

    None when any new change has no trustworthy hint (written by another program, or by
    an older version): the caller then falls back to ``Document.diff``. A hint is trusted
    only if it was written by that very change (its seq matches the change's).
    """
    changes = doc.get_changes(old_heads)
    got = doc.get(Root, TOUCH_KEY)
    if got is None or got[0] != ObjType.Map:
        return None if changes else set()
    hints = bytes(got[1])
    out: set[Record] = set()
    for change in changes:
        value = doc.get(hints, bytes(change.actor_id).hex(), [change.hash])
        if value is None or isinstance(value[0], ObjType):
            return None
        try:  # a seal change's hint has two more items (``sync.seals.seal_hint``)
            seq, entries = json.loads(str(value[0][1]))[:2]
        except (TypeError, ValueError):
            return None
        if seq != change.seq:
            return None
        for top, rec in entries:
            out.add((str(top), None if rec is None else str(rec)))
    return out


_PATH = re.compile(r'Map\("((?:[^"\\]|\\.)*)"\)')
_KEY = re.compile(r'action: \w+ \{ key: "((?:[^"\\]|\\.)*)"')


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")


def record_keys_from_patches(patches: Iterable[Any]) -> set[tuple[str, str | None]]:
    """(top-level key, record key) touched by each patch of ``Document.diff``.

    The binding exposes patches only through ``repr``; our record keys are generated ids
    and SKUs, so reading them back from the debug text is reliable. ``None`` as record
    key means "the whole top-level entry" (e.g. a new map or a root scalar).
    """
    out: set[tuple[str, str | None]] = set()
    for patch in patches:
        text = repr(patch)
        head, _, action = text.partition("], action:")
        keys = [_unescape(k) for k in _PATH.findall(head)]
        m = _KEY.search("action:" + action)
        if m:
            keys.append(_unescape(m.group(1)))
        if not keys:
            out.add(("*", None))
        elif len(keys) == 1:
            out.add((keys[0], None))
        else:
            out.add((keys[0], keys[1]))
    return out
