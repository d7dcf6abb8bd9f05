# SPDX-License-Identifier: Apache-2.0
"""All 353 real CPython release bundles, verified by digest against the shipped production root."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

from helpers import CPYTHON, need_shared, run_json


def _manifest() -> List[Dict[str, Any]]:
    path = CPYTHON / "manifest.json"
    if not path.exists():
        return []
    return json.loads(path.read_text())


@pytest.mark.parametrize("item", _manifest() or [None], ids=lambda i: i["artifact"] if i else "absent")
def test_cpython_release_bundle(item: Dict[str, Any]) -> None:
    need_shared(CPYTHON / "manifest.json")
    assert item["expect"] == "pass"
    code, records, err = run_json(
        ["--bundle", str(CPYTHON / item["bundle"]), "--cert-identity", item["identity"],
         "--cert-oidc-issuer", item["issuer"], item["digest"]]
    )
    assert code == 0, err
    (record,) = records
    assert record["digest"] == item["digest"]
    assert record["identity"] == item["identity"]
    assert record["issuer"] == item["issuer"]
    assert record["log"] == "https://rekor.sigstore.dev"


def test_cpython_wrong_release_manager_fails_at_identity() -> None:
    need_shared(CPYTHON / "manifest.json")
    item = next(i for i in _manifest() if i["identity"] == "hugo@python.org")
    code, records, _ = run_json(
        ["--bundle", str(CPYTHON / item["bundle"]), "--cert-identity", "thomas@python.org",
         "--cert-oidc-issuer", item["issuer"], item["digest"]]
    )
    assert code == 1 and records[0]["step"] == "identity"


def test_cpython_corpus_is_complete() -> None:
    need_shared(CPYTHON / "manifest.json")
    assert len(_manifest()) == 353
