# SPDX-License-Identifier: Apache-2.0
"""dsse 0.0.2 log entries are rejected (issue 9, task 4).

The Rekor v2 specification dropped the dsse type: a DSSE envelope is logged there as
hashedrekord 0.0.2 over SHA-256(PAE). sigstore-python and sigstore-java reject a dsse 0.0.2
entry; so does verify-offline, at step ``tlog-entry``, even when everything else in the bundle
(log proof, checkpoint, timestamp, the entry body's digest and signatures) is valid.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any, Dict, List, Tuple

import pytest

from helpers import run_json
from testinstance.instance import TestInstance

ARTIFACT = b"rekor v2 dsse artifact\n"


@pytest.fixture(scope="module")
def inst() -> TestInstance:
    return TestInstance(seed="rekor v2 dsse tests")


@pytest.fixture(scope="module")
def root(inst: TestInstance, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("root") / "trusted_root.json"
    path.write_text(json.dumps(inst.trusted_root_json()))
    return path


def _verify(root: pathlib.Path, generated: Any, tmp: pathlib.Path) -> Tuple[int, List[Dict[str, Any]], str]:
    path = tmp / "bundle.sigstore.json"
    path.write_text(json.dumps(generated.bundle))
    artifact = tmp / "artifact"
    artifact.write_bytes(generated.artifact)
    return run_json(["--bundle", str(path), "--trusted-root", str(root), "--cert-identity", generated.identity,
                     "--cert-oidc-issuer", generated.issuer, str(artifact)])


def test_dsse_on_rekor_v2_as_hashedrekord_verifies(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path) -> None:
    generated = inst.sign_dsse(ARTIFACT, rekor=2, dsse_entry="hashedrekord")
    code, records, err = _verify(root, generated, tmp_path)
    assert code == 0 and records[0]["entry_kind"] == "hashedrekord 0.0.2", err


def test_dsse_0_0_2_entry_is_rejected(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path) -> None:
    generated = inst.sign_dsse(ARTIFACT, rekor=2, dsse_entry="dsse")
    entry = generated.bundle["verificationMaterial"]["tlogEntries"][0]
    assert entry["kindVersion"] == {"kind": "dsse", "version": "0.0.2"}
    code, records, err = _verify(root, generated, tmp_path)
    assert (code, records[0]["step"]) == (1, "tlog-entry"), err
    assert "dsse 0.0.2 is not accepted" in records[0]["error"]
    assert "hashedrekord 0.0.2" in records[0]["error"]


def test_dsse_0_0_1_on_rekor_v1_still_verifies(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path) -> None:
    generated = inst.sign_dsse(ARTIFACT, rekor=1)
    code, records, err = _verify(root, generated, tmp_path)
    assert code == 0 and records[0]["entry_kind"] == "dsse 0.0.1", err
