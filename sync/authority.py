"""Who may write what: every change a till receives is checked against its author.

Before issue 15 every member was trusted with everything: any member could re-add a
removed till, remove others, write under another till's actor id, or list unlimited
documents; and whatever reached a till through a relay was merged. Now:

**Actor ids are bound to identities.** A till's Automerge actor id is
``actor_prefix(till id)`` (8 bytes of a hash of its till id) followed by 8 random bytes
per engine start (``session_actor``), so any till can tell whose a change claims to be,
while a till whose disk was rolled back still never reuses an (actor, seq).

**Changes are sealed.** The Python binding cannot put a signature inside a change (no
commit message, no extra bytes), so right after each transaction the writer adds a
*seal change*: one op, its own touch-hint entry ``_touch[actor]``, holding
``hash(change) || sig`` where ``sig`` is its key's signature over
``seal_payload(doc_id, hash)`` (``documents.LedgerDocuments.write``). Automerge hashes
chain every change to its dependencies, so a seal on a change vouches for it and its
whole causal history. A receiver accepts a change by a member only if a seal of *that*
member in the same batch covers it (``judge``); the seal change itself must be exactly
that one op, so a copied seal cannot carry other content.

**Vouching.** A change whose author is no current member (a removed till, or an actor
from before actor ids were bound) is accepted only if a current member vouches for it:
by a seal of its own whose history holds it (it had accepted the change and wrote on
top of it), or by its ``authority.vouched`` record in the shop document (document id ->
heads), written when a till first runs this version (its legacy history) and by a
manager when it removes a till (what the removed till wrote until then). Such a change
is judged with the voucher's rights. So a removed till's new changes are refused for
good, while orders it took before its removal and that the shop already had stay.

**Rules of the shop document** (checked when a batch changes the member list, the
period listing or the vouch records): only a manager till changes membership and roles
(a plain till may rename itself and record a certificate that proves itself); a till
lists only its own period documents, at most ``PERIODS_PER_TILL_MONTH`` per month; a
till writes only its own vouch record.

**What a refusal does.** The replicator rolls the document back to the heads of the
accepted changes (``replication``), keeps the refused change bytes in ``quarantine/``,
and the engine raises an alert (``refused_changes``) naming the author and the reason.
A change from an author the member list does not know *yet* (its till joined in a batch
not merged yet) is not quarantined: it is deferred, and comes again on the next sync.

Limits, said plainly: a till that had not yet heard of a removal may accept the removed
till's change, and while no member writes on top of it the others refuse it, so that
document differs between tills until then (reported, never silent). A member can
forge changes under a *removed* till's actor and vouch for them; they then count as its
own, with its rights, which is all it had anyway.
"""

from __future__ import annotations

import base64
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from automerge.core import Document, ObjType

from sync.am_doc import AtHeads, Reader, Root, written_by
from sync.am_touch import TOUCH_KEY
from sync.identity import verify_raw
from sync.ids import DocId
from sync.ledger.tills import MANAGER, cert_of, effective_roles
from sync.seals import ACTOR_PREFIX_BYTES, SEAL_TAG, actor_prefix, seal_payload

log = logging.getLogger("countertop.sync.authority")

PERIODS_PER_TILL_MONTH = 2
AUTHORITY_KEY = "authority"
VOUCHED_KEY = "vouched"


@dataclass(frozen=True)
class Refusal:
    """One change a till will not take, and why (``permanent``: quarantine and alert;
    otherwise deferred until the member list knows its author)."""

    change: Any
    author: str | None
    reason: str
    permanent: bool = True

    @property
    def hash(self) -> bytes:
        return bytes(self.change.hash)


@dataclass
class Roster:
    """The member list as one check sees it."""

    tills: Mapping[str, Any]
    prefixes: dict[bytes, str] = field(init=False)
    certs: dict[str, bytes] = field(init=False)
    roles: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.prefixes = {actor_prefix(t): t for t in self.tills}
        self.certs = {}
        for t, info in self.tills.items():
            cert = cert_of(info, t) if isinstance(info, Mapping) else None
            if cert is not None:
                self.certs[t] = cert
        self.roles = effective_roles(self.tills)

    @property
    def members(self) -> set[str]:
        return set(self.roles)

    def till_of(self, actor: bytes) -> str | None:
        return self.prefixes.get(bytes(actor[:ACTOR_PREFIX_BYTES]))


def read_at(doc: Document, heads: list[bytes], key: str) -> Any:
    return Reader(AtHeads(doc, heads)).value(Root, key, {}) or {}


