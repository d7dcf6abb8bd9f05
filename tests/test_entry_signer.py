# SPDX-License-Identifier: Apache-2.0
"""The certificate or key a Rekor entry body names is compared with the bundle's by canonical
bytes (verify/tlog.py ``_Signer``), never by ``cryptography``'s ``==``: cryptography 3.4.8 loads a
BER re-encoding of a certificate and finds it equal to the original."""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from helpers import EXAMPLE_BUNDLE
from sigstore_offline.model import load_certificate
from sigstore_offline.verify.tlog import _Signer


def _pem(label: str, der: bytes) -> bytes:
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n").encode()


def _long_outer_length(der: bytes) -> bytes:
    """The same certificate with its outer SEQUENCE length in one more byte than needed (BER)."""
    assert der[0] == 0x30 and der[1] & 0x80
    count = der[1] & 0x7F
    length = der[2:2 + count]
    return bytes([0x30, 0x80 | (count + 1), 0]) + length + der[2 + count:]


def _leaf() -> bytes:
    bundle = json.loads(EXAMPLE_BUNDLE.read_text())
    return base64.b64decode(bundle["verificationMaterial"]["certificate"]["rawBytes"])


def test_the_same_certificate_matches_and_a_re_encoding_does_not() -> None:
    der = _leaf()
    certificate = load_certificate(der, "leaf")
    signer = _Signer(certificate, certificate.public_key())
    assert signer.matches_pem(_pem("CERTIFICATE", der))
    assert not signer.matches_pem(_pem("CERTIFICATE", _long_outer_length(der)))
    assert not signer.matches_pem(_pem("CERTIFICATE", der + b"\0"))


def test_a_key_entry_matches_only_its_canonical_key() -> None:
    certificate = load_certificate(_leaf(), "leaf")
    key = certificate.public_key()
    spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    signer = _Signer(None, key)
    assert signer.matches_pem(_pem("PUBLIC KEY", spki))
    longer = bytes([0x30, 0x81, spki[1]]) + spki[2:]  # the SPKI SEQUENCE length in the long form
    assert spki[1] < 0x80 and not signer.matches_pem(_pem("PUBLIC KEY", longer))
