"""What the peer set needs from the ``Repo`` it hands verified links to.

:class:`SyncRepo` is the interface (``connect``/``accept`` a transport). The peer set also
reads two things the interface does not promise: the Repo's own peer id, sent in hellos
so status can match peers to connections, and how many documents each link has in sync,
for ``countertop peers --json``. Both come from a Replicator's public fields or, for
samod, from the Repo's private fields, and fall back to "unknown" when neither is there.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger("countertop.sync.peers")


class SyncRepo(Protocol):
    """What the peer set hands verified links to: ``automerge.repo.Repo`` or anything
    else speaking the automerge-repo protocol over a samod ``Transport`` (the ledger's
    ``sync.replication.Replicator``). Both run until the link ends; exceptions end only
    that link.
    """

    async def connect(self, transport: Any) -> Any: ...

    async def accept(self, transport: Any) -> Any: ...


def _repo_peer_id(repo: SyncRepo) -> str:
    """The Repo's own peer id, sent in hellos so status can match peers to connections."""
    peer_id = getattr(repo, "peer_id", None)
    if isinstance(peer_id, str):
        return peer_id
    hub = getattr(repo, "_hub", None)
    try:
        return str(hub.peer_id()) if hub is not None else ""
    except (AttributeError, TypeError):  # private field of this automerge build; optional
        return ""


def _docs_in_sync(repo: SyncRepo) -> dict[int, tuple[int, int]]:
    """Per transport (by ``id()``): (documents whose heads the peer acknowledged, shared docs).

    For a Replicator-like engine, from its sessions (``in_sync`` / ``states``). For samod,
    from the Repo's private connection table: there is no public API for it in automerge
    0.2.0.dev4. Returns {} if neither layout is there.
    """
    sessions = getattr(repo, "sessions", None)
    if sessions is not None:
        try:
            return {id(s.transport): (len(s.in_sync), len(s.states)) for s in sessions}
        except AttributeError:
            return {}
    try:
        hub = repo._hub  # type: ignore[attr-defined]
        transports = repo._transports  # type: ignore[attr-defined]
        actors = repo._doc_actors  # type: ignore[attr-defined]
        actor_docs = repo._actor_to_doc  # type: ignore[attr-defined]
        heads_by_doc = {
            str(actor_docs[a]): sorted(actor.get_document().get_heads())
            for a, actor in actors.items() if a in actor_docs
        }
        result: dict[int, tuple[int, int]] = {}
        for conn in hub.connections():
            transport = transports.get(conn.id)
            if transport is None:
                continue
            docs = conn.docs()
            synced = sum(
                1 for doc_id, state in docs.items()
                if sorted(state.last_acked_heads or []) == heads_by_doc.get(str(doc_id))
            )
            result[id(transport)] = (synced, len(docs))
        return result
    except Exception:  # private layout changed: report unknown rather than fail status()
        log.debug("could not read sync state from the repo", exc_info=True)
        return {}


def _docs_synced(repo: SyncRepo) -> dict[int, int] | None:
    """Per transport (by ``id()``): documents the peer sent a sync message for (a
    transport missing here has no session yet); None when the repo does not say (samod)."""
    sessions = getattr(repo, "sessions", None)
    if sessions is None:
        return None
    try:
        return {id(s.transport): len(s.synced) for s in sessions}
    except AttributeError:
        return None
