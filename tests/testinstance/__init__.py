"""An in-memory test Sigstore, made with ``cryptography`` only (a test helper, not product code).

Like sigstore-go's in-memory test instance: it makes valid bundles of every shape the verifier
accepts, and negative bundles that break exactly one check, against its own ``trusted_root.json``.
``tests/test_testinstance_oracle.py`` proves both against sigstore-python 4.5.1.

Tour::

    from testinstance import TestInstance, BundleOptions, LeafSpec

    inst = TestInstance()                          # keys derived from a seed; CA valid from 2025-01-01
    root = inst.trusted_root_json()                # dict: certificateAuthorities, tlogs, ctlogs, timestampAuthorities
    g = inst.sign_artifact(b"data")                # v0.3, hashedrekord 0.0.1, Rekor v1 (SET + proof + checkpoint)
    g.bundle, g.artifact, g.identity, g.issuer     # what a verifier needs (g.public_key_pem for managed keys)
    inst.sign_dsse(b"data", rekor=2)               # DSSE in-toto statement; Rekor v2 + RFC 3161 timestamp
    inst.sign_artifact(b"data", version="0.1")     # also "0.2", "0.3-legacy" (bundle+json;version=0.3)
    inst.sign_artifact(b"data", managed_key=True)  # publicKey {hint} instead of a certificate
    inst.sign_artifact(b"data", leaf=LeafSpec(sct="none"))          # a certificate knob
    inst.sign_artifact(b"data", tamper={"checkpoint-root"})         # a fault from TAMPERS
    inst.trusted_root_json(fulcio=(start, end), omit=("tsa",))      # validFor windows, parts left out

Modules (one concern each):

* ``ca`` -- ``FulcioCA`` (P-384 root + intermediate) issues P-256 leaves from a ``LeafSpec``:
  SAN URI/email, issuer ``...57264.1.1`` (raw) and ``...1.8`` (DER UTF8String), ``github_claims()``,
  code-signing EKU, digitalSignature KU, 10-minute validity, SCT via the precertificate flow.
  Knobs: ``is_ca``, ``code_signing``, ``digital_signature``, ``not_before``/``lifetime``,
  ``unrelated_ca``, ``sct`` = ``none`` / ``unknown-log`` / ``bad-signature``, identity and issuers.
* ``ctlog`` -- ``CTLog``: logId = SHA-256(DER SPKI); signs RFC 6962 3.2 precert SCTs over the
  TBS without the poison extension and the issuer key hash.
* ``merkle`` -- ``MerkleTree``: RFC 6962 hashing, roots and inclusion proofs for any index and size.
* ``note`` -- C2SP signed notes: checkpoints, ``NoteSigner`` (ECDSA hint = SHA-256(SPKI)[:4];
  Ed25519 hint from name || "\\n" || 0x01 || key), ``WitnessCosigner`` (cosignature/v1 lines).
* ``rekor`` -- ``RekorLog`` v1 (ECDSA, origin ``rekor.test - <tree id>``, SETs, global vs shard
  index) and v2 (Ed25519, origin = name); bodies hashedrekord 0.0.1/0.0.2 and dsse 0.0.1/0.0.2.
* ``bundle`` -- ``BundleOptions`` (the shape), ``TAMPERS`` (named faults, each re-signing whatever
  else it would break), ``Generated`` (the result), in-toto ``statement()``.
* ``instance`` -- ``TestInstance``: wires the parts; ``issue_leaf``, ``bundle``, ``sign_artifact``,
  ``sign_dsse``, ``trusted_root_json``; ``tsa`` is a ``tsa.TestTSA`` made on first use.
* ``catalog`` -- named ``VALID`` and ``NEGATIVE`` cases (shape, why, trust-root variant, policy,
  and for negatives the step and exit code that must reject them).
* ``cosign`` -- ``sign_blob``: what ``cosign sign-blob`` writes (detached ``.sig``/``.crt``/chain,
  the old ``--bundle`` JSON with a Rekor v1 SET, an RFC 3161 timestamp file); ``COSIGN_TAMPERS``.
* ``tsa``, ``der`` -- the RFC 3161 TSA and DER writer (separate owners); ``merkle_ref`` -- the
  textbook Merkle definitions.

Times are fixed: everything is signed at ``bundle.SIGNED_AT`` (2025-06-01T12:00:00Z) unless an
option says otherwise. ``tests/gen_testinstance.py OUT_DIR`` writes the catalog out as a corpus.
"""

from __future__ import annotations

from typing import Any

# Imported on first use, so that importing one submodule (say ``testinstance.der``) never depends
# on the others.
_EXPORTS = {
    "TestInstance": "instance", "BundleOptions": "bundle", "Generated": "bundle", "TAMPERS": "bundle",
    "SIGNED_AT": "bundle", "LeafSpec": "ca", "Leaf": "ca", "github_claims": "ca",
    "DEFAULT_IDENTITY": "ca", "DEFAULT_ISSUER": "ca",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{module}", __name__), name)
