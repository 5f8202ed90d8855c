"""Pairing: a code shown on the new till, typed on the shop's till, SPAKE2 over TLS.

Real PeerSets on 127.0.0.1, real TLS, real SPAKE2. The attacks are those of the review
(issue 15, point 1): a man in the middle at a spoofed address, grinding certificates.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from pathlib import Path

import pytest

from sync.identity import TillIdentity, load_or_create
from sync.peers.pairing import (
    PairingCodeMismatch,
    UnknownPairingCode,
    new_pairing_code,
    request_join,
)
from sync.peers.tls_link import (
    PeerRejected,
    accept_tls,
    dial,
    new_challenge,
    read_client_hello,
    send_challenge,
    server_ssl_context,
)
from tests.helpers.waiting import wait_until_async
from tests.sync.peers.conftest import (
    FAST_LIMITS,
    ChangeBus,
    ShopMembers,
    doc_value,
    run,
    running_peer_set,
    running_repo,
)

CODE = "314 159"


def test_codes_are_random_six_digits() -> None:
    codes = {new_pairing_code() for _ in range(200)}
    assert len(codes) > 190
    assert all(len(c.replace(" ", "")) == 6 and c.replace(" ", "").isdigit() for c in codes)


def test_join_approved_with_the_code_shown_then_new_till_syncs_the_shop_document(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    sponsor, newcomer = make_identity("sponsor"), make_identity("new")

    async def scenario() -> None:
        bus = ChangeBus()
        async with running_repo(bus) as (repo_s, _), running_repo(bus) as (repo_n, store_n):
            shop_doc = await repo_s.create()
            with shop_doc.change() as doc:
                doc["shop_name"] = "Corner Pizza"
            members_s = ShopMembers("shop", {sponsor.till_id}, shop_doc_url=str(shop_doc.url))
            async with running_peer_set(repo_s, sponsor, members_s, name="Till 1") as ps:
                shown: asyncio.Future[str] = asyncio.get_running_loop().create_future()
                joining = asyncio.create_task(request_join(
                    "127.0.0.1", ps.port, identity=newcomer, name="Till 2",
                    on_code=shown.set_result, timeout=10, limits=FAST_LIMITS))
                request = await ps.join_desk.wait_for_request(5)
                code = await shown
                assert request.till_id == newcomer.till_id and request.name == "Till 2"
                assert request.cert and "code" not in request.row()  # the code is not here
                assert members_s.join_requests == [request]
                assert not members_s.is_member(newcomer.till_id)
                assert ps.pending_joins() == [request]
                approved = await ps.approve(code.replace(" ", ""))
                assert approved.till_id == newcomer.till_id
                accepted = await joining
                assert accepted.shop_doc_url == str(shop_doc.url)
                assert accepted.shop_id_hash == members_s.shop_id_hash()
                assert accepted.sponsor_till_id == sponsor.till_id
                assert members_s.is_member(newcomer.till_id)
                assert members_s.admitted[0].cert == request.cert
                assert ps.join_desk.pending() == []
                members_n = ShopMembers("shop", {sponsor.till_id, newcomer.till_id})
                async with running_peer_set(repo_n, newcomer, members_n,
                                            static_peers=[accepted.sponsor_address]) as pn:
                    await pn.wait_linked({sponsor.till_id}, 10)
                    doc_id = accepted.shop_doc_url.removeprefix("automerge:")
                    await bus.wait_for(lambda: store_n.has_doc(doc_id))
                    handle = await repo_n.find(accepted.shop_doc_url)
                    assert handle is not None
                    await bus.wait_for(lambda: doc_value(handle, "shop_name") == "Corner Pizza")

    run(scenario())


def test_a_mistyped_code_admits_nobody_and_tells_both_sides(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    sponsor, newcomer = make_identity("sponsor"), make_identity("new")

    async def scenario() -> None:
        bus = ChangeBus()
        async with running_repo(bus) as (repo_s, _):
            members_s = ShopMembers("shop", {sponsor.till_id}, shop_doc_url="automerge:x")
            async with running_peer_set(repo_s, sponsor, members_s) as ps:
                joining = asyncio.create_task(request_join(
                    "127.0.0.1", ps.port, identity=newcomer, name="Till 2", code=CODE,
                    on_code=lambda code: None, timeout=10, limits=FAST_LIMITS))
                await ps.join_desk.wait_for_request(5)
                with pytest.raises(PairingCodeMismatch, match="does not match"):
                    await ps.approve("314 158")
                with pytest.raises(PeerRejected):
                    await joining
                assert not members_s.is_member(newcomer.till_id)
                assert members_s.admitted == []
                await wait_until_async(lambda: ps.join_desk.pending() == [], 5,
                                       what="the failed request to end")

    run(scenario())


def test_join_declined_and_ambiguous_approvals(make_identity: Callable[[str], TillIdentity],
                                               ) -> None:
    sponsor, one, two = make_identity("sponsor"), make_identity("one"), make_identity("two")

    async def scenario() -> None:
        bus = ChangeBus()
        async with running_repo(bus) as (repo_s, _):
            members_s = ShopMembers("shop", {sponsor.till_id}, shop_doc_url="automerge:x")
            async with running_peer_set(repo_s, sponsor, members_s) as ps:
                first = asyncio.create_task(request_join(
                    "127.0.0.1", ps.port, identity=one, name="Till 2", code=CODE,
                    on_code=lambda code: None, timeout=10, limits=FAST_LIMITS))
                await ps.join_desk.wait_for_request(5)
                second = asyncio.create_task(request_join(
                    "127.0.0.1", ps.port, identity=two, name="Till 3", code="271 828",
                    on_code=lambda code: None, timeout=10, limits=FAST_LIMITS))
                await ps.join_desk.wait_for_request(5, count=2)
                with pytest.raises(UnknownPairingCode, match="2 tills are waiting"):
                    await ps.approve(CODE)  # which one? staff must say
                ps.decline("Till 2")
                with pytest.raises(PeerRejected, match="declined"):
                    await first
                await ps.approve("271828", till=two.short_id)
                await second
                assert members_s.is_member(two.till_id) and not members_s.is_member(one.till_id)

    run(scenario())


def test_join_request_is_forgotten_when_the_new_till_hangs_up(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    sponsor, newcomer = make_identity("sponsor"), make_identity("new")

    async def scenario() -> None:
        bus = ChangeBus()
        async with running_repo(bus) as (repo_s, _):
            members_s = ShopMembers("shop", {sponsor.till_id})
            async with running_peer_set(repo_s, sponsor, members_s) as ps:
                shown: asyncio.Future[str] = asyncio.get_running_loop().create_future()
                joining = asyncio.create_task(request_join(
                    "127.0.0.1", ps.port, identity=newcomer, name="Till 2",
                    on_code=shown.set_result, timeout=10, limits=FAST_LIMITS))
                await ps.join_desk.wait_for_request(5)
                code = await shown  # the new till waits for staff now; it gives up
                joining.cancel()
                await asyncio.gather(joining, return_exceptions=True)
                await wait_until_async(lambda: ps.join_desk.pending() == [], 10,
                                       what="the join desk to empty")
                with pytest.raises(UnknownPairingCode):
                    await ps.approve(code)

    run(scenario())


class ManInTheMiddle:
    """Listens where the new till thinks the shop's till is (a spoofed address), and
    asks the real shop's till to admit *itself*, with its own certificate and a guess
    of the code: what an active attacker on the LAN can do with the protocol."""

    def __init__(self, identity: TillIdentity, sponsor_port: int, guess: str) -> None:
        self.identity = identity
        self.sponsor_port = sponsor_port
        self.guess = guess
        self.server: asyncio.Server | None = None
        self.victim_said: list[str] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._victim, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _victim(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # toward the new till: pretend to be the shop's till
        link = await accept_tls(reader, writer, FAST_LIMITS, server_ssl_context(self.identity))
        challenge = new_challenge()
        await send_challenge(link, challenge)
        hello = await read_client_hello(link, self.identity, "", challenge)
        # toward the shop's till: a join request of our own, with our own certificate
        # (the victim's hello is signed for *our* fingerprint and *our* challenge: useless
        # there) and a guessed code
        from spake2 import SPAKE2_A

        spake = SPAKE2_A(self.guess.replace(" ", "").encode(),
                         idA=b"new:" + self.identity.till_id.encode(), idB=b"shop:")
        up, _reply = await dial("127.0.0.1", self.sponsor_port, identity=self.identity,
                               shop_id_hash="", purpose="join", name=hello.name,
                               pake=spake.start(), limits=FAST_LIMITS)
        await link.write_control({"type": "join-pending", "version": 2,
                                  "till": self.identity.till_id, "name": "Till 1"})
        try:
            proof = await up.read_control(timeout=10)  # after staff typed the code
            # relay the real shop till's proof to the victim, hoping it checks out
            await link.write_control(proof)
            answer = await link.read_control(timeout=10)
            self.victim_said.append(str(answer.get("type")))
            await up.write_control(answer)  # and the victim's confirmation back up
            await up.read_control(timeout=10)
        except Exception as exc:  # the attack fails here; record how
            self.victim_said.append(type(exc).__name__)
        finally:
            await up.close()
            await link.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def test_man_in_the_middle_grinding_certificates_does_not_get_in(
    make_identity: Callable[[str], TillIdentity], tmp_path: Path,
) -> None:
    """The attacker sits at the address the new till dials, with many certificates and
    a fresh guess for each; staff are fooled every time (they type the code the new till
    shows into the attacker's request). Nobody but the real new till ever joins."""
    sponsor, newcomer = make_identity("sponsor"), make_identity("new")
    attempts = 12

    async def scenario() -> None:
        bus = ChangeBus()
        async with running_repo(bus) as (repo_s, _):
            members_s = ShopMembers("shop", {sponsor.till_id}, shop_doc_url="automerge:x")
            async with running_peer_set(repo_s, sponsor, members_s) as ps:
                for i in range(attempts):
                    attacker = load_or_create(tmp_path / f"attacker-{i}")  # a new certificate
                    guess = f"{(314159 + 1 + i * 7919) % 1000000:06d}"  # never the real code
                    mitm = ManInTheMiddle(attacker, ps.port, guess)
                    spoofed = await mitm.start()
                    victim = asyncio.create_task(request_join(
                        "127.0.0.1", spoofed, identity=newcomer, name="Till 2", code=CODE,
                        on_code=lambda code: None, timeout=10, limits=FAST_LIMITS))
                    await wait_until_async(
                        lambda a=attacker: [r.till_id for r in ps.pending_joins()] == [a.till_id],
                        5, what="the attacker's request (named like the real till)")
                    with pytest.raises(PairingCodeMismatch):
                        await ps.approve(CODE)  # staff type what the victim's screen shows
                    with pytest.raises(PeerRejected):
                        await victim
                    await mitm.stop()
                    await wait_until_async(lambda: ps.pending_joins() == [], 5,
                                           what="the failed request to end")
                    assert members_s.admitted == []
                    assert not members_s.is_member(attacker.till_id)
                    assert "join-confirm" not in mitm.victim_said  # the victim never confirmed
                # the real till, dialling the real address, still gets in
                shown: asyncio.Future[str] = asyncio.get_running_loop().create_future()
                real = asyncio.create_task(request_join(
                    "127.0.0.1", ps.port, identity=newcomer, name="Till 2",
                    on_code=shown.set_result, timeout=10, limits=FAST_LIMITS))
                await ps.join_desk.wait_for_request(5)
                await ps.approve(await shown)
                await real
                assert [r.till_id for r in members_s.admitted] == [newcomer.till_id]

    run(scenario(), timeout=120)


def test_relaying_the_victims_hello_to_the_shop_till_is_refused(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    """The other half of a man in the middle: pass the new till's own signed hello on.
    It is signed for the attacker's certificate and the attacker's challenge, so the shop's
    till refuses it before any pairing starts."""
    sponsor, newcomer, attacker = (make_identity("sponsor"), make_identity("new"),
                                   make_identity("attacker"))

    async def scenario() -> None:
        bus = ChangeBus()
        async with running_repo(bus) as (repo_s, _):
            members_s = ShopMembers("shop", {sponsor.till_id})
            async with running_peer_set(repo_s, sponsor, members_s) as ps:
                captured: asyncio.Future[dict[str, object]] = (
                    asyncio.get_running_loop().create_future())

                async def fake_sponsor(reader: asyncio.StreamReader,
                                       writer: asyncio.StreamWriter) -> None:
                    link = await accept_tls(reader, writer, FAST_LIMITS,
                                            server_ssl_context(attacker))
                    await send_challenge(link, new_challenge())
                    captured.set_result(await link.read_control())
                    await link.close()

                server = await asyncio.start_server(fake_sponsor, "127.0.0.1", 0)
                port = server.sockets[0].getsockname()[1]
                victim = asyncio.create_task(request_join(
                    "127.0.0.1", port, identity=newcomer, name="Till 2", code=CODE,
                    on_code=lambda code: None, timeout=5, limits=FAST_LIMITS))
                hello = await captured
                await asyncio.gather(victim, return_exceptions=True)
                server.close()
                from tests.sync.peers.test_tls_link import open_tls, raw_control

                reader, writer, _server_id, _challenge = await open_tls(ps.port)
                writer.write(raw_control(hello))
                reply = await raw_control_reply(reader)
                assert reply["type"] == "refused" and "signature" in str(reply["reason"])
                assert ps.pending_joins() == []
                writer.close()
                assert base64.b64decode(str(hello["cert"]))  # it was the victim's real hello

    run(scenario())


async def raw_control_reply(reader: asyncio.StreamReader) -> dict[str, object]:
    from tests.sync.peers.test_tls_link import read_control_frame

    return await read_control_frame(reader)
