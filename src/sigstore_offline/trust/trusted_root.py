# SPDX-License-Identifier: Apache-2.0
"""Parse ``trusted_root.json`` (Sigstore protobuf-specs ``TrustedRoot``) into frozen objects.

A malformed trusted root is the operator's problem, not the bundle's: every error here is a
:class:`TrustRootError` (exit 3). Validity windows are closed intervals: a time equal to
``end`` is inside (the conformance suite's ``*-validity-end-inclusive`` cases).
"""

from __future__ import annotations

import datetime
import hashlib
import warnings
from typing import Any, Dict, Mapping, NamedTuple, Optional, Sequence, Tuple

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from .. import _certificate
from .. import _encoding as enc
from .. import _x509
from .._certificate import Certificate
from ..errors import Step, TrustRootError
from ..model import PublicKey, load_certificate
from ..limits import MAX_CHAIN_CERTIFICATES, MAX_TRUSTED_ROOT_BYTES

__all__ = [
    "TRUSTED_ROOT_MEDIA_TYPES", "ValidityWindow", "LogKey", "Authority", "TrustedRoot",
    "parse_trusted_root", "key_id", "subject_summary",
]

TRUSTED_ROOT_MEDIA_TYPES = frozenset(
    {
        "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "application/vnd.dev.sigstore.trustedroot.v0.1+json",
        "application/vnd.dev.sigstore.trustedroot.v0.2+json",
    }
)



class ValidityWindow(NamedTuple):
    """``validFor``: timezone-aware UTC ``start``, and ``end``, None while the key or CA is current."""

    start: datetime.datetime
    end: Optional[datetime.datetime]

    def contains(self, moment: datetime.datetime) -> bool:
        """Closed interval: start <= moment <= end (an open end never closes)."""
        if moment < self.start:
            return False
        return self.end is None or moment <= self.end

    def describe(self) -> str:
        end = enc.utc(self.end) if self.end else "open"
        return f"{enc.utc(self.start)} .. {end}"


class LogKey(NamedTuple):
    """A transparency log (Rekor) or CT log: its id, key and validity window.

    Attributes:
        base_url: ``baseUrl`` as listed (may be "" for a CT log that names none).
        log_id: the key id the trusted root lists (SHA-256 of the key for Rekor v1 and CT logs).
        key_details: ``publicKey.keyDetails`` (e.g. ``PKIX_ECDSA_P256_SHA_256``).
        public_key: the loaded key; spki_der: its SubjectPublicKeyInfo as listed.
        valid_for: when the key may be used (a signature outside it does not count).
    """

    base_url: str
    log_id: bytes
    key_details: str
    public_key: PublicKey
    spki_der: bytes
    valid_for: ValidityWindow

    @property
    def is_ed25519(self) -> bool:
        return isinstance(self.public_key, ed25519.Ed25519PublicKey)


class Authority(NamedTuple):
    """A certificate authority (Fulcio) or timestamp authority: its chain, leaf-most first.

    Attributes:
        uri: ``uri`` as listed, or "" when the trusted root gives none.
        subject: ``subject`` as "key=value, ..." for messages, or "" when none is given.
        chain: at least one certificate, leaf-most first, the self-signed root last.
        valid_for: when the authority may be used.
    """

    uri: str
    subject: str
    chain: Tuple[Certificate, ...]
    valid_for: ValidityWindow

    @property
    def root(self) -> Certificate:
        return self.chain[-1]


class TrustedRoot(NamedTuple):
    """A parsed ``trusted_root.json``; each tuple may be empty (GitHub's instance lists no log).
    ``sha256`` is the hex digest of the file as read, ``source`` its name for messages."""

    tlogs: Tuple[LogKey, ...]
    ctlogs: Tuple[LogKey, ...]
    certificate_authorities: Tuple[Authority, ...]
    timestamp_authorities: Tuple[Authority, ...]
    sha256: str
    source: str

    def tlog(self, log_id: bytes) -> Optional[LogKey]:
        return _first(self.tlogs, log_id)

    def ctlog(self, log_id: bytes) -> Optional[LogKey]:
        return _first(self.ctlogs, log_id)


