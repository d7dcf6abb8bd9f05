# SPDX-License-Identifier: Apache-2.0
"""cosign's legacy blob-signing formats, read strictly and turned into a :class:`model.Bundle`, so
that the one verification pipeline (``verify/pipeline.py``) runs every step on them.

Inputs (``cosign sign-blob`` without ``--new-bundle-format``; see docs/cosign.md):

* a detached signature (``--output-signature``): base64 of the signature bytes (cosign's default
  ``--b64``), or the raw bytes (``--b64=false``); line breaks and surrounding white space are
  ignored, anything else that is text but not standard padded base64 is malformed;
* a signing certificate (``--output-certificate``): PEM, base64 of PEM (what ``--b64`` makes of
  it), or DER; exactly one certificate;
* a certificate chain (``verify-blob --certificate-chain``): PEM, the issuing intermediate first,
  the root optional and last. It is never a trust anchor here: it must equal the leading
  certificates of a Fulcio CA chain in the trusted root, that CA must have issued the signing
  certificate, or the verification fails (step ``certificate-chain``);
* an RFC 3161 timestamp (``--rfc3161-timestamp``): cosign's JSON ``{"SignedRFC3161Timestamp":
  <base64 DER TimeStampResp>}``, or the DER ``TimeStampResp`` itself;
* cosign's old bundle (``--bundle``)::

      {"base64Signature": <base64>,
       "cert": <base64 of PEM: the certificate; or of a PEM public key; absent or "" for a key>,
       "rekorBundle": {"SignedEntryTimestamp": <base64>,
                       "Payload": {"body": <base64 canonical entry body>, "integratedTime": <int>,
                                   "logIndex": <int>, "logID": <hex>}}}

  told apart from a Sigstore bundle by its shape: a JSON object with ``base64Signature`` and no
  ``mediaType``. ``cert`` may also be plain PEM (cosign reads both).

What they become: a bundle with bundle-v0.1 semantics (a Rekor v1 entry with a signed entry
timestamp and no inclusion proof is complete evidence), a message signature without a message
digest, the certificate (no chain: the chain always comes from the trusted root) and at most one
log entry, whose kind and version are read from its body. The SET, the body's agreement with the
signature, certificate or key and artifact digest, the chain at the verified time, the SCTs and
the identity are then the pipeline's steps, exactly as for a Sigstore bundle.

cosign wrote ``rekord`` entries only before v1.4.0, which had no ``--bundle``; every old bundle
carries ``hashedrekord`` 0.0.1, which the pipeline checks. A public key in a key-signed old
bundle's ``cert`` is decoded (it must be one) but not used: ``--key`` is the only trusted key.

Malformed input is :class:`InputError` (exit 4) with step ``bundle``, ``signature``,
``certificate`` or ``timestamp``; inputs without transparency-log evidence fail (step ``tlog``)
unless the caller allows a weaker verification (``allow_no_tlog``; on the command line
``--insecure-ignore-tlog``).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, List, Mapping, NamedTuple, Optional, Tuple

from cryptography.exceptions import UnsupportedAlgorithm

from . import _encoding as enc
from . import _certificate, _x509, hints
from ._certificate import Certificate
from .errors import InputError, Step, VerificationError
from .inputs import read_input, shown
from .limits import MAX_CHAIN_CERTIFICATES, MAX_COSIGN_FILE_BYTES
from .model import Bundle, MessageSignature, TlogEntry, decode_bundle_json, load_certificate, parse_bundle_document
from .trust.trusted_root import TrustedRoot
from .verify import certchain

__all__ = [
    "LEGACY_BUNDLE", "DETACHED", "FORMATS", "V0_1", "NO_TLOG_HINT", "DetachedInputs", "decode_signature",
    "decode_certificates", "decode_timestamp", "is_legacy_bundle", "parse_any_bundle", "check_chain",
    "load_detached", "prepare",
]

# What Verified.bundle_media_type says for these inputs (they have no media type of their own).
LEGACY_BUNDLE = "cosign-bundle"
DETACHED = "cosign-detached-signature"
FORMATS = frozenset({LEGACY_BUNDLE, DETACHED})
V0_1 = (0, 1)  # SET without inclusion proof is complete evidence, as in a v0.1 Sigstore bundle

NO_TLOG_HINT = hints.NO_TLOG


class DetachedInputs(NamedTuple):
    """cosign's detached signature files (``cosign sign-blob --output-signature``).

    Attributes:
        signature: the signature file.
        certificate: the signing certificate file; ``None`` for a managed-key signature.
        chain: PEM intermediates (and root) of ``certificate``; ``None``: the trusted root's chain.
    """

    signature: str
    certificate: Optional[str] = None
    chain: Optional[str] = None

_BASE64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9]+(?: [A-Z0-9]+)*)-----")
_TEXT = frozenset(range(0x20, 0x7F)) | {0x09, 0x0A, 0x0D}


# --- strict decoders (bytes in, values out; ValueError naming the problem) -------------------


def _base64(data: bytes, what: str) -> bytes:
    """Standard alphabet, padded (Go's ``base64.StdEncoding``, which cosign writes); white space
    anywhere is dropped, as Go's decoder drops line breaks."""
    text = b"".join(data.split())
    if not text or len(text) % 4 or not _BASE64.fullmatch(text):
        raise ValueError(f"{what}: not valid base64")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what}: not valid base64") from None


