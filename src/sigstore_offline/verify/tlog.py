# SPDX-License-Identifier: Apache-2.0
"""Transparency-log entries: the signed entry timestamp (SET) and the entry body's consistency.

* SET (Rekor v1 ``inclusionPromise``): the log's signature over the canonical JSON
  ``{"body":<base64 canonicalizedBody>,"integratedTime":<int>,"logID":"<hex>","logIndex":<int>}``
  (keys sorted, no white space). A verified SET makes ``integratedTime`` a verified time.
* Body consistency: the logged entry must describe exactly this bundle -- the same signature,
  the same certificate or key, and the same artifact digest or DSSE envelope. Kinds:
  hashedrekord 0.0.1 / 0.0.2, dsse 0.0.1, intoto 0.0.2. Not dsse 0.0.2: the Rekor v2
  specification dropped that type (a DSSE envelope is logged there as hashedrekord 0.0.2 over its
  PAE), and sigstore-python and sigstore-java reject it too.

Parse, then compare: :func:`parse_entry_body` reads the body as the kind it declares into an
:class:`EntryBody` and raises only :class:`InputError` (a body that is not JSON, lacks a field or
holds bad base64 is malformed input, exit 4); :func:`verify_entry_body` compares its typed fields
with the bundle and otherwise raises only :class:`VerificationError` (exit 1), both at
``Step.TLOG_ENTRY``. A PEM certificate or key named by a Rekor v1 body is opaque to the body's
format: it is read only when compared, and one that does not load is simply not the signer.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
from typing import Any, List, Mapping, NamedTuple, Optional, Tuple

from cryptography.hazmat.primitives import hashes

from .. import _encoding as enc
from .. import _certificate, _x509
from ..errors import InputError, Step, VerificationError
from ..model import Bundle, DsseEnvelope, PublicKey, TlogEntry
from ..trust.trusted_root import LogKey
from .certchain import verify_signature
from .dsse import pae_digest

__all__ = [
    "SET_STEP", "ENTRY_STEP", "KINDS", "is_rekor_v2", "set_payload", "verify_set",
    "LoggedSigner", "LoggedSignature", "EntryBody", "parse_entry_body", "verify_entry_body",
]

SET_STEP = Step.SET
ENTRY_STEP = Step.TLOG_ENTRY

KINDS = frozenset(
    {("hashedrekord", "0.0.1"), ("hashedrekord", "0.0.2"), ("dsse", "0.0.1"), ("intoto", "0.0.2")}
)


def is_rekor_v2(entry: TlogEntry) -> bool:
    """An entry of a Rekor v2 log: only Rekor v2 writes hashedrekord 0.0.2 (and, before its
    specification dropped it, dsse 0.0.2, which :func:`verify_entry_body` rejects). Rekor v1's
    intoto 0.0.2 is not one."""
    return entry.kind_version == "0.0.2" and entry.kind in ("hashedrekord", "dsse")


def set_payload(entry: TlogEntry) -> bytes:
    document = {
        "body": base64.b64encode(entry.canonicalized_body).decode("ascii"),
        "integratedTime": entry.integrated_time or 0,
        "logID": entry.log_id.hex(),
        "logIndex": entry.log_index,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("ascii")


def verify_set(entry: TlogEntry, log: LogKey) -> None:
    """Verify the entry's signed entry timestamp (SET) with the log's key.

    Raises:
        VerificationError: ``Step.SET``: no SET, no integrated time, or a SET that does not verify.
    """
    if entry.inclusion_promise is None:
        raise VerificationError("entry carries no signed entry timestamp", step=SET_STEP)
    if entry.integrated_time is None:
        raise VerificationError("entry has a signed entry timestamp but no integrated time", step=SET_STEP)
    if not verify_signature(log.public_key, entry.inclusion_promise, set_payload(entry), hashes.SHA256()):
        raise VerificationError(
            f"signed entry timestamp of entry #{entry.log_index} does not verify with the key of {log.base_url}",
            step=SET_STEP,
        )


# --- parse: the entry body as typed values ----------------------------------------------------


class LoggedSigner(NamedTuple):
    """How an entry body names the signer.

    ``form`` says what ``data`` is: ``"pem"`` -- the PEM text of a certificate or a public key, as
    Rekor v1 kinds log it (read only when compared); ``"certificate"`` -- DER X.509 (Rekor v2
    ``verifier.x509Certificate``); ``"public-key"`` -- DER SubjectPublicKeyInfo (Rekor v2
    ``verifier.publicKey``); ``""`` -- a Rekor v2 verifier naming neither (``data`` is ``b""``),
    which is never the bundle's signer.
    """

    form: str
    data: bytes


class LoggedSignature(NamedTuple):
    """One logged signature and who made it. ``signature`` is ``b""`` where an intoto 0.0.2 entry
    does not carry the second base64 layer that kind uses (it then equals no real signature)."""

    signature: bytes
    signer: LoggedSigner


class EntryBody(NamedTuple):
    """A parsed ``canonicalizedBody`` (the Rekor ``{"apiVersion", "kind", "spec"}`` document).

    * ``kind``, ``api_version`` -- as the body says them. The spec is read only for a kind of
      :data:`KINDS`; for any other kind the remaining fields are empty (``""``, ``b""``, ``None``,
      ``()``), and :func:`verify_entry_body` rejects the entry.
    * ``digest_algorithm``, ``digest`` -- the logged hash: hashedrekord's artifact digest (or,
      for a DSSE bundle in Rekor v2, SHA-256 of its PAE), dsse's and intoto's payload hash. The
      algorithm is spelled as the kind spells it (``"sha256"`` in 0.0.1 kinds and intoto,
      ``"SHA2_256"`` in hashedrekord 0.0.2).
    * ``payload_type`` -- intoto only: the logged envelope's ``payloadType``; ``None`` where the
      kind has none or the entry leaves it out.
    * ``signatures`` -- every logged signature in order (hashedrekord: exactly one).
    """

    kind: str
    api_version: str
    digest_algorithm: str
    digest: bytes
    payload_type: Optional[str]
    signatures: Tuple[LoggedSignature, ...]


def _hex_hash(value: Any, what: str) -> Tuple[str, bytes]:
    mapping = enc.obj(value, what)
    algorithm = enc.string(enc.req(mapping, "algorithm", what), f"{what}.algorithm")
    text = enc.string(enc.req(mapping, "value", what), f"{what}.value")
    try:
        return algorithm, bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"{what}.value: not hex") from None


def _b64_hash(value: Any, what: str) -> Tuple[str, bytes]:
    mapping = enc.obj(value, what)
    algorithm = enc.string(enc.req(mapping, "algorithm", what), f"{what}.algorithm")
    return algorithm, enc.b64decode(enc.req(mapping, "digest", what), f"{what}.digest")


def _pem(value: Any, what: str) -> LoggedSigner:
    return LoggedSigner("pem", enc.b64decode(value, what))


def _verifier(verifier: Mapping[str, Any], what: str) -> LoggedSigner:
    """A Rekor v2 ``Verifier``: an X.509 certificate or a public key, each as ``rawBytes``."""
    cert = enc.opt(verifier, "x509Certificate")
    if cert is not None:
        return LoggedSigner("certificate", enc.b64decode(enc.req(enc.obj(cert, what), "rawBytes", what), f"{what}.rawBytes"))
    key = enc.opt(verifier, "publicKey")
    if key is not None:
        return LoggedSigner("public-key", enc.b64decode(enc.req(enc.obj(key, what), "rawBytes", what), f"{what}.rawBytes"))
    return LoggedSigner("", b"")


def _parse_hashedrekord(spec: Mapping[str, Any], version: str) -> Tuple[str, bytes, Optional[str], Tuple[LoggedSignature, ...]]:
    if version == "0.0.1":
        algorithm, logged = _hex_hash(enc.req(enc.obj(spec.get("data"), "spec.data"), "hash", "spec.data"), "spec.data.hash")
        sig_map = enc.obj(spec.get("signature"), "spec.signature")
        logged_sig = enc.b64decode(enc.req(sig_map, "content", "spec.signature"), "spec.signature.content")
        key_map = enc.obj(enc.req(sig_map, "publicKey", "spec.signature"), "spec.signature.publicKey")
        signer = _pem(enc.req(key_map, "content", "spec.signature.publicKey"), "spec.signature.publicKey.content")
    else:
        inner = enc.obj(enc.req(spec, "hashedRekordV002", "spec"), "spec.hashedRekordV002")
        algorithm, logged = _b64_hash(enc.req(inner, "data", "hashedRekordV002"), "hashedRekordV002.data")
        sig_map = enc.obj(enc.req(inner, "signature", "hashedRekordV002"), "hashedRekordV002.signature")
        logged_sig = enc.b64decode(enc.req(sig_map, "content", "signature"), "signature.content")
        verifier = enc.obj(enc.req(sig_map, "verifier", "signature"), "signature.verifier")
        signer = _verifier(verifier, "signature.verifier")
    return algorithm, logged, None, (LoggedSignature(logged_sig, signer),)


def _parse_dsse(spec: Mapping[str, Any]) -> Tuple[str, bytes, Optional[str], Tuple[LoggedSignature, ...]]:
    """dsse 0.0.1 (Rekor v1)."""
    algorithm, digest = _hex_hash(enc.req(spec, "payloadHash", "spec"), "spec.payloadHash")
    logged: List[LoggedSignature] = []
    for index, item in enumerate(enc.array(enc.req(spec, "signatures", "spec"), "spec.signatures", limit=16)):
        where = f"spec.signatures[{index}]"
        mapping = enc.obj(item, where)
        signature = enc.b64decode(enc.req(mapping, "signature", where), f"{where}.signature")
        logged.append(LoggedSignature(signature, _pem(enc.req(mapping, "verifier", where), f"{where}.verifier")))
    return algorithm, digest, None, tuple(logged)


def _parse_intoto(spec: Mapping[str, Any]) -> Tuple[str, bytes, Optional[str], Tuple[LoggedSignature, ...]]:
    content = enc.obj(enc.req(spec, "content", "spec"), "spec.content")
    algorithm, digest = _hex_hash(enc.req(content, "payloadHash", "spec.content"), "spec.content.payloadHash")
    logged_env = enc.obj(enc.req(content, "envelope", "spec.content"), "spec.content.envelope")
    payload_type = enc.opt(logged_env, "payloadType")
    if payload_type is not None:
        payload_type = enc.string(payload_type, "spec.content.envelope.payloadType")
    logged: List[LoggedSignature] = []
    # intoto 0.0.2 stores signatures and keys base64-encoded once more inside the JSON.
    for index, item in enumerate(enc.array(enc.req(logged_env, "signatures", "envelope"), "envelope.signatures", limit=16)):
        where = f"envelope.signatures[{index}]"
        mapping = enc.obj(item, where)
        sig_text = enc.b64decode(enc.req(mapping, "sig", where), f"{where}.sig").decode("ascii", "replace")
        try:
            signature = enc.b64decode(sig_text, f"{where}.sig")
        except ValueError:
            signature = b""  # not the double encoding intoto 0.0.2 uses: cannot equal the envelope's
        logged.append(LoggedSignature(signature, _pem(enc.req(mapping, "publicKey", where), f"{where}.publicKey")))
    return algorithm, digest, payload_type, tuple(logged)


def parse_entry_body(data: bytes) -> EntryBody:
    """Read a log entry's ``canonicalizedBody`` as the kind it declares.

    Raises:
        InputError: ``Step.TLOG_ENTRY``: the body is not a JSON object with string ``kind`` and
            ``apiVersion`` and an object ``spec``, or the spec of a kind of :data:`KINDS` lacks a
            field, has one of the wrong type, or holds bad base64 or hex.
    """
    try:
        body = enc.obj(enc.load_json(data), "entry body")
        kind = enc.string(enc.req(body, "kind", "entry body"), "entry body.kind")
        version = enc.string(enc.req(body, "apiVersion", "entry body"), "entry body.apiVersion")
        spec = enc.obj(enc.req(body, "spec", "entry body"), "entry body spec")
        if (kind, version) not in KINDS:
            return EntryBody(kind, version, "", b"", None, ())
        if kind == "hashedrekord":
            fields = _parse_hashedrekord(spec, version)
        elif kind == "dsse":
            fields = _parse_dsse(spec)
        else:
            fields = _parse_intoto(spec)
    except ValueError as exc:
        raise InputError(f"log entry body is malformed: {exc}", step=ENTRY_STEP) from None
    return EntryBody(kind, version, *fields)


# --- compare: the entry body against the bundle ------------------------------------------------


class _Signer:
    """The bundle's signing certificate or key, comparable with what an entry body names."""

    def __init__(self, certificate: Optional[_certificate.Certificate], public_key: PublicKey) -> None:
        self.certificate = certificate
        self.public_key = public_key

    @functools.cached_property
    def spki(self) -> bytes:
        """The key's SubjectPublicKeyInfo, encoded when a key-signed entry asks for it."""
        return _certificate.spki_of(self.public_key)

    def matches_pem(self, pem: bytes) -> bool:
        if b"CERTIFICATE" in pem.split(b"\n", 1)[0]:
            # By bytes, not cryptography's ``==``: 3.4.8 finds a BER re-encoding equal to the original.
            try:
                der = _x509.pem_certificate(pem)
            except Exception:  # noqa: BLE001 -- any reading failure: not the bundle's certificate
                return False
            return self.certificate is not None and hmac.compare_digest(der, self.certificate.der)
        try:
            key = _certificate.public_key(_x509.pem_public_key(pem))
            return self.certificate is None and self.spki == _certificate.spki_of(key)
        except Exception:  # noqa: BLE001 -- ValueError, TypeError, UnsupportedAlgorithm, ...
            return False

    def matches(self, logged: LoggedSigner) -> bool:
        if logged.form == "pem":
            return self.matches_pem(logged.data)
        if logged.form == "certificate":
            return self.certificate is not None and hmac.compare_digest(logged.data, self.certificate.der)
        if logged.form == "public-key":
            return self.certificate is None and hmac.compare_digest(logged.data, self.spki)
        return False


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise VerificationError(message, step=ENTRY_STEP)


