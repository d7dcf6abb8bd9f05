# SPDX-License-Identifier: Apache-2.0
"""Sigstore bundle parsing: strict and total, into immutable named tuples.

(Named tuples, not dataclasses: ``dataclasses`` pulls in ``inspect``, which costs a sandboxed
``verify-offline`` run about a fifth of its start-up time.)

Every field the verifier relies on is decoded and checked once, here, at the edge; the
verification steps never touch raw JSON. Errors are :class:`InputError` (exit 4) with
``step=Step.BUNDLE`` and a message naming the field. Unknown fields are ignored (as protobuf
JSON parsers that discard unknown fields do); they can carry nothing the verifier trusts.

Media types (protobuf-specs ``Bundle``): ``application/vnd.dev.sigstore.bundle+json;version=0.1``,
``…;version=0.2``, ``…;version=0.3`` and ``application/vnd.dev.sigstore.bundle.v0.3+json``.
"""

from __future__ import annotations

import warnings
from typing import Any, Mapping, NamedTuple, Optional, Tuple, Union

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from . import _encoding as enc
from ._certificate import Certificate
from ._certificate import load as _load_der_certificate
from .errors import InputError, Step
from .limits import (
    MAX_BUNDLE_BYTES,
    MAX_CHAIN_CERTIFICATES,
    MAX_CHECKPOINT_BYTES,
    MAX_DSSE_PAYLOAD_BYTES,
    MAX_PROOF_HASHES,
    MAX_TIMESTAMPS,
    MAX_TLOG_ENTRIES,
)

__all__ = [
    "HASH_ALGORITHMS", "MEDIA_TYPES", "Bundle", "DsseEnvelope", "DsseSignature", "InclusionProof", "MessageSignature",
    "PublicKey", "TlogEntry", "decode_bundle_json", "load_certificate", "parse_bundle", "parse_bundle_document",
]

MEDIA_TYPES = {
    "application/vnd.dev.sigstore.bundle+json;version=0.1": (0, 1),
    "application/vnd.dev.sigstore.bundle+json;version=0.2": (0, 2),
    "application/vnd.dev.sigstore.bundle+json;version=0.3": (0, 3),
    "application/vnd.dev.sigstore.bundle.v0.3+json": (0, 3),
}

HASH_ALGORITHMS = {"SHA2_256": 32, "SHA2_384": 48, "SHA2_512": 64}

#: The kinds of public key a Sigstore signature is made with: ECDSA, RSA, Ed25519. A certificate or
#: key file may hold another kind that cryptography loads (DSA, Ed448, ...); the verify path passes
#: it along unchanged and the signature then does not verify (step ``signature``).
PublicKey = Union[ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey]


class MessageSignature(NamedTuple):
    """A signature over the artifact itself (``messageSignature``).

    Attributes:
        signature: the signature bytes, never empty.
        digest_algorithm: ``messageDigest.algorithm`` (a key of :data:`HASH_ALGORITHMS`), or None
            when the bundle states no digest.
        digest: ``messageDigest.digest``, as long as the algorithm says, or None with the algorithm.
    """

    signature: bytes
    digest_algorithm: Optional[str]
    digest: Optional[bytes]


class DsseSignature(NamedTuple):
    """One DSSE signature. ``keyid`` is "" when the envelope names none (Sigstore's never do)."""

    signature: bytes
    keyid: str


class DsseEnvelope(NamedTuple):
    """A DSSE envelope (``dsseEnvelope``): ``payload`` as decoded from base64, its ``payload_type``
    as stated, and at least one signature (verification requires exactly one)."""

    payload: bytes
    payload_type: str
    signatures: Tuple[DsseSignature, ...]


class InclusionProof(NamedTuple):
    """An RFC 6962/9162 inclusion proof as the bundle states it (nothing verified yet).

    Attributes:
        log_index: the leaf index the proof is for (Rekor v1: in the log shard, which may differ
            from the entry's ``logIndex``).
        root_hash: 32 bytes; tree_size: at least 1; hashes: the audit path, each 32 bytes.
        checkpoint: the signed note (C2SP) text, or None when the bundle carries none (allowed only
            for a v0.1 bundle whose entry has a signed entry timestamp).
    """

    log_index: int
    root_hash: bytes
    tree_size: int
    hashes: Tuple[bytes, ...]
    checkpoint: Optional[str]


