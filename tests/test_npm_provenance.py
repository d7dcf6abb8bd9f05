# SPDX-License-Identifier: Apache-2.0
"""npm provenance (issue 13, item 5 of the issue, item 3 of this slice): SLSA provenance whose
subject is ``pkg:npm/NAME@VERSION`` with a SHA-512 digest only, through the one pipeline.

Real material, read in place: ``sigstore@2.1.0`` from ../shared/vectors/github (SOURCE.md), its
provenance as a v0.3 and a v0.1 bundle. A ``sha512:`` digest is checked against in-toto subjects;
a hashedrekord bundle signs the SHA-256, so a ``sha512:`` digest with one is an input error.
"""

from __future__ import annotations

import hashlib
import io
import json
import pathlib
from typing import List

import pytest

from helpers import CONFORMANCE, VECTORS, need_shared, run_cli, run_json
from sigstore_offline.cli import sigstoreverify

GITHUB = VECTORS / "github"
SIGNER = "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"
ISSUER = "https://token.actions.githubusercontent.com"
PUBLISHER = ["--repository", "sigstore/sigstore-js", "--workflow", "release.yml", "--ref", "refs/heads/main"]


@pytest.fixture(scope="module")
def tarball() -> pathlib.Path:
    return need_shared(GITHUB / "sigstore-js-2.1.0.tgz")


def _sha512(path: pathlib.Path) -> str:
    return "sha512:" + hashlib.sha512(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("bundle", ["sigstore-js-2.1.0-bundle.json", "sigstore-js-2.1.0-bundle-v0.1.json"])
def test_npm_tarball_verifies_by_its_sha512_subject(tarball: pathlib.Path, bundle: str) -> None:
    code, records, err = run_json([str(tarball), "--bundle", str(GITHUB / bundle), *PUBLISHER])
    assert code == 0 and records[0]["verified"], err
    assert records[0]["digest"] == _sha512(tarball)
    code, _, err = run_cli([str(tarball), "--bundle", str(GITHUB / bundle), "--cert-identity", SIGNER,
                            "--cert-oidc-issuer", ISSUER])
    assert code == 0, err


def test_sha512_digest_and_a_wrong_one(tarball: pathlib.Path) -> None:
    bundle = str(GITHUB / "sigstore-js-2.1.0-bundle.json")
    digest = _sha512(tarball)
    code, _, err = run_cli([digest, "--bundle", bundle, *PUBLISHER])
    assert code == 0, err
    wrong = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    code, records, _ = run_json([wrong, "--bundle", bundle, *PUBLISHER])
    assert code == 1 and records[0]["step"] == "signature" and "sha512:" in records[0]["error"]
    other = need_shared(GITHUB / "custom-issuer-artifact")  # another file: its SHA-512 is not the subject
    code, records, _ = run_json([str(other), "--bundle", bundle, *PUBLISHER])
    assert code == 1 and records[0]["step"] == "signature"


def test_sha512_digest_cannot_check_a_message_signature() -> None:
    need_shared(CONFORMANCE)
    artifact = CONFORMANCE / "a.txt"
    bundle = str(CONFORMANCE / "happy-path-v0.3" / "bundle.sigstore.json")
    code, records, err = run_json([_sha512(artifact), "--bundle", bundle, "--cert-identity-regexp", ".*",
                                   "--cert-oidc-issuer-regexp", ".*"])
    assert code == 4 and records[0]["step"] == "artifact" and "SHA-256" in records[0]["error"], err


@pytest.mark.parametrize("spec,message", [
    ("sha512:" + "ab" * 32, "has 128 hex digits"),
    ("md5:" + "ab" * 16, "unsupported digest algorithm 'md5'"),
])
def test_digest_spellings(spec: str, message: str) -> None:
    code, records, _ = run_json([spec, "--bundle", "b.json", "--repository", "a/b"])
    assert code == 4 and records[0]["step"] == "artifact" and message in records[0]["error"]


def test_npm_in_a_manifest_and_a_signers_file(tarball: pathlib.Path, tmp_path: pathlib.Path) -> None:
    manifest = tmp_path / "m.jsonl"
    entries: List[dict] = [
        {"artifact": "sigstore-2.1.0.tgz", "digest": _sha512(tarball),
         "bundle": str(GITHUB / "sigstore-js-2.1.0-bundle.json"), "repository": "sigstore/sigstore-js"},
        {"artifact": str(tarball), "bundle": str(GITHUB / "sigstore-js-2.1.0-bundle-v0.1.json"),
         "repository": "sigstore/sigstore-js", "ref": "refs/tags/v*"},
    ]
    manifest.write_text("\n".join(json.dumps(e) for e in entries) + "\n")
    code, records, err = run_json(["--manifest", str(manifest), "--jobs", "1"])
    assert code == 1, err
    assert records[0]["verified"] and not records[1]["verified"] and records[1]["step"] == "identity"
    signers = tmp_path / "signers"
    signers.write_text("github sigstore/sigstore-js workflow=release.yml\n")
    out, errs = io.StringIO(), io.StringIO()
    code = sigstoreverify.main([f"--keyring={signers}", f"--signature={GITHUB / 'sigstore-js-2.1.0-bundle.json'}",
                                f"--data={tarball}"], out=out, err=errs)
    assert code == 0, errs.getvalue()


def test_pypi_verb_refuses_a_sha512_digest() -> None:
    from sigstore_offline.cli.pypi import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["sha512:" + "ab" * 64, "--name", "x-1.0.tar.gz", "--provenance", "p.json",
                 "--repository", "a/b", "--json"], out=out, err=err)
    assert code == 4 and json.loads(out.getvalue())["step"] == "artifact", err.getvalue()
