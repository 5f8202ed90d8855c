"""Actor ids bound to tills, and seals: what ``sync.authority`` checks, made where a till writes.

Kept apart from the checks so the ledger's write path (``documents.LedgerDocuments``)
and the document store can use them without importing the rules. See
``sync.authority`` for the model.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os

ACTOR_PREFIX_BYTES = 8
SEAL_TAG = "seal"
_SEAL_DOMAIN = b"countertop-seal-v1\x00"


def actor_prefix(till_id: str) -> bytes:
    """The first bytes of every actor id a till writes with."""
    return hashlib.sha256(b"countertop-actor\x00" + till_id.encode()).digest()[
        :ACTOR_PREFIX_BYTES]


def session_actor(till_id: str) -> bytes:
    """An actor id for one engine run: bound to the till, fresh per run, so a till whose
    disk was rolled back never writes an (actor, seq) it wrote before."""
    return actor_prefix(till_id) + os.urandom(8)


def seal_payload(doc_id: str, change_hash: bytes) -> bytes:
    """What a seal's signature covers: the document and the change's hash."""
    return _SEAL_DOMAIN + doc_id.encode() + b"\x00" + change_hash


def seal_hint(seq: int, change_hash: bytes, signature: bytes) -> str:
    """The touch-hint value of a seal change (``am_touch`` reads ``[seq, records]``)."""
    return json.dumps([seq, [], SEAL_TAG, base64.b64encode(change_hash + signature).decode()],
                      separators=(",", ":"))
