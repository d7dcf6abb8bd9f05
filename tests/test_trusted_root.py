# SPDX-License-Identifier: Apache-2.0
"""trusted_root.json parsing: a malformed trust root is the operator's problem (TrustRootError, exit 3)."""

from __future__ import annotations

import copy
import datetime
import json
from typing import Any, Callable, Dict

import pytest

from helpers import SHIPPED
from sigstore_offline.errors import TrustRootError
from sigstore_offline.trust import store
from sigstore_offline.trust.trusted_root import ValidityWindow, parse_trusted_root

UTC = datetime.timezone.utc


def _root() -> Dict[str, Any]:
    return json.loads((SHIPPED / "sigstore" / "trusted_root.json").read_text())


def test_shipped_roots_parse() -> None:
    production = store.shipped(store.PRODUCTION)
    staging = store.shipped(store.STAGING)
    assert production.sha256 == "6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66"
    assert {log.base_url for log in production.tlogs} == {"https://rekor.sigstore.dev", "https://log2025-1.rekor.sigstore.dev"}
    assert len(production.certificate_authorities) == 2 and len(production.timestamp_authorities) == 1
    assert all("sigstage" in log.base_url for log in staging.tlogs)


def test_validity_windows_are_closed_intervals() -> None:
    start = datetime.datetime(2024, 1, 1, tzinfo=UTC)
    end = datetime.datetime(2024, 2, 1, tzinfo=UTC)
    window = ValidityWindow(start, end)
    assert window.contains(start) and window.contains(end)
    assert not window.contains(start - datetime.timedelta(microseconds=1))
    assert not window.contains(end + datetime.timedelta(microseconds=1))
    assert ValidityWindow(start, None).contains(datetime.datetime(2999, 1, 1, tzinfo=UTC))


def _edits() -> Dict[str, Callable[[Dict[str, Any]], None]]:
    def media_type(root: Dict[str, Any]) -> None:
        root["mediaType"] = "application/vnd.dev.sigstore.trustedroot+json;version=9"

    def no_tlogs(root: Dict[str, Any]) -> None:
        root["tlogs"] = []

    def no_cas(root: Dict[str, Any]) -> None:
        root["certificateAuthorities"] = []

    def tlog_no_start(root: Dict[str, Any]) -> None:
        root["tlogs"][0]["publicKey"]["validFor"] = {}

    def tlog_end_before_start(root: Dict[str, Any]) -> None:
        root["tlogs"][0]["publicKey"]["validFor"] = {"start": "2024-01-01T00:00:00Z", "end": "2023-01-01T00:00:00Z"}

    def tlog_bad_time(root: Dict[str, Any]) -> None:
        root["tlogs"][0]["publicKey"]["validFor"]["start"] = "2024-01-01"

    def key_not_der(root: Dict[str, Any]) -> None:
        root["tlogs"][0]["publicKey"]["rawBytes"] = "AAAA"

    def key_details_mismatch(root: Dict[str, Any]) -> None:
        root["tlogs"][0]["publicKey"]["keyDetails"] = "PKIX_ED25519"

    def log_id_short(root: Dict[str, Any]) -> None:
        root["tlogs"][0]["logId"]["keyId"] = "AAAA"

    def hash_algorithm(root: Dict[str, Any]) -> None:
        root["tlogs"][0]["hashAlgorithm"] = "SHA1"

    def ca_chain_empty(root: Dict[str, Any]) -> None:
        root["certificateAuthorities"][0]["certChain"]["certificates"] = []

    def ca_cert_not_der(root: Dict[str, Any]) -> None:
        root["certificateAuthorities"][0]["certChain"]["certificates"][0]["rawBytes"] = "AAAA"

    def ca_no_window(root: Dict[str, Any]) -> None:
        del root["certificateAuthorities"][0]["validFor"]

    def duplicate_key(root: Dict[str, Any]) -> None:
        root["__duplicate__"] = True

    return {name: fn for name, fn in locals().items() if callable(fn)}


@pytest.mark.parametrize("name", sorted(_edits()))
def test_malformed_trust_roots_are_rejected(name: str) -> None:
    root = copy.deepcopy(_root())
    _edits()[name](root)
    data = json.dumps(root).encode()
    if name == "duplicate_key":
        data = data.replace(b'"__duplicate__": true', b'"tlogs": [], "tlogs": []')
    with pytest.raises(TrustRootError) as info:
        parse_trusted_root(data)
    assert info.value.step == "trust-root" and info.value.exit_code == 3


def test_json_nulls_mean_unset() -> None:
    root = _root()
    for log in root["tlogs"]:
        log["checkpointKeyId"] = None
        log["publicKey"]["validFor"]["end"] = None
    parsed = parse_trusted_root(json.dumps(root).encode())
    assert all(log.valid_for.end is None for log in parsed.tlogs)