def _check_hashedrekord(body: EntryBody, bundle: Bundle, signer: _Signer, digest: bytes) -> None:
    if isinstance(bundle.content, DsseEnvelope):
        # Rekor v2 logs DSSE bundles as hashedrekord 0.0.2 over SHA-256(PAE).
        _expect(body.api_version == "0.0.2", "a DSSE bundle cannot be logged as hashedrekord 0.0.1")
        expected_digest, signature = pae_digest(bundle.content), bundle.content.signatures[0].signature
    else:
        expected_digest, signature = digest, bundle.content.signature
    expected_algorithm = "sha256" if body.api_version == "0.0.1" else "SHA2_256"
    _expect(
        body.digest_algorithm == expected_algorithm,
        f"entry hash algorithm is {body.digest_algorithm!r}, expected {expected_algorithm}",
    )
    (logged,) = body.signatures
    _expect(
        hmac.compare_digest(body.digest, expected_digest),
        f"logged digest sha256:{body.digest.hex()} differs from the bundle's sha256:{expected_digest.hex()}",
    )
    _expect(hmac.compare_digest(logged.signature, signature), "logged signature differs from the bundle's signature")
    _expect(signer.matches(logged.signer), "logged certificate or key differs from the bundle's")


def _check_signatures(logged: Tuple[LoggedSignature, ...], envelope: DsseEnvelope, signer: _Signer) -> None:
    _expect(
        len(logged) == len(envelope.signatures),
        f"entry logs {len(logged)} signature(s), the envelope carries {len(envelope.signatures)}",
    )
    for item, bundled in zip(logged, envelope.signatures):
        _expect(hmac.compare_digest(item.signature, bundled.signature), "logged DSSE signature differs from the envelope's")
        _expect(signer.matches(item.signer), "logged DSSE verifier differs from the bundle's certificate or key")


