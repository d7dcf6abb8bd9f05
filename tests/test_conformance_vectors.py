# SPDX-License-Identifier: Apache-2.0
"""The 70 bundle-verification cases of the Sigstore conformance suite, by path and by digest.

Every ``_fail`` case must fail *at the step named below* with its exit code (not merely exit
non-zero), and every other case must verify. Data is read in place from ../shared/vectors/conformance.
"""

from __future__ import annotations

import hashlib
import pathlib
from typing import List

import pytest

from helpers import CONFORMANCE, PRODUCTION_ROOT_FOR_CONFORMANCE, need_shared, run_json

DEFAULT_IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
DEFAULT_ISSUER = "https://token.actions.githubusercontent.com"

# Why each failing case must fail: the step that rejects it (see CASES.md for the defect).
FAILING_STEP = {
    "bundle-empty-certificate-chain_fail": "bundle",
    "bundle-from-wrong-instance_fail": "tlog",
    "bundle-invalid-base64-signature_fail": "bundle",
    "bundle-malformed-json_fail": "bundle",
    "bundle-negative-log-index_fail": "bundle",
    "bundle-unknown-version_fail": "bundle",
    "bundle-with-root-cert_fail": "certificate-chain",
    "checkpoint-bad-keyhint_fail": "checkpoint",
    "checkpoint-wrong-roothash_fail": "checkpoint",
    "dsse-invalid-sig_fail": "signature",
    "dsse-mismatch-envelope_fail": "tlog-entry",
    "dsse-mismatch-sig_fail": "tlog-entry",
    "inclusion-proof-corrupted-hash_fail": "inclusion-proof",
    "incorrect-public-key_fail": "inclusion-proof",
    "integrated-time-in-future_fail": "certificate-chain",
    "intoto-expired-certificate_fail": "certificate-chain",
    "intoto-log-entry-mismatch_fail": "tlog-entry",
    "intoto-missing-inclusion-proof_fail": "inclusion-proof",
    "intoto-set-outside-signing-cert-validity_fail": "certificate-chain",
    "intoto-tsa-timestamp-outside-cert-validity_fail": "certificate-chain",
    "invalid-checkpoint-signature_fail": "checkpoint",
    "invalid-ct-key_fail": "sct",
    "invalid-inclusion-proof_fail": "inclusion-proof",
    "managed-key-no-key_fail": "signature",
    "managed-key-wrong-key_fail": "key",
    "message-digest-mismatch_fail": "signature",
    "rekor2-checkpoint-missing-log-signature_fail": "checkpoint",
    "rekor2-checkpoint-missing-origin_fail": "checkpoint",
    "rekor2-checkpoint-missing-root-hash_fail": "checkpoint",
    "rekor2-checkpoint-missing-size_fail": "checkpoint",
    "rekor2-checkpoint-no-matching-signature_fail": "checkpoint",
    "rekor2-dsse-invalid-sig_fail": "signature",
    "rekor2-dsse-mismatch-envelope_fail": "tlog-entry",
    "rekor2-dsse-mismatch-sig_fail": "tlog-entry",
    "rekor2-no-inclusion-proof_fail": "inclusion-proof",
    "rekor2-no-timestamp_fail": "time",
    "rekor2-timestamp-outside-trust-root-tsa-validity_fail": "timestamp",
    "rekor2-timestamp-outside-tsa-cert-validity_fail": "timestamp",
    "rekor2-timestamp-payload-mismatch_fail": "timestamp",
    "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail": "timestamp",
    "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail": "timestamp",
    "rekor2-timestamp-with-incorrect-time_fail": "certificate-chain",
    "set-invalid-signature_fail": "set",
    "signature-mismatch_fail": "signature",
    "trust-root-tlog-missing-validity-start_fail": "trust-root",
    "wrong-hashedrekord-artifact_fail": "tlog-entry",
    "wrong-hashedrekord-cert-and-sig_fail": "tlog-entry",
    "wrong-hashedrekord-entry_fail": "tlog-entry",
    "wrong-material_fail": "signature",
}

# The exit code of each failing case where it is not 1 (a check failed): 4 where the bundle or a
# format nested in it cannot be read (docs/adr/0002-exit-codes.md: a checkpoint without its origin,
# size or root-hash line is malformed, not a checkpoint that fails to verify), 3 for an unusable
# trusted root.
FAILING_EXIT = {
    "bundle-empty-certificate-chain_fail": 4,
    "bundle-invalid-base64-signature_fail": 4,
    "bundle-malformed-json_fail": 4,
    "bundle-negative-log-index_fail": 4,
    "bundle-unknown-version_fail": 4,
    "managed-key-wrong-key_fail": 4,
    "rekor2-checkpoint-missing-origin_fail": 4,
    "rekor2-checkpoint-missing-root-hash_fail": 4,
    "rekor2-checkpoint-missing-size_fail": 4,
    "trust-root-tlog-missing-validity-start_fail": 3,
}


def _cases() -> List[str]:
    if not CONFORMANCE.is_dir():
        return ["(conformance vectors absent)"]
    return sorted(p.name for p in CONFORMANCE.iterdir() if p.is_dir())


def _argv(case: pathlib.Path, by_digest: bool) -> List[str]:
    artifact = case / "artifact" if (case / "artifact").exists() else CONFORMANCE / "a.txt"
    argv = ["--bundle", str(case / "bundle.sigstore.json")]
    if (case / "key.pub").exists():
        argv += ["--key", str(case / "key.pub")]
    else:
        identity = (case / "identity").read_text().strip() if (case / "identity").exists() else DEFAULT_IDENTITY
        issuer = (case / "issuer").read_text().strip() if (case / "issuer").exists() else DEFAULT_ISSUER
        argv += ["--cert-identity", identity, "--cert-oidc-issuer", issuer]
    root = case / "trusted_root.json"
    argv += ["--trusted-root", str(root if root.exists() else PRODUCTION_ROOT_FOR_CONFORMANCE)]
    target = "sha256:" + hashlib.sha256(artifact.read_bytes()).hexdigest() if by_digest else str(artifact)
    return argv + [target]


def test_every_failing_case_has_an_expected_step() -> None:
    need_shared(CONFORMANCE)
    failing = {name for name in _cases() if name.endswith("_fail")}
    assert failing == set(FAILING_STEP) and set(FAILING_EXIT) <= failing
    assert len(_cases()) == 70


@pytest.mark.parametrize("by_digest", [False, True], ids=["PATH", "DIGEST"])
@pytest.mark.parametrize("name", _cases())
def test_conformance_case(name: str, by_digest: bool) -> None:
    case = need_shared(CONFORMANCE / name)
    code, records, err = run_json(_argv(case, by_digest))
    if name.endswith("_fail"):
        assert code != 0, f"{name} verified but must fail"
        assert code == FAILING_EXIT.get(name, 1), err
        assert records and records[-1]["verified"] is False
        assert records[-1]["step"] == FAILING_STEP[name], err
        assert "Traceback" not in err
    else:
        assert code == 0, err
        assert len(records) == 1 and records[0]["verified"] is True
