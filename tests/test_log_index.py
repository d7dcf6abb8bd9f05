# SPDX-License-Identifier: Apache-2.0
"""The log index printed and in --json is authenticated (issue 9, task 3).

* Rekor v1 with a signed entry timestamp: the SET covers ``logIndex`` (changing it fails ``set``:
  tests/test_tampered_real.py), so it is reported as verified.
* Rekor v2: one index space, so ``tlogEntries[].logIndex`` must equal the inclusion proof's
  index, which the proof and the signed checkpoint prove; else the ``tlog`` step fails.
* Rekor v1 without a SET: the inclusion proof proves a position in a log *shard* (numbered from
  0 per shard), not the global ``logIndex`` the bundle states; that one is reported as
  ``log_index_claimed`` and named in ``unverified``, and ``log_index`` is null.

The record's other fields are audited in ``pipeline.Verified``'s docstring.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import pathlib
from typing import Any, Dict, List, Tuple

import pytest

from helpers import CONFORMANCE, EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, need_shared, run_json
from sigstore_offline.verify.pipeline import Verified
from testinstance.instance import TestInstance

ARTIFACT = b"log index test artifact\n"
UTC = datetime.timezone.utc


@pytest.fixture(scope="module")
def inst() -> TestInstance:
    return TestInstance(seed="log index tests")


@pytest.fixture(scope="module")
def root(inst: TestInstance, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("root") / "trusted_root.json"
    path.write_text(json.dumps(inst.trusted_root_json()))
    return path


def _verify(root: pathlib.Path, generated: Any, tmp: pathlib.Path, bundle: Any = None) -> Tuple[int, List[Dict[str, Any]], str]:
    path = tmp / "bundle.sigstore.json"
    path.write_text(json.dumps(bundle if bundle is not None else generated.bundle))
    artifact = tmp / "artifact"
    artifact.write_bytes(generated.artifact)
    return run_json(["--bundle", str(path), "--trusted-root", str(root), "--cert-identity", generated.identity,
                     "--cert-oidc-issuer", generated.issuer, str(artifact)])


def _entry(bundle: Dict[str, Any]) -> Dict[str, Any]:
    return bundle["verificationMaterial"]["tlogEntries"][0]


# --- Rekor v1 with a SET --------------------------------------------------------------------------------------


def test_rekor_v1_with_a_set_reports_the_set_covered_index() -> None:
    code, records, err = run_json(["--bundle", str(EXAMPLE_BUNDLE), "--cert-identity", EXAMPLE_IDENTITY,
                                   "--cert-oidc-issuer", GITHUB_ISSUER, EXAMPLE_DIGEST])
    assert code == 0, err
    logged = int(_entry(json.loads(EXAMPLE_BUNDLE.read_text()))["logIndex"])
    assert records[0]["log_index"] == logged
    assert "unverified" not in records[0] and "log_index_claimed" not in records[0]


def test_generated_rekor_v1_with_a_set(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path) -> None:
    generated = inst.sign_artifact(ARTIFACT)
    code, records, err = _verify(root, generated, tmp_path)
    assert code == 0, err
    entry = _entry(generated.bundle)
    assert records[0]["log_index"] == int(entry["logIndex"])
    # The shard offset of the test log: the global index is not the proof's index.
    assert int(entry["logIndex"]) != int(entry["inclusionProof"]["logIndex"])


# --- Rekor v2 -------------------------------------------------------------------------------------------------


def test_rekor_v2_reports_the_proven_index(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path) -> None:
    generated = inst.sign_artifact(ARTIFACT, rekor=2)
    code, records, err = _verify(root, generated, tmp_path)
    assert code == 0, err
    entry = _entry(generated.bundle)
    assert records[0]["log_index"] == int(entry["inclusionProof"]["logIndex"]) == int(entry["logIndex"])
    assert "unverified" not in records[0]


@pytest.mark.parametrize("change", [1, -1, 10**9])
@pytest.mark.parametrize("content", ["message", "dsse"])
def test_rekor_v2_entry_index_other_than_the_proof_fails_tlog(inst: TestInstance, root: pathlib.Path,
                                                             tmp_path: pathlib.Path, change: int, content: str) -> None:
    generated = inst.bundle(ARTIFACT, rekor=2, content=content)
    bundle = json.loads(json.dumps(generated.bundle))
    proven = int(_entry(bundle)["inclusionProof"]["logIndex"])
    _entry(bundle)["logIndex"] = str(max(0, proven + change))
    assert int(_entry(bundle)["logIndex"]) != proven
    code, records, err = _verify(root, generated, tmp_path, bundle)
    assert (code, records[0]["step"]) == (1, "tlog"), err
    assert f"its inclusion proof proves index {proven}" in records[0]["error"]


def test_real_rekor_v2_bundle_with_a_forged_index_fails_tlog(tmp_path: pathlib.Path) -> None:
    case = need_shared(CONFORMANCE) / "rekor2-happy-path"
    bundle = json.loads((case / "bundle.sigstore.json").read_text())
    identity = ("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
                ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main")
    digest = "sha256:" + hashlib.sha256((CONFORMANCE / "a.txt").read_bytes()).hexdigest()
    argv = ["--trusted-root", str(case / "trusted_root.json"), "--cert-identity", identity,
            "--cert-oidc-issuer", "https://token.actions.githubusercontent.com", digest]
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    code, records, err = run_json(["--bundle", str(path), *argv])
    assert code == 0 and records[0]["log_index"] == int(_entry(bundle)["logIndex"]), err
    _entry(bundle)["logIndex"] = str(int(_entry(bundle)["logIndex"]) + 1)
    path.write_text(json.dumps(bundle))
    code, records, err = run_json(["--bundle", str(path), *argv])
    assert (code, records[0]["step"]) == (1, "tlog"), err


# --- Rekor v1 without a SET -----------------------------------------------------------------------------------


def test_rekor_v1_without_a_set_names_the_index_unverified(inst: TestInstance, root: pathlib.Path,
                                                           tmp_path: pathlib.Path) -> None:
    generated = inst.sign_artifact(ARTIFACT, rekor=1, with_set=False, timestamp=True)
    assert "inclusionPromise" not in _entry(generated.bundle)
    code, records, err = _verify(root, generated, tmp_path)
    assert code == 0, err
    record = records[0]
    assert record["log_index"] is None
    assert record["log_index_claimed"] == int(_entry(generated.bundle)["logIndex"])
    assert record["unverified"] == ["log_index_claimed"]


def test_rekor_v1_without_a_set_any_claimed_index_is_reported_as_claimed(inst: TestInstance, root: pathlib.Path,
                                                                          tmp_path: pathlib.Path) -> None:
    """Nothing binds it, so a changed index still verifies: but only ever as a claim."""
    generated = inst.sign_artifact(ARTIFACT, rekor=1, with_set=False, timestamp=True)
    bundle = json.loads(json.dumps(generated.bundle))
    _entry(bundle)["logIndex"] = "42"
    code, records, err = _verify(root, generated, tmp_path, bundle)
    assert code == 0, err
    assert records[0]["log_index"] is None and records[0]["log_index_claimed"] == 42


def test_index_text_for_humans() -> None:
    base = Verified("a", "00", None, None, True, "m", "hashedrekord 0.0.1", "https://log", 7,
                    (("tlog", datetime.datetime(2025, 1, 1, tzinfo=UTC)),))
    assert base.index_text == "#7" and base.unverified == ()
    unproven = base._replace(log_index=None, log_index_claimed=9)
    assert unproven.index_text == "#9 (unverified log index)" and unproven.unverified == ("log_index_claimed",)
    record = unproven.as_json()
    assert record["log_index"] is None and record["log_index_claimed"] == 9
    assert "log_index_claimed" not in base.as_json()


def test_pypi_attestation_record_carries_the_same_fields(inst: TestInstance) -> None:
    from sigstore_offline.pypi.verify import AttestationResult

    verified = Verified("a", "00", "me", "iss", False, "m", "dsse 0.0.1", "https://log", None,
                        (("tlog", datetime.datetime(2025, 1, 1, tzinfo=UTC)),), log_index_claimed=5)
    record = AttestationResult("a.attestation", "https://docs.pypi.org/attestations/publish/v1", verified, None).as_json()
    assert record["log_index"] is None and record["log_index_claimed"] == 5 and record["unverified"] == ["log_index_claimed"]


def test_integrated_time_beyond_the_calendar_fails_tlog(inst: TestInstance, root: pathlib.Path,
                                                         tmp_path: pathlib.Path) -> None:
    """A SET-covered integratedTime that datetime cannot hold is a failed step, not a crash."""
    from sigstore_offline.errors import VerificationError
    from sigstore_offline.model import TlogEntry
    from sigstore_offline.verify import pipeline

    entry = TlogEntry(1, b"", "hashedrekord", "0.0.1", 2**62, b"x", None, b"{}")
    with pytest.raises(VerificationError) as caught:
        pipeline._integrated_time(entry)
    assert caught.value.step == "tlog" and "beyond the year 9999" in caught.value.message



def test_a_verdict_without_a_log_has_no_index(inst: TestInstance) -> None:
    """GitHub's log-less instance (verify_without_logs): log_index is None, as in a weaker verdict,
    never a number (it used to be -1, which index_text would print as '#-1')."""
    from sigstore_offline.model import parse_bundle
    from sigstore_offline.policy import Identity
    from sigstore_offline.trust.trusted_root import parse_trusted_root
    from sigstore_offline.verify.pipeline import Artifact, verify_without_logs

    generated = inst.sign_artifact(ARTIFACT, rekor=2, tamper={"no-tlog-entry"})
    assert not generated.bundle["verificationMaterial"]["tlogEntries"]
    root = parse_trusted_root(json.dumps(inst.trusted_root_json(omit=("rekor_v1", "rekor_v2", "ct_log"))).encode(),
                              allow_no_logs=True)
    verified = verify_without_logs(parse_bundle(json.dumps(generated.bundle).encode()),
                                   artifact=Artifact("a", hashlib.sha256(ARTIFACT).digest()), trusted_root=root,
                                   policy=Identity.build(san=generated.identity, issuer=generated.issuer))
    assert verified.log_url == "" and verified.log_index is None and verified.index_text == ""
