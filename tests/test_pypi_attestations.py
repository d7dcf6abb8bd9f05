# SPDX-License-Identifier: Apache-2.0
"""``verify-offline pypi``: PEP 740 attestations and PyPI provenance, verified offline.

* Every file in ../shared/vectors/pypi (read in place) with its expected outcome, and
  pypi-attestations 0.0.30 (the oracle, offline, on the shipped trust roots) agreeing.
* Generated attestations from the test instance (tests/testinstance/pep740.py): a negative for
  every statement check, publisher policy and provenance-record check, and malformed input.

Digests come from artifacts.json. spt3g's wheel is not in it: its digest is taken from its own
signed statement. That is legitimate only for what those cases test (the Sigstore material, the
staging path, and that a wheel name with its platform tags in another order names the same
wheel), never as evidence about a file.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import urllib.parse
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from helpers import PYPI, REPO, SHIPPED, need_module, need_no_network, need_shared, ours, package_path
from oracles import pypi_attestations_rejections

from sigstore_offline.errors import VerificationError

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
ORACLE = "the pypi-attestations oracle: pip install -e '.[test]'"
MODELS = "pypi_attestation_models-0.0.4a2.tar.gz"
ATTESTATIONS = "pypi_attestations-0.0.19.tar.gz"
GITLAB = "gitlab_oidc_project-0.0.3.tar.gz"
GCB = "gcb_attestation_test-0.0.0.tar.gz"
CIRCLECI = "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl"
RFC8785 = "rfc8785-0.1.2-py3-none-any.whl"
SPT3G = "spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
GCB_ACCOUNT = "919436158236-compute@developer.gserviceaccount.com"
CIRCLECI_PROJECT = "fdd9283f-e619-46af-8f9c-851f7d3e8b2b"
CIRCLECI_DEFINITION = "8e4f8ab2-8d7c-4827-9f15-de076d6d647f"
YOSSARIAN = ["--cert-identity", "william@yossarian.net", "--cert-oidc-issuer", "https://github.com/login/oauth"]
STAGING_HINT = "signed on the Sigstore staging instance; did you mean --staging?"


def run_pypi(argv: List[str]) -> Tuple[int, str, str]:
    """``verify-offline pypi ARGV`` in-process: (exit code, stdout, stderr)."""
    from sigstore_offline.cli.verify_offline import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["pypi", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def run_pypi_json(argv: List[str]) -> Tuple[int, Dict[str, Any], str]:
    code, out, err = run_pypi(["--json", *argv])
    lines = out.splitlines()
    assert len(lines) == 1, out
    return code, json.loads(lines[0]), err


def _one_line(err: str) -> None:
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err


# --- the real vectors --------------------------------------------------------------------------------

def _digest(filename: str) -> str:
    if filename == SPT3G:  # see the module docstring
        document = json.loads(need_shared(PYPI / f"{SPT3G}.publish.attestation").read_bytes())
        statement = json.loads(base64.b64decode(document["envelope"]["statement"]))
        return "sha256:" + str(statement["subject"][0]["digest"]["sha256"])
    for item in json.loads((need_shared(PYPI / "artifacts.json")).read_text()):
        if item["artifact"] == filename:
            return str(item["digest"])
    raise KeyError(filename)


class Real:
    """A case over the real vectors: distribution, sources, policy options, expected outcome, and
    the same policy for pypi-attestations (``oracle``: kind and fields) where it has one."""

    def __init__(self, dist: str, sources: List[str], policy: List[str], code: int, step: Optional[str] = None, *,
                 staging: bool = False, name: Optional[str] = None, digest: Optional[str] = None,
                 oracle: Optional[Tuple[str, Dict[str, str]]] = None, hint: Optional[str] = None) -> None:
        self.dist, self.sources, self.policy, self.code, self.step = dist, sources, policy, code, step
        self.staging, self.name, self.digest, self.oracle, self.hint = staging, name or dist, digest, oracle, hint

    def argv(self) -> List[str]:
        argv = [self.digest or _digest(self.dist), "--name", self.name]
        for source in self.sources:
            option = "--provenance" if source.endswith(".provenance") else "--attestation"
            argv += [option, str(need_shared(PYPI / source))]
        return argv + self.policy + (["--staging"] if self.staging else [])


def _gh(repository: str, workflow: str = "release.yml") -> Tuple[str, Dict[str, str]]:
    return "GitHub", {"repository": repository, "workflow": workflow}


WRONG_DIGEST = "sha256:" + "ab" * 32
RELEASE_019 = "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19"
REAL: Dict[str, Real] = {
    # Trusted Publishers, production: pass.
    "github-provenance": Real(ATTESTATIONS, [f"{ATTESTATIONS}.provenance"],
                              ["--repository", "trailofbits/pypi-attestations"], 0),
    "github-provenance-workflow": Real(ATTESTATIONS, [f"{ATTESTATIONS}.provenance"],
                                       ["--repository", "https://github.com/trailofbits/pypi-attestations",
                                        "--workflow", "release.yml"], 0, oracle=_gh("trailofbits/pypi-attestations")),
    "github-publish-and-slsa": Real(ATTESTATIONS, [f"{ATTESTATIONS}.publish.attestation",
                                                   f"{ATTESTATIONS}.slsa.attestation"],
                                    ["--repository", "trailofbits/pypi-attestations", "--workflow", "release.yml"], 0,
                                    oracle=_gh("trailofbits/pypi-attestations")),
    "github-models": Real(MODELS, [f"{MODELS}.attestation"],
                          ["--repository", "trailofbits/pypi-attestation-models", "--workflow", "release.yml"], 0,
                          oracle=_gh("trailofbits/pypi-attestation-models")),
    "gitlab": Real(GITLAB, [f"{GITLAB}.publish.attestation"],
                   ["--repository", "https://gitlab.com/facutuesca/gitlab-oidc-project", "--workflow", ".gitlab-ci.yml"],
                   0, oracle=("GitLab", {"repository": "facutuesca/gitlab-oidc-project",
                                         "workflow_filepath": ".gitlab-ci.yml"})),
    "gitlab-spelled-out": Real(GITLAB, [f"{GITLAB}.publish.attestation"],
                               ["--gitlab-repository", "facutuesca/gitlab-oidc-project"], 0),
    "google": Real(GCB, [f"{GCB}.provenance"], ["--google-service-account", GCB_ACCOUNT], 0,
                   oracle=("Google", {"email": GCB_ACCOUNT})),
    "google-alias": Real(GCB, [f"{GCB}.provenance"], ["--gcp-service-account", GCB_ACCOUNT], 0),
    "circleci-provenance": Real(CIRCLECI, [f"{CIRCLECI}.provenance"],
                                ["--circleci-project-id", CIRCLECI_PROJECT,
                                 "--circleci-pipeline-definition-id", CIRCLECI_DEFINITION], 0,
                                oracle=("CircleCI", {"project_id": CIRCLECI_PROJECT,
                                                     "pipeline_definition_id": CIRCLECI_DEFINITION})),
    "circleci-attestation": Real(CIRCLECI, [f"{CIRCLECI}.publish.attestation"],
                                 ["--circleci-project-id", CIRCLECI_PROJECT,
                                  "--circleci-pipeline-definition-id", CIRCLECI_DEFINITION], 0,
                                 oracle=("CircleCI", {"project_id": CIRCLECI_PROJECT,
                                                      "pipeline_definition_id": CIRCLECI_DEFINITION})),
    "explicit-identity": Real(ATTESTATIONS, [f"{ATTESTATIONS}.provenance"],
                              ["--cert-identity", RELEASE_019, "--cert-oidc-issuer", GITHUB_ISSUER], 0,
                              oracle=("Identity", {"identity": RELEASE_019, "issuer": GITHUB_ISSUER})),
    # Staging-signed material: fails on production with the hint, passes with --staging.
    "rfc8785-production": Real(RFC8785, [f"{RFC8785}.publish.attestation"], YOSSARIAN, 1, "tlog", hint=STAGING_HINT,
                               oracle=("Identity", {"identity": "william@yossarian.net",
                                                    "issuer": "https://github.com/login/oauth"})),
    "rfc8785-staging": Real(RFC8785, [f"{RFC8785}.publish.attestation"], YOSSARIAN, 0, staging=True,
                            oracle=("Identity", {"identity": "william@yossarian.net",
                                                 "issuer": "https://github.com/login/oauth"})),
    "rfc8785-attestation-staging": Real(RFC8785, [f"{RFC8785}.attestation"], YOSSARIAN, 0, staging=True),
    "spt3g-production": Real(SPT3G, [f"{SPT3G}.publish.attestation"], YOSSARIAN, 1, "tlog", hint=STAGING_HINT),
    "spt3g-staging": Real(SPT3G, [f"{SPT3G}.publish.attestation"], YOSSARIAN, 0, staging=True,
                          oracle=("Identity", {"identity": "william@yossarian.net",
                                               "issuer": "https://github.com/login/oauth"})),
    "spt3g-tags-reordered": Real(SPT3G, [f"{SPT3G}.publish.attestation"], YOSSARIAN, 0, staging=True,
                                 name="spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
                                 oracle=("Identity", {"identity": "william@yossarian.net",
                                                      "issuer": "https://github.com/login/oauth"})),
    # Wrong signer policies: identity step.
    "wrong-repository": Real(ATTESTATIONS, [f"{ATTESTATIONS}.provenance"],
                             ["--repository", "trailofbits/pypi-attestation-models"], 1, "identity"),
    "wrong-repository-case": Real(ATTESTATIONS, [f"{ATTESTATIONS}.provenance"],
                                  ["--repository", "TrailOfBits/pypi-attestations", "--workflow", "release.yml"],
                                  1, "identity", oracle=_gh("TrailOfBits/pypi-attestations")),
    "wrong-workflow": Real(ATTESTATIONS, [f"{ATTESTATIONS}.publish.attestation"],
                           ["--repository", "trailofbits/pypi-attestations", "--workflow", "publish.yml"], 1, "identity",
                           oracle=_gh("trailofbits/pypi-attestations", "publish.yml")),
    "wrong-kind-gitlab-for-github": Real(ATTESTATIONS, [f"{ATTESTATIONS}.publish.attestation"],
                                         ["--repository", "https://gitlab.com/trailofbits/pypi-attestations"],
                                         1, "identity"),
    "wrong-gitlab-project": Real(GITLAB, [f"{GITLAB}.publish.attestation"],
                                 ["--repository", "https://gitlab.com/facutuesca/other-project",
                                  "--workflow", ".gitlab-ci.yml"], 1, "identity",
                                 oracle=("GitLab", {"repository": "facutuesca/other-project",
                                                    "workflow_filepath": ".gitlab-ci.yml"})),
    "wrong-gitlab-workflow": Real(GITLAB, [f"{GITLAB}.publish.attestation"],
                                  ["--repository", "https://gitlab.com/facutuesca/gitlab-oidc-project",
                                   "--workflow", "release.yml"], 1, "identity",
                                  oracle=("GitLab", {"repository": "facutuesca/gitlab-oidc-project",
                                                     "workflow_filepath": "release.yml"})),
    "wrong-google-account": Real(GCB, [f"{GCB}.provenance"], ["--google-service-account", "other@example.com"],
                                 1, "identity", oracle=("Google", {"email": "other@example.com"})),
    "wrong-circleci-project": Real(CIRCLECI, [f"{CIRCLECI}.provenance"],
                                   ["--circleci-project-id", CIRCLECI_DEFINITION,
                                    "--circleci-pipeline-definition-id", CIRCLECI_DEFINITION], 1, "identity",
                                   oracle=("CircleCI", {"project_id": CIRCLECI_DEFINITION,
                                                        "pipeline_definition_id": CIRCLECI_DEFINITION})),
    "wrong-explicit-identity": Real(GCB, [f"{GCB}.provenance"], YOSSARIAN, 1, "identity",
                                    oracle=("Identity", {"identity": "william@yossarian.net",
                                                         "issuer": "https://github.com/login/oauth"})),
    # Wrong distribution: digest (the pipeline's in-toto subject check) and filename (statement).
    "wrong-digest": Real(ATTESTATIONS, [f"{ATTESTATIONS}.publish.attestation"],
                         ["--repository", "trailofbits/pypi-attestations", "--workflow", "release.yml"], 1, "signature",
                         digest=WRONG_DIGEST, oracle=_gh("trailofbits/pypi-attestations")),
    "wrong-filename-version": Real(ATTESTATIONS, [f"{ATTESTATIONS}.publish.attestation"],
                                   ["--repository", "trailofbits/pypi-attestations", "--workflow", "release.yml"], 1,
                                   "statement", name="pypi_attestations-0.0.20.tar.gz",
                                   oracle=_gh("trailofbits/pypi-attestations")),
    "wrong-filename-wheel": Real(ATTESTATIONS, [f"{ATTESTATIONS}.publish.attestation"],
                                 ["--repository", "trailofbits/pypi-attestations", "--workflow", "release.yml"], 1,
                                 "statement", name="pypi_attestations-0.0.19-py3-none-any.whl",
                                 oracle=_gh("trailofbits/pypi-attestations")),
    "same-filename-other-spelling": Real(ATTESTATIONS, [f"{ATTESTATIONS}.publish.attestation"],
                                         ["--repository", "trailofbits/pypi-attestations", "--workflow", "release.yml"],
                                         0, name="PyPI.Attestations-0.0.19.tar.gz",
                                         oracle=_gh("trailofbits/pypi-attestations")),
    # Stricter than pypi-attestations 0.0.30 (which compares versions by PEP 440 equality and ignores
    # the sdist's suffix): the statement names the .tar.gz of version 0.0.19, so neither the .zip nor
    # 0.0.19.0 is the attested file. No oracle: it accepts both (tests/test_pep740_filename_parity.py).
    "other-archive-suffix": Real(ATTESTATIONS, [f"{ATTESTATIONS}.publish.attestation"],
                                 ["--repository", "trailofbits/pypi-attestations", "--workflow", "release.yml"],
                                 1, "statement", name="pypi_attestations-0.0.19.zip"),
    "other-version-spelling": Real(ATTESTATIONS, [f"{ATTESTATIONS}.publish.attestation"],
                                   ["--repository", "trailofbits/pypi-attestations", "--workflow", "release.yml"],
                                   1, "statement", name="pypi_attestations-0.0.19.0.tar.gz"),
    "wrong-wheel-tags": Real(SPT3G, [f"{SPT3G}.publish.attestation"], YOSSARIAN, 1, "statement", staging=True,
                             name="spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.whl",
                             oracle=("Identity", {"identity": "william@yossarian.net",
                                                  "issuer": "https://github.com/login/oauth"})),
}


@pytest.mark.parametrize("case", sorted(REAL))
def test_real_vectors(case: str) -> None:
    real = REAL[case]
    code, record, err = run_pypi_json(real.argv())
    assert code == real.code, err
    if real.code == 0:
        assert record["verified"] is True and err == ""
        assert record["distribution"] == real.name
        assert len(record["attestations"]) == len(real.sources) or real.sources[0].endswith(".provenance")
    else:
        assert record["verified"] is False and record["step"] == real.step, record
        _one_line(err)
        assert err.startswith("FAIL: ")
    if real.hint is not None:
        assert real.hint in (record["hint"] or "") and real.hint in err


def test_real_provenance_reports_both_predicates_and_the_record() -> None:
    code, record, err = run_pypi_json(REAL["github-publish-and-slsa"].argv())
    assert code == 0, err
    assert [a["predicate_type"] for a in record["attestations"]] == [
        "https://docs.pypi.org/attestations/publish/v1", "https://slsa.dev/provenance/v1"]
    assert {a["log_index"] for a in record["attestations"]} == {153454663, 153454647}
    code, record, err = run_pypi_json(REAL["github-provenance"].argv())
    assert code == 0 and record["publisher_records_checked"] is True and record["environment_checked"] is False
    assert record["attestations"][0]["publisher_record"] == {
        "kind": "GitHub", "repository": "trailofbits/pypi-attestations", "workflow": "release.yml", "environment": None}


def test_real_human_output_and_quiet() -> None:
    code, out, err = run_pypi(REAL["gitlab"].argv())
    assert code == 0 and err == ""
    assert out.startswith(f"OK: {_digest(GITLAB)} ({GITLAB})  GitLab facutuesca/gitlab-oidc-project"
                          " (CI file .gitlab-ci.yml)  publish/v1 rekor.sigstore.dev #149945774 2024-11-19T")
    code, out, err = run_pypi(["-q", *REAL["gitlab"].argv()])
    assert (code, out, err) == (0, "", "")


def _real_provenance(tmp_path: pathlib.Path, filename: str, change: Callable[[Dict[str, Any]], None]) -> str:
    document = json.loads(need_shared(PYPI / f"{filename}.provenance").read_text())
    change(document)
    path = tmp_path / f"{filename}.provenance"
    path.write_text(json.dumps(document))
    return str(path)


def _publisher(document: Dict[str, Any]) -> Dict[str, Any]:
    return document["attestation_bundles"][0]["publisher"]  # type: ignore[no-any-return]


RECORD_LIES: Dict[str, Tuple[str, Callable[[Dict[str, Any]], None], List[str]]] = {
    # The record disagrees with the user's policy (which the certificate satisfies).
    "github-repository": (ATTESTATIONS, lambda d: _publisher(d).update(repository="trailofbits/other"),
                          ["--repository", "trailofbits/pypi-attestations"]),
    "github-kind": (ATTESTATIONS, lambda d: _publisher(d).update(kind="GitLab", workflow_filepath=".gitlab-ci.yml"),
                    ["--repository", "trailofbits/pypi-attestations"]),
    "github-workflow-given": (ATTESTATIONS, lambda d: _publisher(d).update(workflow="other.yml"),
                              ["--repository", "trailofbits/pypi-attestations", "--workflow", "release.yml"]),
    # The record agrees with the user's policy but misstates the signer: its own policy fails.
    "github-workflow-any": (ATTESTATIONS, lambda d: _publisher(d).update(workflow="other.yml"),
                            ["--repository", "trailofbits/pypi-attestations"]),
    "google-email": (GCB, lambda d: _publisher(d).update(email="other@example.com"),
                     ["--google-service-account", GCB_ACCOUNT]),
    "circleci-vcs-ref": (CIRCLECI, lambda d: _publisher(d).update(vcs_ref="refs/heads/main"),
                         ["--circleci-project-id", CIRCLECI_PROJECT, "--circleci-pipeline-definition-id",
                          CIRCLECI_DEFINITION]),
    "circleci-vcs-origin": (CIRCLECI, lambda d: _publisher(d).update(vcs_origin="github.com/attacker/fork"),
                            ["--circleci-project-id", CIRCLECI_PROJECT, "--circleci-pipeline-definition-id",
                             CIRCLECI_DEFINITION]),
    "circleci-definition": (CIRCLECI, lambda d: _publisher(d).update(pipeline_definition_id=CIRCLECI_PROJECT),
                            ["--circleci-project-id", CIRCLECI_PROJECT, "--circleci-pipeline-definition-id",
                             CIRCLECI_DEFINITION]),
    "unknown-kind": (GCB, lambda d: _publisher(d).update(kind="ActiveState"), ["--google-service-account", GCB_ACCOUNT]),
    # --environment: only the record can answer.
    "environment-absent": (ATTESTATIONS, lambda d: None,
                           ["--repository", "trailofbits/pypi-attestations", "--environment", "pypi"]),
    "environment-other": (ATTESTATIONS, lambda d: _publisher(d).update(environment="testpypi"),
                          ["--repository", "trailofbits/pypi-attestations", "--environment", "pypi"]),
}


@pytest.mark.parametrize("case", sorted(RECORD_LIES))
def test_mismatching_publisher_record_fails_at_publisher(case: str, tmp_path: pathlib.Path) -> None:
    filename, change, policy = RECORD_LIES[case]
    provenance = _real_provenance(tmp_path, filename, change)
    code, record, err = run_pypi_json([_digest(filename), "--name", filename, "--provenance", provenance, *policy])
    assert (code, record["step"]) == (1, "publisher"), err
    _one_line(err)


def test_untouched_real_provenance_copy_passes(tmp_path: pathlib.Path) -> None:
    """The record tests above fail because of the change, not because of the copy."""
    provenance = _real_provenance(tmp_path, ATTESTATIONS, lambda d: None)
    code, _, err = run_pypi_json([_digest(ATTESTATIONS), "--name", ATTESTATIONS, "--provenance", provenance,
                                  "--repository", "trailofbits/pypi-attestations"])
    assert code == 0, err


def test_environment_is_only_as_good_as_the_unsigned_record(tmp_path: pathlib.Path) -> None:
    """Anyone who can change the provenance file can change the environment: the certificate does
    not carry it. The check passes on an edited record (documented as weaker)."""
    provenance = _real_provenance(tmp_path, ATTESTATIONS, lambda d: _publisher(d).update(environment="pypi"))
    code, record, err = run_pypi_json([_digest(ATTESTATIONS), "--name", ATTESTATIONS, "--provenance", provenance,
                                       "--repository", "trailofbits/pypi-attestations", "--environment", "pypi"])
    assert code == 0, err
    assert record["environment_checked"] is True and "(unsigned)" in record["policy"]


def test_explicit_identity_ignores_the_record(tmp_path: pathlib.Path) -> None:
    provenance = _real_provenance(tmp_path, GCB, lambda d: _publisher(d).update(email="other@example.com"))
    code, record, err = run_pypi_json([_digest(GCB), "--name", GCB, "--provenance", provenance,
                                       "--cert-identity", GCB_ACCOUNT, "--cert-oidc-issuer",
                                       "https://accounts.google.com"])
    assert code == 0, err
    assert record["publisher_records_checked"] is False


# --- pypi-attestations as the oracle -------------------------------------------------------------------

TUF_URLS = {"sigstore": "https://tuf-repo-cdn.sigstore.dev", "sigstage": "https://tuf-repo-cdn.sigstage.dev"}


@pytest.fixture()
def offline_sigstore(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sigstore-python with ``offline=True`` reads ``trusted_root.json`` from its TUF target cache,
    ``$XDG_CACHE_HOME/sigstore-python/tuf/<quoted TUF URL>/`` (platformdirs), and writes its
    embedded copy there only when the file is missing. Put the shipped snapshots there, so both
    verifiers use the same trust root, and refuse every socket."""
    for instance, url in TUF_URLS.items():
        directory = tmp_path / "cache" / "sigstore-python" / "tuf" / urllib.parse.quote(url, safe="")
        directory.mkdir(parents=True)
        for name in ("trusted_root.json", "signing_config.v0.2.json"):
            shutil.copy(SHIPPED / instance / name, directory / name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the oracle tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _oracle_policy(spec: Tuple[str, Dict[str, str]]) -> Any:
    pypi = need_module("pypi_attestations", ORACLE)
    kind, fields = spec
    if kind == "Identity":
        from sigstore.verify import policy

        return policy.Identity(**fields)
    return {"GitHub": pypi.GitHubPublisher, "GitLab": pypi.GitLabPublisher, "Google": pypi.GooglePublisher,
            "CircleCI": pypi.CircleCIPublisher}[kind](**fields)


def _oracle_attestations(path: pathlib.Path) -> List[Tuple[Any, Any]]:
    """(attestation, its record's publisher or None) as pypi-attestations parses them."""
    pypi = need_module("pypi_attestations", ORACLE)
    if path.name.endswith(".provenance"):
        provenance = pypi.Provenance.model_validate_json(path.read_bytes())
        return [(a, b.publisher) for b in provenance.attestation_bundles for a in b.attestations]
    return [(pypi.Attestation.model_validate_json(path.read_bytes()), None)]


def _oracle_verdict(attestations: List[Tuple[Any, Any]], policy: Any, name: str, digest: str, *, staging: bool,
                    records: bool) -> Optional[str]:
    """None if pypi-attestations accepts every attestation (and, with ``records``, each record's
    own publisher policy too), else its first error."""
    pypi = need_module("pypi_attestations", ORACLE)
    rejections = pypi_attestations_rejections()
    dist = pypi.Distribution(name=name, digest=digest.split(":", 1)[1])
    try:
        for attestation, publisher in attestations:
            attestation.verify(policy, dist, staging=staging, offline=True)
            if records and publisher is not None:
                attestation.verify(publisher, dist, staging=staging, offline=True)
    except rejections as exc:  # only pypi-attestations' own rejection; anything else propagates
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.mark.oracle
def test_only_the_oracles_own_rejection_counts() -> None:
    """pypi-attestations' AttestationError is its verdict; anything else raised while asking it (an
    API change, a wrapper bug) propagates instead of counting as a rejection."""
    impl = need_module("pypi_attestations._impl", ORACLE)

    class StandIn:
        def __init__(self, error: BaseException) -> None:
            self.error = error

        def verify(self, *args: Any, **kwargs: Any) -> None:
            raise self.error

    digest = "sha256:" + "00" * 32
    verdict = _oracle_verdict([(StandIn(impl.VerificationError("the stand-in rejects")), None)], None, "x-1.tar.gz",
                              digest, staging=False, records=False)
    assert verdict is not None and verdict.startswith("VerificationError: ") and "the stand-in rejects" in verdict
    for error in (AttributeError("'Attestation' object has no attribute 'verify'"), TypeError("unexpected keyword"),
                  ValueError("not an AttestationError")):
        with pytest.raises(type(error)):
            _oracle_verdict([(StandIn(error), None)], None, "x-1.tar.gz", digest, staging=False, records=False)


@pytest.mark.oracle
@pytest.mark.parametrize("case", sorted(name for name, real in REAL.items() if real.oracle is not None))
def test_pypi_attestations_agrees_on_real_vectors(case: str, offline_sigstore: None) -> None:
    real = REAL[case]
    assert real.oracle is not None
    policy = _oracle_policy(real.oracle)
    attestations = [item for source in real.sources for item in _oracle_attestations(need_shared(PYPI / source))]
    verdict = _oracle_verdict(attestations, policy, real.name, real.digest or _digest(real.dist),
                              staging=real.staging, records=real.oracle[0] != "Identity")
    code, _, err = run_pypi(real.argv())
    assert (verdict is None) == (code == 0), f"pypi-attestations: {verdict}; verify-offline: {code} {err}"
    assert code == real.code


@pytest.mark.oracle
@pytest.mark.parametrize("case", ["github-repository", "github-workflow-any", "google-email", "circleci-vcs-ref"])
def test_pypi_attestations_rejects_the_lying_records_own_policy(case: str, tmp_path: pathlib.Path,
                                                                offline_sigstore: None) -> None:
    """Where a record misstates the signer, the certificate fails the record's own policy in
    pypi-attestations too."""
    filename, change, _ = RECORD_LIES[case]
    path = pathlib.Path(_real_provenance(tmp_path, filename, change))
    attestations = _oracle_attestations(path)
    publisher = attestations[0][1]
    verdict = _oracle_verdict([(a, None) for a, _ in attestations], publisher, filename, _digest(filename),
                              staging=False, records=False)
    assert verdict is not None, "the oracle accepted a record that misstates the signer"


# --- generated attestations: the test instance ------------------------------------------------------------

DIST_NAME = "example_project-1.0.tar.gz"
# Subject names we refuse and pypi-attestations 0.0.30 accepts: another archive suffix, another
# spelling of the version (it compares parsed versions and ignores the suffix).
STRICTER_THAN_ORACLE = frozenset({"other-archive-suffix", "other-version-spelling"})
DIST_BYTES = b"example sdist contents\n"
DIST_DIGEST = hashlib.sha256(DIST_BYTES).digest()
GH_POLICY = ["--repository", "example/project"]


@pytest.fixture(scope="module")
def instance() -> Any:
    from testinstance import TestInstance

    return TestInstance(seed="pep740 tests")


@pytest.fixture(scope="module")
def root_file(instance: Any, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("root") / "trusted_root.json"
    path.write_text(json.dumps(instance.trusted_root_json()))
    return path


def _dist(tmp_path: pathlib.Path, name: str = DIST_NAME) -> pathlib.Path:
    path = tmp_path / name
    path.write_bytes(DIST_BYTES)
    return path


def _write(path: pathlib.Path, document: Any) -> str:
    path.write_text(json.dumps(document) if not isinstance(document, (bytes, str)) else
                    document if isinstance(document, str) else document.decode("latin-1"))
    return str(path)


def _attest(instance: Any, payload: Optional[bytes] = None, **kw: Any) -> Dict[str, Any]:
    from testinstance import pep740

    return pep740.attestation(instance, payload or pep740.statement(DIST_NAME, DIST_DIGEST), **kw)


def _run_generated(root_file: pathlib.Path, argv: List[str]) -> Tuple[int, Dict[str, Any], str]:
    return run_pypi_json(["--trusted-root", str(root_file), *argv])


def test_generated_attestation_passes(instance: Any, root_file: pathlib.Path, tmp_path: pathlib.Path) -> None:
    dist = _dist(tmp_path)
    _write(tmp_path / f"{DIST_NAME}.publish.attestation", _attest(instance))
    code, record, err = _run_generated(root_file, [str(dist), *GH_POLICY, "--workflow", "release.yml"])
    assert code == 0, err
    assert record["digest"] == "sha256:" + DIST_DIGEST.hex() and record["distribution"] == DIST_NAME


def _statement(**kw: Any) -> bytes:
    from testinstance import pep740

    return pep740.statement(DIST_NAME, DIST_DIGEST, **kw)


def _raw_statement(document: Dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


_BASE = {"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://docs.pypi.org/attestations/publish/v1",
         "predicate": None, "subject": [{"name": DIST_NAME, "digest": {"sha256": DIST_DIGEST.hex()}}]}
OTHER_DIGEST = hashlib.sha256(b"another file").digest()

# name -> (statement bytes, expected step or None for a pass)
STATEMENTS: Dict[str, Tuple[Callable[[], bytes], Optional[str]]] = {
    "valid": (lambda: _statement(), None),
    "valid-slsa": (lambda: _statement(predicate_type="https://slsa.dev/provenance/v1", predicate={}), None),
    "valid-other-spelling": (lambda: _raw_statement({**_BASE, "subject": [
        {"name": "Example.Project-1.0.tar.gz", "digest": {"sha256": DIST_DIGEST.hex()}}]}), None),
    "other-archive-suffix": (lambda: _raw_statement({**_BASE, "subject": [
        {"name": "example_project-1.0.zip", "digest": {"sha256": DIST_DIGEST.hex()}}]}), "statement"),
    "other-version-spelling": (lambda: _raw_statement({**_BASE, "subject": [
        {"name": "example_project-1.0.0.tar.gz", "digest": {"sha256": DIST_DIGEST.hex()}}]}), "statement"),
    "two-subjects": (lambda: _statement(extra_subjects=[("example_project-1.0-py3-none-any.whl", OTHER_DIGEST)]),
                     "statement"),
    "two-subjects-same": (lambda: _statement(extra_subjects=[(DIST_NAME, DIST_DIGEST)]), "statement"),
    "no-subjects": (lambda: _raw_statement({**_BASE, "subject": []}), "signature"),
    "wrong-subject-name": (lambda: _raw_statement({**_BASE, "subject": [
        {"name": "example_project-1.1.tar.gz", "digest": {"sha256": DIST_DIGEST.hex()}}]}), "statement"),
    "other-project": (lambda: _raw_statement({**_BASE, "subject": [
        {"name": "other_project-1.0.tar.gz", "digest": {"sha256": DIST_DIGEST.hex()}}]}), "statement"),
    "wheel-subject": (lambda: _raw_statement({**_BASE, "subject": [
        {"name": "example_project-1.0-py3-none-any.whl", "digest": {"sha256": DIST_DIGEST.hex()}}]}), "statement"),
    "invalid-filename": (lambda: _raw_statement({**_BASE, "subject": [
        {"name": "example_project.tar.gz", "digest": {"sha256": DIST_DIGEST.hex()}}]}), "statement"),
    "path-in-subject": (lambda: _raw_statement({**_BASE, "subject": [
        {"name": "../example_project-1.0.tar.gz", "digest": {"sha256": DIST_DIGEST.hex()}}]}), "statement"),
    "subject-name-not-string": (lambda: _raw_statement({**_BASE, "subject": [
        {"name": 1, "digest": {"sha256": DIST_DIGEST.hex()}}]}), "statement"),
    "wrong-digest": (lambda: _raw_statement({**_BASE, "subject": [
        {"name": DIST_NAME, "digest": {"sha256": OTHER_DIGEST.hex()}}]}), "signature"),
    "upper-case-digest": (lambda: _raw_statement({**_BASE, "subject": [
        {"name": DIST_NAME, "digest": {"sha256": DIST_DIGEST.hex().upper()}}]}), "statement"),
    "unknown-predicate-type": (lambda: _statement(predicate_type="https://example.com/predicate/v1"), "statement"),
    "no-predicate-type": (lambda: _raw_statement({k: v for k, v in _BASE.items() if k != "predicateType"}),
                          "statement"),
    "statement-v0.1": (lambda: _statement(kind="https://in-toto.io/Statement/v0.1"), "statement"),
    "statement-unknown-type": (lambda: _statement(kind="https://in-toto.io/Statement/v2"), "signature"),
    "not-json": (lambda: b"this is not JSON", "signature"),
}


@pytest.mark.parametrize("case", sorted(STATEMENTS))
def test_generated_statement_checks(case: str, instance: Any, root_file: pathlib.Path,
                                    tmp_path: pathlib.Path) -> None:
    make, step = STATEMENTS[case]
    dist = _dist(tmp_path)
    attestation = _write(tmp_path / "a.attestation", _attest(instance, make()))
    code, record, err = _run_generated(root_file, [str(dist), "--attestation", attestation, *GH_POLICY])
    if step is None:
        assert code == 0, err
    else:
        assert (code, record["step"]) == (1, step), err
        _one_line(err)


@pytest.fixture()
def oracle_on_test_instance(root_file: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pypi-attestations verifies only against production or staging; hand it the test instance's
    trust root instead (offline, no TUF)."""
    impl = need_module("pypi_attestations._impl", ORACLE)
    from sigstore.models import TrustedRoot
    from sigstore.verify import Verifier

    class _Verifier:
        @staticmethod
        def production(*, offline: bool = False) -> Any:
            return Verifier(trusted_root=TrustedRoot.from_file(str(root_file)))

        staging = production

    monkeypatch.setattr(impl, "Verifier", _Verifier)


@pytest.mark.oracle
@pytest.mark.parametrize("case", sorted(set(STATEMENTS) - {"not-json", "statement-unknown-type", "no-subjects"}))
def test_pypi_attestations_agrees_on_generated_statements(case: str, instance: Any, root_file: pathlib.Path,
                                                          tmp_path: pathlib.Path,
                                                          oracle_on_test_instance: None) -> None:
    make, step = STATEMENTS[case]
    if case in STRICTER_THAN_ORACLE:  # we refuse, pypi-attestations 0.0.30 accepts (test_pep740_filename_parity.py)
        step = None
    document = _attest(instance, make())
    path = pathlib.Path(_write(tmp_path / "a.attestation", document))
    verdict = _oracle_verdict(_oracle_attestations(path), _oracle_policy(_gh("example/project")), DIST_NAME,
                              "sha256:" + DIST_DIGEST.hex(), staging=False, records=False)
    assert (verdict is None) == (step is None), verdict


def _leaf(kind: str, **kw: Any) -> Any:
    from testinstance import pep740

    return getattr(pep740, f"{kind}_leaf")(**kw)


def _replace_claims(spec: Any, changes: Dict[int, Optional[str]]) -> Any:
    import dataclasses

    from testinstance.ca import FULCIO_OID

    claims = dict(spec.claims)
    for arc, value in changes.items():
        if value is None:
            claims.pop(FULCIO_OID + str(arc), None)
        else:
            claims[FULCIO_OID + str(arc)] = value
    return dataclasses.replace(spec, claims=tuple(claims.items()))


# name -> (leaf spec factory, policy options, expected step or None)
POLICIES: Dict[str, Tuple[Callable[[], Any], List[str], Optional[str]]] = {
    "github-any-workflow": (lambda: _leaf("github", workflow="publish.yml"), GH_POLICY, None),
    "github-url-form": (lambda: _leaf("github"), ["--repository", "https://github.com/example/project/"], None),
    "github-workflow-in-subdirectory": (lambda: _leaf("github", workflow="sub/release.yml"), GH_POLICY, "identity"),
    "github-other-repository": (lambda: _leaf("github", repository="example/fork"), GH_POLICY, "identity"),
    "github-wrong-issuer": (lambda: __import__("dataclasses").replace(_leaf("github"), issuer="https://gitlab.com"),
                            GH_POLICY, "identity"),
    "github-no-digest-no-ref": (lambda: _replace_claims(_leaf("github"), {13: None, 14: None}), GH_POLICY, "identity"),
    "github-ref-only": (lambda: _replace_claims(_leaf("github"), {13: None}), GH_POLICY + ["--workflow", "release.yml"],
                        None),
    "github-config-ref-not-the-certificates": (
        lambda: _replace_claims(_leaf("github"), {18: "https://github.com/example/project/.github/workflows/"
                                                      "release.yml@refs/heads/attacker"}), GH_POLICY, "identity"),
    "github-config-other-repository": (
        lambda: _replace_claims(_leaf("github"), {18: "https://github.com/example/fork/.github/workflows/"
                                                      "release.yml@refs/tags/v1.0"}), GH_POLICY, "identity"),
    "github-no-build-config": (lambda: _replace_claims(_leaf("github"), {18: None}), GH_POLICY, "identity"),
    "gitlab-nested": (lambda: _leaf("gitlab", project="group/sub/project", ci_file="ci/release.yml"),
                      ["--repository", "https://gitlab.com/group/sub/project"], None),
    "gitlab-nested-workflow": (lambda: _leaf("gitlab", project="group/sub/project", ci_file="ci/release.yml"),
                               ["--gitlab-repository", "group/sub/project", "--workflow", "ci/release.yml"], None),
    "gitlab-wrong-workflow": (lambda: _leaf("gitlab", project="group/sub/project", ci_file="ci/release.yml"),
                              ["--gitlab-repository", "group/sub/project", "--workflow", ".gitlab-ci.yml"], "identity"),
    "gitlab-parent-namespace": (lambda: _leaf("gitlab", project="group/sub/project"),
                                ["--gitlab-repository", "group/sub"], "identity"),
    "gitlab-github-policy": (lambda: _leaf("gitlab"), ["--repository", "group/project"], "identity"),
    "google": (lambda: _leaf("google"), ["--google-service-account", "builder@project.iam.gserviceaccount.com"], None),
    "google-wrong-issuer": (lambda: __import__("dataclasses").replace(_leaf("google"),
                                                                      issuer="https://github.com/login/oauth"),
                            ["--google-service-account", "builder@project.iam.gserviceaccount.com"], "identity"),
    "circleci": (lambda: _leaf("circleci"), ["--circleci-project-id", "p-1", "--circleci-pipeline-definition-id", "d-1"],
                 None),
    "circleci-wrong-definition": (lambda: _leaf("circleci"),
                                  ["--circleci-project-id", "p-1", "--circleci-pipeline-definition-id", "d-2"],
                                  "identity"),
    "circleci-wrong-issuer": (lambda: __import__("dataclasses").replace(_leaf("circleci"), issuer=GITHUB_ISSUER),
                              ["--circleci-project-id", "p-1", "--circleci-pipeline-definition-id", "d-1"], "identity"),
}


@pytest.mark.parametrize("case", sorted(POLICIES))
def test_generated_publisher_policies(case: str, instance: Any, root_file: pathlib.Path,
                                      tmp_path: pathlib.Path) -> None:
    make, policy, step = POLICIES[case]
    dist = _dist(tmp_path)
    attestation = _write(tmp_path / "a.attestation", _attest(instance, leaf=make()))
    code, record, err = _run_generated(root_file, [str(dist), "--attestation", attestation, *policy])
    if step is None:
        assert code == 0, err
    else:
        assert (code, record["step"]) == (1, step), err


def test_every_transparency_entry_is_verified(instance: Any, root_file: pathlib.Path, tmp_path: pathlib.Path) -> None:
    dist = _dist(tmp_path)
    document = _attest(instance, extra_entries=1)
    path = tmp_path / "a.attestation"
    code, _, err = _run_generated(root_file, [str(dist), "--attestation", _write(path, document), *GH_POLICY])
    assert code == 0, err
    broken = copy.deepcopy(document)
    proof = broken["verification_material"]["transparency_entries"][1]["inclusionProof"]
    first = bytearray(base64.b64decode(proof["hashes"][0]))
    first[0] ^= 1
    proof["hashes"][0] = base64.b64encode(bytes(first)).decode()
    code, record, err = _run_generated(root_file, [str(dist), "--attestation", _write(path, broken), *GH_POLICY])
    assert (code, record["step"]) == (1, "inclusion-proof"), err


def test_every_attestation_is_verified(instance: Any, root_file: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from testinstance import pep740

    dist = _dist(tmp_path)
    good = _attest(instance)
    other_repo = _attest(instance, leaf=_leaf("github", repository="example/fork"))
    wrong_name = _attest(instance, pep740.statement("example_project-2.0.tar.gz", DIST_DIGEST))
    record = {"kind": "GitHub", "repository": "example/project", "workflow": "release.yml", "environment": None}
    for second, step in ((other_repo, "identity"), (wrong_name, "statement")):
        provenance = pep740.provenance((record, [good]), (record, [good, second]))
        path = _write(tmp_path / "p.provenance", provenance)
        code, result, err = _run_generated(root_file, [str(dist), "--provenance", path, *GH_POLICY])
        assert (code, result["step"]) == (1, step), err
        assert "attestation_bundles[1].attestations[1]" in err
        attestations = [_write(tmp_path / "1.attestation", good), _write(tmp_path / "2.attestation", second)]
        code, result, err = _run_generated(root_file, [str(dist), "--attestation", attestations[0],
                                                       "--attestation", attestations[1], *GH_POLICY])
        assert (code, result["step"]) == (1, step), err


def test_generated_provenance_environment(instance: Any, root_file: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from testinstance import pep740

    dist = _dist(tmp_path)
    record = {"kind": "GitHub", "repository": "example/project", "workflow": "release.yml", "environment": "release"}
    _write(tmp_path / f"{DIST_NAME}.provenance", pep740.provenance((record, [_attest(instance)])))
    code, result, err = _run_generated(root_file, [str(dist), *GH_POLICY, "--environment", "release"])
    assert code == 0 and result["environment_checked"] is True, err
    code, result, err = _run_generated(root_file, [str(dist), *GH_POLICY, "--environment", "Release"])
    assert (code, result["step"]) == (1, "publisher"), err


GITLAB_RECORD = {"kind": "GitLab", "repository": "group/project", "workflow_filepath": ".gitlab-ci.yml",
                 "environment": None}
GITLAB_RECORDS: Dict[str, Tuple[Dict[str, Any], List[str], Optional[str]]] = {
    "agrees": (GITLAB_RECORD, ["--gitlab-repository", "group/project"], None),
    "agrees-workflow": (GITLAB_RECORD, ["--gitlab-repository", "group/project", "--workflow", ".gitlab-ci.yml"], None),
    "other-repository": ({**GITLAB_RECORD, "repository": "group/other"}, ["--gitlab-repository", "group/project"],
                         "publisher"),
    "other-workflow-given": ({**GITLAB_RECORD, "workflow_filepath": "ci.yml"},
                             ["--gitlab-repository", "group/project", "--workflow", ".gitlab-ci.yml"], "publisher"),
    "record-misstates-workflow": ({**GITLAB_RECORD, "workflow_filepath": "ci.yml"},
                                  ["--gitlab-repository", "group/project"], "publisher"),
    "environment": ({**GITLAB_RECORD, "environment": "pypi"},
                    ["--gitlab-repository", "group/project", "--environment", "pypi"], None),
    "environment-other": ({**GITLAB_RECORD, "environment": "pypi"},
                          ["--gitlab-repository", "group/project", "--environment", "test"], "publisher"),
}


@pytest.mark.parametrize("case", sorted(GITLAB_RECORDS))
def test_generated_gitlab_records(case: str, instance: Any, root_file: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from testinstance import pep740

    record, policy, step = GITLAB_RECORDS[case]
    document = pep740.provenance((record, [_attest(instance, leaf=_leaf("gitlab"))]))
    path = _write(tmp_path / "p.provenance", document)
    code, result, err = _run_generated(root_file, [str(_dist(tmp_path)), "--provenance", path, *policy])
    if step is None:
        assert code == 0, err
    else:
        assert (code, result["step"]) == (1, step), err


def test_default_sources(instance: Any, root_file: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """DIST.provenance first, then DIST.publish.attestation, else a usage error."""
    from testinstance import pep740

    dist = _dist(tmp_path)
    code, result, err = _run_generated(root_file, [str(dist), *GH_POLICY])
    assert (code, result["exit_code"]) == (2, 2) and "--provenance or --attestation" in err
    _write(tmp_path / f"{DIST_NAME}.publish.attestation", "{ not an attestation")
    code, result, err = _run_generated(root_file, [str(dist), *GH_POLICY])
    assert (code, result["step"]) == (4, "attestation"), err
    code, result, err = _run_generated(root_file, [str(dist), *GH_POLICY, "--environment", "release"])
    assert code == 2 and "has no provenance" in err, err
    record = {"kind": "GitHub", "repository": "example/project", "workflow": "release.yml"}
    _write(tmp_path / f"{DIST_NAME}.provenance", pep740.provenance((record, [_attest(instance)])))
    code, result, err = _run_generated(root_file, [str(dist), *GH_POLICY])
    assert code == 0 and result["publisher_records_checked"] is True, err


def test_file_name_and_contents(instance: Any, root_file: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """A file is hashed; its own name is the distribution's unless --name says otherwise."""
    attestation = _write(tmp_path / "a.attestation", _attest(instance))
    renamed = _dist(tmp_path, "download.bin")
    code, result, err = _run_generated(root_file, [str(renamed), "--attestation", attestation, *GH_POLICY])
    assert code == 2 and "--name" in err
    code, result, err = _run_generated(root_file, [str(renamed), "--name", DIST_NAME, "--attestation", attestation,
                                                   *GH_POLICY])
    assert code == 0, err
    changed = tmp_path / "changed" / DIST_NAME
    changed.parent.mkdir()
    changed.write_bytes(DIST_BYTES + b"!")
    code, result, err = _run_generated(root_file, [str(changed), "--attestation", attestation, *GH_POLICY])
    assert (code, result["step"]) == (1, "signature"), err


def test_several_distributions_exit_with_the_worst(instance: Any, root_file: pathlib.Path,
                                                   tmp_path: pathlib.Path) -> None:
    good = _dist(tmp_path)
    _write(tmp_path / f"{DIST_NAME}.publish.attestation", _attest(instance))
    other_name = "example_project-1.0-py3-none-any.whl"
    other = _dist(tmp_path, other_name)
    from testinstance import pep740

    _write(tmp_path / f"{other_name}.publish.attestation",
           _attest(instance, pep740.statement(other_name, hashlib.sha256(b"x").digest())))
    code, out, err = run_pypi(["--trusted-root", str(root_file), str(good), str(other), *GH_POLICY])
    assert code == 1
    assert out.startswith("OK: ") and err.startswith(f"FAIL: {other}: signature: ")
    code, out, err = run_pypi(["--trusted-root", str(root_file), str(good), str(tmp_path / "example_project-2.0.tar.gz"),
                               *GH_POLICY])
    assert code == 4 and "does not exist" in err


# --- malformed input: exit 4, one line ----------------------------------------------------------------------

def _mutate(change: Callable[[Dict[str, Any]], Any]) -> Callable[[Dict[str, Any]], Any]:
    """Change the document in place (whatever ``change`` returns) and return it."""
    def apply(document: Dict[str, Any]) -> Any:
        change(document)
        return document
    return apply


ATTESTATION_DAMAGE: Dict[str, Callable[[Dict[str, Any]], Any]] = {
    "not-json": lambda d: "{",
    "duplicate-key": lambda d: '{"version": 1, ' + json.dumps(d)[1:],
    "top-level-list": lambda d: [d],
    "version-string": _mutate(lambda d: d.update(version="1")),
    "version-true": _mutate(lambda d: d.update(version=True)),
    "version-2": _mutate(lambda d: d.update(version=2)),
    "no-version": _mutate(lambda d: d.pop("version")),
    "no-envelope": _mutate(lambda d: d.pop("envelope")),
    "material-list": _mutate(lambda d: d.update(verification_material=[])),
    "certificate-bad-base64": _mutate(lambda d: d["verification_material"].update(certificate="MII*")),
    "certificate-number": _mutate(lambda d: d["verification_material"].update(certificate=12)),
    "certificate-not-der": _mutate(lambda d: d["verification_material"].update(
        certificate=base64.b64encode(b"not a certificate").decode())),
    "statement-bad-base64": _mutate(lambda d: d["envelope"].update(statement="eyJ!")),
    "statement-empty": _mutate(lambda d: d["envelope"].update(statement="")),
    "signature-bad-base64": _mutate(lambda d: d["envelope"].update(signature="@@@@")),
    "signature-null": _mutate(lambda d: d["envelope"].update(signature=None)),
    "signature-empty": _mutate(lambda d: d["envelope"].update(signature="")),
    "statement-too-large": _mutate(lambda d: d["envelope"].update(
        statement=base64.b64encode(b" " * (8 * 1024 * 1024 + 1)).decode())),
    "entries-object": _mutate(lambda d: d["verification_material"].update(transparency_entries={})),
    "entries-empty": _mutate(lambda d: d["verification_material"].update(transparency_entries=[])),
    "entry-string": _mutate(lambda d: d["verification_material"].update(transparency_entries=["entry"])),
    "entry-no-log-index": _mutate(lambda d: d["verification_material"]["transparency_entries"][0].pop("logIndex")),
    "entry-bad-body": _mutate(lambda d: d["verification_material"]["transparency_entries"][0].update(
        canonicalizedBody="%%%")),
    "too-many-entries": _mutate(lambda d: d["verification_material"].update(
        transparency_entries=d["verification_material"]["transparency_entries"] * 33)),
}


@pytest.mark.parametrize("case", sorted(ATTESTATION_DAMAGE))
def test_malformed_attestations(case: str, instance: Any, root_file: pathlib.Path, tmp_path: pathlib.Path) -> None:
    document = ATTESTATION_DAMAGE[case](copy.deepcopy(_good_attestation(instance)))
    path = _write(tmp_path / "a.attestation", document)
    code, result, err = _run_generated(root_file, [str(_dist(tmp_path)), "--attestation", path, *GH_POLICY])
    assert (code, result["step"]) == (4, "attestation"), err
    _one_line(err)


_GOOD: Dict[str, Any] = {}


def _good_attestation(instance: Any) -> Dict[str, Any]:
    if "attestation" not in _GOOD:
        _GOOD["attestation"] = _attest(instance)
    good: Dict[str, Any] = _GOOD["attestation"]
    return good


def test_transparency_entry_errors_name_the_attestation_field(instance: Any, root_file: pathlib.Path,
                                                              tmp_path: pathlib.Path) -> None:
    document = ATTESTATION_DAMAGE["entry-no-log-index"](copy.deepcopy(_good_attestation(instance)))
    path = _write(tmp_path / "a.attestation", document)
    _, _, err = _run_generated(root_file, [str(_dist(tmp_path)), "--attestation", path, *GH_POLICY])
    assert "verification_material.transparency_entries[0]" in err and "logIndex" in err, err


def test_huge_attestation_is_refused(root_file: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from sigstore_offline.limits import MAX_ATTESTATION_FILE_BYTES

    path = tmp_path / "huge.attestation"
    with open(path, "wb") as handle:
        handle.truncate(MAX_ATTESTATION_FILE_BYTES + 1)
    for option in ("--attestation", "--provenance"):
        code, result, err = _run_generated(root_file, [str(_dist(tmp_path)), option, str(path), *GH_POLICY])
        assert (code, result["step"]) == (4, option[2:]), err
        assert "larger than" in err
        _one_line(err)


def _provenance_of(instance: Any) -> Dict[str, Any]:
    from testinstance import pep740

    record = {"kind": "GitHub", "repository": "example/project", "workflow": "release.yml", "environment": None}
    return pep740.provenance((record, [copy.deepcopy(_good_attestation(instance))]))


def _bundle0(d: Dict[str, Any]) -> Dict[str, Any]:
    return d["attestation_bundles"][0]  # type: ignore[no-any-return]


PROVENANCE_DAMAGE: Dict[str, Callable[[Dict[str, Any]], Any]] = {
    "not-json": lambda d: "[",
    "no-version": _mutate(lambda d: d.pop("version")),
    "version-0": _mutate(lambda d: d.update(version=0)),
    "bundles-missing": _mutate(lambda d: d.pop("attestation_bundles")),
    "bundles-empty": _mutate(lambda d: d.update(attestation_bundles=[])),
    "bundle-not-object": _mutate(lambda d: d.update(attestation_bundles=[1])),
    "publisher-missing": _mutate(lambda d: _bundle0(d).pop("publisher")),
    "kind-number": _mutate(lambda d: _bundle0(d)["publisher"].update(kind=3)),
    "github-no-workflow": _mutate(lambda d: _bundle0(d)["publisher"].pop("workflow")),
    "github-repository-empty": _mutate(lambda d: _bundle0(d)["publisher"].update(repository="")),
    "environment-number": _mutate(lambda d: _bundle0(d)["publisher"].update(environment=1)),
    "attestations-empty": _mutate(lambda d: _bundle0(d).update(attestations=[])),
    "attestation-bad-base64": _mutate(lambda d: _bundle0(d)["attestations"][0]["envelope"].update(signature="!")),
    "too-many-attestations": _mutate(lambda d: _bundle0(d).update(attestations=_bundle0(d)["attestations"] * 65)),
    "too-many-in-all": _mutate(lambda d: d.update(attestation_bundles=[
        {**_bundle0(d), "attestations": _bundle0(d)["attestations"] * 40}] * 2)),
}


@pytest.mark.parametrize("case", sorted(PROVENANCE_DAMAGE))
def test_malformed_provenance(case: str, instance: Any, root_file: pathlib.Path, tmp_path: pathlib.Path) -> None:
    document = PROVENANCE_DAMAGE[case](_provenance_of(instance))
    path = _write(tmp_path / "p.provenance", document)
    code, result, err = _run_generated(root_file, [str(_dist(tmp_path)), "--provenance", path, *GH_POLICY])
    assert (code, result["step"]) == (4, "provenance"), err
    _one_line(err)


def test_undamaged_provenance_passes(instance: Any, root_file: pathlib.Path, tmp_path: pathlib.Path) -> None:
    path = _write(tmp_path / "p.provenance", _provenance_of(instance))
    code, _, err = _run_generated(root_file, [str(_dist(tmp_path)), "--provenance", path, *GH_POLICY])
    assert code == 0, err


def test_malformed_certificate_claim_is_left_out_and_a_policy_needing_it_fails() -> None:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from sigstore_offline.policy import summarise

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "t")])
    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)

    def cert(value: bytes) -> Any:
        return ours(x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.12"), value),
                               critical=False)
                .sign(key, hashes.SHA256()))

    from sigstore_offline.pypi.publishers import GitLabPublisher

    assert summarise(cert(b"\x0c\x03abc")).claims == {"1.3.6.1.4.1.57264.1.12": "abc"}
    for not_der in (b"abc", b"\x0c\x04abc", b"\x0c\x02\xff\xfe", b"\x0c\x03abc\x00"):
        with pytest.raises(ValueError, match="1.3.6.1.4.1.57264.1.12"):  # Fulcio's claims from 1.8 on are DER
            cert(not_der)
    for bad in (b"\x13\x03abc", b"\x04\x03abc"):  # DER, but not a UTF8String
        found = summarise(cert(bad))  # a plain identity check never reads the claim: not fatal here
        assert "1.3.6.1.4.1.57264.1.12" not in found.claims
        with pytest.raises(VerificationError) as caught:
            GitLabPublisher("abc", ".gitlab-ci.yml").check(found._replace(issuer="https://gitlab.com"))
        assert caught.value.step == "identity" and "absent or malformed" in caught.value.message


