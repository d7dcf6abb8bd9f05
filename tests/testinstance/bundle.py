# SPDX-License-Identifier: Apache-2.0
"""Sigstore bundles from the test instance: every valid shape, and negatives that break one check.

``BundleOptions`` picks the shape (bundle version, message signature or DSSE, Rekor v1 or v2,
certificate or managed key, timestamp, SET/proof/checkpoint presence, witnesses); ``tamper`` names
faults from ``TAMPERS``, each applied after everything else was made valid, re-signing whatever
else the fault would otherwise break, so that exactly the named check fails.

Test helper, not product code.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import json
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Optional

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.serialization import Encoding

from . import _enc, rekor
from .ca import DEFAULT_LEAF, Leaf, LeafSpec
from .note import NoteSigner

if TYPE_CHECKING:  # pragma: no cover
    from .instance import TestInstance

SIGNED_AT = datetime.datetime(2025, 6, 1, 12, 0, 0, tzinfo=_enc.UTC)
IN_TOTO = "application/vnd.in-toto+json"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
MEDIA_TYPES = {
    "0.1": "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "0.2": "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "0.3": "application/vnd.dev.sigstore.bundle.v0.3+json",
    "0.3-legacy": "application/vnd.dev.sigstore.bundle+json;version=0.3",
}

# Each fault, and what it breaks. Everything else stays valid (re-signed where needed).
TAMPERS: Dict[str, str] = {
    "signature": "the bundle's signature (message or DSSE) is a valid signature over other data; "
                 "the log entry and the timestamp record that same signature",
    "message-digest": "messageSignature.messageDigest names another digest (signature and entry are right)",
    "body-signature": "the log entry records another valid signature by the same key",
    "body-cert": "the log entry records another certificate (managed key: another key)",
    "body-digest": "the log entry records another digest (DSSE: another payload / PAE hash)",
    "body-malformed": "the log entry's body, logged and proven like any other, has an empty spec: not the kind it declares",
    "proof-hash": "one inclusion proof hash has a flipped bit",
    "proof-short": "the inclusion proof lacks its last hash",
    "proof-long": "the inclusion proof has one hash too many",
    "proof-index": "inclusionProof.logIndex equals treeSize (Rekor v2: the entry logIndex too)",
    "checkpoint-key": "the checkpoint is signed by another key under the log's name and key hint",
    "checkpoint-signer": "the checkpoint's only signature is from an unknown key (with that key's hint)",
    "checkpoint-size": "a validly signed checkpoint of the proof's root hash with another tree size",
    "checkpoint-root": "a validly signed checkpoint for the proof's tree size with another root hash",
    "checkpoint-origin-missing": "a validly signed checkpoint without its origin line",
    "checkpoint-origin": "a validly signed checkpoint naming another origin",
    "set": "the SET is a valid signature over another payload",
    "integrated-time-late": "integratedTime is after the certificate's notAfter (SET re-signed)",
    "integrated-time-early": "integratedTime is before the certificate's notBefore (SET re-signed)",
    "log-id": "the entry's logId names no log in the trust root (SET re-signed over it)",
    "tsa-late": "the RFC 3161 genTime is after the certificate's notAfter",
    "tsa-message": "the RFC 3161 message imprint is over another message",
    "tsa-untrusted": "the RFC 3161 timestamp comes from a TSA that is not in the trust root",
    "tsa-malformed": "the RFC 3161 timestamp has a trailing byte after its DER",
    "dsse-subject": "the in-toto statement's subject digest is not the artifact's",
    "dsse-payload-type": "the DSSE payloadType is application/json, not in-toto",
    "dsse-two-signatures": "the DSSE envelope has two (valid) signatures; the entry records both",
    "no-tlog-entry": "tlogEntries is empty",
}


@dataclasses.dataclass(frozen=True)
class BundleOptions:
    """A bundle's shape. Defaults: v0.3, message signature, Rekor v1 with SET + proof + checkpoint."""

    version: str = "0.3"  # "0.1", "0.2", "0.3" or "0.3-legacy" (the bundle+json;version=0.3 spelling)
    content: str = "message"  # "message" (hashedrekord) or "dsse" (in-toto Statement v1)
    rekor: int = 1  # 1 or 2
    leaf: LeafSpec = DEFAULT_LEAF
    managed_key: bool = False  # publicKey {hint} instead of a certificate
    chain: int = 1  # v0.1/v0.2 x509CertificateChain length: 1 leaf, 2 + intermediate, 3 + root
    timestamp: Optional[bool] = None  # an RFC 3161 timestamp; default: only for Rekor v2 and tsa-* faults
    tsa_embed_certs: bool = False
    signed_at: datetime.datetime = SIGNED_AT  # signing, integrated and genTime
    integrated_time: Optional[datetime.datetime] = None
    tsa_time: Optional[datetime.datetime] = None
    with_set: Optional[bool] = None  # default: Rekor v1
    with_proof: bool = True
    with_checkpoint: bool = True
    entries_after: int = 3  # entries logged after this one before the proof is made (0: it is the last leaf)
    witnesses: int = 0  # extra witness cosignature lines on the checkpoint
    witness_first: bool = False  # witness lines before the log's
    dsse_entry: str = "hashedrekord"  # Rekor v2 DSSE: "hashedrekord" 0.0.2 over SHA-256(PAE), or "dsse" 0.0.2
    subject_name: str = "artifact"
    tamper: FrozenSet[str] = frozenset()

    def __post_init__(self) -> None:
        if self.version not in MEDIA_TYPES:
            raise ValueError(f"unknown bundle version {self.version!r}")
        if self.content not in ("message", "dsse") or self.rekor not in (1, 2):
            raise ValueError("content is 'message' or 'dsse'; rekor is 1 or 2")
        if self.dsse_entry not in ("hashedrekord", "dsse") or self.chain not in (1, 2, 3):
            raise ValueError("bad dsse_entry or chain")
        object.__setattr__(self, "tamper", frozenset([self.tamper] if isinstance(self.tamper, str) else self.tamper))
        unknown = self.tamper - TAMPERS.keys()
        if unknown:
            raise ValueError(f"unknown tamper {sorted(unknown)}; see TAMPERS")


