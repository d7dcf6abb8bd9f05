# SPDX-License-Identifier: Apache-2.0
"""sigstore-python's ClientTrustConfig file (trusted root + signing config) is accepted wherever a
trusted root is: strict parse, malformed is exit 3, and the embedded root verifies like the file."""

from __future__ import annotations

import json
import pathlib
from typing import Any, Dict

import pytest

from helpers import EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, SHIPPED, need_module, run_cli
from sigstore_offline.errors import TrustRootError
from sigstore_offline.trust import store, trustconfig

ARGV = ["--bundle", str(EXAMPLE_BUNDLE), "--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer", GITHUB_ISSUER,
        EXAMPLE_DIGEST]


def _config() -> Dict[str, Any]:
    """A ClientTrustConfig as sigstore-python writes it (field order and media types), from the shipped files."""
    return {
        "mediaType": trustconfig.MEDIA_TYPE,
        "trustedRoot": json.loads((SHIPPED / "sigstore" / "trusted_root.json").read_bytes()),
        "signingConfig": json.loads((SHIPPED / "sigstore" / "signing_config.v0.2.json").read_bytes()),
    }


def _write(tmp_path: pathlib.Path, doc: Any) -> pathlib.Path:
    path = tmp_path / "trust_config.json"
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


def test_client_trust_config_verifies_like_its_trusted_root(tmp_path: pathlib.Path) -> None:
    path = _write(tmp_path, _config())
    root, info = store.open_trust_root(path)
    plain = store.load(SHIPPED / "sigstore" / "trusted_root.json")
    assert info is None and "client trust config" in root.source
    assert (len(root.tlogs), len(root.ctlogs), len(root.certificate_authorities), len(root.timestamp_authorities)) == (
        len(plain.tlogs), len(plain.ctlogs), len(plain.certificate_authorities), len(plain.timestamp_authorities))
    for option in ("--trusted-root", "--trust-root"):
        code, out, err = run_cli([option, str(path), *ARGV])
        assert code == 0 and out.startswith("OK: "), err


@pytest.mark.oracle
def test_sigstore_python_reads_and_writes_the_same_format(tmp_path: pathlib.Path) -> None:
    """The oracle: sigstore-python's own model serializes a ClientTrustConfig we accept, and reads ours."""
    models = need_module("sigstore_models.trustroot.v1", "the test extra (sigstore-python's models)",
                         absent_in_lane="debian12")
    ours = json.dumps(_config())
    theirs = models.ClientTrustConfig.from_json(ours).to_json()
    path = _write(tmp_path, theirs)
    assert trustconfig.is_client_trust_config(path.read_bytes())
    root, _ = store.open_trust_root(path)
    assert {log.base_url for log in root.tlogs} == {"https://rekor.sigstore.dev", "https://log2025-1.rekor.sigstore.dev"}
    assert run_cli(["--trusted-root", str(path), *ARGV])[0] == 0


def _broken(edit: str) -> Any:
    doc = _config()
    if edit == "media-version":
        doc["mediaType"] = "application/vnd.dev.sigstore.clienttrustconfig.v0.2+json"
    elif edit == "media-case":
        doc["mediaType"] = "application/vnd.dev.sigstore.clienttrustconfig"
    elif edit == "no-root":
        del doc["trustedRoot"]
    elif edit == "root-null":
        doc["trustedRoot"] = None
    elif edit == "root-list":
        doc["trustedRoot"] = [doc["trustedRoot"]]
    elif edit == "root-string":
        doc["trustedRoot"] = json.dumps(doc["trustedRoot"])
    elif edit == "root-broken":
        doc["trustedRoot"]["tlogs"] = "none"
    elif edit == "root-empty":
        doc["trustedRoot"] = {}
    elif edit == "no-signing":
        del doc["signingConfig"]
    elif edit == "signing-list":
        doc["signingConfig"] = []
    elif edit == "signing-media":
        doc["signingConfig"]["mediaType"] = "application/json"
    elif edit == "extra-field":
        doc["trustedRoots"] = []
    elif edit == "duplicate":
        text = json.dumps(doc)
        return text[:-1] + ', "trustedRoot": {}}'
    return doc


@pytest.mark.parametrize("edit", ["media-version", "media-case", "no-root", "root-null", "root-list", "root-string",
                                  "root-broken", "root-empty", "no-signing", "signing-list", "signing-media",
                                  "extra-field", "duplicate"])
def test_malformed_client_trust_config_is_exit_3(tmp_path: pathlib.Path, edit: str) -> None:
    path = _write(tmp_path, _broken(edit))
    with pytest.raises(TrustRootError):
        store.open_trust_root(path)
    code, _, err = run_cli(["--trusted-root", str(path), *ARGV])
    assert code == 3 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_a_plain_trusted_root_is_not_mistaken_for_a_config() -> None:
    data = (SHIPPED / "sigstore" / "trusted_root.json").read_bytes()
    assert not trustconfig.is_client_trust_config(data)
    assert not trustconfig.is_client_trust_config(b"{not json")
    assert trustconfig.parse_trust_file(data, source="x").sha256 == store.load(SHIPPED / "sigstore" / "trusted_root.json").sha256
