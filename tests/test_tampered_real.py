# SPDX-License-Identifier: Apache-2.0
"""Negative tests built from real production material: a genuine bundle against a tampered trust
root, or a genuine bundle with one part removed. Each fails at the named step."""

from __future__ import annotations

import copy
import json
import pathlib
from typing import Any, Callable, Dict

import pytest

from helpers import EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, SHIPPED, run_json

IDENTITY = ["--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer", GITHUB_ISSUER]



def _signed_at() -> str:
    code, records, err = run_json(["--bundle", str(EXAMPLE_BUNDLE), *IDENTITY, EXAMPLE_DIGEST])
    assert code == 0, err
    return records[0]["signed_at"]


def _root() -> Dict[str, Any]:
    return json.loads((SHIPPED / "sigstore" / "trusted_root.json").read_text())


def _run_with_root(tmp_path: pathlib.Path, root: Dict[str, Any], bundle: Dict[str, Any] | None = None):
    root_path = tmp_path / "trusted_root.json"
    root_path.write_text(json.dumps(root))
    bundle_path = EXAMPLE_BUNDLE
    if bundle is not None:
        bundle_path = tmp_path / "bundle.sigstore"
        bundle_path.write_text(json.dumps(bundle))
    return run_json(["--trusted-root", str(root_path), "--bundle", str(bundle_path), *IDENTITY, EXAMPLE_DIGEST])


def _before(moment: str) -> str:
    # one second before an RFC 3339 "...:SSZ" time
    import datetime

    parsed = datetime.datetime.strptime(moment, "%Y-%m-%dT%H:%M:%SZ") - datetime.timedelta(seconds=1)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def _root_edits() -> Dict[str, Callable[[Dict[str, Any], str], str]]:
    def ca_window_ends(root: Dict[str, Any], signed: str) -> str:
        for ca in root["certificateAuthorities"]:
            ca["validFor"]["end"] = _before(signed)
        return "certificate-chain"

    def ca_window_ends_exactly_then(root: Dict[str, Any], signed: str) -> str:
        for ca in root["certificateAuthorities"]:
            ca["validFor"]["end"] = signed
        return ""  # closed interval: still valid

    def no_ctlogs(root: Dict[str, Any], signed: str) -> str:
        root["ctlogs"] = []
        return "sct"

    def tlog_window_ends(root: Dict[str, Any], signed: str) -> str:
        root["tlogs"][0]["publicKey"]["validFor"]["end"] = _before(signed)  # rekor.sigstore.dev
        return "tlog"

    def tlog_window_ends_exactly_then(root: Dict[str, Any], signed: str) -> str:
        root["tlogs"][0]["publicKey"]["validFor"]["end"] = signed
        return ""

    def tlog_starts_later(root: Dict[str, Any], signed: str) -> str:
        for log in root["tlogs"]:
            log["publicKey"]["validFor"]["start"] = "2030-01-01T00:00:00Z"
        return "tlog"

    def other_tlog_key(root: Dict[str, Any], signed: str) -> str:
        # keep the log id, swap in another log's key: the SET / checkpoint signatures must fail
        root["tlogs"][0]["publicKey"] = copy.deepcopy(root["ctlogs"][-1]["publicKey"])
        root["tlogs"][0]["publicKey"]["validFor"] = {"start": "2021-01-01T00:00:00Z"}
        return "checkpoint"

    def ct_key_swapped(root: Dict[str, Any], signed: str) -> str:
        for ct in root["ctlogs"]:
            ct["publicKey"]["rawBytes"] = root["tlogs"][0]["publicKey"]["rawBytes"]
        return "sct"

    def ct_window_ends(root: Dict[str, Any], signed: str) -> str:
        for ct in root["ctlogs"]:
            ct["publicKey"]["validFor"]["end"] = "2022-10-21T00:00:00Z"
        return "sct"

    def ca_chain_wrong_root(root: Dict[str, Any], signed: str) -> str:
        current = root["certificateAuthorities"][1]["certChain"]["certificates"]
        current[1] = root["certificateAuthorities"][0]["certChain"]["certificates"][0]
        return "certificate-chain"

    def ca_chain_missing_intermediate(root: Dict[str, Any], signed: str) -> str:
        for ca in root["certificateAuthorities"]:
            ca["certChain"]["certificates"] = ca["certChain"]["certificates"][-1:]
        return "certificate-chain"

    return {name: fn for name, fn in locals().items() if callable(fn)}


@pytest.mark.parametrize("name", sorted(_root_edits()))
def test_tampered_trust_root(tmp_path: pathlib.Path, name: str) -> None:
    root = _root()
    expected = _root_edits()[name](root, _signed_at())
    code, records, err = _run_with_root(tmp_path, root)
    if not expected:
        assert code == 0, err
    else:
        assert code == 1, err
        assert records[0]["step"] == expected, err


def test_bundle_without_log_entries_fails(tmp_path: pathlib.Path) -> None:
    bundle = json.loads(EXAMPLE_BUNDLE.read_text())
    bundle["verificationMaterial"]["tlogEntries"] = []
    code, records, _ = _run_with_root(tmp_path, _root(), bundle)
    assert code == 1 and records[0]["step"] == "tlog"


