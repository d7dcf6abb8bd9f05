# SPDX-License-Identifier: Apache-2.0
"""``sigstoreverify --signature=FILE.jsonl``: GitHub artifact attestations, as ``gh attestation
download`` writes them (one Sigstore bundle a line), in a build recipe (``%sigstoreverify``,
``dh_sigstore_verify``).

The real material of ../shared/vectors/github, read in place: a wheel attested by GitHub's own
Sigstore instance (no log entry, an RFC 3161 timestamp; it verifies only under the shipped
``github`` snapshot, which sigstoreverify adds by default for a ``.jsonl`` file), and npm's
provenance of sigstore@2.1.0 (SLSA provenance with a sha512 subject, two bundles in the file).
"""

from __future__ import annotations

import io
import pathlib
import shutil
from typing import Tuple

import pytest

from helpers import SHIPPED, VECTORS, need_shared
from sigstore_offline.cli import sigstoreverify

GITHUB = VECTORS / "github"
WHEEL = "github_provenance_demo-0.0.12-py3-none-any.whl"
WHEEL_ATTESTATIONS = "github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl"
DEMO = "github actions/attest-demo workflow=build-python.yml ref=refs/heads/main\n"
DEMO_IDENTITY = "https://github.com/actions/attest-demo/.github/workflows/build-python.yml@refs/heads/main"
NPM = "sigstore-js-2.1.0.tgz"
NPM_ATTESTATIONS = "sigstore-js-2.1.0_with_2_bundles.jsonl"
NPM_SIGNER = "github sigstore/sigstore-js workflow=release.yml\n"


@pytest.fixture
def vectors() -> pathlib.Path:
    return need_shared(GITHUB)


def run(tmp_path: pathlib.Path, signers: str, *argv: str) -> Tuple[int, str, str]:
    keyring = tmp_path / "signers"
    keyring.write_text(signers)
    out, err = io.StringIO(), io.StringIO()
    code = sigstoreverify.main([f"--keyring={keyring}", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_github_instance_attestation_verifies_under_the_default_roots(vectors: pathlib.Path,
                                                                      tmp_path: pathlib.Path) -> None:
    data = str(vectors / WHEEL)
    code, out, err = run(tmp_path, DEMO, f"--signature={vectors / WHEEL_ATTESTATIONS}", f"--data={data}")
    assert (code, err) == (0, ""), err
    assert out == (f"sigstoreverify: OK: {data} signed by {DEMO_IDENTITY} (https://token.actions.githubusercontent.com),"
                   " not logged (GitHub instance; time from RFC 3161), 2024-04-22T17:33:26Z\n")


def test_the_github_root_is_only_added_by_default(vectors: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """Naming the production snapshot leaves GitHub's instance out: its TSA is not listed there, and
    nothing lets a bundle without a log entry pass under a root that lists logs."""
    code, _, err = run(tmp_path, DEMO, f"--signature={vectors / WHEEL_ATTESTATIONS}", f"--data={vectors / WHEEL}",
                       f"--trust-root={SHIPPED / 'sigstore'}")
    assert code == 1 and ": timestamp: " in err and "it is from a TSA the trusted root does not list" in err, err


@pytest.mark.parametrize("signers, reason", [
    ("github actions/other-repo\n", "certificate names " + DEMO_IDENTITY),
    ("github actions/attest-demo workflow=release.yml\n", "identity: "),
    ("github actions/attest-demo ref=refs/tags/v*\n", "identity: "),
    ("hugo@python.org https://github.com/login/oauth\n", "identity: "),
])
def test_a_signer_not_listed_fails(vectors: pathlib.Path, tmp_path: pathlib.Path, signers: str, reason: str) -> None:
    code, out, err = run(tmp_path, signers, f"--signature={vectors / WHEEL_ATTESTATIONS}", f"--data={vectors / WHEEL}")
    assert (code, out) == (1, "") and len(err.splitlines()) == 1, err
    assert reason in err and f"the signers file {tmp_path / 'signers'}" in err, err


def test_a_tampered_file_fails(vectors: pathlib.Path, tmp_path: pathlib.Path) -> None:
    data = tmp_path / WHEEL
    data.write_bytes((vectors / WHEEL).read_bytes() + b"\0")
    code, _, err = run(tmp_path, DEMO, f"--signature={vectors / WHEEL_ATTESTATIONS}", f"--data={data}")
    assert code == 1 and "does not name the artifact" in err, err


@pytest.mark.parametrize("broken", ["github_provenance_demo-0.0.12-py3-none-any-bundle-missing-cert.jsonl",
                                    "github_provenance_demo-0.0.12-py3-none-any-bundle-missing-verification-material.jsonl"])
def test_attestations_without_their_material_fail(vectors: pathlib.Path, tmp_path: pathlib.Path, broken: str) -> None:
    code, out, err = run(tmp_path, DEMO, f"--signature={vectors / broken}", f"--data={vectors / WHEEL}")
    assert (code, out) == (1, "") and err.startswith("sigstoreverify: FAIL: ") and len(err.splitlines()) == 1, err


def test_npm_provenance_with_a_sha512_subject(vectors: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """npm's provenance names the tarball by sha512 only; the file holds two bundles, and the SLSA
    provenance one passes."""
    code, out, err = run(tmp_path, NPM_SIGNER, f"--signature={vectors / NPM_ATTESTATIONS}", f"--data={vectors / NPM}")
    assert code == 0 and "signed by https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@" in out, err
    code, _, err = run(tmp_path, "github sigstore/other\n", f"--signature={vectors / NPM_ATTESTATIONS}",
                       f"--data={vectors / NPM}")
    assert code == 1 and "identity: " in err, err


def test_a_jsonl_file_takes_its_signers_from_the_keyring(vectors: pathlib.Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = sigstoreverify.main(["--policy=cpython", f"--signature={vectors / WHEEL_ATTESTATIONS}",
                                f"--data={vectors / WHEEL}"], out=out, err=err)
    assert code == 2 and "takes its signers from --keyring" in err.getvalue(), err.getvalue()


def test_without_the_github_snapshot_only_production_is_used(vectors: pathlib.Path, tmp_path: pathlib.Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    roots = tmp_path / "roots"
    shutil.copytree(SHIPPED / "sigstore", roots / "sigstore")
    monkeypatch.setenv("SIGSTORE_OFFLINE_TRUST_ROOTS", str(roots))
    code, _, err = run(tmp_path, DEMO, f"--signature={vectors / WHEEL_ATTESTATIONS}", f"--data={vectors / WHEEL}")
    assert code == 1 and ": timestamp: " in err, err