def _is_text(data: bytes) -> bool:
    return all(byte in _TEXT for byte in data)


def decode_signature(raw: bytes, what: str) -> bytes:
    """A detached signature file: base64 text, or the raw signature bytes (``--b64=false``)."""
    if not raw.strip():
        raise ValueError(f"{what}: empty")
    signature = _base64(raw, what) if _is_text(raw) else raw
    if not signature:
        raise ValueError(f"{what}: empty")
    return signature


def _pem_blocks(data: bytes, what: str, *, limit: int) -> List[Tuple[str, bytes]]:
    """RFC 7468 strict: only white space outside the blocks, no headers, base64 inside."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError(f"{what}: PEM is not ASCII text") from None
    blocks: List[Tuple[str, bytes]] = []
    label: Optional[str] = None
    body: List[str] = []
    for line in text.splitlines():
        line = line.strip()
        if label is None:
            if not line:
                continue
            match = _PEM_BEGIN.fullmatch(line)
            if match is None:
                raise ValueError(f"{what}: text outside a PEM block")
            label, body = match.group(1), []
        elif line == f"-----END {label}-----":
            blocks.append((label, _base64("".join(body).encode("ascii"), f"{what}: PEM {label}")))
            if len(blocks) > limit:
                raise ValueError(f"{what}: more than {limit} PEM blocks")
            label = None
        else:
            body.append(line)
    if label is not None:
        raise ValueError(f"{what}: PEM {label} block has no END line")
    if not blocks:
        raise ValueError(f"{what}: no PEM block")
    return blocks


def _unwrap(raw: bytes, what: str) -> Tuple[str, bytes]:
    """``("pem", text)`` or ``("der", bytes)``: PEM, DER, or either one base64-encoded once."""
    if raw[:1] == b"\x30":  # DER (SEQUENCE); never stripped: its last byte may look like white space
        return "der", raw
    data = raw.strip()
    if not data:
        raise ValueError(f"{what}: empty")
    if data.startswith(b"-----BEGIN"):
        return "pem", data
    decoded = _base64(data, f"{what} (neither PEM nor DER, so base64 of one)")
    if decoded.strip().startswith(b"-----BEGIN"):
        return "pem", decoded.strip()
    if decoded[:1] == b"\x30":
        return "der", decoded
    raise ValueError(f"{what}: base64 of neither PEM nor DER")


def decode_certificates(raw: bytes, what: str, *, limit: int = MAX_CHAIN_CERTIFICATES) -> List[Certificate]:
    """Certificates from PEM (one or more blocks), DER (one), or base64 of either."""
    form, data = _unwrap(raw, what)
    if form == "der":
        return [load_certificate(data, what)]
    certificates = []
    for index, (label, der) in enumerate(_pem_blocks(data, what, limit=limit)):
        if label != "CERTIFICATE":
            raise ValueError(f"{what}: PEM block {index + 1} is {label}, expected CERTIFICATE")
        certificates.append(load_certificate(der, f"{what}: certificate {index + 1}"))
    return certificates


def decode_timestamp(raw: bytes, what: str) -> bytes:
    """cosign's ``{"SignedRFC3161Timestamp": <base64>}`` or a DER TimeStampResp; the token itself
    is parsed and verified by the pipeline (``verify/rfc3161.py``)."""
    data = raw.strip()
    if data[:1] == b"{":
        document = enc.obj(enc.load_json(data), what)
        token = enc.b64decode(enc.req(document, "SignedRFC3161Timestamp", what), f"{what}.SignedRFC3161Timestamp")
    elif raw[:1] == b"\x30":
        token = raw
    else:
        raise ValueError(f"{what}: neither cosign's timestamp JSON nor a DER TimeStampResp")
    if not token:
        raise ValueError(f"{what}: empty timestamp")
    return token


# --- cosign's old bundle ---------------------------------------------------------------------


def _bundle_certificate(text: str) -> Optional[Certificate]:
    """``cert``: the signing certificate, or ``None`` for a public key (decoded, then unused)."""
    form, data = _unwrap(text.encode("utf-8"), "cert")
    if form == "der":
        return load_certificate(data, "cert")
    blocks = _pem_blocks(data, "cert", limit=1)
    label, der = blocks[0]
    if label == "CERTIFICATE":
        return load_certificate(der, "cert")
    if label == "PUBLIC KEY":
        try:
            _certificate.public_key(_x509.public_key(der))
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise ValueError("cert: PEM PUBLIC KEY is not a valid public key") from None
        return None
    raise ValueError(f"cert: PEM {label}, expected CERTIFICATE or PUBLIC KEY")


def _entry_kind(body: bytes) -> Tuple[str, str]:
    what = "rekorBundle.Payload.body"
    try:
        document = enc.obj(enc.load_json(body), what)
        kind = enc.string(enc.req(document, "kind", what), f"{what}.kind")
        version = enc.string(enc.req(document, "apiVersion", what), f"{what}.apiVersion")
    except ValueError as exc:
        raise ValueError(f"{what}: not a Rekor entry ({exc})") from None
    return kind, version


def _rekor_bundle(value: Any) -> TlogEntry:
    what = "rekorBundle"
    mapping = enc.obj(value, what)
    promise = enc.b64decode(enc.req(mapping, "SignedEntryTimestamp", what), f"{what}.SignedEntryTimestamp")
    if not promise:
        raise ValueError(f"{what}.SignedEntryTimestamp: empty")
    payload = enc.obj(enc.req(mapping, "Payload", what), f"{what}.Payload")
    where = f"{what}.Payload"
    body = enc.b64decode(enc.req(payload, "body", where), f"{where}.body")
    if not body:
        raise ValueError(f"{where}.body: empty")
    log_id_text = enc.string(enc.req(payload, "logID", where), f"{where}.logID")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", log_id_text):
        raise ValueError(f"{where}.logID: expected 64 hex digits (a SHA-256 log id)")
    kind, version = _entry_kind(body)
    return TlogEntry(
        log_index=enc.int64(enc.req(payload, "logIndex", where), f"{where}.logIndex"),
        log_id=bytes.fromhex(log_id_text),
        kind=kind,
        kind_version=version,
        integrated_time=enc.int64(enc.req(payload, "integratedTime", where), f"{where}.integratedTime", minimum=1),
        inclusion_promise=promise,
        inclusion_proof=None,
        canonicalized_body=body,
    )


def _legacy_bundle(document: Mapping[str, Any]) -> Bundle:
    signature = enc.b64decode(enc.req(document, "base64Signature", "bundle"), "base64Signature")
    if not signature:
        raise ValueError("base64Signature: empty")
    cert_text = enc.string(enc.opt(document, "cert") or "", "cert")
    certificate = _bundle_certificate(cert_text) if cert_text else None
    rekor = enc.opt(document, "rekorBundle")
    entries = (_rekor_bundle(rekor),) if rekor is not None else ()
    return Bundle(
        media_type=LEGACY_BUNDLE,
        version=V0_1,
        certificate=certificate,
        chain=(),
        public_key_hint=None if certificate is not None else "",
        tlog_entries=entries,
        rfc3161_timestamps=(),
        content=MessageSignature(signature, None, None),
    )


def is_legacy_bundle(document: Any) -> bool:
    """cosign's old bundle, by shape: ``base64Signature`` and no ``mediaType``."""
    return isinstance(document, dict) and "base64Signature" in document and "mediaType" not in document


