"""What a shop's relay operator runs in front of a standard sync server: TLS and a token.

The published automerge-repo sync servers speak plain ``ws://`` and let anyone in; a
shop puts them behind a reverse proxy that terminates TLS and checks a bearer token at
the upgrade (``sync.peers.relay``). :class:`TokenProxy` is that proxy for tests, on
127.0.0.1 with a certificate made for 127.0.0.1 (its file is the clients' CA file).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import ipaddress
import ssl
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response


def loopback_certificate(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1, self-signed: the certificate is its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test relay")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "relay-cert.pem", directory / "relay-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class TokenProxy:
    """wss:// with a bearer token, forwarding each websocket to ``upstream`` (ws://)."""

    def __init__(self, upstream: str, token: str, directory: Path) -> None:
        self.upstream = upstream
        self.token = token
        self.ca_file, self._key = loopback_certificate(directory)
        self.refused = 0
        self._server: Any = None

    async def start(self) -> TokenProxy:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_file, self._key)
        self._server = await serve(self._forward, "127.0.0.1", 0, ssl=context,
                                   process_request=self._check, max_size=None)
        return self

    @property
    def url(self) -> str:
        port = self._server.sockets[0].getsockname()[1]
        return f"wss://127.0.0.1:{port}"

    def _check(self, connection: ServerConnection, request: Request) -> Response | None:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
            return None
        self.refused += 1
        return Response(401, "Unauthorized", Headers(), b"a token is needed\n")

    async def _forward(self, client: ServerConnection) -> None:
        async with connect(self.upstream, max_size=None) as upstream:
            async def pump(source: Any, sink: Any) -> None:
                with contextlib.suppress(ConnectionClosed):
                    async for message in source:
                        await sink.send(message)

            tasks = [asyncio.create_task(pump(client, upstream)),
                     asyncio.create_task(pump(upstream, client))]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