def _keys_at(doc: Document, heads: list[bytes], key: str) -> set[str]:
    got = doc.get(Root, key, heads)
    if got is None or got[0] != ObjType.Map:
        return set()
    return set(doc.keys(bytes(got[1]), heads))


def _ancestors(start: Iterable[bytes], batch: Mapping[bytes, Any]) -> set[bytes]:
    """``start`` and everything the batch holds in their causal history."""
    out: set[bytes] = set()
    todo = [h for h in start if h in batch]
    while todo:
        h = todo.pop()
        if h in out:
            continue
        out.add(h)
        todo.extend(d for d in batch[h].deps if d in batch and d not in out)
    return out


ShopView = Callable[[], "tuple[DocId, Document] | None"]


class Authority:
    """Judges batches of received changes (``judge``), for the replicator."""

    def __init__(self, shop: ShopView) -> None:
        self._shop = shop

    def judge(self, doc_id: DocId, doc: Document, before: list[bytes],
              changes: list[Any]) -> list[Refusal]:
        """The changes of this batch (new since ``before``) the till must not take."""
        if not changes:
            return []
        shop = self._shop()
        if shop is None:  # joining: nothing to judge by yet (the sponsor was approved)
            return []
        is_shop = shop[0] == doc_id
        shop_doc = doc if is_shop else shop[1]
        state = (before or doc.get_heads()) if is_shop else shop_doc.get_heads()
        roster = Roster(read_at(shop_doc, state, "tills"))
        vouched = self._vouched(shop_doc, state, roster, doc_id)
        by_hash = {bytes(c.hash): c for c in changes}
        refused: dict[bytes, Refusal] = {}
        if is_shop and before:
            self._shop_rules(doc, before, changes, roster, refused)
            if not refused:  # members this batch adds may write in it too
                roster = Roster(read_at(doc, doc.get_heads(), "tills"))
        covered = self._sealed(doc_id, doc, changes, by_hash, roster)
        for till, heads in vouched.items():
            covered[till] |= _ancestors(heads, by_hash)
        for change in changes:
            h = bytes(change.hash)
            if h not in refused:
                why = self._authorship(change, roster, covered)
                if why is not None:
                    refused[h] = why
        for change in changes:  # get_changes lists them in causal order
            h = bytes(change.hash)
            if h in refused:
                continue
            bad = [refused[bytes(d)] for d in change.deps if bytes(d) in refused]
            if bad:
                refused[h] = Refusal(change, roster.till_of(bytes(change.actor_id)),
                                     "builds on a refused change",
                                     permanent=any(b.permanent for b in bad))
        return [refused[bytes(c.hash)] for c in changes if bytes(c.hash) in refused]

    # -- authorship ------------------------------------------------------------------

    def _sealed(self, doc_id: DocId, doc: Document, changes: list[Any],
                by_hash: Mapping[bytes, Any], roster: Roster) -> defaultdict[str, set[bytes]]:
        """till -> hashes of this batch its valid seals cover."""
        covered: defaultdict[str, set[bytes]] = defaultdict(set)
        by_actor: defaultdict[bytes, list[Any]] = defaultdict(list)
        for change in changes:
            by_actor[bytes(change.actor_id)].append(change)
        for actor, own in by_actor.items():
            till = roster.till_of(actor)
            cert = roster.certs.get(till) if till is not None else None
            if till is None or cert is None:
                continue
            for change in sorted(own, key=lambda c: int(c.seq), reverse=True):
                sealed = _seal_of(doc_id, doc, change, actor, cert)
                if sealed is not None:
                    covered[till] |= _ancestors([sealed], by_hash) | {bytes(change.hash)}
                    break
        return covered

    @staticmethod
    def _authorship(change: Any, roster: Roster,
                    covered: Mapping[str, set[bytes]]) -> Refusal | None:
        h = bytes(change.hash)
        till = roster.till_of(bytes(change.actor_id))
        if till is not None and till in roster.members:
            if h in covered.get(till, ()):
                return None
            return Refusal(change, till, "not sealed by the till it names (forged, or "
                           "from a Countertop without sealing)")
        if any(h in covered.get(t, ()) for t in roster.members):
            return None  # vouched for by a current member
        if till is not None:
            return Refusal(change, till, "written by a till removed from the shop")
        return Refusal(change, None, "written by no member this till knows", permanent=False)

    @staticmethod
    def _vouched(shop_doc: Document, heads: list[bytes], roster: Roster,
                 doc_id: DocId) -> dict[str, list[bytes]]:
        """Current member -> heads of ``doc_id`` it vouches for (``authority.vouched``)."""
        record = read_at(shop_doc, heads, AUTHORITY_KEY).get(VOUCHED_KEY) or {}
        out: dict[str, list[bytes]] = {}
        for till, text in record.items():
            if till not in roster.members:
                continue
            try:
                listed = json.loads(str(text)).get(doc_id) or []
                out[till] = [bytes.fromhex(str(h)) for h in listed]
            except (ValueError, AttributeError, TypeError):
                continue
        return out

    # -- the shop document's rules ---------------------------------------------------

    def _shop_rules(self, doc: Document, before: list[bytes], changes: list[Any],
                    roster: Roster, refused: dict[bytes, Refusal]) -> None:
        after = doc.get_heads()
        watched = ("tills", "periods", AUTHORITY_KEY)
        if all(read_at(doc, before, k) == read_at(doc, after, k) for k in ("tills",)) and \
                _keys_at(doc, before, "periods") == _keys_at(doc, after, "periods") and \
                read_at(doc, before, AUTHORITY_KEY) == read_at(doc, after, AUTHORITY_KEY):
            return
        for change in changes:
            author = roster.till_of(bytes(change.actor_id))
            deps, mine = [bytes(d) for d in change.deps], [bytes(change.hash)]
            old = {k: read_at(doc, deps, k) for k in watched}
            new = {k: read_at(doc, mine, k) for k in watched}
            why = (_membership_rule(author, roster, old["tills"], new["tills"])
                   or _periods_rule(author, old["periods"], new["periods"])
                   or _vouch_rule(author, old[AUTHORITY_KEY], new[AUTHORITY_KEY]))
            if why:
                refused[bytes(change.hash)] = Refusal(change, author, why)