def _first(logs: Sequence[LogKey], log_id: bytes) -> Optional[LogKey]:
    for log in logs:
        if log.log_id == log_id:
            return log
    return None


def _window(value: Any, what: str) -> ValidityWindow:
    mapping = enc.obj(value, what)
    start = enc.rfc3339(enc.req(mapping, "start", what), f"{what}.start")
    end_raw = enc.opt(mapping, "end")
    end = enc.rfc3339(end_raw, f"{what}.end") if end_raw is not None else None
    if end is not None and end < start:
        raise ValueError(f"{what}: end {enc.utc(end)} is before start {enc.utc(start)}")
    return ValidityWindow(start, end)


_KEY_DETAILS: Dict[str, Tuple[type, Optional[str]]] = {
    "PKIX_ECDSA_P256_SHA_256": (ec.EllipticCurvePublicKey, "secp256r1"),
    "PKIX_ECDSA_P384_SHA_384": (ec.EllipticCurvePublicKey, "secp384r1"),
    "PKIX_ECDSA_P521_SHA_512": (ec.EllipticCurvePublicKey, "secp521r1"),
    "PKIX_ED25519": (ed25519.Ed25519PublicKey, None),
    "PKIX_RSA_PKCS1V15_2048_SHA256": (rsa.RSAPublicKey, None),
    "PKIX_RSA_PKCS1V15_3072_SHA256": (rsa.RSAPublicKey, None),
    "PKIX_RSA_PKCS1V15_4096_SHA256": (rsa.RSAPublicKey, None),
    "PKCS1_RSA_PKCS1V5": (rsa.RSAPublicKey, None),
    "PKIX_RSA_PKCS1V5": (rsa.RSAPublicKey, None),
}


def _log(value: Any, what: str) -> LogKey:
    mapping = enc.obj(value, what)
    base_url = enc.string(enc.opt(mapping, "baseUrl") or "", f"{what}.baseUrl")
    hash_algorithm = enc.opt(mapping, "hashAlgorithm")
    if hash_algorithm is not None and hash_algorithm != "SHA2_256":
        raise ValueError(f"{what}.hashAlgorithm: unsupported {hash_algorithm!r}")
    key = enc.obj(enc.req(mapping, "publicKey", what), f"{what}.publicKey")
    spki = enc.b64decode(enc.req(key, "rawBytes", f"{what}.publicKey"), f"{what}.publicKey.rawBytes")
    details = enc.string(enc.req(key, "keyDetails", f"{what}.publicKey"), f"{what}.publicKey.keyDetails")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            public_key, canonical_spki = _certificate.public_key_with_spki(_x509.public_key(spki))  # canonical DER
    except Exception as exc:  # noqa: BLE001 -- whatever cryptography raises (UnsupportedAlgorithm, ...)
        raise ValueError(f"{what}.publicKey.rawBytes: not a usable DER SubjectPublicKeyInfo ({type(exc).__name__})") from None
    if not isinstance(public_key, (ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey, rsa.RSAPublicKey)):
        raise ValueError(f"{what}.publicKey.rawBytes: unsupported key type {type(public_key).__name__.lstrip('_')}")
    expected = _KEY_DETAILS.get(details)
    if expected is not None:
        kind, curve = expected
        if not isinstance(public_key, kind) or (
            curve is not None and getattr(public_key, "curve").name != curve  # noqa: B009 -- kind is EC here
        ):
            raise ValueError(f"{what}.publicKey: keyDetails {details} does not match the key")
    valid_for = _window(enc.req(key, "validFor", f"{what}.publicKey"), f"{what}.publicKey.validFor")
    log_id_map = enc.obj(enc.req(mapping, "logId", what), f"{what}.logId")
    log_id = enc.b64decode(enc.req(log_id_map, "keyId", f"{what}.logId"), f"{what}.logId.keyId")
    if len(log_id) != 32:
        raise ValueError(f"{what}.logId.keyId: {len(log_id)} bytes, expected 32")
    return LogKey(base_url, log_id, details, public_key, canonical_spki, valid_for)


