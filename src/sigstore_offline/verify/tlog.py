"""Transparency-log entries: the signed entry timestamp (SET) and the entry body's consistency.

* SET (Rekor v1 ``inclusionPromise``): the log's signature over the canonical JSON
  ``{"body":<base64 canonicalizedBody>,"integratedTime":<int>,"logID":"<hex>","logIndex":<int>}``
  (keys sorted, no white space). A verified SET makes ``integratedTime`` a verified time.
* Body consistency: the logged entry must describe exactly this bundle -- the same signature,
  the same certificate or key, and the same artifact digest or DSSE envelope. Kinds:
  hashedrekord 0.0.1 / 0.0.2, dsse 0.0.1, intoto 0.0.2. Not dsse 0.0.2: the Rekor v2
  specification dropped that type (a DSSE envelope is logged there as hashedrekord 0.0.2 over its
  PAE), and sigstore-python and sigstore-java reject it too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, List, Mapping, Optional, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key

from .. import _encoding as enc
from .. import _x509
from ..errors import VerificationError
from ..model import Bundle, DsseEnvelope, TlogEntry
from ..trust.trusted_root import LogKey
from .certchain import verify_signature
from .dsse import pae_digest

SET_STEP = "set"
ENTRY_STEP = "tlog-entry"

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
    if entry.inclusion_promise is None:
        raise VerificationError("entry carries no signed entry timestamp", step=SET_STEP)
    if entry.integrated_time is None:
        raise VerificationError("entry has a signed entry timestamp but no integrated time", step=SET_STEP)
    if not verify_signature(log.public_key, entry.inclusion_promise, set_payload(entry), hashes.SHA256()):
        raise VerificationError(
            f"signed entry timestamp of entry #{entry.log_index} does not verify with the key of {log.base_url}",
            step=SET_STEP,
        )


# --- what the bundle says, in the terms an entry body uses ---------------------------------


class _Signer:
    """The bundle's signing certificate or key, comparable with what an entry body names."""

    def __init__(self, certificate: Optional[x509.Certificate], public_key: Any) -> None:
        self.certificate = certificate
        self.spki = public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)

    def matches_pem(self, pem: bytes) -> bool:
        if b"CERTIFICATE" in pem.split(b"\n", 1)[0]:
            # By bytes, not cryptography's ``==``: 3.4.8 finds a BER re-encoding equal to the original.
            try:
                der = _x509.pem_certificate(pem)
            except Exception:  # noqa: BLE001 -- any reading failure: not the bundle's certificate
                return False
            return self.certificate is not None and hmac.compare_digest(
                der, self.certificate.public_bytes(Encoding.DER))
        try:
            key = load_der_public_key(_x509.pem_public_key(pem))
            return self.certificate is None and self.spki == key.public_bytes(
                Encoding.DER, PublicFormat.SubjectPublicKeyInfo
            )
        except Exception:  # noqa: BLE001 -- ValueError, TypeError, UnsupportedAlgorithm, ...
            return False

    def matches_verifier(self, verifier: Mapping[str, Any], what: str) -> bool:
        cert = enc.opt(verifier, "x509Certificate")
        if cert is not None:
            der = enc.b64decode(enc.req(enc.obj(cert, what), "rawBytes", what), f"{what}.rawBytes")
            return self.certificate is not None and hmac.compare_digest(
                der, self.certificate.public_bytes(Encoding.DER)
            )
        key = enc.opt(verifier, "publicKey")
        if key is not None:
            der = enc.b64decode(enc.req(enc.obj(key, what), "rawBytes", what), f"{what}.rawBytes")
            return self.certificate is None and hmac.compare_digest(der, self.spki)
        return False


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


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise VerificationError(message, step=ENTRY_STEP)


