# SPDX-License-Identifier: Apache-2.0
"""Rekor-style transparency logs over ``merkle.MerkleTree``: entry bodies, checkpoints, SETs, and the
``TransparencyLogEntry`` JSON that bundles carry.

* Rekor v1: ECDSA P-256 key, log ID = SHA-256(DER SPKI), checkpoint origin ``<name> - <tree id>``
  signed as ``<name>``; entries have ``integratedTime`` and a SET (``inclusionPromise``): ECDSA over
  the canonical JSON ``{"body","integratedTime","logID"(hex),"logIndex"}``. Entry ``logIndex`` is
  global (``shard_offset`` + index in the shard); the proof's ``logIndex`` is the shard index.
* Rekor v2: Ed25519 key, origin = name = the log's host name, log ID = the C2SP note key ID
  (SHA-256(name || "\\n" || 0x01 || raw key)); no integrated time, no SET.

Bodies (``canonicalizedBody``) are canonical JSON (sorted keys, compact) in the shapes Rekor writes:
hashedrekord 0.0.1 and dsse 0.0.1 (v1), hashedrekord 0.0.2 and dsse 0.0.2 (v2).

Test helper, not product code.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from . import _enc
from .ctlog import log_entry_json
from .merkle import MerkleTree
from .note import NoteSigner, WitnessCosigner, checkpoint_body, ed25519_key_id, signed_note

KEY_DETAILS_P256 = "PKIX_ECDSA_P256_SHA_256"
_DEFAULT = object()


# --- entry bodies ------------------------------------------------------------------------------

def hashedrekord_v001(digest: bytes, signature: bytes, verifier_pem: bytes) -> bytes:
    """hashedrekord 0.0.1: hex SHA-256 digest, base64 signature, base64 of the PEM cert or key."""
    return _enc.canonical_json({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
        "data": {"hash": {"algorithm": "sha256", "value": digest.hex()}},
        "signature": {"content": _enc.b64(signature), "publicKey": {"content": _enc.b64(verifier_pem)}},
    }})


def verifier_v2(*, cert_der: Optional[bytes] = None, public_key_der: Optional[bytes] = None,
                key_details: str = KEY_DETAILS_P256) -> Dict[str, Any]:
    """A Rekor v2 ``Verifier``: an X.509 certificate or a public key, with its key details."""
    if (cert_der is None) == (public_key_der is None):
        raise ValueError("give exactly one of cert_der and public_key_der")
    if cert_der is not None:
        return {"keyDetails": key_details, "x509Certificate": {"rawBytes": _enc.b64(cert_der)}}
    return {"keyDetails": key_details, "publicKey": {"rawBytes": _enc.b64(public_key_der or b"")}}


def hashedrekord_v002(digest: bytes, signature: bytes, verifier: Dict[str, Any]) -> bytes:
    """hashedrekord 0.0.2 (Rekor v2): base64 digest, signature content + verifier."""
    return _enc.canonical_json({"apiVersion": "0.0.2", "kind": "hashedrekord", "spec": {"hashedRekordV002": {
        "data": {"algorithm": "SHA2_256", "digest": _enc.b64(digest)},
        "signature": {"content": _enc.b64(signature), "verifier": verifier},
    }}})


def dsse_v001(envelope: Dict[str, Any], payload: bytes, signatures: Sequence[Tuple[bytes, bytes]]) -> bytes:
    """dsse 0.0.1: envelope hash (SHA-256 of the compact envelope JSON), payload hash, and each
    signature with base64 of the signer's PEM certificate or key."""
    return _enc.canonical_json({"apiVersion": "0.0.1", "kind": "dsse", "spec": {
        "envelopeHash": {"algorithm": "sha256", "value": _enc.sha256(_enc.canonical_json(envelope)).hex()},
        "payloadHash": {"algorithm": "sha256", "value": _enc.sha256(payload).hex()},
        "signatures": [{"signature": _enc.b64(sig), "verifier": _enc.b64(pem)} for sig, pem in signatures],
    }})


def dsse_v002(payload: bytes, signatures: Sequence[Tuple[bytes, Dict[str, Any]]]) -> bytes:
    """dsse 0.0.2 (Rekor v2): base64 payload hash, signatures with v2 verifiers."""
    return _enc.canonical_json({"apiVersion": "0.0.2", "kind": "dsse", "spec": {"dsseV002": {
        "payloadHash": {"algorithm": "SHA2_256", "digest": _enc.b64(_enc.sha256(payload))},
        "signatures": [{"content": _enc.b64(sig), "verifier": verifier} for sig, verifier in signatures],
    }}})


# --- logs --------------------------------------------------------------------------------------