# --- the command line ---------------------------------------------------------------------------------------------

USAGE: Dict[str, List[str]] = {
    "no-policy": ["sha256:" + "00" * 32, "--name", DIST_NAME, "--attestation", "a"],
    "two-policies": ["sha256:" + "00" * 32, "--name", DIST_NAME, "--attestation", "a", *GH_POLICY,
                     "--google-service-account", "a@b.c"],
    "workflow-for-google": ["sha256:" + "00" * 32, "--name", DIST_NAME, "--attestation", "a",
                            "--google-service-account", "a@b.c", "--workflow", "x.yml"],
    "environment-with-attestation": ["sha256:" + "00" * 32, "--name", DIST_NAME, "--attestation", "a", *GH_POLICY,
                                     "--environment", "pypi"],
    "github-workflow-path": ["sha256:" + "00" * 32, "--name", DIST_NAME, "--attestation", "a", *GH_POLICY,
                             "--workflow", ".github/workflows/release.yml"],
    "bad-repository": ["sha256:" + "00" * 32, "--name", DIST_NAME, "--attestation", "a", "--repository", "project"],
    "bad-gitlab-repository": ["sha256:" + "00" * 32, "--name", DIST_NAME, "--attestation", "a",
                              "--gitlab-repository", "project"],
    "circleci-half": ["sha256:" + "00" * 32, "--name", DIST_NAME, "--attestation", "a", "--circleci-project-id", "p"],
    "identity-without-issuer": ["sha256:" + "00" * 32, "--name", DIST_NAME, "--attestation", "a",
                                "--cert-identity", "x"],
    "bad-regexp": ["sha256:" + "00" * 32, "--name", DIST_NAME, "--attestation", "a", "--cert-identity-regexp", "(",
                   "--cert-oidc-issuer", "x"],
    "provenance-and-attestation": ["sha256:" + "00" * 32, "--name", DIST_NAME, "--attestation", "a",
                                   "--provenance", "p", *GH_POLICY],
    "name-with-two": ["a.tar.gz", "b.tar.gz", "--name", DIST_NAME, *GH_POLICY],
    "digest-without-name": ["sha256:" + "00" * 32, "--attestation", "a", *GH_POLICY],
    "digest-without-source": ["sha256:" + "00" * 32, "--name", DIST_NAME, *GH_POLICY],
    "invalid-name": ["sha256:" + "00" * 32, "--name", "example.tar.gz", "--attestation", "a", *GH_POLICY],
    "staging-and-trust-root": ["sha256:" + "00" * 32, "--name", DIST_NAME, "--attestation", "a", *GH_POLICY,
                               "--staging", "--trust-root", "x"],
    "unknown-option": ["sha256:" + "00" * 32, "--bundle", "x", *GH_POLICY],
}