def _check_hashedrekord(spec: Mapping[str, Any], version: str, bundle: Bundle, signer: _Signer, digest: bytes) -> None:
    if isinstance(bundle.content, DsseEnvelope):
        # Rekor v2 logs DSSE bundles as hashedrekord 0.0.2 over SHA-256(PAE).
        _expect(version == "0.0.2", "a DSSE bundle cannot be logged as hashedrekord 0.0.1")
        expected_digest, signature = pae_digest(bundle.content), bundle.content.signatures[0].signature
    else:
        expected_digest, signature = digest, bundle.content.signature
    if version == "0.0.1":
        algorithm, logged = _hex_hash(enc.req(enc.obj(spec.get("data"), "spec.data"), "hash", "spec.data"), "spec.data.hash")
        _expect(algorithm == "sha256", f"entry hash algorithm is {algorithm!r}, expected sha256")
        sig_map = enc.obj(spec.get("signature"), "spec.signature")
        logged_sig = enc.b64decode(enc.req(sig_map, "content", "spec.signature"), "spec.signature.content")
        key_map = enc.obj(enc.req(sig_map, "publicKey", "spec.signature"), "spec.signature.publicKey")
        pem = enc.b64decode(enc.req(key_map, "content", "spec.signature.publicKey"), "spec.signature.publicKey.content")
        signer_ok = signer.matches_pem(pem)
    else:
        inner = enc.obj(enc.req(spec, "hashedRekordV002", "spec"), "spec.hashedRekordV002")
        algorithm, logged = _b64_hash(enc.req(inner, "data", "hashedRekordV002"), "hashedRekordV002.data")
        _expect(algorithm == "SHA2_256", f"entry hash algorithm is {algorithm!r}, expected SHA2_256")
        sig_map = enc.obj(enc.req(inner, "signature", "hashedRekordV002"), "hashedRekordV002.signature")
        logged_sig = enc.b64decode(enc.req(sig_map, "content", "signature"), "signature.content")
        verifier = enc.obj(enc.req(sig_map, "verifier", "signature"), "signature.verifier")
        signer_ok = signer.matches_verifier(verifier, "signature.verifier")
    _expect(
        hmac.compare_digest(logged, expected_digest),
        f"logged digest sha256:{logged.hex()} differs from the bundle's sha256:{expected_digest.hex()}",
    )
    _expect(hmac.compare_digest(logged_sig, signature), "logged signature differs from the bundle's signature")
    _expect(signer_ok, "logged certificate or key differs from the bundle's")


def _check_signatures(logged: List[Tuple[bytes, bool]], envelope: DsseEnvelope) -> None:
    _expect(
        len(logged) == len(envelope.signatures),
        f"entry logs {len(logged)} signature(s), the envelope carries {len(envelope.signatures)}",
    )
    for (signature, signer_ok), bundled in zip(logged, envelope.signatures):
        _expect(hmac.compare_digest(signature, bundled.signature), "logged DSSE signature differs from the envelope's")
        _expect(signer_ok, "logged DSSE verifier differs from the bundle's certificate or key")


def _check_dsse(spec: Mapping[str, Any], bundle: Bundle, signer: _Signer) -> None:
    """dsse 0.0.1 (Rekor v1)."""
    envelope = bundle.content
    if not isinstance(envelope, DsseEnvelope):
        raise VerificationError("a dsse entry needs a DSSE bundle, this one has a message signature", step=ENTRY_STEP)
    payload_digest = hashlib.sha256(envelope.payload).digest()
    logged: List[Tuple[bytes, bool]] = []
    algorithm, digest = _hex_hash(enc.req(spec, "payloadHash", "spec"), "spec.payloadHash")
    for index, item in enumerate(enc.array(enc.req(spec, "signatures", "spec"), "spec.signatures", limit=16)):
        where = f"spec.signatures[{index}]"
        mapping = enc.obj(item, where)
        signature = enc.b64decode(enc.req(mapping, "signature", where), f"{where}.signature")
        pem = enc.b64decode(enc.req(mapping, "verifier", where), f"{where}.verifier")
        logged.append((signature, signer.matches_pem(pem)))
    _expect(algorithm == "sha256", f"entry payload hash algorithm is {algorithm!r}, expected sha256")
    _expect(hmac.compare_digest(digest, payload_digest), "logged payload hash differs from the envelope's payload")
    _check_signatures(logged, envelope)