class RekorLog:
    """One log shard. ``append`` adds a body; ``entry_json`` makes the bundle's tlog entry for it."""

    def __init__(self, key: Any, *, version: int, name: str, url: Optional[str] = None, tree_id: int = 1234567890,
                 shard_offset: int = 0, prefill: int = 0) -> None:
        if version not in (1, 2):
            raise ValueError("version is 1 or 2")
        self.key = key
        self.version = version
        self.name = name
        self.url = url or f"https://{name}"
        self.shard_offset = shard_offset
        if version == 1:
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise TypeError("Rekor v1 signs with ECDSA")
            self.origin = f"{name} - {tree_id}"
            self.log_id = _enc.sha256(_enc.spki_der(key))
            self.key_details = KEY_DETAILS_P256
        else:
            if not isinstance(key, ed25519.Ed25519PrivateKey):
                raise TypeError("Rekor v2 signs with Ed25519")
            self.origin = name
            self.log_id = ed25519_key_id(name, key)
            self.key_details = "PKIX_ED25519"
        self.signer = NoteSigner(name, key)
        self.tree = MerkleTree()
        # Entries nobody asks about, so proofs have realistic lengths from the first bundle on.
        self.append_filler(prefill)

    @property
    def size(self) -> int:
        return self.tree.size

    def append_filler(self, count: int) -> None:
        """Log ``count`` entries nobody will ask about (by their leaf hashes)."""
        start = self.size
        self.tree.extend_leaf_hashes(_enc.sha256(b"%s filler %d" % (self.name.encode(), start + i))
                                     for i in range(count))

    def append(self, body: bytes) -> int:
        """Log a canonicalized body; return its index in this shard."""
        return self.tree.append(body)

    def checkpoint(self, size: Optional[int] = None, *, root_hash: Optional[bytes] = None, origin: Any = _DEFAULT,
                   signers: Optional[Sequence[Any]] = None, extra_lines: Sequence[str] = ()) -> str:
        """A signed checkpoint for ``size`` (default: the current size). Overrides make bad ones:
        another ``root_hash``, ``origin`` (``None`` drops the line), other or extra ``signers``
        (default: this log's ``NoteSigner``)."""
        size = self.size if size is None else size
        body = checkpoint_body(self.origin if origin is _DEFAULT else origin, size,
                               self.tree.root(size) if root_hash is None else root_hash, extra_lines)
        return signed_note(body, [self.signer] if signers is None else signers)

    def set_payload(self, body: bytes, integrated_time: int, log_index: int, log_id: Optional[bytes] = None) -> bytes:
        """The canonical JSON a Rekor v1 SET signs."""
        return _enc.canonical_json({"body": _enc.b64(body), "integratedTime": integrated_time,
                                    "logID": (self.log_id if log_id is None else log_id).hex(), "logIndex": log_index})

    def sign_set(self, payload: bytes) -> bytes:
        if self.version != 1:
            raise ValueError("Rekor v2 issues no SETs")
        return bytes(self.key.sign(payload, ec.ECDSA(hashes.SHA256())))

    def global_index(self, index: int) -> int:
        return self.shard_offset + index

    def inclusion_proof_json(self, index: int, size: Optional[int] = None, *, checkpoint: Optional[str] = None,
                             with_checkpoint: bool = True) -> Dict[str, Any]:
        size = self.size if size is None else size
        proof: Dict[str, Any] = {
            "logIndex": str(index),
            "rootHash": _enc.b64(self.tree.root(size)),
            "treeSize": str(size),
            "hashes": [_enc.b64(h) for h in self.tree.inclusion_proof(index, size)],
        }
        if with_checkpoint:
            proof["checkpoint"] = {"envelope": checkpoint if checkpoint is not None else self.checkpoint(size)}
        return proof

    def entry_json(self, body: bytes, index: int, *, kind: str, version: str,
                   integrated_time: Optional[datetime.datetime] = None, with_set: bool = True,
                   with_proof: bool = True, with_checkpoint: bool = True, size: Optional[int] = None) -> Dict[str, Any]:
        """The bundle's ``TransparencyLogEntry`` for the body logged at ``index`` (a valid one)."""
        entry: Dict[str, Any] = {
            "logIndex": str(self.global_index(index)),
            "logId": {"keyId": _enc.b64(self.log_id)},
            "kindVersion": {"kind": kind, "version": version},
        }
        if self.version == 1:
            if integrated_time is None:
                raise ValueError("Rekor v1 entries have an integrated time")
            seconds = int(integrated_time.timestamp())
            entry["integratedTime"] = str(seconds)
            if with_set:
                payload = self.set_payload(body, seconds, self.global_index(index))
                entry["inclusionPromise"] = {"signedEntryTimestamp": _enc.b64(self.sign_set(payload))}
        if with_proof:
            entry["inclusionProof"] = self.inclusion_proof_json(index, size, with_checkpoint=with_checkpoint)
        entry["canonicalizedBody"] = _enc.b64(body)
        return entry

    def trusted_root_entry(self, *, start: datetime.datetime,
                           end: Optional[datetime.datetime] = None) -> Dict[str, Any]:
        """The JSON object for ``trusted_root.json`` ``tlogs``."""
        return log_entry_json(self.url, self.key, self.key_details, self.log_id, start, end)


def witness_signers(keys: _enc.Keys, count: int) -> List[Any]:
    """``count`` witnesses nobody trusts, for cosigned checkpoints."""
    return [WitnessCosigner(f"witness{i}.test", keys.ed25519(f"witness/{i}")) for i in range(count)]
