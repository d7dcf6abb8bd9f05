# SPDX-License-Identifier: Apache-2.0
"""The verify-offline command line: exit codes, one-line errors, bad input of every kind."""

from __future__ import annotations

import base64
import copy
import json
import pathlib
from typing import Any, Callable, Dict

import pytest

from helpers import EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, REPO, run_cli, run_json

IDENTITY = ["--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer", GITHUB_ISSUER]


def _example() -> Dict[str, Any]:
    return json.loads(EXAMPLE_BUNDLE.read_text())


def _write(tmp_path: pathlib.Path, data: Any, name: str = "b.sigstore") -> pathlib.Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return path


def _assert_one_line_failure(code: int, err: str, expected_code: int) -> None:
    assert code == expected_code, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert not err.startswith("OK")


def test_help_and_version() -> None:
    assert run_cli(["--help"])[0] == 0
    assert run_cli(["--version"])[0] == 0


@pytest.mark.parametrize(
    "argv",
    [
        [EXAMPLE_DIGEST],  # no identity
        ["--cert-identity", "x", EXAMPLE_DIGEST],  # no issuer
        ["--cert-identity", "x", "--cert-identity-regexp", "y", "--cert-oidc-issuer", "z", EXAMPLE_DIGEST],
        ["--key", "k.pem", "--cert-identity", "x", "--cert-oidc-issuer", "y", EXAMPLE_DIGEST],
        ["--bundle", "b", *IDENTITY, "a", "b"],  # --bundle with two artifacts
        [*IDENTITY, EXAMPLE_DIGEST],  # digest without --bundle
        ["--cert-identity-regexp", "(", "--cert-oidc-issuer", "x", EXAMPLE_DIGEST],
        ["--staging", "--trusted-root", "x", *IDENTITY, EXAMPLE_DIGEST],
        ["--no-such-option", EXAMPLE_DIGEST],
    ],
)
def test_usage_errors_exit_2(argv: list) -> None:
    code, _, err = run_cli(argv)
    _assert_one_line_failure(code, err, 2)


def test_ok_line_and_quiet_and_json() -> None:
    argv = ["--bundle", str(EXAMPLE_BUNDLE), *IDENTITY, EXAMPLE_DIGEST]
    code, out, err = run_cli(argv)
    assert code == 0 and out.startswith("OK: ") and err == ""
    code, out, err = run_cli(["-q", *argv])
    assert code == 0 and out == "" and err == ""
    code, records, _ = run_json(argv)
    assert code == 0
    assert set(records[0]) == {
        "artifact", "digest", "verified", "identity", "issuer", "key", "bundle_media_type", "entry_kind", "log",
        "log_index", "signed_at", "verified_times", "trust_root",
    }
    snapshot = records[0]["trust_root"]["snapshot"]
    assert snapshot["instance"] == "sigstore" and snapshot["age_days"] >= 0
    assert records[0]["trust_root"]["sha256"] == "6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66"


def test_regexp_policy_must_match_the_whole_value() -> None:
    base = ["--bundle", str(EXAMPLE_BUNDLE), "--cert-oidc-issuer", GITHUB_ISSUER, EXAMPLE_DIGEST]
    assert run_cli(["--cert-identity-regexp", r"https://github\.com/trailofbits/.*", *base])[0] == 0
    code, records, _ = run_json(["--cert-identity-regexp", r"https://github\.com/trailofbits", *base])
    assert code == 1 and records[0]["step"] == "identity"
    code, records, _ = run_json(
        ["--bundle", str(EXAMPLE_BUNDLE), "--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer-regexp",
         r"https://token\.actions", EXAMPLE_DIGEST]
    )
    assert code == 1 and records[0]["step"] == "identity"


def test_wrong_issuer_fails_at_identity() -> None:
    code, records, _ = run_json(
        ["--bundle", str(EXAMPLE_BUNDLE), "--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer",
         "https://accounts.google.com", EXAMPLE_DIGEST]
    )
    assert code == 1 and records[0]["step"] == "identity"