@pytest.mark.parametrize("case", sorted(USAGE))
def test_usage_errors(case: str) -> None:
    code, _, err = run_pypi(USAGE[case])
    assert code == 2, err
    _one_line(err)
    assert err.startswith(("verify-offline pypi: error: ", "FAIL: ")), err


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run_pypi(["--help"])
    out = capsys.readouterr().out
    assert code == 0 and "--provenance" in out and "--environment" in out
    code, _, _ = run_pypi(["--version"])
    assert code == 0 and capsys.readouterr().out.startswith("verify-offline ")


def test_trust_root_errors_exit_3(tmp_path: pathlib.Path) -> None:
    code, _, err = run_pypi(["sha256:" + "00" * 32, "--name", DIST_NAME, "--attestation", "a", *GH_POLICY,
                             "--trusted-root", str(tmp_path / "missing.json")])
    assert code == 3 and err.startswith("verify-offline pypi: error: trust-root: ")


def test_every_option_is_in_the_man_page() -> None:
    import re

    from sigstore_offline.cli.pypi import build_parser

    page = (REPO / "man" / "verify-offline-pypi.1").read_text()
    documented = set(re.findall(r"Fl (-?[\w-]+)", page))
    options = {opt for action in build_parser()._actions for opt in action.option_strings}
    missing = {opt for opt in options if opt.lstrip("-") not in {d.lstrip("-") for d in documented}}
    assert not missing, f"options missing from man/verify-offline-pypi.1: {sorted(missing)}"
    for code in range(6):
        assert re.search(rf"^\.It {code}$", page, re.MULTILINE), f"exit status {code} is not documented"


