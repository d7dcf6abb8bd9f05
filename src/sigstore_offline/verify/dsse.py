"""Artifact binding: the hashedrekord message signature and DSSE envelopes with in-toto statements.

DSSE v1 pre-authentication encoding: ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``
(lengths as ASCII decimal). The in-toto Statement (v0.1 or v1) must name the artifact's
digest among its subjects: its SHA-256, or its SHA-512 (npm provenance names packages by their
SHA-512 only). The digest's length says which (:func:`digest_name`). A hashedrekord message
signature is over the SHA-256 and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Optional

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, utils

from .. import _encoding as enc
from ..errors import VerificationError
from ..model import DsseEnvelope, MessageSignature
from .certchain import verify_signature

STEP = "signature"
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPES = frozenset({"https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1"})
DIGEST_NAMES = {32: "sha256", 64: "sha512"}  # digest length in bytes -> in-toto digest name


def digest_name(digest: bytes) -> str:
    """``sha256`` or ``sha512``, by the digest's length; ``ValueError`` for any other length."""
    try:
        return DIGEST_NAMES[len(digest)]
    except KeyError:
        raise ValueError(f"a {len(digest)}-byte digest is neither SHA-256 nor SHA-512") from None


def subject_algorithm(envelope: DsseEnvelope) -> str:
    """The digest a file must be hashed with to be compared with this envelope's subjects:
    ``sha512`` when its (unverified) statement names subjects by SHA-512 only, else ``sha256``.
    Only a choice of hash: :func:`verify_dsse` still checks the signed statement names it."""
    try:
        statement = enc.obj(enc.load_json(envelope.payload), "in-toto statement")
        subjects = enc.array(enc.req(statement, "subject", "in-toto statement"), "subject", limit=4096)
        names = {name for subject in subjects if isinstance(subject, dict)
                 for name in (subject.get("digest") or {}) if isinstance(subject.get("digest"), dict)}
    except ValueError:
        return "sha256"
    return "sha512" if "sha512" in names and "sha256" not in names else "sha256"


def pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _curve_hash(public_key: Any) -> Optional[hashes.HashAlgorithm]:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        size = public_key.curve.key_size
        return hashes.SHA512() if size > 384 else hashes.SHA384() if size > 256 else hashes.SHA256()
    if isinstance(public_key, rsa.RSAPublicKey):
        return hashes.SHA256()
    return None


def verify_message_signature(
    content: MessageSignature, *, public_key: Any, artifact_digest: bytes, artifact_bytes: Optional[bytes]
) -> None:
    """The signature is over the artifact whose SHA-256 is ``artifact_digest``."""
    if len(artifact_digest) != 32:
        raise VerificationError(
            f"a message signature is over the artifact's SHA-256; a {digest_name(artifact_digest)} digest cannot be"
            " checked against it", step=STEP)
    if content.digest is not None:
        if content.digest_algorithm != "SHA2_256":
            raise VerificationError(
                f"bundle message digest uses {content.digest_algorithm}; only SHA2_256 artifacts are supported",
                step=STEP,
            )
        if not hmac.compare_digest(content.digest, artifact_digest):
            raise VerificationError(
                f"artifact digest sha256:{artifact_digest.hex()} differs from the bundle's message digest"
                f" sha256:{content.digest.hex()}",
                step=STEP,
            )
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        if artifact_bytes is None:
            raise VerificationError("an Ed25519 signature needs the artifact itself, not only its digest", step=STEP)
        ok = verify_signature(public_key, content.signature, artifact_bytes, None)
    elif isinstance(public_key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
        ok = verify_signature(public_key, content.signature, artifact_digest, utils.Prehashed(hashes.SHA256()))
    else:
        ok = False
    if not ok:
        raise VerificationError(
            f"signature does not verify over sha256:{artifact_digest.hex()} with the signing key", step=STEP
        )


def verify_dsse(envelope: DsseEnvelope, *, public_key: Any, artifact_digest: bytes) -> Any:
    """Verify the envelope's one signature and that its statement names the artifact (its SHA-256,
    or its SHA-512 for a 64-byte ``artifact_digest``); return the statement."""
    algorithm = digest_name(artifact_digest)
    if len(envelope.signatures) != 1:
        raise VerificationError(
            f"DSSE envelope has {len(envelope.signatures)} signatures; Sigstore bundles carry exactly one", step=STEP
        )
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE:
        raise VerificationError(
            f"DSSE payload type is {envelope.payload_type!r}, expected {IN_TOTO_PAYLOAD_TYPE!r}", step=STEP
        )
    message = pae(envelope.payload_type, envelope.payload)
    if not verify_signature(public_key, envelope.signatures[0].signature, message, _curve_hash(public_key)):
        raise VerificationError("DSSE envelope signature does not verify with the signing key", step=STEP)
    try:
        statement = enc.obj(enc.load_json(envelope.payload), "in-toto statement")
        kind = enc.string(enc.req(statement, "_type", "in-toto statement"), "in-toto statement._type")
        subjects = enc.array(enc.req(statement, "subject", "in-toto statement"), "in-toto statement.subject", limit=4096)
        digests = []
        for index, subject in enumerate(subjects):
            where = f"in-toto statement.subject[{index}]"
            digest_map = enc.obj(enc.req(enc.obj(subject, where), "digest", where), f"{where}.digest")
            value = enc.opt(digest_map, algorithm)
            if value is not None:
                digests.append(enc.string(value, f"{where}.digest.{algorithm}").lower())
    except ValueError as exc:
        raise VerificationError(f"DSSE payload is not a valid in-toto statement: {exc}", step=STEP) from None
    if kind not in STATEMENT_TYPES:
        raise VerificationError(f"DSSE payload has unknown in-toto statement type {kind!r}", step=STEP)
    if artifact_digest.hex() not in digests:
        raise VerificationError(
            f"in-toto statement does not name the artifact: {algorithm}:{artifact_digest.hex()} is not among its"
            f" {len(subjects)} subject(s)",
            step=STEP,
        )
    return statement


def pae_digest(envelope: DsseEnvelope) -> bytes:
    return hashlib.sha256(pae(envelope.payload_type, envelope.payload)).digest()