@dataclasses.dataclass(frozen=True)
class Generated:
    """A generated bundle and what verifying it takes."""

    bundle: Dict[str, Any]
    artifact: bytes
    options: BundleOptions
    identity: Optional[str]  # None for a managed-key bundle
    issuer: Optional[str]
    leaf: Optional[Leaf]
    public_key_pem: Optional[bytes]  # the managed key

    def json(self) -> str:
        return json.dumps(self.bundle, indent=2)

    @property
    def digest(self) -> str:
        return "sha256:" + _enc.sha256(self.artifact).hex()


def _sign(key: ec.EllipticCurvePrivateKey, digest: bytes) -> bytes:
    return key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


def statement(artifact: bytes, *, name: str = "artifact", digest: Optional[bytes] = None) -> bytes:
    """An in-toto Statement v1 naming ``artifact`` (or ``digest``) as its one subject."""
    return _enc.canonical_json({
        "_type": STATEMENT_V1,
        "subject": [{"name": name, "digest": {"sha256": (digest or _enc.sha256(artifact)).hex()}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": {"buildType": "https://sigstore-offline.test/generated/v1",
                                          "externalParameters": {}},
                      "runDetails": {"builder": {"id": "https://sigstore-offline.test/builder"}}},
    })


def build(inst: "TestInstance", artifact: bytes, opts: BundleOptions) -> Generated:
    tamper = opts.tamper
    log = inst.rekor_v1 if opts.rekor == 1 else inst.rekor_v2
    at = opts.signed_at

    # --- signer: a Fulcio leaf or the managed key -----------------------------------------------
    leaf: Optional[Leaf] = None
    if opts.managed_key:
        key = inst.managed_key
        pem = _enc.pem_public_key(key)
        other_pem = _enc.pem_public_key(inst.other_managed_key)
        verifier_v2 = rekor.verifier_v2(public_key_der=_enc.spki_der(key))
        other_verifier_v2 = rekor.verifier_v2(public_key_der=_enc.spki_der(inst.other_managed_key))
    else:
        leaf = inst.issue_leaf(opts.leaf, at=at)
        key = leaf.key
        pem = leaf.pem
        other = inst.issue_leaf(opts.leaf, at=at) if "body-cert" in tamper else leaf
        other_pem = other.pem
        verifier_v2 = rekor.verifier_v2(cert_der=leaf.der)
        other_verifier_v2 = rekor.verifier_v2(cert_der=other.der)
    logged_pem = other_pem if "body-cert" in tamper else pem
    logged_verifier = other_verifier_v2 if "body-cert" in tamper else verifier_v2

    # --- content and what the log records ------------------------------------------------------
    content: Dict[str, Any]
    if opts.content == "message":
        digest = _enc.sha256(artifact)
        signature = _sign(key, _enc.sha256(b"not the artifact") if "signature" in tamper else digest)
        shown_digest = _enc.sha256(b"another artifact") if "message-digest" in tamper else digest
        content = {"messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": _enc.b64(shown_digest)},
                                        "signature": _enc.b64(signature)}}
        logged_sig = _sign(key, digest) if "body-signature" in tamper else signature
        logged_digest = _enc.sha256(b"another artifact") if "body-digest" in tamper else digest
        if opts.rekor == 1:
            body, kind = rekor.hashedrekord_v001(logged_digest, logged_sig, logged_pem), ("hashedrekord", "0.0.1")
        else:
            body, kind = rekor.hashedrekord_v002(logged_digest, logged_sig, logged_verifier), ("hashedrekord", "0.0.2")
        signed_for_tsa = signature
    else:
        payload_type = "application/json" if "dsse-payload-type" in tamper else IN_TOTO
        payload = statement(artifact, name=opts.subject_name,
                            digest=_enc.sha256(b"another artifact") if "dsse-subject" in tamper else None)
        pae = _enc.pae(payload_type, payload)
        signed_pae = _enc.pae(payload_type, payload + b" ") if "signature" in tamper else pae
        signatures = [_sign(key, _enc.sha256(signed_pae))]
        if "dsse-two-signatures" in tamper:
            signatures.append(_sign(key, _enc.sha256(pae)))
        envelope = {"payload": _enc.b64(payload), "payloadType": payload_type,
                    "signatures": [{"sig": _enc.b64(s)} for s in signatures]}
        content = {"dsseEnvelope": envelope}
        logged_sigs = list(signatures)
        if "body-signature" in tamper:
            logged_sigs[0] = _sign(key, _enc.sha256(signed_pae))
        logged_payload = payload + b"\n" if "body-digest" in tamper else payload
        if opts.rekor == 1:
            logged_envelope = dict(envelope, payload=_enc.b64(logged_payload))
            body = rekor.dsse_v001(logged_envelope, logged_payload, [(s, logged_pem) for s in logged_sigs])
            kind = ("dsse", "0.0.1")
        elif opts.dsse_entry == "dsse":
            body = rekor.dsse_v002(logged_payload, [(s, logged_verifier) for s in logged_sigs])
            kind = ("dsse", "0.0.2")
        else:
            body = rekor.hashedrekord_v002(_enc.sha256(_enc.pae(payload_type, logged_payload)), logged_sigs[0],
                                           logged_verifier)
            kind = ("hashedrekord", "0.0.2")
        signed_for_tsa = signatures[0]

    # --- the log entry -------------------------------------------------------------------------
    if "body-malformed" in tamper:
        body = _enc.canonical_json({**json.loads(body), "spec": {}})
    tlog_entries: List[Dict[str, Any]] = []
    if "no-tlog-entry" not in tamper:
        index = log.append(body)
        log.append_filler(opts.entries_after)
        not_before = _enc.not_before(leaf.cert) if leaf else at
        not_after = _enc.not_after(leaf.cert) if leaf else at
        integrated = opts.integrated_time or at
        if "integrated-time-late" in tamper:
            integrated = not_after + datetime.timedelta(minutes=1)
        if "integrated-time-early" in tamper:
            integrated = not_before - datetime.timedelta(minutes=1)
        with_set = opts.rekor == 1 if opts.with_set is None else opts.with_set
        entry = log.entry_json(body, index, kind=kind[0], version=kind[1],
                               integrated_time=integrated if opts.rekor == 1 else None,
                               with_set=with_set and opts.rekor == 1, with_proof=opts.with_proof,
                               with_checkpoint=opts.with_checkpoint)
        _tamper_entry(inst, log, entry, body, opts)
        tlog_entries.append(entry)

    # --- verification material -----------------------------------------------------------------
    material: Dict[str, Any] = {}
    if leaf is None:
        material["publicKey"] = {"hint": _enc.b64(_enc.sha256(_enc.spki_der(key)))}
    elif opts.version.startswith("0.3"):
        material["certificate"] = {"rawBytes": _enc.b64(leaf.der)}
    else:
        chain = [leaf.cert, *leaf.chain][:opts.chain]
        material["x509CertificateChain"] = {"certificates": [{"rawBytes": _enc.b64(c.public_bytes(Encoding.DER))}
                                                             for c in chain]}
    material["tlogEntries"] = tlog_entries
    use_tsa = opts.timestamp if opts.timestamp is not None else (
        opts.rekor == 2 or any(t.startswith("tsa-") for t in tamper))
    if use_tsa:
        gen_time = opts.tsa_time or at
        if "tsa-late" in tamper:
            gen_time = (_enc.not_after(leaf.cert) if leaf else at) + datetime.timedelta(minutes=1)
        tsa = inst.untrusted_tsa if "tsa-untrusted" in tamper else inst.tsa
        token = tsa.timestamp(signed_for_tsa, gen_time=gen_time, embed_certs=opts.tsa_embed_certs,
                              wrong_imprint="tsa-message" in tamper)
        if "tsa-malformed" in tamper:
            token += b"\x00"
        material["timestampVerificationData"] = {"rfc3161Timestamps": [{"signedTimestamp": _enc.b64(token)}]}

    bundle = {"mediaType": MEDIA_TYPES[opts.version], "verificationMaterial": material, **content}
    return Generated(bundle=bundle, artifact=artifact, options=opts,
                     identity=None if leaf is None else opts.leaf.identity,
                     issuer=None if leaf is None else opts.leaf.issuer, leaf=leaf,
                     public_key_pem=pem if leaf is None else None)


