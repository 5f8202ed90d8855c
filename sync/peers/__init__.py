"""Till-to-till sync network: TLS links, pairing, mDNS discovery, relays, the peer set.

The engine builds one :class:`sync.peers.peer_set.PeerSet` around its ``automerge.repo.Repo``
and a :class:`sync.peers.membership.Membership` view of the shop's member list.
"""
