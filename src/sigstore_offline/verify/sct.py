# SPDX-License-Identifier: Apache-2.0
"""Embedded SCTs of the Fulcio leaf certificate, RFC 6962 section 3.2.

The signed structure (``digitally-signed struct`` of section 3.2) for a precertificate entry::

    version            u8   = 0 (v1)
    signature_type     u8   = 0 (certificate_timestamp)
    timestamp          u64  milliseconds since the epoch
    entry_type         u16  = 1 (precert_entry)
    issuer_key_hash    [32] SHA-256 of the issuing CA's DER SubjectPublicKeyInfo
    tbs_certificate    opaque<1..2^24-1>   the leaf's TBS without the SCT-list extension
    extensions         opaque<0..2^16-1>   the SCT's own extensions

The SCT list and the precertificate are read from the certificate's own bytes with the
project's DER reader (``_x509.py``), the same way on every ``cryptography`` version (3.4.8 and
36 have neither ``tbs_precertificate_bytes`` nor the SCT's signature fields):

* the extension's value is a DER OCTET STRING holding the TLS-encoded list (section 3.3)::

      opaque SerializedSCT<1..2^16-1>;
      struct { SerializedSCT sct_list <1..2^16-1>; } SignedCertificateTimestampList;

  and each SCT is ``version (u8) | log_id [32] | timestamp (u64) | extensions<0..2^16-1> |
  hash (u8) | signature algorithm (u8) | signature<0..2^16-1>`` (section 3.2, RFC 5246 4.7);
  every length must match exactly, with nothing left over, and only v1 (0) is known. ``_x509``
  reads the list when the certificate is loaded, so a malformed one is malformed input (exit 4)
  on every version, as cryptography 35 and later would have it;
* the precertificate's TBSCertificate is the leaf's, with the SCT-list extension removed and
  the lengths around it rewritten (``_der.tlv``); ``issuer_key_hash`` is SHA-256 of the issuer's
  subjectPublicKeyInfo exactly as its certificate encodes it.

SCTs from logs the trusted root does not list are ignored; at least one SCT must verify
against a listed CT log whose key is valid at the SCT's timestamp, and an SCT that names a
listed log but does not verify fails the step.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from typing import TYPE_CHECKING, Callable, Dict, Optional, Sequence

from cryptography.hazmat.primitives import hashes

from .. import _der as der
from .. import _x509
from .._x509 import SCT, parse_sct_list
from .._encoding import utc
from ..errors import Step, VerificationError
from ..trust.trusted_root import LogKey
from .certchain import verify_signature

if TYPE_CHECKING:
    from .._certificate import Certificate

STEP = Step.SCT

# RFC 5246 7.4.1.4.1: the TLS HashAlgorithm registry as RFC 6962 uses it; only SHA-2 verifies.
_HASHES: Dict[int, Callable[[], hashes.HashAlgorithm]] = {4: hashes.SHA256, 5: hashes.SHA384, 6: hashes.SHA512}


def precertificate_tbs(layout: _x509.Layout) -> bytes:
    """RFC 6962 3.2: the TBSCertificate without the SCT-list extension, re-encoded in DER."""
    kept = [e for e in layout.extensions if e.oid != _x509.SCT_LIST_OID]
    if len(kept) == len(layout.extensions):
        raise der.DERError("certificate has no SCT-list extension")
    extensions = der.tlv(der.SEQUENCE, b"".join(layout.data[e.start : e.end] for e in kept))
    # Extensions ([3]) are the last field of a TBSCertificate (_x509 checks the order).
    fields = [f.raw for f in layout.tbs_fields if f.tag != der.context(3)]
    return der.tlv(der.SEQUENCE, b"".join(fields) + der.tlv(der.context(3), extensions))


def signed_data(sct: SCT, *, issuer_key_hash: bytes, tbs_precertificate: bytes) -> bytes:
    # Both lengths fit their fields: a certificate inside a bundle (at most MAX_BUNDLE_BYTES of
    # base64) is far below 2**24 bytes, and SCT extensions come length-prefixed in 16 bits.
    return (
        struct.pack(">BBQH", 0, 0, sct.timestamp, 1)
        + issuer_key_hash
        + len(tbs_precertificate).to_bytes(3, "big")
        + tbs_precertificate
        + struct.pack(">H", len(sct.extensions))
        + sct.extensions
    )


def verify_scts(leaf: Certificate, issuer: Certificate, ctlogs: Sequence[LogKey]) -> int:
    """Verify the leaf's embedded SCTs; return how many verified (at least one, else raise).

    Raises:
        VerificationError: ``Step.SCT``: no SCT, a malformed SCT list, a bad signature, or no SCT
            from a CT log of ``ctlogs`` valid at its time.
    """
    try:
        layout = leaf.layout
        extension: Optional[_x509.Extension] = next(
            (e for e in layout.extensions if e.oid == _x509.SCT_LIST_OID), None
        )
        if extension is None:
            raise VerificationError("signing certificate carries no embedded SCT", step=STEP)
        scts = parse_sct_list(extension.value)
        tbs = precertificate_tbs(layout)
        issuer_key_hash = hashlib.sha256(issuer.spki).digest()
    except ValueError as exc:
        raise VerificationError(f"signing certificate has a malformed SCT list: {exc}", step=STEP) from None
    verified = 0
    unknown = []
    for sct in scts:
        log = next((c for c in ctlogs if c.log_id == sct.log_id), None)
        if log is None:
            unknown.append(sct.log_id.hex()[:16])
            continue
        try:
            timestamp = sct.moment
        except ValueError as exc:
            raise VerificationError(f"SCT from CT log {log.base_url}: {exc}", step=STEP) from None
        if not log.valid_for.contains(timestamp):
            raise VerificationError(
                f"SCT from CT log {log.base_url} is dated {utc(timestamp)}, outside the log key's"
                f" validity {log.valid_for.describe()}",
                step=STEP,
            )
        data = signed_data(sct, issuer_key_hash=issuer_key_hash, tbs_precertificate=tbs)
        hash_class = _HASHES.get(sct.hash_algorithm)
        hash_algorithm = hash_class() if hash_class is not None else None
        if not verify_signature(log.public_key, sct.signature, data, hash_algorithm):
            raise VerificationError(f"SCT signature from CT log {log.base_url} does not verify", step=STEP)
        verified += 1
    if not verified:
        found = ", ".join(unknown) or "none"
        raise VerificationError(
            f"no SCT from a CT log in the trusted root (SCT log ids found: {found})", step=STEP
        )
    return verified


__all__ = ["SCT", "parse_sct_list", "precertificate_tbs", "signed_data", "verify_scts"]
