# SPDX-License-Identifier: Apache-2.0
"""The generated test Sigstore instance (tests/testinstance/) checked against sigstore-python 4.5.1.

* Every valid shape in ``catalog.VALID`` verifies with sigstore-python's ``Verifier`` built from the
  instance's own trusted_root.json, except the documented differences in ``ORACLE_REJECTS_VALID``.
* Every negative in ``catalog.NEGATIVE`` is rejected by sigstore-python, except where it
  deliberately accepts what the spec forbids (``ORACLE_ACCEPTS``, each with the reason), or
  refuses it with an exception of another kind (``ORACLE_RAISES``).

So the instance makes material a real client takes for real, and its negatives are not broken in
some unintended second way that only our verifier would notice. The unmarked tests at the end check
the instance's own invariants and run without sigstore-python.
"""

from __future__ import annotations

import base64
import hashlib
import json
import pathlib
import time
from typing import Any, Dict, Optional

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from sigstore_offline import _x509
from sigstore_offline.verify.sct import precertificate_tbs
from testinstance import catalog, merkle_ref
from testinstance.bundle import Generated
from testinstance.ctlog import POISON_OID_DER, strip_extension
from testinstance.instance import TestInstance
from testinstance.merkle import MerkleTree
from oracles import sigstore_rejections

IN_TOTO = "application/vnd.in-toto+json"

# Valid shapes sigstore-python 4.5.1 rejects, each for a stated reason (the spec allows them).
ORACLE_REJECTS_VALID: Dict[str, str] = {
    # protobuf-specs: a v0.1 bundle needs the SET; its inclusion proof is optional. sigstore-python
    # requires an inclusion proof with a checkpoint in every bundle ("entry must contain inclusion proof").
    "v0.1-set-only": "inclusionProof",
    # Fulcio deprecated ...57264.1.1 for ...1.8; sigstore-python's OIDCIssuer policy reads only ...1.1.
    "issuer-v2-extension-only": "1.3.6.1.4.1.57264.1.1",
    # Trust-root validity windows are closed intervals (sigstore-go); sigstore-python compares the
    # TSA window's end with a strict "<" (the conformance suite lists this as xfail for it).
    "tsa-validity-end-inclusive": "not enough sources of verified time",
}

# Negatives sigstore-python 4.5.1 accepts. Each is something the spec (or sigstore-go) rejects and
# sigstore-python deliberately or knowingly does not check.
ORACLE_ACCEPTS: Dict[str, str] = {
    # No cross-check of the checkpoint's tree size against the proof's treeSize: sigstore-python
    # verifies the note signature and compares only the root hash.
    "checkpoint-size.rekor1": "no size cross-check",
    "checkpoint-size.rekor2": "no size cross-check",
    # The checkpoint origin line is parsed but never compared with the log's origin.
    "checkpoint-origin.rekor1": "no origin check",
    "checkpoint-origin.rekor2": "no origin check",
    # A Fulcio chain in the bundle that includes the root CA only logs a warning in sigstore-python.
    "v0.1-chain-with-root": "root in chain is a warning",
    # Trust-root validFor windows of CAs and log keys are compared with the wall clock ("is it
    # not-yet-valid now?"), not with the verified signing time; only the TSA window is checked
    # against genTime. Our verifier checks every window at the verified time.
    "ca-validity-ended": "CA validFor not checked at signing time",
    "ca-validity-ended-a-second-before": "CA validFor not checked at signing time",
    "ca-validity-not-started": "CA validFor not checked at signing time",
    "ct-log-validity-ended": "CT key validFor not checked at SCT time",
    "rekor1-validity-ended": "Rekor key validFor not checked at integrated time",
    "rekor2-validity-not-started": "Rekor key validFor not checked at timestamp time",
}

# Negatives sigstore-python 4.5.1 refuses, but with an exception outside its rejection classes (a
# crash rather than a verdict): the exception's type name. A log entry body that is not the kind
# it declares reaches its pydantic models (sigstore_models) unwrapped, for hashedrekord 0.0.1 and
# 0.0.2 alike; a dsse 0.0.1 body it never parses (it rejects the entry for its kind).
ORACLE_RAISES: Dict[str, str] = {
    "body-malformed.rekor1": "ValidationError",
    "body-malformed.rekor2": "ValidationError",
    "body-malformed.dsse-rekor2": "ValidationError",
}


# --- fixtures ------------------------------------------------------------------------------------



def _make(catalog_instance: TestInstance, case: catalog.Case) -> Generated:
    return catalog_instance.bundle(catalog.ARTIFACT, case.options)


# --- the oracle ----------------------------------------------------------------------------------