def parse_any_bundle(raw: bytes, *, source: str = "bundle") -> Bundle:
    """A Sigstore bundle (``model.parse_bundle``) or cosign's old bundle, told apart by shape;
    the JSON is decoded once."""
    document = decode_bundle_json(raw, source=source)
    if is_legacy_bundle(document):
        try:
            return _legacy_bundle(document)
        except ValueError as exc:
            raise InputError(f"{source}: cosign bundle: {exc}", step=Step.BUNDLE) from None
    return parse_bundle_document(document, source=source)


# --- detached files --------------------------------------------------------------------------


def _read(path: str, what: str, step: Step) -> bytes:
    return read_input(path, limit=MAX_COSIGN_FILE_BYTES, what=what, step=step)


def _decoded(step: Step, decode: Any, raw: bytes, what: str) -> Any:
    try:
        return decode(raw, what)
    except ValueError as exc:
        raise InputError(str(exc), step=step) from None


def check_chain(leaf: Certificate, chain: List[Certificate], trusted_root: TrustedRoot) -> None:
    """The supplied chain must be the leading certificates of a trusted Fulcio CA chain (the root
    may be included, last) of a CA that issued ``leaf``. It adds nothing to what is trusted."""
    for authority in trusted_root.certificate_authorities:
        trusted = authority.chain
        leading = list(trusted[: len(chain)])
        if len(chain) <= len(trusted) and leading == chain and certchain.issued_by(leaf, trusted[0]):
            return
    raise VerificationError(
        f"the certificate chain given ({len(chain)} certificate(s), first {certchain.describe(chain[0])}) is not the"
        " chain of a Fulcio CA in the trusted root that issued the signing certificate",
        step=Step.CERTIFICATE_CHAIN,
        hint="a chain given beside the signature is never trusted by itself; a private CA belongs in the"
        " trusted root",
    )