# --- sandbox --------------------------------------------------------------------------------------------------

def test_pypi_path_imports_no_network_module() -> None:
    code = (
        "import sys\n"
        "import sigstore_offline.cli.pypi, sigstore_offline.pypi.verify\n"
        "bad = [m for m in ('ssl', 'urllib.request', 'http.client', 'requests', 'urllib3', 'tuf',"
        " 'securesystemslib', 'packaging') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": package_path()})
    assert result.stdout.strip() == "", f"the pypi path imported {result.stdout.strip()}"


def test_real_provenance_verifies_with_no_network_and_no_home(tmp_path: pathlib.Path) -> None:
    need_shared(PYPI / "artifacts.json")
    no_network = need_no_network()
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")}
    env["PYTHONPATH"] = package_path()
    command = [*no_network, "--", sys.executable, "-m", "sigstore_offline", "pypi", *REAL["github-provenance"].argv()]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK: {_digest(ATTESTATIONS)} ({ATTESTATIONS})  GitHub trailofbits/pypi-attestations")


@pytest.mark.parametrize("ref, code, step", [
    ("refs/tags/v0.0.19", 0, None), ("refs/tags/v*", 0, None),
    ("refs/tags/v0.0.18", 1, "identity"), ("refs/heads/*", 1, "identity"),
])
def test_ref_is_matched_on_the_certificate(tmp_path: pathlib.Path, ref: str, code: int, step: Optional[str]) -> None:
    """--ref (exact, or a refs/KIND/ glob) is the certificate's Source Repository Ref (1.14) of
    the real release; the publisher record is still cross-checked."""
    provenance = _real_provenance(tmp_path, ATTESTATIONS, lambda d: None)
    argv = [_digest(ATTESTATIONS), "--name", ATTESTATIONS, "--provenance", provenance,
            "--repository", "trailofbits/pypi-attestations", "--workflow", "release.yml", "--ref", ref]
    got, record, err = run_pypi_json(argv)
    assert (got, record.get("step")) == (code, step), err
    if code == 0:
        assert record["publisher_records_checked"] is True and f"ref {ref}" in record["policy"]
    other = _real_provenance(tmp_path, ATTESTATIONS, lambda d: _publisher(d).update(repository="someone/else"))
    got, record, err = run_pypi_json([*argv[:4], other, *argv[5:]])
    assert (got, record.get("step")) == (1, "identity" if code else "publisher"), err