class TlogEntry(NamedTuple):
    """One transparency-log entry as the bundle states it (nothing verified yet).

    Attributes:
        log_index: ``logIndex``, the bundle's claim (authenticated only by a SET or, in Rekor v2, by
            the inclusion proof: see ``Verified.log_index``).
        log_id: the log's key id (SHA-256 of its public key), looked up in the trusted root.
        kind, kind_version: ``kindVersion`` (e.g. ``hashedrekord``, ``0.0.1``), never empty.
        integrated_time: Unix seconds, or None when absent or 0 (Rekor v2 entries carry no time).
        inclusion_promise: the signed entry timestamp (SET), or None when the entry has none.
        inclusion_proof: None when the entry has none (then a SET is required, v0.1 bundles only).
        canonicalized_body: the logged body, never empty; its leaf hash is what the proof proves.
    """

    log_index: int
    log_id: bytes
    kind: str
    kind_version: str
    integrated_time: Optional[int]
    inclusion_promise: Optional[bytes]
    inclusion_proof: Optional[InclusionProof]
    canonicalized_body: bytes


class Bundle(NamedTuple):
    """A parsed Sigstore bundle (:func:`parse_bundle`); verify it with ``verify.pipeline.verify``.

    Attributes:
        media_type: as declared, one of :data:`MEDIA_TYPES`; version: its (major, minor).
        certificate: the signing (leaf) certificate, or None for a managed-key (``publicKey``) bundle.
        chain: the certificates after the leaf in a v0.1/v0.2 ``x509CertificateChain``; () otherwise.
        public_key_hint: None when the bundle carries a certificate; for a ``publicKey`` bundle its
            ``hint``, or "" when it gives none. Never trusted: only a caller's key verifies.
        tlog_entries: possibly empty (verification then fails at step ``tlog`` unless allowed).
        rfc3161_timestamps: the DER ``signedTimestamp`` tokens, possibly empty.
        content: the message signature or the DSSE envelope.
    """

    media_type: str
    version: Tuple[int, int]
    certificate: Optional[Certificate]
    chain: Tuple[Certificate, ...]
    public_key_hint: Optional[str]
    tlog_entries: Tuple[TlogEntry, ...]
    rfc3161_timestamps: Tuple[bytes, ...]
    content: Union[MessageSignature, DsseEnvelope]

    @property
    def signature(self) -> bytes:
        """The signature an RFC 3161 timestamp covers (message or DSSE envelope signature)."""
        if isinstance(self.content, MessageSignature):
            return self.content.signature
        return self.content.signatures[0].signature


def load_certificate(der: bytes, what: str) -> Certificate:
    """Load a DER certificate (``_certificate.load``: canonical DER, every field the verifier
    later reads decoded now) and its public key; raise ValueError naming ``what`` on any
    problem. Callers turn the ValueError into their own error class: InputError for a bundle,
    chain, attestation or cosign file, TrustRootError for a trusted root.
    """
    try:
        cert = _load_der_certificate(der)
    except ValueError as exc:
        raise ValueError(f"{what}: not a valid DER X.509 certificate ({_describe(exc)})") from None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            cert.public_key()
        except Exception as exc:  # noqa: BLE001 -- UnsupportedAlgorithm, ValueError, ...
            raise ValueError(f"{what}: unsupported or malformed public key ({_describe(exc)})") from None
    return cert


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _certificate(value: Any, what: str) -> Certificate:
    mapping = enc.obj(value, what)
    der = enc.b64decode(enc.req(mapping, "rawBytes", what), f"{what}.rawBytes")
    if not der:
        raise ValueError(f"{what}.rawBytes: empty")
    return load_certificate(der, what)


def _proof(value: Any, what: str) -> InclusionProof:
    mapping = enc.obj(value, what)
    hashes = enc.array(enc.opt(mapping, "hashes") or [], f"{what}.hashes", limit=MAX_PROOF_HASHES)
    decoded = enc.b64decode_hashes(hashes, f"{what}.hashes")
    root_hash = enc.b64decode(enc.req(mapping, "rootHash", what), f"{what}.rootHash")
    if len(root_hash) != 32:
        raise ValueError(f"{what}.rootHash: {len(root_hash)} bytes, expected 32")
    checkpoint = None
    checkpoint_map = enc.opt(mapping, "checkpoint")
    if checkpoint_map is not None:
        envelope = enc.string(
            enc.req(enc.obj(checkpoint_map, f"{what}.checkpoint"), "envelope", f"{what}.checkpoint"),
            f"{what}.checkpoint.envelope",
        )
        if len(envelope.encode("utf-8")) > MAX_CHECKPOINT_BYTES:
            raise ValueError(f"{what}.checkpoint.envelope: larger than {MAX_CHECKPOINT_BYTES} bytes")
        checkpoint = envelope
    return InclusionProof(
        log_index=enc.int64(enc.req(mapping, "logIndex", what), f"{what}.logIndex"),
        root_hash=root_hash,
        tree_size=enc.int64(enc.req(mapping, "treeSize", what), f"{what}.treeSize", minimum=1),
        hashes=decoded,
        checkpoint=checkpoint,
    )


