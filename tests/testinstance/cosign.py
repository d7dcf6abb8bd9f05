# SPDX-License-Identifier: Apache-2.0
"""cosign's legacy blob formats from the test instance: what ``cosign sign-blob`` (without
``--new-bundle-format``) writes, made with the instance's CA, Rekor v1 log and TSA.

* the detached signature file (``--output-signature``): base64 of the ASN.1 ECDSA signature over
  the artifact's SHA-256, or the raw bytes (``--b64=false``);
* the certificate file (``--output-certificate``): base64 of the PEM leaf (cosign's default
  ``--b64``), the PEM itself, or DER; a ``--certificate-chain`` file (PEM intermediate[, root]);
* the old bundle (``--bundle``): ``{"base64Signature", "cert": base64(PEM) (or of the public key
  PEM for a managed key, or absent), "rekorBundle": {"SignedEntryTimestamp", "Payload": {"body",
  "integratedTime", "logIndex", "logID"}}}``, keys in the order Go's encoder writes them. The
  body is the hashedrekord 0.0.1 entry the instance's Rekor v1 log appended; the SET is the log
  key's ECDSA signature over the canonical JSON ``{"body","integratedTime","logID","logIndex"}``,
  as Rekor v1 signs it (``rekor.RekorLog.set_payload``);
* the RFC 3161 timestamp file (``--rfc3161-timestamp``): ``{"SignedRFC3161Timestamp": <base64>}``
  over the signature bytes, from the instance's TSA.

``COSIGN_TAMPERS`` names faults; each leaves everything else valid (re-signed where needed) so that
exactly one check fails.

Test helper, not product code.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import pathlib
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Optional

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.serialization import Encoding

from . import _enc, rekor
from .bundle import SIGNED_AT
from .ca import DEFAULT_LEAF, Leaf, LeafSpec

if TYPE_CHECKING:  # pragma: no cover
    from .instance import TestInstance

COSIGN_TAMPERS: Dict[str, str] = {
    "signature": "the signature is valid over other data; the log entry and timestamp record that same signature",
    "body-signature": "the log entry records another valid signature by the same key",
    "body-cert": "the log entry records another certificate (managed key: another key)",
    "body-digest": "the log entry records another artifact digest",
    "set": "the SET is the log's valid signature over another payload (logIndex + 1)",
    "set-key": "the SET is signed by a key the trust root does not list, under the trusted log's id",
    "log-id": "the entry names a log the trust root does not list (its SET signed by that log's key)",
    "integrated-time-late": "integratedTime is after the certificate's notAfter (SET re-signed)",
    "integrated-time-early": "integratedTime is before the certificate's notBefore (SET re-signed)",
    "tsa-message": "the RFC 3161 timestamp's message imprint is over another signature",
    "tsa-late": "the RFC 3161 genTime is after the certificate's notAfter",
}
SIGNATURE_FORMS = ("base64", "raw")
CERTIFICATE_FORMS = ("base64-pem", "pem", "der")
BUNDLE_CERT_FORMS = ("base64-pem", "pem", "public-key", "absent")
CHAIN_FORMS = ("intermediate", "intermediate+root", "unrelated", "root")


@dataclasses.dataclass(frozen=True)
class CosignOptions:
    """What to make. Defaults: keyless, base64 signature, base64(PEM) certificate, an old bundle
    with its ``rekorBundle``, no timestamp."""

    leaf: LeafSpec = DEFAULT_LEAF
    managed_key: bool = False
    signed_at: datetime.datetime = SIGNED_AT
    tlog: bool = True  # the old bundle carries a rekorBundle (a detached signature never does)
    timestamp: bool = False  # make an RFC 3161 timestamp file
    signature_form: str = "base64"
    certificate_form: str = "base64-pem"
    bundle_cert: Optional[str] = None  # default: "base64-pem" keyless, "public-key" for a managed key
    chain_form: str = "intermediate+root"
    tamper: FrozenSet[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tamper", frozenset([self.tamper] if isinstance(self.tamper, str) else self.tamper))
        unknown = self.tamper - COSIGN_TAMPERS.keys()
        if unknown:
            raise ValueError(f"unknown tamper {sorted(unknown)}; see COSIGN_TAMPERS")
        if (self.signature_form not in SIGNATURE_FORMS or self.certificate_form not in CERTIFICATE_FORMS
                or self.chain_form not in CHAIN_FORMS
                or (self.bundle_cert is not None and self.bundle_cert not in BUNDLE_CERT_FORMS)):
            raise ValueError("unknown form; see SIGNATURE_FORMS, CERTIFICATE_FORMS, BUNDLE_CERT_FORMS, CHAIN_FORMS")


@dataclasses.dataclass(frozen=True)
class CosignMaterial:
    """Everything ``cosign sign-blob`` could have written for one artifact."""

    artifact: bytes
    options: CosignOptions
    signature: bytes  # the signature bytes themselves
    signature_file: bytes
    certificate_file: Optional[bytes]  # None for a managed key
    chain_file: Optional[bytes]
    bundle: Dict[str, Any]  # the old bundle
    timestamp_file: Optional[bytes]
    leaf: Optional[Leaf]
    public_key_pem: Optional[bytes]  # the managed key
    identity: Optional[str]
    issuer: Optional[str]

    @property
    def digest(self) -> str:
        return "sha256:" + _enc.sha256(self.artifact).hex()

    def bundle_json(self) -> bytes:
        return json.dumps(self.bundle).encode("utf-8")

    def write(self, directory: pathlib.Path, name: str = "artifact.bin") -> Dict[str, pathlib.Path]:
        """Write each file beside the artifact: ``.sig``, ``.crt``, ``.chain.pem``, ``.bundle``,
        ``.tsr.json``, ``.pub``; return their paths by kind (``artifact``, ``signature``, ...)."""
        directory.mkdir(parents=True, exist_ok=True)
        files: Dict[str, Optional[bytes]] = {
            "artifact": self.artifact, "signature": self.signature_file, "certificate": self.certificate_file,
            "chain": self.chain_file, "bundle": self.bundle_json(), "timestamp": self.timestamp_file,
            "key": self.public_key_pem,
        }
        suffixes = {"artifact": "", "signature": ".sig", "certificate": ".crt", "chain": ".chain.pem",
                    "bundle": ".bundle", "timestamp": ".tsr.json", "key": ".pub"}
        paths: Dict[str, pathlib.Path] = {}
        for kind, data in files.items():
            if data is not None:
                paths[kind] = directory / (name + suffixes[kind])
                paths[kind].write_bytes(data)
        return paths


def _sign(key: ec.EllipticCurvePrivateKey, digest: bytes) -> bytes:
    return bytes(key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256()))))


def _pem(*certificates: Any) -> bytes:
    return b"".join(cert.public_bytes(Encoding.PEM) for cert in certificates)


def sign_blob(inst: "TestInstance", artifact: bytes, options: Optional[CosignOptions] = None,
              **changes: Any) -> CosignMaterial:
    """Sign ``artifact`` the way ``cosign sign-blob`` does, logging it in the instance's Rekor v1 log."""
    opts = options or CosignOptions()
    if changes:
        opts = dataclasses.replace(opts, **changes)
    tamper = opts.tamper
    at = opts.signed_at
    log = inst.rekor_v1

    leaf: Optional[Leaf] = None
    if opts.managed_key:
        key = inst.managed_key
        pem = _enc.pem_public_key(key)
        other_pem = _enc.pem_public_key(inst.other_managed_key)
    else:
        leaf = inst.issue_leaf(opts.leaf, at=at)
        key = leaf.key
        pem = leaf.pem
        other_pem = inst.issue_leaf(opts.leaf, at=at).pem if "body-cert" in tamper else pem

    digest = _enc.sha256(artifact)
    signature = _sign(key, _enc.sha256(b"not the artifact") if "signature" in tamper else digest)
    logged_signature = _sign(key, digest) if "body-signature" in tamper else signature
    logged_digest = _enc.sha256(b"another artifact") if "body-digest" in tamper else digest
    body = rekor.hashedrekord_v001(logged_digest, logged_signature, other_pem if "body-cert" in tamper else pem)

    # --- the rekorBundle: the entry as the log returned it, with its SET ---------------------
    index = log.append(body)
    log.append_filler(3)
    not_before = _enc.not_before(leaf.cert) if leaf else at
    not_after = _enc.not_after(leaf.cert) if leaf else at
    integrated = at
    if "integrated-time-late" in tamper:
        integrated = not_after + datetime.timedelta(minutes=1)
    if "integrated-time-early" in tamper:
        integrated = not_before - datetime.timedelta(minutes=1)
    seconds = int(integrated.timestamp())
    log_index = log.global_index(index)
    log_id, set_key = log.log_id, log.key
    if "log-id" in tamper:
        set_key = inst.keys.p256("cosign/unknown-log")
        log_id = _enc.sha256(_enc.spki_der(set_key))
    if "set-key" in tamper:
        set_key = inst.keys.p256("cosign/rogue-set-key")
    payload = log.set_payload(body, seconds, log_index + (1 if "set" in tamper else 0), log_id=log_id)
    promise = bytes(set_key.sign(payload, ec.ECDSA(hashes.SHA256())))
    rekor_bundle = {"SignedEntryTimestamp": _enc.b64(promise),
                    "Payload": {"body": _enc.b64(body), "integratedTime": seconds, "logIndex": log_index,
                                "logID": log_id.hex()}}

    # --- the old bundle ----------------------------------------------------------------------
    bundle: Dict[str, Any] = {"base64Signature": _enc.b64(signature)}
    cert_form = opts.bundle_cert or ("public-key" if opts.managed_key else "base64-pem")
    if cert_form in ("base64-pem", "public-key"):
        bundle["cert"] = _enc.b64(pem)
    elif cert_form == "pem":
        bundle["cert"] = pem.decode("ascii")
    if opts.tlog:
        bundle["rekorBundle"] = rekor_bundle

    # --- detached files ------------------------------------------------------------------------
    signature_file = _enc.b64(signature).encode("ascii") if opts.signature_form == "base64" else signature
    certificate_file = chain_file = None
    if leaf is not None:
        certificate_file = {"base64-pem": _enc.b64(leaf.pem).encode("ascii"), "pem": leaf.pem,
                            "der": leaf.der}[opts.certificate_form]
        chain_file = {"intermediate": _pem(inst.fulcio.intermediate),
                      "intermediate+root": _pem(inst.fulcio.intermediate, inst.fulcio.root),
                      "unrelated": _pem(inst.unrelated_fulcio.intermediate, inst.unrelated_fulcio.root),
                      "root": _pem(inst.fulcio.root)}[opts.chain_form]
    timestamp_file = None
    if opts.timestamp:
        gen_time = not_after + datetime.timedelta(minutes=1) if "tsa-late" in tamper else at
        token = inst.tsa.timestamp(signature, gen_time=gen_time, wrong_imprint="tsa-message" in tamper)
        timestamp_file = json.dumps({"SignedRFC3161Timestamp": _enc.b64(token)}).encode("ascii")

    return CosignMaterial(
        artifact=artifact, options=opts, signature=signature, signature_file=signature_file,
        certificate_file=certificate_file, chain_file=chain_file, bundle=bundle, timestamp_file=timestamp_file,
        leaf=leaf, public_key_pem=pem if leaf is None else None,
        identity=None if leaf is None else opts.leaf.identity, issuer=None if leaf is None else opts.leaf.issuer,
    )
