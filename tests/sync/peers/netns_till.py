"""One till in its own process, for the network-namespace test (run via ``ip netns exec``).

Reads commands from stdin, one per line: ``create`` (make a document, print its URL),
``wait URL`` (print once the document arrived with ``hello == "netns"``), ``status``,
``quit``. Prints JSON lines. Discovery is bound to ``--ip`` only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from automerge.repo import InMemoryStorage, Repo

from sync.identity import load_or_create
from sync.peers.membership import JoinRequest, hash_shop_id
from sync.peers.peer_set import Backoff, PeerSet


class _Members:
    def __init__(self, members: set[str]) -> None:
        self.members = members

    def is_member(self, till_id: Any) -> bool:
        return till_id in self.members

    def shop_id_hash(self) -> str:
        return hash_shop_id("netns shop")

    def join_requested(self, request: JoinRequest) -> None:
        pass

    def admit(self, request: JoinRequest) -> str:
        return ""


# automerge's Repo print()s connection errors to stdout; keep stdout for our JSON lines.
_OUT = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
sys.stdout = sys.stderr


def _say(obj: dict[str, Any]) -> None:
    _OUT.write(json.dumps(obj) + "\n")
    _OUT.flush()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--identity", required=True)
    parser.add_argument("--ip", required=True)
    parser.add_argument("--members", required=True)
    args = parser.parse_args()
    identity = load_or_create(Path(args.identity))
    repo = await Repo.load(InMemoryStorage())
    await repo.start()
    peers = PeerSet(repo, identity, _Members(set(args.members.split(","))),
                    listen_host=args.ip, interfaces=[args.ip],
                    backoff=Backoff(initial=0.1, maximum=1.0))
    await peers.start()
    _say({"ready": True, "port": peers.port})
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while line := (await reader.readline()).decode().strip():
            cmd, _, arg = line.partition(" ")
            if cmd == "create":
                handle = await repo.create()
                with handle.change() as doc:
                    doc["hello"] = "netns"
                _say({"url": str(handle.url)})
            elif cmd == "wait":
                while True:
                    found = await repo.find(arg)
                    if found is not None and "hello" in list(found.doc().keys()):
                        _say({"synced": str(found.doc()["hello"])})
                        break
                    await asyncio.sleep(0.1)  # a helper process, not a test: poll is fine
            elif cmd == "status":
                _say({"status": peers.status()})
            elif cmd == "quit":
                break
    finally:
        await peers.stop()
        await repo.stop()


if __name__ == "__main__":
    asyncio.run(main())