def _tlog_entry(value: Any, what: str) -> TlogEntry:
    mapping = enc.obj(value, what)
    log_id_map = enc.obj(enc.req(mapping, "logId", what), f"{what}.logId")
    log_id = enc.b64decode(enc.req(log_id_map, "keyId", f"{what}.logId"), f"{what}.logId.keyId")
    kind_version = enc.obj(enc.req(mapping, "kindVersion", what), f"{what}.kindVersion")
    promise_map = enc.opt(mapping, "inclusionPromise")
    promise = None
    if promise_map is not None:
        promise = enc.b64decode(
            enc.req(enc.obj(promise_map, f"{what}.inclusionPromise"), "signedEntryTimestamp", f"{what}.inclusionPromise"),
            f"{what}.inclusionPromise.signedEntryTimestamp",
        )
    proof_map = enc.opt(mapping, "inclusionProof")
    integrated = enc.opt(mapping, "integratedTime")
    integrated_time = enc.int64(integrated, f"{what}.integratedTime") if integrated is not None else None
    body = enc.b64decode(enc.req(mapping, "canonicalizedBody", what), f"{what}.canonicalizedBody")
    if not body:
        raise ValueError(f"{what}.canonicalizedBody: empty")
    return TlogEntry(
        log_index=enc.int64(enc.req(mapping, "logIndex", what), f"{what}.logIndex"),
        log_id=log_id,
        kind=enc.string(enc.req(kind_version, "kind", f"{what}.kindVersion"), f"{what}.kindVersion.kind"),
        kind_version=enc.string(
            enc.req(kind_version, "version", f"{what}.kindVersion"), f"{what}.kindVersion.version"
        ),
        integrated_time=integrated_time or None,  # 0 (Rekor v2) means "no integrated time"
        inclusion_promise=promise,
        inclusion_proof=_proof(proof_map, f"{what}.inclusionProof") if proof_map is not None else None,
        canonicalized_body=body,
    )


def _message_signature(value: Any) -> MessageSignature:
    what = "messageSignature"
    mapping = enc.obj(value, what)
    signature = enc.b64decode(enc.req(mapping, "signature", what), f"{what}.signature")
    if not signature:
        raise ValueError(f"{what}.signature: empty")
    digest_map = enc.opt(mapping, "messageDigest")
    algorithm = digest = None
    if digest_map is not None:
        digest_obj = enc.obj(digest_map, f"{what}.messageDigest")
        algorithm = enc.string(enc.req(digest_obj, "algorithm", f"{what}.messageDigest"), f"{what}.messageDigest.algorithm")
        if algorithm not in HASH_ALGORITHMS:
            raise ValueError(f"{what}.messageDigest.algorithm: unsupported {algorithm!r}")
        digest = enc.b64decode(enc.req(digest_obj, "digest", f"{what}.messageDigest"), f"{what}.messageDigest.digest")
        if len(digest) != HASH_ALGORITHMS[algorithm]:
            raise ValueError(f"{what}.messageDigest.digest: {len(digest)} bytes, expected {HASH_ALGORITHMS[algorithm]}")
    return MessageSignature(signature, algorithm, digest)


def _dsse(value: Any) -> DsseEnvelope:
    what = "dsseEnvelope"
    mapping = enc.obj(value, what)
    payload = enc.b64decode(enc.req(mapping, "payload", what), f"{what}.payload")
    if len(payload) > MAX_DSSE_PAYLOAD_BYTES:
        raise ValueError(f"{what}.payload: larger than {MAX_DSSE_PAYLOAD_BYTES} bytes")
    payload_type = enc.string(enc.req(mapping, "payloadType", what), f"{what}.payloadType")
    raw = enc.array(enc.req(mapping, "signatures", what), f"{what}.signatures", limit=16)
    signatures = []
    for index, item in enumerate(raw):
        where = f"{what}.signatures[{index}]"
        sig_map = enc.obj(item, where)
        sig = enc.b64decode(enc.req(sig_map, "sig", where), f"{where}.sig")
        keyid = enc.string(enc.opt(sig_map, "keyid") or "", f"{where}.keyid")
        signatures.append(DsseSignature(sig, keyid))
    if not signatures:
        raise ValueError(f"{what}.signatures: empty")
    return DsseEnvelope(payload, payload_type, tuple(signatures))