def _logged_envelope(body: EntryBody, bundle: Bundle) -> DsseEnvelope:
    """The bundle's DSSE envelope, whose payload the dsse or intoto entry ``body`` must hash."""
    envelope = bundle.content
    if not isinstance(envelope, DsseEnvelope):
        article = "an" if body.kind[:1] in ("a", "e", "i", "o", "u") else "a"
        raise VerificationError(f"{article} {body.kind} entry needs a DSSE bundle, this one has a message signature",
                                step=ENTRY_STEP)
    _expect(body.digest_algorithm == "sha256", f"entry payload hash algorithm is {body.digest_algorithm!r}, expected sha256")
    _expect(
        hmac.compare_digest(body.digest, hashlib.sha256(envelope.payload).digest()),
        "logged payload hash differs from the envelope's payload",
    )
    return envelope


def _check_dsse(body: EntryBody, bundle: Bundle, signer: _Signer) -> None:
    """dsse 0.0.1 (Rekor v1)."""
    _check_signatures(body.signatures, _logged_envelope(body, bundle), signer)


def _check_intoto(body: EntryBody, bundle: Bundle, signer: _Signer) -> None:
    envelope = _logged_envelope(body, bundle)
    _expect(body.payload_type == envelope.payload_type, "logged payload type differs from the envelope's")
    _check_signatures(body.signatures, envelope, signer)