def _tamper_entry(inst: "TestInstance", log: rekor.RekorLog, entry: Dict[str, Any], body: bytes,
                  opts: BundleOptions) -> None:
    tamper = opts.tamper
    proof = entry.get("inclusionProof")
    if proof is not None:
        hashes_ = proof["hashes"]
        if "proof-hash" in tamper:
            if not hashes_:
                raise ValueError("proof-hash needs a proof with hashes (prefill the log)")
            raw = bytearray(base64.b64decode(hashes_[len(hashes_) // 2]))
            raw[0] ^= 0x01
            hashes_[len(hashes_) // 2] = _enc.b64(bytes(raw))
        if "proof-short" in tamper:
            hashes_.pop()
        if "proof-long" in tamper:
            hashes_.append(_enc.b64(_enc.sha256(b"one hash too many")))
        if "proof-index" in tamper:
            proof["logIndex"] = proof["treeSize"]
            if log.version == 2:
                entry["logIndex"] = proof["treeSize"]
        size = int(proof["treeSize"])
        if "checkpoint" not in proof or not (opts.witnesses or any(t.startswith("checkpoint-") for t in tamper)):
            return _tamper_set(log, entry, body, tamper)
        checkpoint: Optional[str] = None
        witnesses = rekor.witness_signers(inst.keys, opts.witnesses)
        signers: List[Any] = [log.signer]
        signers = witnesses + signers if opts.witness_first else signers + witnesses
        if "checkpoint-key" in tamper:
            signers = [NoteSigner(log.name, inst.keys.p256("rogue-note") if log.version == 1
                                  else inst.keys.ed25519("rogue-note"), hint=log.signer.hint)]
        if "checkpoint-signer" in tamper:
            signers = [NoteSigner(log.name, inst.keys.p256("rogue-note") if log.version == 1
                                  else inst.keys.ed25519("rogue-note"))]
        if "checkpoint-size" in tamper:
            checkpoint = log.checkpoint(size + 1, root_hash=log.tree.root(size), signers=signers)
        elif "checkpoint-root" in tamper:
            checkpoint = log.checkpoint(size, root_hash=_enc.sha256(b"another tree"), signers=signers)
        elif "checkpoint-origin-missing" in tamper:
            checkpoint = log.checkpoint(size, origin=None, signers=signers)
        elif "checkpoint-origin" in tamper:
            checkpoint = log.checkpoint(size, origin="other.rekor.test" + log.origin[len(log.name):], signers=signers)
        else:
            checkpoint = log.checkpoint(size, signers=signers)
        proof["checkpoint"]["envelope"] = checkpoint
    _tamper_set(log, entry, body, tamper)


def _tamper_set(log: rekor.RekorLog, entry: Dict[str, Any], body: bytes, tamper: FrozenSet[str]) -> None:
    if "log-id" in tamper:
        unknown = _enc.sha256(b"a log nobody knows")
        entry["logId"]["keyId"] = _enc.b64(unknown)
        if "inclusionPromise" in entry:
            payload = log.set_payload(body, int(entry["integratedTime"]), int(entry["logIndex"]), log_id=unknown)
            entry["inclusionPromise"]["signedEntryTimestamp"] = _enc.b64(log.sign_set(payload))
    if "set" in tamper and "inclusionPromise" in entry:
        payload = log.set_payload(body, int(entry["integratedTime"]), int(entry["logIndex"]) + 1)
        entry["inclusionPromise"]["signedEntryTimestamp"] = _enc.b64(log.sign_set(payload))