def _mutations() -> Dict[str, Callable[[Dict[str, Any]], Any]]:
    def set_path(path: str, value: Any) -> Callable[[Dict[str, Any]], Any]:
        def apply(doc: Dict[str, Any]) -> Any:
            target = doc
            keys = path.split(".")
            for key in keys[:-1]:
                target = target[int(key)] if isinstance(target, list) else target[key]
            target[keys[-1]] = value
            return doc
        return apply

    def drop(path: str) -> Callable[[Dict[str, Any]], Any]:
        def apply(doc: Dict[str, Any]) -> Any:
            target = doc
            keys = path.split(".")
            for key in keys[:-1]:
                target = target[int(key)] if isinstance(target, list) else target[key]
            del target[keys[-1]]
            return doc
        return apply

    def truncate_proof(doc: Dict[str, Any]) -> Any:
        doc["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"].pop()
        return doc

    entry = "verificationMaterial.tlogEntries"
    return {
        "not-an-object": lambda doc: [doc],
        "unknown-media-type": set_path("mediaType", "application/vnd.dev.sigstore.bundle.v9.9+json"),
        "media-type-wrong-type": set_path("mediaType", 3),
        "no-verification-material": drop("verificationMaterial"),
        "certificate-bad-base64": set_path("verificationMaterial.certificate.rawBytes", "!!notbase64!!"),
        "certificate-not-der": set_path("verificationMaterial.certificate.rawBytes", base64.b64encode(b"nope").decode()),
        "tlog-entries-not-a-list": set_path(f"{entry}", {"a": 1}),
        "log-index-wrong-type": set_path(f"{entry}.0.logIndex", [1]),
        "log-index-huge": set_path(f"{entry}.0.logIndex", str(2**70)),
        "proof-hash-wrong-length": set_path(f"{entry}.0.inclusionProof.hashes", ["AAAA"]),
        "tree-size-zero": set_path(f"{entry}.0.inclusionProof.treeSize", "0"),
        "body-empty": set_path(f"{entry}.0.canonicalizedBody", ""),
        "dsse-payload-not-base64": set_path("dsseEnvelope.payload", "%%%"),
        "dsse-signatures-empty": set_path("dsseEnvelope.signatures", []),
        "both-contents": set_path("messageSignature", {"signature": "AAAA"}),
        "no-content": drop("dsseEnvelope"),
        "truncated-proof": truncate_proof,
    }


@pytest.mark.parametrize("name", sorted(_mutations()))
def test_malformed_bundles_get_one_line_and_never_pass(tmp_path: pathlib.Path, name: str) -> None:
    doc = _mutations()[name](copy.deepcopy(_example()))
    path = _write(tmp_path, doc)
    code, records, err = run_json(["--bundle", str(path), *IDENTITY, EXAMPLE_DIGEST])
    assert code in (1, 4), err
    assert records[0]["verified"] is False
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    if name == "truncated-proof":
        assert code == 1 and records[0]["step"] == "inclusion-proof"
    else:
        assert code == 4 and records[0]["step"] == "bundle", err


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"\xff\xfe", b"[]", b'{"mediaType": NaN}', b'{"a": 1, "a": 2}', b"[" * 100000, b"\xef\xbb\xbf{}"],
    ids=["empty", "truncated", "not-utf8", "array", "nan", "duplicate-key", "deep", "bom"],
)
def test_garbage_bundles_exit_4(tmp_path: pathlib.Path, raw: bytes) -> None:
    path = _write(tmp_path, raw)
    code, _, err = run_cli(["--bundle", str(path), *IDENTITY, EXAMPLE_DIGEST])
    _assert_one_line_failure(code, err, 4)
    assert "bundle" in err


