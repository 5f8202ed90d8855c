"""Till-to-till sync network: TLS links, pairing, mDNS discovery, relays, the peer set.

Wiring (the engine owns every object; nothing here is global)::

    peers = PeerSet(
        replicator_or_repo,        # anything with async connect(transport)/accept(transport)
        identity,                  # sync.identity.load_or_create(data_dir / "identity")
        membership,                # the engine's sync.peers.membership.Membership
        listen_host="0.0.0.0", listen_port=0,
        interfaces=["192.168.1.20"],             # mDNS only on these addresses
        static_peers=["192.168.1.21:7390"], relay_urls=["wss://sync.example"],
        name="Front till",
    )
    await peers.start()
    ...
    peers.status()              # rows for ``countertop peers --json``
    peers.pending_joins()       # JoinRequests (with .ref) waiting for staff
    await peers.approve("123 456")  # the code the new till shows -> SPAKE2 -> Membership.admit
    peers.membership_changed()  # after removing a member: its links drop at once
    await peers.stop()          # before stopping the Repo/Replicator

New till: ``await pairing.request_join(host, port, identity=..., name=..., on_code=show)``
shows a fresh code (staff type it on the shop's till) and returns
:class:`pairing.JoinAccepted` (shop document URL, shop id hash, sponsor till id);
the engine then trusts the sponsor as a member and starts its own PeerSet.

Security model, frames and limits: see :mod:`sync.peers.tls_link`.
"""