def _authority(value: Any, what: str) -> Authority:
    mapping = enc.obj(value, what)
    uri = enc.string(enc.opt(mapping, "uri") or "", f"{what}.uri")
    subject_map = enc.opt(mapping, "subject") or {}
    subject = ", ".join(
        f"{k}={v}" for k, v in sorted(enc.obj(subject_map, f"{what}.subject").items()) if v
    )
    chain_map = enc.obj(enc.req(mapping, "certChain", what), f"{what}.certChain")
    raw = enc.array(
        enc.req(chain_map, "certificates", f"{what}.certChain"),
        f"{what}.certChain.certificates",
        limit=MAX_CHAIN_CERTIFICATES,
    )
    if not raw:
        raise ValueError(f"{what}.certChain.certificates: empty")
    chain = []
    for index, item in enumerate(raw):
        where = f"{what}.certChain.certificates[{index}]"
        der = enc.b64decode(enc.req(enc.obj(item, where), "rawBytes", where), f"{where}.rawBytes")
        chain.append(load_certificate(der, where))
    valid_for = _window(enc.req(mapping, "validFor", what), f"{what}.validFor")
    return Authority(uri, subject, tuple(chain), valid_for)


def parse_trusted_root(data: bytes, *, source: str = "trusted_root.json", allow_no_logs: bool = False) -> TrustedRoot:
    """Parse and check a trusted root; raise :class:`TrustRootError` naming the problem.
    ``allow_no_logs``: accept a root that lists no transparency log (GitHub's own instance,
    ``verify-offline github`` only; ``pipeline.verify_without_logs``)."""
    if len(data) > MAX_TRUSTED_ROOT_BYTES:
        raise TrustRootError(f"{source}: larger than {MAX_TRUSTED_ROOT_BYTES} bytes", step=Step.TRUST_ROOT)
    try:
        doc = enc.obj(enc.load_json(data), "trusted root")
        media_type = enc.string(enc.req(doc, "mediaType", "trusted root"), "mediaType")
        if media_type not in TRUSTED_ROOT_MEDIA_TYPES:
            raise ValueError(f"unknown mediaType {media_type!r}")

        def items(key: str) -> Sequence[Any]:
            return enc.array(enc.opt(doc, key) or [], key, limit=256)

        tlogs = tuple(_log(v, f"tlogs[{i}]") for i, v in enumerate(items("tlogs")))
        ctlogs = tuple(_log(v, f"ctlogs[{i}]") for i, v in enumerate(items("ctlogs")))
        cas = tuple(
            _authority(v, f"certificateAuthorities[{i}]")
            for i, v in enumerate(items("certificateAuthorities"))
        )
        tsas = tuple(
            _authority(v, f"timestampAuthorities[{i}]")
            for i, v in enumerate(items("timestampAuthorities"))
        )
    except ValueError as exc:
        raise TrustRootError(f"{source}: {exc}", step=Step.TRUST_ROOT) from None
    if (not tlogs and not allow_no_logs) or not cas:
        raise TrustRootError(
            f"{source}: needs at least one transparency log and one certificate authority",
            step=Step.TRUST_ROOT,
        )
    return TrustedRoot(tlogs, ctlogs, cas, tsas, hashlib.sha256(data).hexdigest(), source)


def key_id(public_key: PublicKey) -> bytes:
    """SHA-256 of the DER SubjectPublicKeyInfo: the log id of RFC 6962 and Rekor."""
    return hashlib.sha256(_certificate.spki_of(public_key)).digest()


def subject_summary(fields: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(fields.items()))
