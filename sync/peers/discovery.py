"""mDNS announce and browse of ``_countertop._tcp.local.`` on the interfaces the user chose.

TXT record: ``v`` (link protocol version), ``shop`` (shop id hash), ``till`` (till id) and
``port``. Zeroconf is bound only to the configured interface addresses, so a till never
announces itself on a network nobody selected. Browsing is continuous; each till found
(or updated, or gone) is handed to the callbacks, normally the peer set's.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass

from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from sync.ids import TillId
from sync.peers.tls_link import PROTOCOL_VERSION

log = logging.getLogger("countertop.sync.peers.discovery")

SERVICE_TYPE = "_countertop._tcp.local."


@dataclass(frozen=True)
class DiscoveredTill:
    """A till announcing itself on the local network (not yet verified: TLS does that)."""

    till_id: TillId
    shop_id_hash: str
    addresses: tuple[str, ...]
    port: int
    version: int


def _instance_name(till_id: str) -> str:
    return f"countertop-{till_id[:16]}.{SERVICE_TYPE}"


class Discovery:
    """Announces this till and reports the other tills seen on the chosen interfaces."""

    def __init__(
        self,
        *,
        till_id: TillId,
        shop_id_hash: str,
        port: int,
        interfaces: list[str],
        on_found: Callable[[DiscoveredTill], None],
        on_lost: Callable[[TillId], None],
        resolve_timeout_ms: int = 3000,
    ) -> None:
        if not interfaces:
            raise ValueError("discovery needs at least one interface address")
        self._till_id = till_id
        self._shop_id_hash = shop_id_hash
        self._port = port
        self._interfaces = list(interfaces)
        self._on_found = on_found
        self._on_lost = on_lost
        self._resolve_timeout_ms = resolve_timeout_ms
        self._zc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._info: AsyncServiceInfo | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._names: dict[str, TillId] = {}
        self.seen: dict[TillId, DiscoveredTill] = {}

    async def start(self) -> None:
        """Register our service and start browsing."""
        versions = {ipaddress.ip_address(a).version for a in self._interfaces}
        ip_version = (
            IPVersion.V4Only if versions == {4} else IPVersion.V6Only if versions == {6}
            else IPVersion.All
        )
        self._zc = AsyncZeroconf(interfaces=self._interfaces, ip_version=ip_version)
        self._info = AsyncServiceInfo(
            SERVICE_TYPE,
            _instance_name(self._till_id),
            addresses=[ipaddress.ip_address(a).packed for a in self._interfaces],
            port=self._port,
            properties={
                "v": str(PROTOCOL_VERSION),
                "shop": self._shop_id_hash,
                "till": self._till_id,
                "port": str(self._port),
            },
            server=f"countertop-{self._till_id[:16]}.local.",
        )
        await self._zc.async_register_service(self._info)
        self._browser = AsyncServiceBrowser(
            self._zc.zeroconf, SERVICE_TYPE, handlers=[self._on_state_change]
        )
        log.info("announcing till %s on %s port %d", self._till_id[:12], self._interfaces,
                 self._port)

    async def stop(self) -> None:
        """Stop browsing, withdraw our announcement, close sockets (bounded)."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._browser is not None:
            await self._browser.async_cancel()
            self._browser = None
        if self._zc is not None:
            try:
                await asyncio.wait_for(self._zc.async_unregister_all_services(), 3.0)
            except TimeoutError:
                log.warning("mDNS goodbye timed out")
            await self._zc.async_close()
            self._zc = None

    def _on_state_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        if state_change is ServiceStateChange.Removed:
            till_id = self._names.pop(name, None)
            if till_id is not None:
                self.seen.pop(till_id, None)
                self._on_lost(till_id)
            return
        task = asyncio.get_running_loop().create_task(self._resolve(zeroconf, service_type, name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resolve(self, zeroconf: Zeroconf, service_type: str, name: str) -> None:
        info = AsyncServiceInfo(service_type, name)
        if not await info.async_request(zeroconf, self._resolve_timeout_ms):
            log.info("could not resolve %s", name)
            return
        found = _parse(info)
        if found is None:
            log.warning("ignoring %s: malformed Countertop TXT record", name)
            return
        if found.till_id == self._till_id:
            return
        if found.version != PROTOCOL_VERSION:
            log.warning("till %s speaks protocol %d, we speak %d: not dialling",
                        found.till_id[:12], found.version, PROTOCOL_VERSION)
            return
        self._names[name] = found.till_id
        self.seen[found.till_id] = found
        if found.shop_id_hash != self._shop_id_hash:
            log.debug("till %s belongs to another shop", found.till_id[:12])
            return
        self._on_found(found)


def _parse(info: AsyncServiceInfo) -> DiscoveredTill | None:
    props = {
        k.decode(errors="replace"): (v or b"").decode(errors="replace")
        for k, v in info.properties.items()
    }
    try:
        till_id = TillId(props["till"])
        version = int(props["v"])
        port = int(props.get("port") or info.port or 0)
    except (KeyError, ValueError):
        return None
    if len(till_id) != 64 or not 0 < port < 65536:
        return None
    return DiscoveredTill(till_id, props.get("shop", ""), tuple(info.parsed_addresses()), port,
                          version)