def _seal_of(doc_id: DocId, doc: Document, change: Any, actor: bytes,
             cert: bytes) -> bytes | None:
    """The hash ``change`` seals, if it is a one-op seal change signed by ``cert``."""
    if int(change.max_op) != int(change.start_op):
        return None
    heads = [bytes(change.hash)]
    touch = doc.get(Root, TOUCH_KEY, heads)
    if touch is None or touch[0] != ObjType.Map:
        return None
    got = doc.get(bytes(touch[1]), actor.hex(), heads)
    if got is None or isinstance(got[0], ObjType) or not written_by(
            bytes(got[1]), actor, int(change.start_op)):
        return None
    try:
        seq, _records, tag, sealed = json.loads(str(got[0][1]))
        raw = base64.b64decode(str(sealed), validate=True)
    except (TypeError, ValueError):
        return None
    if tag != SEAL_TAG or seq != change.seq or len(raw) != 96:
        return None
    if not verify_raw(cert, seal_payload(doc_id, raw[:32]), raw[32:]):
        return None
    return raw[:32]


def _membership_rule(author: str | None, roster: Roster, old: Mapping[str, Any],
                     new: Mapping[str, Any]) -> str:
    if old == new or (author is not None and roster.roles.get(author) == MANAGER):
        return ""
    for till in set(old) | set(new):
        before, after = old.get(till), new.get(till)
        if before == after:
            continue
        if not isinstance(before, Mapping) or not isinstance(after, Mapping):
            return "changed the member list without being a manager till"
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        allowed = {"name"} if till == author else set()
        if not before.get("cert") and cert_of(after, till) is not None:
            allowed.add("cert")  # a certificate that proves itself
        if changed - allowed:
            return (f"changed {', '.join(sorted(changed - allowed))} of till {till[:12]} "
                    "without being a manager till")
    return ""


def _periods_rule(author: str | None, old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    added = set(new) - set(old)
    if not added:
        return ""
    for doc in added:
        meta = new.get(doc)
        if not isinstance(meta, Mapping) or meta.get("till") != author:
            return "listed a period document for another till"
        month = str(meta.get("month") or "")
        count = sum(1 for m in new.values() if isinstance(m, Mapping)
                    and m.get("till") == author and m.get("month") == month)
        if count > PERIODS_PER_TILL_MONTH:
            return (f"over the per-till document quota ({PERIODS_PER_TILL_MONTH} period "
                    f"documents a month)")
    return ""


def _vouch_rule(author: str | None, old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    before, after = old.get(VOUCHED_KEY) or {}, new.get(VOUCHED_KEY) or {}
    for till in set(before) | set(after):
        if before.get(till) != after.get(till) and till != author:
            return "wrote another till's vouch record"
    return ""
