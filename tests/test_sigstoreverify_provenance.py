# SPDX-License-Identifier: Apache-2.0
"""``sigstoreverify --provenance``: an sdist checked against its PyPI provenance (PEP 740), the
path ``%sigstoreverify -a N`` and ``dh_sigstore_verify`` take for upstreams released on PyPI.

In-process through ``main(argv)``, on material from the generated test instance (an sdist, the
provenance PyPI's Integrity API would serve for it, and the instance's trusted root), because
../shared holds real provenance but not the distributions themselves. The real provenance files
are checked by ``verify-offline pypi`` in test_pypi_bundles.py.
"""

from __future__ import annotations

import io
import json
import pathlib
from typing import Any, Dict, List, Tuple

import pytest

from sigstore_offline.cli import sigstoreverify

SDIST = "example_project-1.0.tar.gz"
DATA = b"an sdist, as PyPI serves it\n"
PUBLISHER = "github example/project workflow=release.yml ref=refs/tags/v*\n"


@pytest.fixture(scope="module")
def instance() -> Any:
    from testinstance import TestInstance

    return TestInstance(seed="sigstoreverify provenance")


@pytest.fixture(scope="module")
def root(instance: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("root") / "trusted_root.json"
    path.write_text(json.dumps(instance.trusted_root_json()))
    return str(path)


def release(instance: Any, directory: pathlib.Path, *, data: bytes = DATA, name: str = SDIST,
            **kw: Any) -> Tuple[str, str]:
    """The sdist (as ``directory/SDIST``) and its provenance; ``kw`` goes to ``pep740.pypi_release``."""
    from testinstance import pep740

    sdist = directory / SDIST
    sdist.write_bytes(data)
    provenance = directory / f"{SDIST}.provenance"
    provenance.write_text(json.dumps(pep740.pypi_release(instance, name, DATA, **kw)))
    return str(sdist), str(provenance)


def run(root: str, tmp_path: pathlib.Path, signers: str, *argv: str) -> Tuple[int, str, str]:
    keyring = tmp_path / "signers"
    keyring.write_text(signers)
    out, err = io.StringIO(), io.StringIO()
    code = sigstoreverify.main([f"--keyring={keyring}", f"--trust-root={root}", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_an_sdist_verifies_against_its_provenance_and_publisher(instance: Any, root: str,
                                                               tmp_path: pathlib.Path) -> None:
    sdist, provenance = release(instance, tmp_path)
    code, out, err = run(root, tmp_path, PUBLISHER, f"--provenance={provenance}", f"--data={sdist}")
    assert (code, err) == (0, ""), err
    identity = "https://github.com/example/project/.github/workflows/release.yml@refs/tags/v1.0"
    assert out.startswith(f"sigstoreverify: OK: {sdist} signed by {identity} (https://token.actions."), out


def test_an_identity_line_also_names_the_signer(instance: Any, root: str, tmp_path: pathlib.Path) -> None:
    sdist, provenance = release(instance, tmp_path)
    identity = "https://github.com/example/project/.github/workflows/release.yml@refs/tags/v1.0"
    code, _, err = run(root, tmp_path, f"{identity} https://token.actions.githubusercontent.com\n",
                       f"--provenance={provenance}", f"--data={sdist}")
    assert code == 0, err


@pytest.mark.parametrize("signers, kw, reason", [
    # The file's bytes are not the attested ones.
    (PUBLISHER, {"data": b"tampered\n"}, "does not name the artifact"),
    # Another repository, workflow or kind of ref signed.
    (PUBLISHER, {"repository": "example/fork"}, "identity: signed by https://github.com/example/fork/"),
    (PUBLISHER, {"workflow": "nightly.yml"}, "identity: signed by"),
    (PUBLISHER, {"ref": "refs/heads/main"}, "identity: signed by"),
    # The statement names another distribution: another project, or another version.
    (PUBLISHER, {"name": "other_project-1.0.tar.gz"}, "statement:"),
    (PUBLISHER, {"name": "example_project-0.9.tar.gz"}, "statement:"),
    # PyPI's (unsigned) publisher record disagrees with the publisher line.
    (PUBLISHER, {"record": {"kind": "GitHub", "repository": "example/other", "workflow": "release.yml",
                            "environment": None}}, "publisher: "),
    (PUBLISHER, {"record": {"kind": "GitLab", "repository": "example/project", "workflow_filepath": ".gitlab-ci.yml",
                            "environment": None}}, "publisher: "),
])
def test_a_wrong_release_stops(instance: Any, root: str, tmp_path: pathlib.Path, signers: str,
                               kw: Dict[str, Any], reason: str) -> None:
    data = kw.pop("data", DATA)
    sdist, provenance = release(instance, tmp_path, **kw)
    if data != DATA:
        pathlib.Path(sdist).write_bytes(data)
    code, out, err = run(root, tmp_path, signers, f"--provenance={provenance}", f"--data={sdist}")
    assert (code, out) == (1, ""), err
    assert err.startswith(f"sigstoreverify: FAIL: {sdist}: ") and len(err.splitlines()) == 1, err
    assert reason in err, err


def test_a_renamed_file_is_named_with_name(instance: Any, root: str, tmp_path: pathlib.Path) -> None:
    """Debian renames the sdist to SOURCE_VERSION.orig.tar.gz: --name gives PyPI's file name, which
    the statement must name; without it the data file's name is refused before anything is read."""
    sdist, provenance = release(instance, tmp_path)
    orig = tmp_path / "python-example-project_1.0.orig.tar.gz"
    pathlib.Path(sdist).rename(orig)
    code, _, err = run(root, tmp_path, PUBLISHER, f"--provenance={provenance}", f"--data={orig}",
                       f"--name={SDIST}")
    assert code == 0, err
    code, _, err = run(root, tmp_path, PUBLISHER, f"--provenance={provenance}", f"--data={orig}",
                       "--name=example_project-2.0.tar.gz")
    assert code == 1 and "statement:" in err, err
    code, _, err = run(root, tmp_path, PUBLISHER, f"--provenance={provenance}", f"--data={orig}")
    assert code == 2 and "is not a Python distribution's file name; give the name PyPI serves it under with --name" \
        in err, err


@pytest.mark.parametrize("argv, message", [
    (["--signature=B", "--provenance=P", "--data=D"], "give --signature (a Sigstore bundle) or --provenance"),
    (["--name=example_project-1.0.tar.gz", "--signature=B", "--data=D"], "--name is the PyPI file name"),
    (["--provenance=P", "--data=D", "--name=not a dist"], "--name: 'not a dist' is not a distribution filename"),
    (["--provenance=P"], "--data missing"),
])
def test_provenance_usage_errors(root: str, tmp_path: pathlib.Path, argv: List[str], message: str) -> None:
    code, out, err = run(root, tmp_path, PUBLISHER, *argv)
    assert (code, out) == (2, "") and message in err, err


def test_provenance_with_a_policy_is_a_usage_error(tmp_path: pathlib.Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = sigstoreverify.main(["--policy=cpython", "--provenance=P", "--data=D"], out=out, err=err)
    assert code == 2 and "not from --policy" in err.getvalue(), err.getvalue()


def test_malformed_and_empty_provenance_fail_with_1(instance: Any, root: str, tmp_path: pathlib.Path) -> None:
    sdist, provenance = release(instance, tmp_path)
    pathlib.Path(provenance).write_text("{not json")
    code, _, err = run(root, tmp_path, PUBLISHER, f"--provenance={provenance}", f"--data={sdist}")
    assert code == 1 and err.startswith(f"sigstoreverify: FAIL: {sdist}: cannot be verified: "), err
    pathlib.Path(provenance).write_text(json.dumps({"version": 1, "attestation_bundles": []}))
    code, _, err = run(root, tmp_path, PUBLISHER, f"--provenance={provenance}", f"--data={sdist}")
    assert code == 1 and "FAIL" in err, err
