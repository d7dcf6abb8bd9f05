"""Embedded SCTs of the Fulcio leaf certificate, RFC 6962 section 3.2.

The signed structure (``digitally-signed struct`` of section 3.2) for a precertificate entry::

    version            u8   = 0 (v1)
    signature_type     u8   = 0 (certificate_timestamp)
    timestamp          u64  milliseconds since the epoch
    entry_type         u16  = 1 (precert_entry)
    issuer_key_hash    [32] SHA-256 of the issuing CA's DER SubjectPublicKeyInfo
    tbs_certificate    opaque<1..2^24-1>   the leaf's TBS without the SCT-list extension
    extensions         opaque<0..2^16-1>   the SCT's own extensions

``cryptography`` parses only v1 SCTs, and every SCT embedded in a certificate is a
precertificate SCT, so neither needs checking here. SCTs from logs the trusted root does not
list are ignored; at least one SCT must verify
against a listed CT log whose key is valid at the SCT's timestamp, and an SCT that names a
listed log but does not verify fails the step.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import struct
from typing import Any, Sequence

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .._encoding import utc
from ..errors import VerificationError
from ..trust.trusted_root import LogKey
from .certchain import verify_signature

STEP = "sct"
_EPOCH = datetime.datetime(1970, 1, 1)


def _millis(moment: datetime.datetime) -> int:
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    delta = moment - _EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def signed_data(sct: Any, *, issuer_key_hash: bytes, tbs_precertificate: bytes) -> bytes:
    # Both lengths fit their fields: a certificate inside a bundle (at most MAX_BUNDLE_BYTES of
    # base64) is far below 2**24 bytes, and SCT extensions come length-prefixed in 16 bits.
    extensions: bytes = sct.extension_bytes
    return (
        struct.pack(">BBQH", 0, 0, _millis(sct.timestamp), 1)
        + issuer_key_hash
        + len(tbs_precertificate).to_bytes(3, "big")
        + tbs_precertificate
        + struct.pack(">H", len(extensions))
        + extensions
    )


@functools.lru_cache(maxsize=64)
def _key_hash(issuer: x509.Certificate) -> bytes:
    return hashlib.sha256(issuer.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).digest()


def verify_scts(leaf: x509.Certificate, issuer: x509.Certificate, ctlogs: Sequence[LogKey]) -> int:
    """Verify the leaf's embedded SCTs; return how many verified (at least one, else raise)."""
    try:
        extension = leaf.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps)
    except x509.ExtensionNotFound:
        raise VerificationError("signing certificate carries no embedded SCT", step=STEP) from None
    except ValueError as exc:
        raise VerificationError(f"signing certificate has a malformed SCT list: {exc}", step=STEP) from None
    issuer_key_hash = _key_hash(issuer)
    tbs = leaf.tbs_precertificate_bytes
    verified = 0
    unknown = []
    for sct in extension.value:
        log = next((c for c in ctlogs if c.log_id == sct.log_id), None)
        if log is None:
            unknown.append(sct.log_id.hex()[:16])
            continue
        timestamp = sct.timestamp.replace(tzinfo=datetime.timezone.utc)
        if not log.valid_for.contains(timestamp):
            raise VerificationError(
                f"SCT from CT log {log.base_url} is dated {utc(timestamp)}, outside the log key's"
                f" validity {log.valid_for.describe()}",
                step=STEP,
            )
        data = signed_data(sct, issuer_key_hash=issuer_key_hash, tbs_precertificate=tbs)
        if not verify_signature(log.public_key, sct.signature, data, sct.signature_hash_algorithm):
            raise VerificationError(f"SCT signature from CT log {log.base_url} does not verify", step=STEP)
        verified += 1
    if not verified:
        found = ", ".join(unknown) or "none"
        raise VerificationError(
            f"no SCT from a CT log in the trusted root (SCT log ids found: {found})", step=STEP
        )
    return verified
