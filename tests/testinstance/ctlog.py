# SPDX-License-Identifier: Apache-2.0
"""A certificate transparency log that issues RFC 6962 v1 precertificate SCTs (ECDSA P-256).

The CA hands the log a precertificate (the final certificate's TBS plus the critical CT poison
extension); the log signs the section 3.2 ``digitally-signed`` struct over the TBS *without* the
poison and the SHA-256 of the issuer's SubjectPublicKeyInfo, and returns a serialized SCT, which
the CA embeds in the final certificate as a ``SignedCertificateTimestampList`` (section 3.3).

Test helper, not product code.
"""

from __future__ import annotations

import datetime
import struct
from typing import Any, Dict, Optional

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from . import _enc, der

# 1.3.6.1.4.1.11129.2.4.3, RFC 6962 section 3.1, DER-encoded OBJECT IDENTIFIER.
POISON_OID_DER = bytes.fromhex("060a2b06010401d679020403")

_PRECERT_ENTRY = 1
_HASH_SHA256, _SIG_ECDSA = 4, 3


def strip_extension(tbs: bytes, oid_der: bytes) -> bytes:
    """``tbs`` (a DER TBSCertificate) with the extension whose OID encodes as ``oid_der`` removed.

    RFC 5280: TBSCertificate is a SEQUENCE whose last field, ``[3] EXPLICIT Extensions``, is a
    SEQUENCE OF Extension, each a SEQUENCE starting with the extnID OID.
    """
    (tag, _, content), = _enc.der_elements(tbs)
    if tag != 0x30:
        raise ValueError("not a TBSCertificate")
    fields = _enc.der_elements(content)
    out = []
    found = False
    for field_tag, whole, field_content in fields:
        if field_tag == 0xA3:
            (_, _, extensions), = _enc.der_elements(field_content)
            kept = []
            for _, ext_whole, ext_content in _enc.der_elements(extensions):
                if ext_content.startswith(oid_der):
                    found = True
                    continue
                kept.append(ext_whole)
            whole = der.tlv(0xA3, der.tlv(0x30, b"".join(kept)))
        out.append(whole)
    if not found:
        raise ValueError("extension not present")
    return der.tlv(0x30, b"".join(out))


class CTLog:
    """A CT log key. ``log_id`` is SHA-256 of its DER SPKI (RFC 6962 section 3.2)."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, *, url: str = "https://ctfe.test") -> None:
        self.key = key
        self.url = url
        self.log_id = _enc.sha256(_enc.spki_der(key))

    def signed_input(self, tbs_without_poison: bytes, issuer_spki: bytes, when: datetime.datetime,
                     extensions: bytes = b"") -> bytes:
        """RFC 6962 section 3.2 ``digitally-signed`` struct for a precert_entry."""
        millis = int(when.timestamp() * 1000)
        return (
            struct.pack(">BBQH", 0, 0, millis, _PRECERT_ENTRY)  # v1, certificate_timestamp, timestamp, entry type
            + _enc.sha256(issuer_spki)  # PreCert.issuer_key_hash
            + len(tbs_without_poison).to_bytes(3, "big") + tbs_without_poison  # TBSCertificate<1..2^24-1>
            + struct.pack(">H", len(extensions)) + extensions  # CtExtensions<0..2^16-1>
        )

    def add_precertificate(self, precert_tbs: bytes, issuer_spki: bytes, when: datetime.datetime, *,
                           extensions: bytes = b"", bad_signature: bool = False) -> bytes:
        """Log a precertificate (its TBS, poison included) and return the serialized SCT."""
        tbs = strip_extension(precert_tbs, POISON_OID_DER)
        signed = self.signed_input(tbs, issuer_spki, when, extensions)
        signature = self.key.sign(signed + (b"\x00" if bad_signature else b""), ec.ECDSA(hashes.SHA256()))
        return (
            b"\x00" + self.log_id + struct.pack(">Q", int(when.timestamp() * 1000))
            + struct.pack(">H", len(extensions)) + extensions
            + bytes([_HASH_SHA256, _SIG_ECDSA]) + struct.pack(">H", len(signature)) + signature
        )

    def trusted_root_entry(self, *, start: datetime.datetime,
                           end: Optional[datetime.datetime] = None) -> Dict[str, Any]:
        """The JSON object for ``trusted_root.json`` ``ctlogs``."""
        return log_entry_json(self.url, self.key, "PKIX_ECDSA_P256_SHA_256", self.log_id, start, end)


def sct_list(*scts: bytes) -> bytes:
    """RFC 6962 section 3.3 SignedCertificateTimestampList (TLS encoding)."""
    body = b"".join(struct.pack(">H", len(s)) + s for s in scts)
    return struct.pack(">H", len(body)) + body


def log_entry_json(url: str, key: Any, key_details: str, log_id: bytes, start: datetime.datetime,
                   end: Optional[datetime.datetime]) -> Dict[str, Any]:
    """A ``TransparencyLogInstance`` (used for both ``tlogs`` and ``ctlogs``)."""
    valid_for = {"start": _enc.rfc3339(start)}
    if end is not None:
        valid_for["end"] = _enc.rfc3339(end)
    return {
        "baseUrl": url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {"rawBytes": _enc.b64(_enc.spki_der(key)), "keyDetails": key_details, "validFor": valid_for},
        "logId": {"keyId": _enc.b64(log_id)},
    }