@pytest.mark.parametrize("argv, message", [
    (["--google-service-account", "a@b.c", "--ref", "refs/tags/v1"], "--ref applies to a GitHub or GitLab"),
    (["--repository", "o/r", "--ref", "refs/*"], "ref"),
])
def test_ref_usage_errors(argv: List[str], message: str) -> None:
    code, _, err = run_pypi_json([_digest(ATTESTATIONS), "--name", ATTESTATIONS, *argv])
    assert code == 2 and message in err, err


def test_ref_and_environment_together(tmp_path: pathlib.Path) -> None:
    """With --ref the publisher is a CI publisher; its --environment is still compared with the
    provenance's (unsigned) publisher record."""
    argv = ["--repository", "trailofbits/pypi-attestations", "--ref", "refs/tags/v*", "--environment", "pypi"]
    provenance = _real_provenance(tmp_path, ATTESTATIONS, lambda d: _publisher(d).update(environment="pypi"))
    code, record, err = run_pypi_json([_digest(ATTESTATIONS), "--name", ATTESTATIONS, "--provenance", provenance, *argv])
    assert code == 0 and record["environment_checked"] is True and "environment pypi (unsigned)" in record["policy"], err
    provenance = _real_provenance(tmp_path, ATTESTATIONS, lambda d: _publisher(d).update(environment="testpypi"))
    code, record, err = run_pypi_json([_digest(ATTESTATIONS), "--name", ATTESTATIONS, "--provenance", provenance, *argv])
    assert (code, record["step"]) == (1, "publisher"), err
