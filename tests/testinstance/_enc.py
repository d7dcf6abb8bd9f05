# SPDX-License-Identifier: Apache-2.0
"""Small encodings shared by the test instance: base64, canonical JSON, DER bits, deterministic keys.

Test helper, not product code.
"""

from __future__ import annotations

from . import der  # the one DER writer of the test helpers

import base64
import datetime
import hashlib
import json
from typing import Any, Union

from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

UTC = datetime.timezone.utc
PublicKey = Union[ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey]
PrivateKey = Union[ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey]

# Group orders (SEC 2 / FIPS 186-4), to map a seed onto a valid private scalar.
_ORDERS = {
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp384r1": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973,
}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def canonical_json(document: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: what Rekor stores as canonicalizedBody and signs in a SET
    (RFC 8785 agrees for the strings and integers these documents hold)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def spki_der(key: Any) -> bytes:
    """DER SubjectPublicKeyInfo of a public key (or of a private key's public half)."""
    if hasattr(key, "public_key"):
        key = key.public_key()
    return bytes(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))


def pem_public_key(key: Any) -> bytes:
    if hasattr(key, "public_key"):
        key = key.public_key()
    return bytes(key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))


def rfc3339(moment: datetime.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def der_octets(data: bytes) -> bytes:
    return der.octet_string(data)


def der_elements(data: bytes) -> "list[tuple[int, bytes, bytes]]":
    """Split concatenated DER elements into (tag, whole element, content); single-byte tags only."""
    out = []
    pos = 0
    while pos < len(data):
        tag = data[pos]
        first = data[pos + 1]
        if first < 0x80:
            size, head = first, 2
        else:
            count = first & 0x7F
            size, head = int.from_bytes(data[pos + 2:pos + 2 + count], "big"), 2 + count
        end = pos + head + size
        if end > len(data):
            raise ValueError("truncated DER")
        out.append((tag, data[pos:end], data[pos + head:end]))
        pos = end
    return out


def not_before(cert: Any) -> datetime.datetime:
    """``not_valid_before_utc`` (cryptography 42+) without the deprecated naive property on new versions."""
    if hasattr(cert, "not_valid_before_utc"):
        return cert.not_valid_before_utc  # type: ignore[no-any-return]
    return cert.not_valid_before.replace(tzinfo=UTC)  # type: ignore[no-any-return]  # cryptography < 42


def not_after(cert: Any) -> datetime.datetime:
    if hasattr(cert, "not_valid_after_utc"):
        return cert.not_valid_after_utc  # type: ignore[no-any-return]
    return cert.not_valid_after.replace(tzinfo=UTC)  # type: ignore[no-any-return]  # cryptography < 42


class Keys:
    """Deterministic keys from a seed and a label, so an instance has the same keys on every run
    (ECDSA and TSA signatures still differ: ECDSA nonces are random)."""

    def __init__(self, seed: str) -> None:
        self.seed = seed.encode("utf-8")

    def _secret(self, label: str, size: int) -> bytes:
        out = b""
        counter = 0
        while len(out) < size:
            out += hashlib.sha512(self.seed + b"\x00" + label.encode("utf-8") + bytes([counter])).digest()
            counter += 1
        return out[:size]

    def ecdsa(self, label: str, curve: ec.EllipticCurve) -> ec.EllipticCurvePrivateKey:
        order = _ORDERS[curve.name]
        scalar = int.from_bytes(self._secret(label, 64), "big") % (order - 1) + 1
        return ec.derive_private_key(scalar, curve)

    def p256(self, label: str) -> ec.EllipticCurvePrivateKey:
        return self.ecdsa(label, ec.SECP256R1())

    def p384(self, label: str) -> ec.EllipticCurvePrivateKey:
        return self.ecdsa(label, ec.SECP384R1())

    def ed25519(self, label: str) -> ed25519.Ed25519PrivateKey:
        return ed25519.Ed25519PrivateKey.from_private_bytes(self._secret(label, 32))

    def serial(self, label: str) -> int:
        """A positive serial number under 2**159 (RFC 5280 4.1.2.2: at most 20 octets)."""
        return int.from_bytes(self._secret("serial:" + label, 20), "big") >> 1 | 1