def oracle_verdict(generated: Generated, case: catalog.Case, root_path: pathlib.Path) -> Optional[str]:
    """None if sigstore-python verifies the bundle, else its complaint. Only sigstore-python's own
    rejections count (``oracles.sigstore_rejections``); any other exception propagates."""
    rejections = sigstore_rejections()
    from sigstore import models
    from sigstore.verify import Verifier, policy

    trusted_root = models.TrustedRoot.from_file(str(root_path))  # the instance's own root: must load
    try:
        if generated.public_key_pem is not None:
            return _oracle_managed_key(models, trusted_root, generated)
        verifier = Verifier(trusted_root=trusted_root)
        bundle = models.Bundle.from_json(json.dumps(generated.bundle))
        identity = policy.Identity(identity=case.identity or "", issuer=case.issuer)
        if "dsseEnvelope" in generated.bundle:
            payload_type, payload = verifier.verify_dsse(bundle, identity)
            # verify_dsse leaves the payload to its caller; do what a caller must (sigstore's
            # own CLI does the same): in-toto only, and the statement must name the artifact.
            if payload_type != IN_TOTO:
                return f"payload type {payload_type}"
            digests = [s.get("digest", {}).get("sha256") for s in json.loads(payload).get("subject", [])]
            if hashlib.sha256(generated.artifact).hexdigest() not in digests:
                return "statement does not name the artifact"
        else:
            verifier.verify_artifact(generated.artifact, bundle, identity)
    except rejections as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _oracle_managed_key(models: Any, trusted_root: Any, generated: Generated) -> Optional[str]:
    """sigstore-python 4.5.1 has no API for managed-key bundles (``Bundle`` insists on a
    certificate; the conformance suite marks these cases xfail for it). Use its pieces instead:
    its log-entry check (inclusion proof, checkpoint, SET) against the instance's Rekor keys, its
    hashedrekord body model for the consistency check, and the key for the signature."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, utils
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from sigstore._internal.trust import KeyringPurpose
    from sigstore_models.rekor.v1 import TransparencyLogEntry as InnerEntry

    material = generated.bundle["verificationMaterial"]
    if len(material["tlogEntries"]) != 1:
        return "expected exactly one log entry"
    raw_entry = material["tlogEntries"][0]
    entry = models.TransparencyLogEntry(InnerEntry.from_json(json.dumps(raw_entry)))
    entry._verify(trusted_root.rekor_keyring(KeyringPurpose.VERIFY))  # proof, checkpoint, SET
    if raw_entry.get("integratedTime") is None and "timestampVerificationData" not in material:
        return "no verified time"
    key = load_pem_public_key(generated.public_key_pem or b"")
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return "managed key is not ECDSA"
    digest = hashlib.sha256(generated.artifact).digest()
    signature = base64.b64decode(generated.bundle["messageSignature"]["signature"])
    try:
        key.verify(signature, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    except InvalidSignature:
        return "signature does not verify with the managed key"
    body = json.loads(base64.b64decode(raw_entry["canonicalizedBody"]))
    spec = body["spec"]
    if body["apiVersion"] == "0.0.1":
        logged = (spec["data"]["hash"]["value"], spec["signature"]["content"],
                  base64.b64decode(spec["signature"]["publicKey"]["content"]))
        expected = (digest.hex(), base64.b64encode(signature).decode(), generated.public_key_pem)
    else:
        inner = spec["hashedRekordV002"]
        logged = (inner["data"]["digest"], inner["signature"]["content"],
                  base64.b64decode(inner["signature"]["verifier"]["publicKey"]["rawBytes"]))
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        expected = (base64.b64encode(digest).decode(), base64.b64encode(signature).decode(),
                    key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))
    if logged != expected:
        return "log entry is inconsistent with the bundle"
    return None


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(catalog.VALID))
def test_valid_shape_verifies_with_sigstore_python(catalog_instance: TestInstance, catalog_roots: Dict[Any, pathlib.Path],
                                                   name: str) -> None:
    case = catalog.VALID[name]
    verdict = oracle_verdict(_make(catalog_instance, case), case, catalog_roots[case.root_key()])
    if name in ORACLE_REJECTS_VALID:
        assert verdict is not None and ORACLE_REJECTS_VALID[name] in verdict, (
            f"documented difference no longer holds for {name}: {verdict}")
    else:
        assert verdict is None, verdict


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(catalog.NEGATIVE))
def test_negative_is_rejected_by_sigstore_python(catalog_instance: TestInstance, catalog_roots: Dict[Any, pathlib.Path],
                                                 name: str) -> None:
    case = catalog.NEGATIVE[name]
    if name in ORACLE_RAISES:
        with pytest.raises(Exception) as crash:  # the type is pinned by name below
            oracle_verdict(_make(catalog_instance, case), case, catalog_roots[case.root_key()])
        assert type(crash.value).__name__ == ORACLE_RAISES[name], crash.value
        return
    verdict = oracle_verdict(_make(catalog_instance, case), case, catalog_roots[case.root_key()])
    if name in ORACLE_ACCEPTS:
        assert verdict is None, f"documented difference no longer holds: sigstore-python rejects {name}: {verdict}"
    else:
        assert verdict is not None, f"sigstore-python accepted {name}: {case.why}"


@pytest.mark.oracle
def test_negative_differs_from_its_valid_base_only_by_its_fault(catalog_instance: TestInstance,
                                                                catalog_roots: Dict[Any, pathlib.Path]) -> None:
    """The base of every tamper negative verifies: the fault, not the base, is what gets rejected."""
    for base, options in catalog.BASES.items():
        case = catalog.Case(options, base, True)
        assert oracle_verdict(catalog_instance.bundle(catalog.ARTIFACT, options), case, catalog_roots[()]) is None, base


@pytest.mark.oracle
def test_only_the_oracles_own_rejection_counts(catalog_instance: TestInstance, catalog_roots: Dict[Any, pathlib.Path],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrapper's own error -- an API change in sigstore-python (a renamed method, a changed
    signature, a module gone) or a bug in the wrapper -- propagates; it is never read as "sigstore-python
    rejects", which would let every negative pass for the wrong reason."""
    import sys

    from sigstore.errors import VerificationError
    from sigstore.verify import Verifier

    case = catalog.VALID["v0.3-rekor1"]
    generated = _make(catalog_instance, case)
    assert oracle_verdict(generated, case, catalog_roots[()]) is None

    def rejects(self: Any, *args: Any, **kwargs: Any) -> None:
        raise VerificationError("the stand-in rejects")

    monkeypatch.setattr(Verifier, "verify_artifact", rejects)
    assert oracle_verdict(generated, case, catalog_roots[()]) == "VerificationError: the stand-in rejects"

    def changed_signature(self: Any, artifact: bytes) -> None:  # one parameter fewer
        raise AssertionError("not reached: the call itself fails")

    monkeypatch.setattr(Verifier, "verify_artifact", changed_signature)
    with pytest.raises(TypeError):
        oracle_verdict(generated, case, catalog_roots[()])
    monkeypatch.delattr(Verifier, "verify_artifact")
    with pytest.raises(AttributeError):
        oracle_verdict(generated, case, catalog_roots[()])
    monkeypatch.undo()
    monkeypatch.setitem(sys.modules, "sigstore.verify", None)  # the module is gone
    with pytest.raises(ImportError):
        oracle_verdict(generated, case, catalog_roots[()])