def test_huge_bundle_is_refused_without_reading_it_all(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "huge.sigstore"
    with open(path, "wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # a sparse 100 MB file
    code, _, err = run_cli(["--bundle", str(path), *IDENTITY, EXAMPLE_DIGEST])
    _assert_one_line_failure(code, err, 4)
    assert "larger than" in err


def test_missing_artifact_directory_artifact_and_missing_bundle(tmp_path: pathlib.Path) -> None:
    code, _, err = run_cli([*IDENTITY, str(tmp_path / "nope.tgz")])
    _assert_one_line_failure(code, err, 4)
    code, _, err = run_cli(["--bundle", str(EXAMPLE_BUNDLE), *IDENTITY, str(tmp_path)])
    _assert_one_line_failure(code, err, 4)
    assert "is a directory" in err
    artifact = tmp_path / "a.tgz"
    artifact.write_bytes(b"x")
    code, _, err = run_cli([*IDENTITY, str(artifact)])
    _assert_one_line_failure(code, err, 4)
    assert "a.tgz.sigstore" in err
    code, _, err = run_cli(["--bundle", str(tmp_path / "missing.sigstore"), *IDENTITY, str(artifact)])
    _assert_one_line_failure(code, err, 4)


def test_bundle_found_beside_the_artifact(tmp_path: pathlib.Path) -> None:
    artifact = tmp_path / "pypi_attestation_models-0.0.4a2.tar.gz"
    artifact.write_bytes(b"not the real sdist")
    (tmp_path / (artifact.name + ".sigstore.json")).write_bytes(EXAMPLE_BUNDLE.read_bytes())
    code, records, _ = run_json([*IDENTITY, str(artifact)])
    assert code == 1 and records[0]["step"] == "signature"  # found the bundle; the bytes differ


def test_trust_root_errors_exit_3(tmp_path: pathlib.Path) -> None:
    argv = ["--bundle", str(EXAMPLE_BUNDLE), *IDENTITY, EXAMPLE_DIGEST]
    code, _, err = run_cli(["--trusted-root", str(tmp_path / "none.json"), *argv])
    _assert_one_line_failure(code, err, 3)
    bad = tmp_path / "bad.json"
    bad.write_text('{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1", "tlogs": 5}')
    code, _, err = run_cli(["--trust-root", str(bad), *argv])
    _assert_one_line_failure(code, err, 3)
    root = json.loads((REPO / "trust-roots" / "sigstore" / "trusted_root.json").read_text())
    root["tlogs"][0]["publicKey"]["validFor"] = {"start": "2030-01-01T00:00:00Z", "end": "2020-01-01T00:00:00Z"}
    bad.write_text(json.dumps(root))
    code, _, err = run_cli(["--trust-root", str(bad), *argv])
    _assert_one_line_failure(code, err, 3)
    snapshot = tmp_path / "snap"
    snapshot.mkdir()
    (snapshot / "trusted_root.json").write_bytes((REPO / "trust-roots" / "sigstore" / "trusted_root.json").read_bytes())
    code, _, err = run_cli(["--trust-root", str(snapshot), *argv])  # a directory without a manifest
    _assert_one_line_failure(code, err, 3)
    assert "manifest.json" in err
    assert run_cli(["--trust-root", str(REPO / "trust-roots" / "sigstore"), *argv])[0] == 0


def test_bad_key_file_exits_4(tmp_path: pathlib.Path) -> None:
    key = tmp_path / "k.pem"
    key.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    code, _, err = run_cli(["--key", str(key), "--bundle", str(EXAMPLE_BUNDLE), EXAMPLE_DIGEST])
    _assert_one_line_failure(code, err, 4)


def test_several_artifacts_each_get_a_verdict_and_the_worst_code(tmp_path: pathlib.Path) -> None:
    good = tmp_path / "pypi_attestation_models-0.0.4a2.tar.gz"
    good.write_bytes(b"tampered")
    (tmp_path / (good.name + ".sigstore")).write_bytes(EXAMPLE_BUNDLE.read_bytes())
    code, out, err = run_cli([*IDENTITY, str(good), str(tmp_path / "missing")])
    assert code == 4
    assert len(err.strip().splitlines()) == 2 and out == ""


def test_internal_errors_are_reported_as_bugs(monkeypatch: pytest.MonkeyPatch) -> None:
    from sigstore_offline import request

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("synthetic")

    monkeypatch.setattr(request, "verify", boom)
    code, out, err = run_cli(["--bundle", str(EXAMPLE_BUNDLE), *IDENTITY, EXAMPLE_DIGEST])
    assert code == 5 and "bug" in err and out == "" and "OK" not in err


def test_sigstore_python_spelling_is_accepted() -> None:
    code, out, err = run_cli(["verify", "identity", "--offline", "--bundle", str(EXAMPLE_BUNDLE), *IDENTITY,
                              EXAMPLE_DIGEST])
    assert code == 0 and out.startswith("OK: "), err
    code, _, err = run_cli(["verify", "github", "--bundle", str(EXAMPLE_BUNDLE), EXAMPLE_DIGEST])
    assert code == 2 and "not supported" in err


def test_cosign_option_spellings_are_accepted() -> None:
    code, out, err = run_cli(["--bundle", str(EXAMPLE_BUNDLE), "--certificate-identity", EXAMPLE_IDENTITY,
                              "--certificate-oidc-issuer", GITHUB_ISSUER, EXAMPLE_DIGEST])
    assert code == 0, err