def _check_intoto(spec: Mapping[str, Any], bundle: Bundle, signer: _Signer) -> None:
    envelope = bundle.content
    if not isinstance(envelope, DsseEnvelope):
        raise VerificationError("an intoto entry needs a DSSE bundle, this one has a message signature", step=ENTRY_STEP)
    content = enc.obj(enc.req(spec, "content", "spec"), "spec.content")
    algorithm, digest = _hex_hash(enc.req(content, "payloadHash", "spec.content"), "spec.content.payloadHash")
    _expect(algorithm == "sha256", f"entry payload hash algorithm is {algorithm!r}, expected sha256")
    _expect(
        hmac.compare_digest(digest, hashlib.sha256(envelope.payload).digest()),
        "logged payload hash differs from the envelope's payload",
    )
    logged_env = enc.obj(enc.req(content, "envelope", "spec.content"), "spec.content.envelope")
    payload_type = enc.opt(logged_env, "payloadType")
    _expect(payload_type == envelope.payload_type, "logged payload type differs from the envelope's")
    logged: List[Tuple[bytes, bool]] = []
    # intoto 0.0.2 stores signatures and keys base64-encoded once more inside the JSON.
    for index, item in enumerate(enc.array(enc.req(logged_env, "signatures", "envelope"), "envelope.signatures", limit=16)):
        where = f"envelope.signatures[{index}]"
        mapping = enc.obj(item, where)
        sig_text = enc.b64decode(enc.req(mapping, "sig", where), f"{where}.sig").decode("ascii", "replace")
        try:
            signature = enc.b64decode(sig_text, f"{where}.sig")
        except ValueError:
            signature = b""  # not the double encoding intoto 0.0.2 uses: cannot equal the envelope's
        pem = enc.b64decode(enc.req(mapping, "publicKey", where), f"{where}.publicKey")
        logged.append((signature, signer.matches_pem(pem)))
    _check_signatures(logged, envelope)


def verify_entry_body(entry: TlogEntry, bundle: Bundle, *, public_key: Any, artifact_digest: bytes) -> None:
    """Raise unless the entry's canonicalized body describes this bundle's signing event."""
    kind = (entry.kind, entry.kind_version)
    if kind == ("dsse", "0.0.2"):
        raise VerificationError(
            "log entry kind dsse 0.0.2 is not accepted: the Rekor v2 specification dropped it and logs a DSSE"
            " envelope as hashedrekord 0.0.2 over its PAE (sigstore-python and sigstore-java reject it too)",
            step=ENTRY_STEP,
        )
    if kind not in KINDS:
        raise VerificationError(f"unsupported log entry kind {entry.kind} {entry.kind_version}", step=ENTRY_STEP)
    signer = _Signer(bundle.certificate, public_key)
    try:
        body = enc.obj(enc.load_json(entry.canonicalized_body), "entry body")
        _expect(
            (body.get("kind"), body.get("apiVersion")) == kind,
            f"entry body is {body.get('kind')} {body.get('apiVersion')}, the bundle says {entry.kind} {entry.kind_version}",
        )
        spec = enc.obj(enc.req(body, "spec", "entry body"), "entry body spec")
        if entry.kind == "hashedrekord":
            _check_hashedrekord(spec, entry.kind_version, bundle, signer, artifact_digest)
        elif entry.kind == "dsse":
            _check_dsse(spec, bundle, signer)
        else:
            _check_intoto(spec, bundle, signer)
    except ValueError as exc:
        raise VerificationError(f"log entry body is malformed: {exc}", step=ENTRY_STEP) from None
