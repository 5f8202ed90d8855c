"""A till's own key pair and self-signed certificate; its till id is the fingerprint.

The Syncthing model: no certificate authority. A till is known to the shop by the
SHA-256 fingerprint of its certificate, and mutual TLS proves possession.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509.oid import NameOID

from sync.ids import TillId

KEY_FILE = "till-key.pem"
CERT_FILE = "till-cert.pem"


@dataclass(frozen=True)
class TillIdentity:
    """Paths to this till's key and certificate plus the derived till id."""

    till_id: TillId
    key_path: Path
    cert_path: Path

    @property
    def short_id(self) -> str:
        """First groups of the fingerprint, enough for people to tell tills apart."""
        return format_short_id(self.till_id)


def fingerprint_der(cert_der: bytes) -> TillId:
    """Till id of a DER certificate: lowercase hex SHA-256."""
    return TillId(hashlib.sha256(cert_der).hexdigest())


def format_short_id(till_id: str) -> str:
    return "-".join(till_id[i : i + 4].upper() for i in range(0, 12, 4))


def load_or_create(directory: Path, common_name: str = "countertop-till") -> TillIdentity:
    """Load the till's identity from ``directory``, creating it on first use."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / KEY_FILE
    cert_path = directory / CERT_FILE
    if not (key_path.exists() and cert_path.exists()):
        _create(key_path, cert_path, common_name)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    der = cert.public_bytes(serialization.Encoding.DER)
    return TillIdentity(fingerprint_der(der), key_path, cert_path)


def _create(key_path: Path, cert_path: Path, common_name: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * 30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(key_path, key_pem)
    _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def certificate_der(identity: TillIdentity) -> bytes:
    """This till's certificate in DER form, as sent to peers that need to check our key."""
    cert = x509.load_pem_x509_certificate(identity.cert_path.read_bytes())
    return cert.public_bytes(serialization.Encoding.DER)


def sign(identity: TillIdentity, data: bytes) -> bytes:
    """Sign ``data`` with this till's private key (ECDSA P-256 / SHA-256).

    Peers use it to prove possession of the key behind their certificate inside a
    TLS session (see ``sync.peers.tls_link``).
    """
    key = serialization.load_pem_private_key(identity.key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError(f"unsupported till key type {type(key).__name__}")
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def verify_signature(cert_der: bytes, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` over ``data`` was made with the key of ``cert_der``."""
    try:
        cert = x509.load_der_x509_certificate(cert_der)
        public_key = cert.public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            return False
        public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except (ValueError, InvalidSignature):
        return False
    return True


class Signer:
    """Signs with this till's key, loaded once (seals are made on every write)."""

    def __init__(self, identity: TillIdentity) -> None:
        key = serialization.load_pem_private_key(identity.key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"unsupported till key type {type(key).__name__}")
        self._key = key
        self.till_id = identity.till_id

    def __call__(self, data: bytes) -> bytes:
        """ECDSA P-256 / SHA-256 over ``data``, as 64 raw bytes (r || s)."""
        r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


_PUBLIC_KEYS: dict[bytes, ec.EllipticCurvePublicKey | None] = {}


def verify_raw(cert_der: bytes, data: bytes, signature: bytes) -> bool:
    """True when the 64-byte ``signature`` (r || s) over ``data`` is by ``cert_der``'s key."""
    if len(signature) != 64:
        return False
    key = _PUBLIC_KEYS.get(cert_der)
    if key is None and cert_der not in _PUBLIC_KEYS:
        try:
            public = x509.load_der_x509_certificate(cert_der).public_key()
        except ValueError:
            public = None
        key = public if isinstance(public, ec.EllipticCurvePublicKey) else None
        if len(_PUBLIC_KEYS) > 1024:
            _PUBLIC_KEYS.clear()
        _PUBLIC_KEYS[cert_der] = key
    if key is None:
        return False
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                               int.from_bytes(signature[32:], "big"))
    try:
        key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
