"""Staff PINs, stored only as a slow salted hash: scrypt from Python's standard library.

Why scrypt (``hashlib.scrypt``, RFC 7914) and not argon2: it is memory-hard like argon2id,
ships with every CPython built against OpenSSL 1.1+ (no new dependency, no wheel to
build on a shop PC), and its parameters are stored with each hash so they can be raised
later without invalidating old PINs. n=2**14, r=8, p=1 takes about 16 MiB and ~40 ms per
check here: nothing at a till, slow for whoever copies the shop document and tries PINs.

A PIN is short (4 to 12 digits): no hash makes 10**4 guesses expensive for long. The
hash keeps PINs out of the synced document and the read model; the till's engine also
refuses PINs for a while after repeated wrong ones (``app.engine.staff_desk``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any

from sync.errors import CommandRejected

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_DIGITS, MAX_DIGITS = 4, 12


def check_pin(pin: str) -> str:
    """``pin`` when it is 4 to 12 digits, refused in plain words otherwise."""
    pin = (pin or "").strip()
    if not pin:
        raise CommandRejected("a PIN is required")
    if not pin.isascii() or not pin.isdigit():
        raise CommandRejected("a PIN is digits only")
    if not MIN_DIGITS <= len(pin) <= MAX_DIGITS:
        raise CommandRejected(f"a PIN has {MIN_DIGITS} to {MAX_DIGITS} digits")
    return pin


def hash_pin(pin: str) -> dict[str, Any]:
    """The stored form of a PIN: algorithm, parameters, salt and hash (hex)."""
    salt = os.urandom(16)
    digest = _scrypt(check_pin(pin), salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return {"alg": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
            "salt": salt.hex(), "hash": digest.hex()}


def verify_pin(pin: str, stored: Mapping[str, Any] | None) -> bool:
    """Whether ``pin`` is the one ``stored`` was made from (constant-time compare)."""
    if not stored or stored.get("alg") != "scrypt":
        return False
    try:
        digest = _scrypt(str(pin).strip(), bytes.fromhex(str(stored["salt"])),
                         int(stored["n"]), int(stored["r"]), int(stored["p"]))
        return hmac.compare_digest(digest, bytes.fromhex(str(stored["hash"])))
    except (KeyError, ValueError, TypeError):
        return False


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024,
                          dklen=32)
