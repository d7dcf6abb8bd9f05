# SPDX-License-Identifier: Apache-2.0
"""Publisher identities that survive releases (issue 13, item 1): ``--repository OWNER/REPO
[--workflow FILE] [--ref REF_OR_GLOB]``, the signers file's publisher lines, manifest entries and
upstream policy files, matched on the Fulcio claims (src/sigstore_offline/publisher.py).

Bundles come from the test instance with GitHub/GitLab claims as Fulcio writes them; the real
case is the docs example (trailofbits/pypi-attestation-models, release.yml, a v* tag) and the
reusable-workflow attestation from ../shared/vectors/github. Every check has a negative that
asserts exit code and step.
"""

from __future__ import annotations

import io
import json
import pathlib
from typing import Any, Dict, List, Tuple

import pytest

from helpers import EXAMPLE_BUNDLE, EXAMPLE_DIGEST, GITHUB_ISSUER, VECTORS, need_shared, run_cli, run_json
from sigstore_offline.cli import sigstoreverify
from sigstore_offline.publisher import parse_ref, publisher
from testinstance.ca import FULCIO_OID, LeafSpec, github_claims
from testinstance.instance import TestInstance

ARTIFACT = b"project-2.1.0.tar.gz, released from a tag\n"
REPO = "example/project"
SIGNER = f"https://github.com/{REPO}/.github/workflows/release.yml"
GITLAB_ISSUER = "https://gitlab.com"
PUBLISHER = ["--repository", REPO, "--workflow", "release.yml", "--ref", "refs/tags/v*"]


@pytest.fixture(scope="module")
def inst() -> TestInstance:
    return TestInstance(seed="publisher identities")