def test_bundle_without_set_and_timestamps_has_no_verified_time(tmp_path: pathlib.Path) -> None:
    bundle = json.loads(EXAMPLE_BUNDLE.read_text())
    del bundle["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]
    bundle["verificationMaterial"].pop("timestampVerificationData", None)
    code, records, _ = _run_with_root(tmp_path, _root(), bundle)
    assert code == 1 and records[0]["step"] == "time"


def test_v03_bundle_without_checkpoint_fails(tmp_path: pathlib.Path) -> None:
    bundle = json.loads(EXAMPLE_BUNDLE.read_text())
    del bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
    code, records, _ = _run_with_root(tmp_path, _root(), bundle)
    assert code == 1 and records[0]["step"] == "checkpoint"


def test_set_over_a_different_integrated_time_fails(tmp_path: pathlib.Path) -> None:
    bundle = json.loads(EXAMPLE_BUNDLE.read_text())
    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    entry["integratedTime"] = str(int(entry["integratedTime"]) - 1)
    code, records, _ = _run_with_root(tmp_path, _root(), bundle)
    assert code == 1 and records[0]["step"] == "set"


def test_log_index_mismatch_breaks_the_set(tmp_path: pathlib.Path) -> None:
    bundle = json.loads(EXAMPLE_BUNDLE.read_text())
    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    entry["logIndex"] = str(int(entry["logIndex"]) + 1)
    code, records, _ = _run_with_root(tmp_path, _root(), bundle)
    assert code == 1 and records[0]["step"] == "set"


def test_wrong_kind_version_is_rejected(tmp_path: pathlib.Path) -> None:
    bundle = json.loads(EXAMPLE_BUNDLE.read_text())
    bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["version"] = "0.0.9"
    code, records, _ = _run_with_root(tmp_path, _root(), bundle)
    assert code == 1 and records[0]["step"] == "tlog-entry"


def test_key_given_for_a_certificate_bundle_is_a_usage_error(tmp_path: pathlib.Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = tmp_path / "k.pem"
    key.write_bytes(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    code, records, _ = run_json(["--key", str(key), "--bundle", str(EXAMPLE_BUNDLE), EXAMPLE_DIGEST])
    assert code == 2


# --- conformance-suite bundles, read in place and changed in memory ---------------------------

from helpers import CONFORMANCE, PRODUCTION_ROOT_FOR_CONFORMANCE, need_shared  # noqa: E402

CONFORMANCE_IDENTITY = [
    "--cert-identity",
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
    "--cert-oidc-issuer", "https://token.actions.githubusercontent.com",
]


def _conformance(tmp_path: pathlib.Path, case: str, bundle_edit: Any = None, root_edit: Any = None):
    folder = need_shared(CONFORMANCE / case)
    bundle = json.loads((folder / "bundle.sigstore.json").read_text())
    root_file = folder / "trusted_root.json" if (folder / "trusted_root.json").exists() else PRODUCTION_ROOT_FOR_CONFORMANCE
    root = json.loads(root_file.read_text())
    if bundle_edit:
        bundle_edit(bundle)
    if root_edit:
        root_edit(root)
    (tmp_path / "b.json").write_text(json.dumps(bundle))
    (tmp_path / "r.json").write_text(json.dumps(root))
    import hashlib

    digest = "sha256:" + hashlib.sha256((CONFORMANCE / "a.txt").read_bytes()).hexdigest()
    return run_json(["--bundle", str(tmp_path / "b.json"), "--trusted-root", str(tmp_path / "r.json"),
                     *CONFORMANCE_IDENTITY, digest])


def test_conformance_baselines_verify(tmp_path: pathlib.Path) -> None:
    assert _conformance(tmp_path, "happy-path-v0.1")[0] == 0
    assert _conformance(tmp_path, "rekor2-happy-path")[0] == 0


def test_v01_entry_needs_a_set_or_a_checkpointed_proof(tmp_path: pathlib.Path) -> None:
    def strip(bundle: Dict[str, Any]) -> None:
        entry = bundle["verificationMaterial"]["tlogEntries"][0]
        del entry["inclusionPromise"]
        entry["inclusionProof"].pop("checkpoint", None)

    code, records, err = _conformance(tmp_path, "happy-path-v0.1", bundle_edit=strip)
    assert code == 1 and records[0]["step"] == "tlog", err
    assert "neither a signed entry timestamp nor an inclusion proof with a checkpoint" in records[0]["error"]


def test_v01_entry_with_set_only_verifies(tmp_path: pathlib.Path) -> None:
    def strip(bundle: Dict[str, Any]) -> None:
        del bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]

    code, records, err = _conformance(tmp_path, "happy-path-v0.1", bundle_edit=strip)
    assert code == 0, err


def test_rekor_v2_log_key_must_be_valid_at_the_timestamp(tmp_path: pathlib.Path) -> None:
    def shorten(root: Dict[str, Any]) -> None:
        for log in root["tlogs"]:
            if log["publicKey"]["keyDetails"] == "PKIX_ED25519":
                log["publicKey"]["validFor"]["end"] = "2025-06-01T00:00:00Z"  # before the 2025-06-12 timestamp

    code, records, err = _conformance(tmp_path, "rekor2-happy-path", root_edit=shorten)
    assert code == 1 and records[0]["step"] == "tlog", err
    assert "not at the signing time" in records[0]["error"]


def test_managed_key_bundle_without_key_says_so(tmp_path: pathlib.Path) -> None:
    code, records, err = _conformance(tmp_path, "managed-key-happy-path")
    assert code == 1 and records[0]["step"] == "signature"
    assert "managed key" in records[0]["error"] and "--key" in records[0]["hint"]


def test_timestamp_from_an_unlisted_tsa_is_named_as_such(tmp_path: pathlib.Path) -> None:
    code, records, err = _conformance(tmp_path, "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail")
    assert code == 1 and records[0]["step"] == "timestamp"
    assert "no trusted timestamp authority signed this timestamp" in records[0]["error"]