def load_detached(inputs: DetachedInputs, trusted_root: TrustedRoot) -> Bundle:
    """A detached signature with its certificate (and chain), or alone for a managed key."""
    if inputs.chain is not None and inputs.certificate is None:
        raise ValueError("a certificate chain goes with the signing certificate")
    signature = _decoded(Step.SIGNATURE, decode_signature, _read(inputs.signature, "signature", Step.SIGNATURE),
                         f"signature {shown(inputs.signature)}")
    certificate = None
    if inputs.certificate is not None:
        what = f"certificate {shown(inputs.certificate)}"
        certificates = _decoded(Step.CERTIFICATE, decode_certificates,
                                _read(inputs.certificate, "certificate", Step.CERTIFICATE), what)
        if len(certificates) != 1:
            raise InputError(f"{what}: holds {len(certificates)} certificates; give the signing certificate alone"
                             " and its chain separately", step=Step.CERTIFICATE)
        certificate = certificates[0]
    if inputs.chain is not None and certificate is not None:
        what = f"certificate chain {shown(inputs.chain)}"
        chain = _decoded(Step.CERTIFICATE, decode_certificates,
                         _read(inputs.chain, "certificate chain", Step.CERTIFICATE), what)
        check_chain(certificate, chain, trusted_root)
    return Bundle(
        media_type=DETACHED,
        version=V0_1,
        certificate=certificate,
        chain=(),
        public_key_hint=None if certificate is not None else "",
        tlog_entries=(),
        rfc3161_timestamps=(),
        content=MessageSignature(signature, None, None),
    )


# --- the pipeline's way in (request.py) -------------------------------------------------------


def prepare(bundle: Bundle, *, timestamp: Optional[str] = None, allow_no_tlog: bool = False) -> Bundle:
    """Attach cosign's RFC 3161 ``timestamp`` file; refuse cosign input without log evidence
    unless ``allow_no_tlog`` (the pipeline would refuse it too; this names the reason)."""
    if timestamp is not None:
        if bundle.media_type not in FORMATS:
            raise ValueError("a separate RFC 3161 timestamp goes with cosign's detached signature or old bundle;"
                             " a Sigstore bundle carries its own timestamps")
        token = _decoded(Step.TIMESTAMP, decode_timestamp,
                         read_input(timestamp, limit=MAX_COSIGN_FILE_BYTES, what="timestamp", step=Step.TIMESTAMP),
                         f"timestamp {shown(timestamp)}")
        bundle = bundle._replace(rfc3161_timestamps=(token,))
    if bundle.media_type in FORMATS and not bundle.tlog_entries and not allow_no_tlog:
        what = "a detached signature" if bundle.media_type == DETACHED else "this cosign bundle (no rekorBundle)"
        raise VerificationError(f"no transparency-log evidence: {what} carries no Rekor entry", step=Step.TLOG,
                                hint=NO_TLOG_HINT)
    return bundle