def _material(vm: Mapping[str, Any], version: Tuple[int, int]) -> Tuple[Optional[Certificate], Tuple[Certificate, ...], Optional[str]]:
    what = "verificationMaterial"
    present = [k for k in ("certificate", "x509CertificateChain", "publicKey") if enc.opt(vm, k) is not None]
    if len(present) != 1:
        raise ValueError(
            f"{what}: needs exactly one of certificate, x509CertificateChain or publicKey, found {present or 'none'}"
        )
    kind = present[0]
    if kind == "publicKey":
        hint = enc.opt(enc.obj(vm["publicKey"], f"{what}.publicKey"), "hint")
        return None, (), enc.string(hint, f"{what}.publicKey.hint") if hint is not None else ""
    if kind == "certificate":
        if version < (0, 3):
            raise ValueError(f"{what}.certificate: only bundle v0.3 and later carry a single certificate")
        return _certificate(vm["certificate"], f"{what}.certificate"), (), None
    if version >= (0, 3):
        raise ValueError(f"{what}.x509CertificateChain: bundle v0.3 carries a single certificate, not a chain")
    chain_map = enc.obj(vm["x509CertificateChain"], f"{what}.x509CertificateChain")
    raw = enc.array(
        enc.opt(chain_map, "certificates") or [],
        f"{what}.x509CertificateChain.certificates",
        limit=MAX_CHAIN_CERTIFICATES,
    )
    if not raw:
        raise ValueError(f"{what}.x509CertificateChain.certificates: empty")
    certs = tuple(
        _certificate(item, f"{what}.x509CertificateChain.certificates[{i}]") for i, item in enumerate(raw)
    )
    return certs[0], certs[1:], None


def _parse(doc: Any) -> Bundle:
    bundle = enc.obj(doc, "bundle")
    media_type = enc.string(enc.req(bundle, "mediaType", "bundle"), "mediaType")
    version = MEDIA_TYPES.get(media_type)
    if version is None:
        raise ValueError(f"unknown bundle media type {media_type!r}")
    vm = enc.obj(enc.req(bundle, "verificationMaterial", "bundle"), "verificationMaterial")
    certificate, chain, hint = _material(vm, version)
    entries_raw = enc.array(
        enc.opt(vm, "tlogEntries") or [], "verificationMaterial.tlogEntries", limit=MAX_TLOG_ENTRIES
    )
    entries = tuple(_tlog_entry(e, f"tlogEntries[{i}]") for i, e in enumerate(entries_raw))
    tvd = enc.opt(vm, "timestampVerificationData")
    stamps: Tuple[bytes, ...] = ()
    if tvd is not None:
        tvd_map = enc.obj(tvd, "timestampVerificationData")
        raw = enc.array(
            enc.opt(tvd_map, "rfc3161Timestamps") or [],
            "timestampVerificationData.rfc3161Timestamps",
            limit=MAX_TIMESTAMPS,
        )
        stamps = tuple(
            enc.b64decode(
                enc.req(enc.obj(item, f"rfc3161Timestamps[{i}]"), "signedTimestamp", f"rfc3161Timestamps[{i}]"),
                f"rfc3161Timestamps[{i}].signedTimestamp",
            )
            for i, item in enumerate(raw)
        )
    has_message = enc.opt(bundle, "messageSignature") is not None
    has_dsse = enc.opt(bundle, "dsseEnvelope") is not None
    if has_message == has_dsse:
        raise ValueError("bundle: needs exactly one of messageSignature or dsseEnvelope")
    content: Union[MessageSignature, DsseEnvelope]
    content = _message_signature(bundle["messageSignature"]) if has_message else _dsse(bundle["dsseEnvelope"])
    return Bundle(media_type, version, certificate, chain, hint, entries, stamps, content)


def decode_bundle_json(data: bytes, *, source: str = "bundle") -> Any:
    """A bundle file's JSON, size-capped and decoded strictly (a Sigstore bundle or cosign's old
    one: ``cosign.parse_any_bundle`` tells them apart); :class:`InputError` (step ``bundle``)."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise InputError(f"{source}: larger than {MAX_BUNDLE_BYTES} bytes", step=Step.BUNDLE)
    try:
        return enc.load_json(data)
    except ValueError as exc:
        raise InputError(f"{source}: {exc}", step=Step.BUNDLE) from None


def parse_bundle(data: bytes, *, source: str = "bundle") -> Bundle:
    """Parse a bundle's bytes; raise :class:`InputError` (step ``bundle``) naming the problem."""
    return parse_bundle_document(decode_bundle_json(data, source=source), source=source)


def parse_bundle_document(document: Any, *, source: str = "bundle") -> Bundle:
    """Parse a bundle already decoded from JSON (``_encoding.load_json``); same errors as
    :func:`parse_bundle`."""
    try:
        return _parse(document)
    except ValueError as exc:
        raise InputError(f"{source}: {exc}", step=Step.BUNDLE) from None