def verify_entry_body(entry: TlogEntry, bundle: Bundle, *, public_key: PublicKey, artifact_digest: bytes) -> None:
    """Check that the entry's canonicalized body describes this bundle's signing event: parse it
    (:func:`parse_entry_body`), then compare its typed fields with the bundle.

    Raises:
        InputError: ``Step.TLOG_ENTRY``: the body is malformed (see :func:`parse_entry_body`).
        VerificationError: ``Step.TLOG_ENTRY``: an unsupported kind, a body of another kind than
            the bundle names, or a body whose hash algorithm, signature, certificate or key, or
            digest differs from the bundle's.
    """
    kind = (entry.kind, entry.kind_version)
    if kind == ("dsse", "0.0.2"):
        raise VerificationError(
            "log entry kind dsse 0.0.2 is not accepted: the Rekor v2 specification dropped it and logs a DSSE"
            " envelope as hashedrekord 0.0.2 over its PAE (sigstore-python and sigstore-java reject it too)",
            step=ENTRY_STEP,
        )
    if kind not in KINDS:
        raise VerificationError(f"unsupported log entry kind {entry.kind} {entry.kind_version}", step=ENTRY_STEP)
    body = parse_entry_body(entry.canonicalized_body)
    _expect(
        (body.kind, body.api_version) == kind,
        f"entry body is {body.kind} {body.api_version}, the bundle says {entry.kind} {entry.kind_version}",
    )
    signer = _Signer(bundle.certificate, public_key)
    if entry.kind == "hashedrekord":
        _check_hashedrekord(body, bundle, signer, artifact_digest)
    elif entry.kind == "dsse":
        _check_dsse(body, bundle, signer)
    else:
        _check_intoto(body, bundle, signer)