@pytest.fixture(scope="module")
def root(inst: TestInstance, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("root") / "trusted_root.json"
    path.write_text(json.dumps(inst.trusted_root_json()))
    return str(path)


def _claims(**changes: str) -> Tuple[Tuple[str, str], ...]:
    """GitHub claims, with arcs replaced by ``arc9="..."`` style keywords."""
    base = dict(github_claims(repository=REPO, ref=changes.pop("ref", "refs/tags/v1.0"),
                              workflow=changes.pop("workflow", ".github/workflows/release.yml")))
    for key, value in changes.items():
        base[FULCIO_OID + key.removeprefix("arc")] = value
    return tuple(base.items())


def _signed(inst: TestInstance, directory: pathlib.Path, name: str, *, issuer: str = GITHUB_ISSUER,
            **claims: str) -> Tuple[str, str]:
    spec_claims = _claims(**claims)
    identity = dict(spec_claims)[FULCIO_OID + "9"]
    leaf = LeafSpec(identity=identity, issuer=issuer, claims=spec_claims)
    generated = inst.sign_artifact(ARTIFACT, leaf=leaf)
    artifact = directory / name
    artifact.write_bytes(ARTIFACT)
    bundle = directory / f"{name}.sigstore.json"
    bundle.write_text(generated.json())
    return str(artifact), str(bundle)


def _gitlab_claims(project: str = "group/sub/project", ref: str = "refs/tags/v1.0",
                   config: str = ".gitlab-ci.yml") -> Dict[str, str]:
    uri = f"https://gitlab.com/{project}"
    return {"ref": ref, "arc9": f"{uri}//{config}@{ref}", "arc12": uri, "arc13": "1" * 40, "arc14": ref,
            "arc18": f"{uri}//{config}@{ref}", "arc16": "https://gitlab.com/group"}


# --- the ref pattern ---------------------------------------------------------------------------

@pytest.mark.parametrize("pattern,ref,matches", [
    ("refs/tags/v*", "refs/tags/v2.1.0", True),
    ("refs/tags/v*", "refs/tags/v", True),
    ("refs/tags/v*", "refs/heads/v2.1.0", False),
    ("refs/tags/v*", "refs/tags/release-2", False),
    ("refs/tags/v*", "refs/tags/v1/evil", False),  # * stays within one component
    ("refs/tags/v*.*.*", "refs/tags/v2.1.0", True),
    ("refs/tags/v2.1.0", "refs/tags/v2.1.0", True),
    ("refs/tags/v2.1.0", "refs/tags/v2x1x0", False),  # . is literal
    ("refs/heads/main", "refs/heads/main", True),
])
def test_ref_patterns(pattern: str, ref: str, matches: bool) -> None:
    assert parse_ref(pattern).matches(ref) is matches


@pytest.mark.parametrize("pattern", ["", "v*", "tags/v*", "refs/*", "refs/*/main", "refs/tags/**", "refs/tags/v?",
                                     "refs/tags/v[0-9]", "refs/tags/", "refs//v1", "refs/tags/a b"])
def test_bad_ref_patterns(pattern: str) -> None:
    with pytest.raises(ValueError):
        parse_ref(pattern)


@pytest.mark.parametrize("spec,forge,path", [
    ("example/project", "github", "example/project"),
    ("https://github.com/example/project/", "github", "example/project"),
    ("https://gitlab.com/group/sub/project", "gitlab", "group/sub/project"),
])
def test_repository_spellings(spec: str, forge: str, path: str) -> None:
    found = publisher(spec)
    assert (found.forge, found.repository) == (forge, path)


@pytest.mark.parametrize("spec,workflow", [("example", None), ("a/b/c", None), ("https://example.com/a/b", None),
                                           ("a/..", None), (REPO, ".github/workflows/release.yml"),
                                           (REPO, "release.yml@refs/tags/v1"), (REPO, "")])
def test_bad_publishers(spec: str, workflow: Any) -> None:
    with pytest.raises(ValueError):
        publisher(spec, workflow=workflow)


# --- verify-offline --repository -----------------------------------------------------------------

def test_one_publisher_passes_every_release_tag(inst: TestInstance, root: str, tmp_path: pathlib.Path) -> None:
    for tag in ("v1.0", "v2.1.0", "v10.0.0rc1"):
        artifact, bundle = _signed(inst, tmp_path, f"project-{tag}.tar.gz", ref=f"refs/tags/{tag}")
        code, records, err = run_json([artifact, "--bundle", bundle, "--trust-root", root, *PUBLISHER])
        assert code == 0 and records[0]["verified"], err
        assert records[0]["identity"] == f"{SIGNER}@refs/tags/{tag}"


@pytest.mark.parametrize("claims,issuer,message", [
    ({"arc12": "https://github.com/example/other"}, GITHUB_ISSUER, "Source Repository URI (1.12)"),
    ({"arc12": "https://github.com/Example/Project"}, GITHUB_ISSUER, "compared exactly"),
    ({"workflow": ".github/workflows/ci.yml"}, GITHUB_ISSUER, "Build Config URI (1.18)"),
    ({"ref": "refs/heads/main"}, GITHUB_ISSUER, "Source Repository Ref (1.14)"),
    ({"ref": "refs/tags/release-1"}, GITHUB_ISSUER, "Source Repository Ref (1.14)"),
    ({"ref": "refs/pull/7/merge"}, GITHUB_ISSUER, "Source Repository Ref (1.14)"),
    ({}, "https://token.actions.githubusercontent.com/enterprise", "OIDC issuer (1.8)"),
    ({"arc9": "https://github.com/evil/actions/.github/workflows/sign.yml@refs/heads/main"}, GITHUB_ISSUER,
     "Build Signer URI (1.9)"),
    ({"arc9": "https://github.com/example/project-evil/.github/workflows/release.yml@refs/tags/v1.0"},
     GITHUB_ISSUER, "Build Signer URI (1.9)"),
])
def test_each_claim_is_checked(inst: TestInstance, root: str, tmp_path: pathlib.Path, claims: Dict[str, str],
                               issuer: str, message: str) -> None:
    artifact, bundle = _signed(inst, tmp_path, "project.tar.gz", issuer=issuer, **claims)
    code, records, err = run_json([artifact, "--bundle", bundle, "--trust-root", root, *PUBLISHER])
    assert code == 1 and records[0]["step"] == "identity", err
    assert message in records[0]["error"] + (records[0]["hint"] or "")


def test_without_workflow_and_ref_any_workflow_and_ref_pass(inst: TestInstance, root: str,
                                                            tmp_path: pathlib.Path) -> None:
    artifact, bundle = _signed(inst, tmp_path, "p.tar.gz", ref="refs/heads/main", workflow=".github/workflows/ci.yml")
    code, _, err = run_cli([artifact, "--bundle", bundle, "--trust-root", root, "--repository", REPO])
    assert code == 0, err
    code, _, err = run_cli([artifact, "--bundle", bundle, "--trust-root", root, "--repository", REPO,
                            "--ref", "refs/heads/main"])
    assert code == 0, err


def test_gitlab_publisher(inst: TestInstance, root: str, tmp_path: pathlib.Path) -> None:
    artifact, bundle = _signed(inst, tmp_path, "g.tar.gz", issuer=GITLAB_ISSUER, **_gitlab_claims())
    spec = ["--repository", "https://gitlab.com/group/sub/project", "--workflow", ".gitlab-ci.yml"]
    code, _, err = run_cli([artifact, "--bundle", bundle, "--trust-root", root, *spec, "--ref", "refs/tags/v*"])
    assert code == 0, err
    code, records, _ = run_json([artifact, "--bundle", bundle, "--trust-root", root, *spec, "--ref", "refs/heads/*"])
    assert code == 1 and records[0]["step"] == "identity"
    code, records, _ = run_json([artifact, "--bundle", bundle, "--trust-root", root, "--repository", "group/sub"])
    assert code == 1 and records[0]["step"] == "identity"  # a GitHub publisher: the issuer differs


def test_real_release_bundle_and_a_reusable_workflow() -> None:
    base = ["--bundle", str(EXAMPLE_BUNDLE), EXAMPLE_DIGEST, "--repository", "trailofbits/pypi-attestation-models"]
    assert run_cli([*base, "--workflow", "release.yml", "--ref", "refs/tags/v*"])[0] == 0
    code, records, _ = run_json([*base, "--ref", "refs/heads/*"])
    assert code == 1 and records[0]["step"] == "identity"
    code, records, _ = run_json([*base, "--workflow", "publish.yml"])
    assert code == 1 and records[0]["step"] == "identity"
    github = need_shared(VECTORS / "github")
    code, records, _ = run_json([str(github / "reusable-workflow-artifact"), "--bundle",
                                 str(github / "reusable-workflow-attestation.sigstore.json"),
                                 "--repository", "malancas/attest-demo"])
    assert code == 1 and records[0]["step"] == "identity" and "Build Signer URI (1.9)" in records[0]["error"]


@pytest.mark.parametrize("argv,message", [
    (["x.tgz", "--workflow", "release.yml"], "--workflow goes with --repository"),
    (["x.tgz", "--ref", "refs/tags/v*"], "--ref goes with --repository"),
    (["x.tgz", "--repository", REPO, "--ref", "refs/*"], "refs/KIND/"),
    (["x.tgz", "--repository", REPO, "--ref", "v*"], "full ref"),
    (["x.tgz", "--repository", "example"], "OWNER/REPO"),
    (["x.tgz", "--repository", REPO, "--cert-identity", SIGNER], "do not combine"),
    (["x.tgz", "--repository", REPO, "--policy", "cpython"], "do not combine"),
])
def test_publisher_usage_errors(argv: List[str], message: str) -> None:
    code, _, err = run_cli(argv)
    assert code == 2 and message in err, err


# --- the signers file, the manifest and policy files -----------------------------------------------

def _sigstoreverify(argv: List[str]) -> Tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = sigstoreverify.main(argv, out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def test_signers_file_publisher_line_survives_releases(inst: TestInstance, root: str,
                                                       tmp_path: pathlib.Path) -> None:
    signers = tmp_path / "signers"
    signers.write_text("# upstream releases from GitHub Actions\nhugo@python.org https://github.com/login/oauth\n"
                       f"github {REPO} workflow=release.yml ref=refs/tags/v*\n")
    for tag in ("v1.0", "v2.0"):
        artifact, bundle = _signed(inst, tmp_path, f"p-{tag}.tar.gz", ref=f"refs/tags/{tag}")
        code, text = _sigstoreverify([f"--keyring={signers}", f"--signature={bundle}", f"--data={artifact}",
                                      f"--trust-root={root}"])
        assert code == 0 and "OK" in text, text
    artifact, bundle = _signed(inst, tmp_path, "p-main.tar.gz", ref="refs/heads/main")
    code, text = _sigstoreverify([f"--keyring={signers}", f"--signature={bundle}", f"--data={artifact}",
                                  f"--trust-root={root}"])
    assert code == 1 and "not one of the 2 signer(s)" in text, text


@pytest.mark.parametrize("line,message", [
    ("github", "expected 'github REPOSITORY"),
    ("github example", "OWNER/REPO"),
    ("github https://github.com/example/project", "OWNER/REPO"),
    (f"github {REPO} branch=main", "is not workflow=FILE or ref=REF_OR_GLOB"),
    (f"github {REPO} ref=refs/*", "refs/KIND/"),
    (f"github {REPO} ref=refs/tags/v* ref=refs/tags/w*", "given twice"),
    (f"github {REPO} # release", "comments must be on lines of their own"),
    (f"gitlab {REPO} workflow=/ci.yml", "relative to the project root"),
])
def test_signers_file_publisher_line_errors(line: str, message: str) -> None:
    with pytest.raises(Exception) as caught:
        sigstoreverify.parse_signers(line + "\n", source="S")
    assert message in str(caught.value) and "S:1" in str(caught.value)


def test_signers_file_duplicate_publisher_line() -> None:
    with pytest.raises(Exception, match="duplicate of line 1"):
        sigstoreverify.parse_signers(f"github {REPO} ref=refs/tags/v*\ngithub {REPO}  ref=refs/tags/v*\n", source="S")


def test_manifest_entries_with_publishers(inst: TestInstance, root: str, tmp_path: pathlib.Path) -> None:
    good, good_bundle = _signed(inst, tmp_path, "good.tar.gz", ref="refs/tags/v3.0")
    bad, bad_bundle = _signed(inst, tmp_path, "bad.tar.gz", ref="refs/heads/main")
    manifest = tmp_path / "manifest.jsonl"
    entry = {"repository": REPO, "workflow": "release.yml", "ref": "refs/tags/v*"}
    manifest.write_text("\n".join(json.dumps({"artifact": name, "bundle": name + ".sigstore.json", **entry})
                                  for name in ("good.tar.gz", "bad.tar.gz")) + "\n")
    code, records, err = run_json(["--manifest", str(manifest), "--trust-root", root, "--jobs", "1"])
    assert code == 1, err
    assert [r.get("verified") for r in records[:2]] == [True, False] and records[1]["step"] == "identity"
    broken = tmp_path / "broken.jsonl"
    for fields, message in (({"artifact": "good.tar.gz", "ref": "refs/tags/v*", "identity": SIGNER,
                              "issuer": GITHUB_ISSUER}, "'workflow' and 'ref' go with 'repository'"),
                            ({"artifact": "good.tar.gz", "repository": REPO, "ref": "refs/*"}, "refs/KIND/"),
                            ({"artifact": "good.tar.gz", "repository": REPO, "key": "k.pem"}, "give one signer")):
        broken.write_text(json.dumps(fields) + "\n")
        code, _, err = run_cli(["--manifest", str(broken), "--trust-root", root])
        assert code == 4 and message in err, err


def test_policy_file_with_a_publisher(inst: TestInstance, root: str, tmp_path: pathlib.Path) -> None:
    policy = tmp_path / "project.json"
    policy.write_text(json.dumps({
        "format": "sigstore-offline-policy/1", "name": "project", "description": "project-X.Y.Z.tar.gz",
        "artifacts": [r"project-(?P<key>\d+)\.\d+\.\d+\.tar\.gz"],
        "signers": {"2": [{"repository": REPO, "workflow": "release.yml", "ref": "refs/tags/v2.*"}]},
    }))
    artifact, bundle = _signed(inst, tmp_path, "project-2.1.0.tar.gz", ref="refs/tags/v2.1.0")
    code, _, err = run_cli([artifact, "--bundle", bundle, "--trust-root", root, "--policy", str(policy)])
    assert code == 0, err
    artifact, bundle = _signed(inst, tmp_path, "project-2.2.0.tar.gz", ref="refs/tags/v3.0.0")
    code, records, _ = run_json([artifact, "--bundle", bundle, "--trust-root", root, "--policy", str(policy)])
    assert code == 1 and records[0]["step"] == "identity"
    policy.write_text(policy.read_text().replace('"ref": "refs/tags/v2.*"', '"ref": "refs/tags/v2.*", "env": "x"'))
    code, _, err = run_cli([artifact, "--bundle", bundle, "--trust-root", root, "--policy", str(policy)])
    assert code == 2 and "unknown field 'env'" in err, err
