"""Reassembly of concatenated SMS into whole messages, and their stable dedupe keys.

Parts arrive in any order, sometimes twice (a SIM sweep re-reads what a
``+CMTI`` already fetched; a network retransmits), sometimes never. A message
whose parts do not all arrive is released after ``timeout`` seconds with each
gap marked in the text and listed in ``InboundMessage.missing_parts``: a
customer's half order is still an order, so nothing is dropped.

The dedupe key is derived only from message content, so the same SIM copies
read again after a crash or reset give the same key and the ledger stores the
message once.

What one sender may hold is bounded (issue 15, point 6): at most
``max_groups_per_sender`` unfinished messages and ``max_parts_per_sender`` parts; past
either, that sender's oldest unfinished message is released with its gaps marked. The
part limit still fits the longest message the format allows (255 parts).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from devices.events import Channel, InboundMessage
from devices.gsm.sms_pdu import SmsDeliver, clean_text

log = logging.getLogger("countertop.devices.modem.multipart")

DEFAULT_TIMEOUT = 600.0  # parts of one message can be minutes apart on a busy network
MAX_GROUPS_PER_SENDER = 8
MAX_PARTS_PER_SENDER = 300


@dataclass(frozen=True)
class AssembledMessage:
    """A message ready for the sink, plus the SIM indexes to delete once it is stored."""

    message: InboundMessage
    storage_indexes: tuple[int, ...]
    #: keys of the parts kept in the driver's ``PartStore`` (removed once stored)
    part_keys: tuple[str, ...] = ()


@dataclass
class _Group:
    sender: str
    reference: int
    total: int
    reference_bits: int
    first_seen: float
    parts: dict[int, SmsDeliver] = field(default_factory=dict)
    indexes: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


def _part_body(pdu: SmsDeliver) -> str:
    if pdu.text is not None:
        return pdu.text
    return f"[binary data: {pdu.user_data.data.hex()}]"


def missing_marker(sequence: int, total: int, last: int | None = None) -> str:
    """The text put where a part (or a run of parts ``sequence..last``) never arrived."""
    if last is None or last == sequence:
        return f"[part {sequence} of {total} missing]"
    return f"[parts {sequence}-{last} of {total} missing]"


def dedupe_key(sender: str, reference: int | None, total: int, parts: list[SmsDeliver]) -> str:
    """Stable key from content: sender, concatenation reference and count, and for each
    present part its sequence, SMSC time stamp and a hash of its user data."""
    h = hashlib.sha256()
    h.update(f"{sender}\x1f{'' if reference is None else reference}\x1f{total}".encode())
    for index, pdu in enumerate(parts, start=1):
        concat = pdu.concatenation
        sequence = concat.sequence if concat and total > 1 else index
        body_hash = hashlib.sha256(pdu.user_data.data).hexdigest()
        h.update(f"\x1e{sequence}\x1f{pdu.scts_raw}\x1f{body_hash}".encode())
    return "sms:" + h.hexdigest()[:40]


class Reassembler:
    """Collects parts of concatenated messages keyed by (sender, reference, total)."""

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_groups_per_sender: int = MAX_GROUPS_PER_SENDER,
        max_parts_per_sender: int = MAX_PARTS_PER_SENDER,
    ) -> None:
        self._timeout = timeout
        self._max_groups = max_groups_per_sender
        self._max_parts = max_parts_per_sender
        self._clock = clock
        self._wall_clock = wall_clock
        self._groups: dict[tuple[str, int, int], _Group] = {}
        self._held_indexes: set[int] = set()

    # ---------------------------------------------------------------- queries

    def holds(self, storage_index: int) -> bool:
        """True when a pending part came from this SIM index (no need to read it again)."""
        return storage_index in self._held_indexes

    @property
    def pending(self) -> int:
        """Number of incomplete messages waiting for parts."""
        return len(self._groups)

    def next_deadline(self) -> float | None:
        """Clock time at which the oldest incomplete message will be released."""
        if not self._groups:
            return None
        return min(g.first_seen for g in self._groups.values()) + self._timeout

    # ---------------------------------------------------------------- updates

    def add(self, pdu: SmsDeliver, storage_index: int | None = None,
            part_key: str | None = None) -> list[AssembledMessage]:
        """Take one received PDU (from a SIM index, or kept under ``part_key`` in a
        ``PartStore``); return the messages it completes or the bounds release."""
        concat = pdu.concatenation
        if concat is None or concat.total <= 1:
            indexes = () if storage_index is None else (storage_index,)
            keys = () if part_key is None else (part_key,)
            return [self._assemble(pdu.sender.number, None, 1, {1: pdu}, indexes, keys)]
        key = (pdu.sender.number, concat.reference, concat.total)
        group = self._groups.get(key)
        released: list[AssembledMessage] = []
        existing = group.parts.get(concat.sequence) if group else None
        if group is not None and existing is not None and existing.user_data != pdu.user_data:
            # The same slot with different content: the reference was reused by the sender's
            # phone while an older message still waits. Release the old one with its gaps.
            log.warning("concatenation reference %s from %s reused; releasing the older message",
                        concat.reference, pdu.sender.number)
            released.append(self._release(key))
            group = None
        if group is None:
            group = _Group(pdu.sender.number, concat.reference, concat.total,
                           concat.reference_bits, self._clock())
            self._groups[key] = group
        if storage_index is not None and storage_index not in group.indexes:
            group.indexes.append(storage_index)
            self._held_indexes.add(storage_index)
        if part_key is not None and part_key not in group.keys:
            group.keys.append(part_key)
        if concat.sequence in group.parts:
            log.info("duplicate part %d/%d of ref %d from %s", concat.sequence, concat.total,
                     concat.reference, pdu.sender.number)
        else:
            group.parts[concat.sequence] = pdu
        if len(group.parts) == group.total:
            released.append(self._release(key))
        released.extend(self._bound(pdu.sender.number))
        return released

    def _bound(self, sender: str) -> list[AssembledMessage]:
        """Release the sender's oldest unfinished messages while it holds too much."""
        out: list[AssembledMessage] = []
        while True:
            mine = sorted((g.first_seen, k) for k, g in self._groups.items() if g.sender == sender)
            parts = sum(len(self._groups[k].parts) for _, k in mine)
            if len(mine) <= self._max_groups and parts <= self._max_parts:
                return out
            log.warning("%s holds %d unfinished messages (%d parts); releasing the oldest "
                        "with its gaps marked", sender, len(mine), parts)
            out.append(self._release(mine[0][1]))

    def expire(self) -> list[AssembledMessage]:
        """Release messages whose parts have waited ``timeout`` seconds, gaps marked."""
        now = self._clock()
        due = [k for k, g in self._groups.items() if now - g.first_seen >= self._timeout]
        return [self._release(k) for k in due]

    def release_all(self) -> list[AssembledMessage]:
        """Release every incomplete message now (e.g. at shutdown, if the caller wants that)."""
        return [self._release(k) for k in list(self._groups)]

    def clear(self) -> None:
        """Forget pending parts: after a reconnect they are read from the SIM again."""
        self._groups.clear()
        self._held_indexes.clear()

    # ---------------------------------------------------------------- internals

    def _release(self, key: tuple[str, int, int]) -> AssembledMessage:
        group = self._groups.pop(key)
        self._held_indexes.difference_update(group.indexes)
        return self._assemble(group.sender, group.reference, group.total, group.parts,
                              tuple(group.indexes), tuple(group.keys))

    def _assemble(self, sender: str, reference: int | None, total: int,
                  parts: dict[int, SmsDeliver], indexes: tuple[int, ...],
                  keys: tuple[str, ...] = ()) -> AssembledMessage:
        ordered = [parts[s] for s in sorted(parts)]
        pieces: list[str] = []
        missing: list[int] = []
        run_start: int | None = None
        for sequence in range(1, total + 2):
            pdu = parts.get(sequence)
            if pdu is None and sequence <= total:
                missing.append(sequence)
                run_start = sequence if run_start is None else run_start
                continue
            if run_start is not None:  # one marker per run of missing parts
                pieces.append(missing_marker(run_start, total, sequence - 1))
                run_start = None
            if pdu is not None:
                pieces.append(_part_body(pdu))
        first = ordered[0]
        stamps = [p.scts for p in ordered if p.scts is not None]
        received_at = min(stamps) if stamps else self._wall_clock()
        meta = {
            "coding": first.coding.alphabet.value,
            "parts": str(total),
            "scts": first.scts_raw,
        }
        if first.smsc is not None:
            meta["smsc"] = first.smsc.number
        if reference is not None:
            meta["concat_reference"] = str(reference)
        if first.coding.message_class is not None:
            meta["message_class"] = str(first.coding.message_class)
        if missing:
            log.warning("releasing SMS from %s with %d of %d parts missing", sender, len(missing),
                        total)
        message = InboundMessage(
            channel=Channel.SMS,
            sender=sender,
            body=clean_text("".join(pieces)),
            received_at=received_at,
            dedupe_key=dedupe_key(sender, reference, total, ordered),
            raw="\n".join(p.raw for p in ordered),
            missing_parts=tuple(missing),
            meta=meta,
        )
        return AssembledMessage(message, indexes, keys)