# --- the instance's own invariants (no oracle needed) ---------------------------------------------

def test_merkle_tree_matches_the_textbook_definition() -> None:
    entries = [b"entry %d" % i for i in range(70)]
    tree = MerkleTree()
    for entry in entries:
        tree.append(entry)
    for size in (1, 2, 3, 7, 8, 9, 33, 64, 70):
        assert tree.root(size) == merkle_ref.mth(entries[:size])
        for index in range(size):
            assert tree.inclusion_proof(index, size) == merkle_ref.path(index, entries[:size])
    with pytest.raises(ValueError):
        tree.inclusion_proof(70, 70)


def test_sct_is_over_the_final_certificate_without_its_sct_list(catalog_instance: TestInstance) -> None:
    """RFC 6962 3.2: the precert TBS minus poison equals the final TBS minus the SCT list."""
    leaf = catalog_instance.issue_leaf()
    assert leaf.precert is not None
    assert strip_extension(leaf.precert.tbs_certificate_bytes, POISON_OID_DER) == precertificate_tbs(_x509.check(leaf.cert.public_bytes(Encoding.DER)))  # noqa: E501 -- the project's reader: every cryptography
    scts = leaf.cert.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps).value
    assert [sct.log_id for sct in scts] == [catalog_instance.ct_log.log_id]


def test_trusted_root_log_ids(catalog_instance: TestInstance) -> None:
    root = catalog_instance.trusted_root_json()
    assert root["mediaType"] == "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
    for log in root["tlogs"] + root["ctlogs"]:
        spki = base64.b64decode(log["publicKey"]["rawBytes"])
        log_id = base64.b64decode(log["logId"]["keyId"])
        if log["publicKey"]["keyDetails"] == "PKIX_ED25519":  # C2SP note key ID, with the origin as name
            name = log["baseUrl"].split("://", 1)[1].encode()
            assert log_id == hashlib.sha256(name + b"\n\x01" + spki[-32:]).digest()
        else:
            assert log_id == hashlib.sha256(spki).digest()


def test_every_case_builds_and_a_valid_bundle_is_fast(catalog_instance: TestInstance) -> None:
    for case in list(catalog.VALID.values()) + list(catalog.NEGATIVE.values()):
        catalog_instance.bundle(catalog.ARTIFACT, case.options)
    start = time.perf_counter()
    for _ in range(20):
        catalog_instance.bundle(catalog.ARTIFACT)
    assert (time.perf_counter() - start) / 20 < 0.05  # ~4 ms on a laptop; generous for CI
