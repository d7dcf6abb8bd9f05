# SPDX-License-Identifier: Apache-2.0
"""``verify-offline github`` (issue 13, item 2): GitHub artifact attestations with the options of
``gh attestation verify``, offline, through the one pipeline (src/sigstore_offline/github.py).

The real attestations of ../shared/vectors/github (SOURCE.md) pass with their own claims and fail
with any other; generated bundles (the test instance, GitHub claims as Fulcio writes them) cover
what the real ones cannot: many subjects, a self-hosted runner, every claim on its own. Every
failure asserts the exit code and the step.
"""

from __future__ import annotations

import hashlib
import io
import json
import pathlib
import shutil
from typing import Any, Dict, List, Optional, Tuple

import pytest

from helpers import GITHUB_ISSUER, SHIPPED, VECTORS, need_shared
from testinstance import _enc
from testinstance import bundle as bundle_module
from testinstance.ca import FULCIO_OID, LeafSpec, github_claims
from testinstance.instance import TestInstance

GITHUB = VECTORS / "github"
REUSABLE = ["--repo", "malancas/attest-demo"]
ATTEST_REPO = "github/artifact-attestations-workflows"
ATTEST_WORKFLOW = f"{ATTEST_REPO}/.github/workflows/attest.yml"
ATTEST_SAN = f"https://github.com/{ATTEST_WORKFLOW}@09b495c3f12c7881b3cc17209a327792065c1a1d"
ARTIFACT = b"tool-2.1.0-linux-amd64.tar.gz\n"
REPO = "example/project"


def run(argv: List[str]) -> Tuple[int, List[Dict[str, Any]], str]:
    from sigstore_offline.cli.verify_offline import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["github", "--json", *argv], out=out, err=err)
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


@pytest.fixture(scope="module")
def vectors() -> pathlib.Path:
    return need_shared(GITHUB)


def reusable(vectors: pathlib.Path, *extra: str) -> List[str]:
    return [str(vectors / "reusable-workflow-artifact"), "--bundle",
            str(vectors / "reusable-workflow-attestation.sigstore.json"), *extra]


# --- the real attestations ----------------------------------------------------------------------

@pytest.mark.parametrize("claims", [
    ["--signer-repo", ATTEST_REPO],
    ["--signer-workflow", ATTEST_WORKFLOW],
    ["--signer-workflow", f"https://github.com/{ATTEST_WORKFLOW}"],
    ["--cert-identity", ATTEST_SAN],
    ["--cert-identity-regex", r"https://github\.com/github/artifact-attestations-workflows/.*"],
    ["--signer-repo", ATTEST_REPO, "--source-ref", "refs/heads/main",
     "--source-digest", "95baf27389e83e6a5c48f42e190d48d7abcea19e", "--deny-self-hosted-runners",
     "--cert-oidc-issuer", GITHUB_ISSUER, "--predicate-type", "https://slsa.dev/provenance/v1"],
])
def test_reusable_workflow_attestation_passes_with_its_claims(vectors: pathlib.Path, claims: List[str]) -> None:
    code, records, err = run(reusable(vectors, *REUSABLE, *claims))
    assert code == 0 and records[0]["verified"], err
    assert records[0]["predicate_type"] == "https://slsa.dev/provenance/v1" and records[0]["identity"] == ATTEST_SAN
    code, records, err = run(reusable(vectors, "--owner", "malancas", *claims))
    assert code == 0, err


@pytest.mark.parametrize("claims,step,words", [
    ([], "identity", "Build Signer URI (1.9)"),  # by default the signer must be the repository's own workflow
    (["--repo", "malancas/other", "--signer-repo", ATTEST_REPO], "identity", "Source Repository URI (1.12)"),
    (["--repo", "Malancas/attest-demo", "--signer-repo", ATTEST_REPO], "identity", "Source Repository URI (1.12)"),
    (["--owner", "github", "--signer-repo", ATTEST_REPO], "identity", "Source Repository Owner URI (1.16)"),
    (["--signer-repo", "github/other-workflows"], "identity", "Build Signer URI (1.9)"),
    (["--signer-workflow", f"{ATTEST_REPO}/.github/workflows/other.yml"], "identity", "Build Signer URI (1.9)"),
    (["--cert-identity", ATTEST_SAN.replace("09b4", "19b4")], "identity", "certificate identity"),
    (["--cert-identity-regex", "github/artifact-attestations-workflows"], "identity", "does not match"),
    (["--signer-repo", ATTEST_REPO, "--source-ref", "refs/heads/release"], "identity", "Source Repository Ref"),
    (["--signer-repo", ATTEST_REPO, "--source-digest", "0" * 40], "identity", "Source Repository Digest"),
    (["--signer-repo", ATTEST_REPO, "--cert-oidc-issuer", "https://token.actions.githubusercontent.com/x"],
     "identity", "OIDC issuer"),
    (["--signer-repo", ATTEST_REPO, "--predicate-type", "https://spdx.dev/Document/v2.3"], "predicate",
     "predicate type"),
])
def test_reusable_workflow_attestation_fails_with_other_claims(vectors: pathlib.Path, claims: List[str], step: str,
                                                               words: str) -> None:
    argv = reusable(vectors, *(REUSABLE if "--repo" not in claims and "--owner" not in claims else []), *claims)
    code, records, err = run(argv)
    assert code == 1 and records[0]["step"] == step, err
    assert words in records[0]["error"], records[0]


def test_another_artifact_fails_at_the_subject(vectors: pathlib.Path) -> None:
    code, records, _ = run([str(vectors / "custom-issuer-artifact"), "--bundle",
                            str(vectors / "reusable-workflow-attestation.sigstore.json"), *REUSABLE,
                            "--signer-repo", ATTEST_REPO])
    assert code == 1 and records[0]["step"] == "signature" and "subject" in records[0]["error"]


def test_digest_targets(vectors: pathlib.Path) -> None:
    data = (vectors / "reusable-workflow-artifact").read_bytes()
    bundle = str(vectors / "reusable-workflow-attestation.sigstore.json")
    for digest in ("sha256:" + hashlib.sha256(data).hexdigest(),):
        code, _, err = run([digest, "--bundle", bundle, *REUSABLE, "--signer-repo", ATTEST_REPO])
        assert code == 0, err
    code, records, _ = run(["sha512:" + hashlib.sha512(data).hexdigest(), "--bundle", bundle, *REUSABLE,
                            "--signer-repo", ATTEST_REPO])
    assert code == 1 and records[0]["step"] == "signature"  # the statement names it by SHA-256 only
    code, _, err = run(["sha256:" + "0" * 64, *REUSABLE])
    assert code == 2 and "needs --bundle" in err


def test_custom_issuer_needs_its_issuer(vectors: pathlib.Path) -> None:
    argv = [str(vectors / "custom-issuer-artifact"), "--bundle", str(vectors / "custom-issuer.sigstore.json"),
            "--repo", "too-legit/attest"]
    code, records, _ = run(argv)
    assert code == 1 and records[0]["step"] == "identity" and "OIDC issuer" in records[0]["error"]
    code, _, err = run([*argv, "--cert-oidc-issuer", "https://token.actions.githubusercontent.com/hammer-time"])
    assert code == 0, err


def test_npm_provenance_jsonl_with_two_bundles(vectors: pathlib.Path) -> None:
    tarball = str(vectors / "sigstore-js-2.1.0.tgz")
    jsonl = str(vectors / "sigstore-js-2.1.0_with_2_bundles.jsonl")
    code, records, err = run([tarball, "--bundle", jsonl, "--repo", "sigstore/sigstore-js",
                              "--signer-workflow", "sigstore/sigstore-js/.github/workflows/release.yml",
                              "--source-ref", "refs/heads/main"])
    assert code == 0 and records[0]["bundles"] == 2 and records[0]["digest"].startswith("sha512:"), err
    code, records, _ = run([tarball, "--bundle", jsonl, "--repo", "sigstore/sigstore-js", "--source-ref",
                            "refs/tags/v2.1.0"])
    assert code == 1 and records[0]["step"] == "identity"
    assert "none of the 2 bundle(s) verified" in records[0]["hint"]


def test_jsonl_passes_when_one_line_passes(vectors: pathlib.Path, tmp_path: pathlib.Path) -> None:
    good = (vectors / "reusable-workflow-attestation.sigstore.json").read_text()
    bad = (vectors / "sigstoreBundle-invalid-signature.json").read_text()
    jsonl = tmp_path / "attestations.jsonl"
    jsonl.write_text("{not json\n" + json.dumps(json.loads(bad)) + "\n" + json.dumps(json.loads(good)) + "\n")
    argv = [str(vectors / "reusable-workflow-artifact"), "--bundle", str(jsonl), *REUSABLE,
            "--signer-repo", ATTEST_REPO]
    code, records, err = run(argv)
    assert code == 0 and records[0]["bundle"].endswith(":3") and records[0]["bundles"] == 3, err
    jsonl.write_text("{not json\n" + json.dumps(json.loads(bad)) + "\n")
    code, records, _ = run(argv)
    assert code == 1 and records[0]["step"] in ("identity", "signature")  # the bundle that got furthest
    jsonl.write_text("{not json\n\n")
    code, records, _ = run(argv)
    assert code == 4 and records[0]["step"] == "bundle"
    jsonl.write_text("\n")
    code, records, _ = run(argv)
    assert code == 4 and "holds no bundle" in records[0]["error"]


@pytest.mark.parametrize("name,code,step", [
    ("github_provenance_demo-0.0.12-py3-none-any-bundle-missing-cert.jsonl", 4, "bundle"),
    ("github_provenance_demo-0.0.12-py3-none-any-bundle-missing-verification-material.jsonl", 4, "bundle"),
])
def test_broken_github_bundles_fail(vectors: pathlib.Path, name: str, code: int, step: str) -> None:
    got, records, _ = run([str(vectors / "github_provenance_demo-0.0.12-py3-none-any.whl"), "--bundle",
                           str(vectors / name), "--repo", "actions/attest-demo"])
    assert got == code and records[0]["step"] == step


def test_custom_trusted_roots(vectors: pathlib.Path, tmp_path: pathlib.Path) -> None:
    base = reusable(vectors, *REUSABLE, "--signer-repo", ATTEST_REPO)
    for root in ("public_good_trusted_root_2026.json", "gh-attestation-trusted-root.jsonl"):
        code, _, err = run([*base, "--custom-trusted-root", str(vectors / root)])
        assert code == 0, err
    other = tmp_path / "other_root.json"
    other.write_text(json.dumps(TestInstance(seed="github other root").trusted_root_json()))
    code, records, _ = run([*base, "--custom-trusted-root", str(other)])
    assert code == 1 and records[0]["step"] == "tlog"
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1"}\n')
    code, records, err = run([*base, "--custom-trusted-root", str(broken)])
    assert code == 3 and records[0]["step"] == "trust-root", err


# --- GitHub's own instance: log-less trust roots, RFC 3161 time ------------------------------------

def _demo(vectors: pathlib.Path, *extra: str) -> List[str]:
    return [str(vectors / "github_provenance_demo-0.0.12-py3-none-any.whl"), "--bundle",
            str(vectors / "github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl"), "--repo", "actions/attest-demo",
            *extra]


@pytest.mark.parametrize("root", ["github_trusted_root.json", "gh-attestation-trusted-root.jsonl"])
def test_github_instance_bundle_passes_under_its_log_less_root(vectors: pathlib.Path, root: str) -> None:
    code, records, err = run(_demo(vectors, "--custom-trusted-root", str(vectors / root), "--source-ref",
                                   "refs/heads/main", "--deny-self-hosted-runners"))
    assert code == 0, err
    assert records[0]["tlog"] is False and records[0]["log"] is None
    assert [t["source"] for t in records[0]["verified_times"]] == ["timestamp"]
    code, records, _ = run(_demo(vectors, "--custom-trusted-root", str(vectors / root), "--source-ref",
                                 "refs/heads/release"))
    assert code == 1 and records[0]["step"] == "identity"


def test_github_instance_bundle_fails_under_a_root_with_logs(vectors: pathlib.Path) -> None:
    code, records, _ = run(_demo(vectors, "--trust-root", str(SHIPPED / "sigstore")))  # production alone
    assert code == 1 and records[0]["step"] in ("timestamp", "tlog", "certificate-chain")
    code, records, _ = run(_demo(vectors, "--custom-trusted-root", str(vectors / "public_good_trusted_root_2026.json")))
    assert code == 1 and records[0]["step"] in ("timestamp", "tlog")


# --- the default trust roots: the shipped production and github snapshots ---------------------------

def test_github_instance_bundle_passes_with_the_shipped_snapshots(vectors: pathlib.Path) -> None:
    """No trust-root option: production and trust-roots/github (GitHub's instance, imported) are both
    tried; the GitHub-instance bundle passes under the github one, with its RFC 3161 time."""
    code, records, err = run(_demo(vectors, "--source-ref", "refs/heads/main", "--deny-self-hosted-runners"))
    assert code == 0, err
    record = records[0]
    assert record["tlog"] is False and [t["source"] for t in record["verified_times"]] == ["timestamp"]
    snap = record["trust_root"]["snapshot"]
    assert snap["instance"] == "github" and snap["imported"] is True and snap["trusted_root_tuf_proven"] is False
    from sigstore_offline.trust.store import shipped_dir

    # The snapshots the package under test uses: trust-roots/ of a checkout, or the installed copy.
    assert snap["directory"] == str(shipped_dir() / "github") and record["trust_root"]["sha256"] == hashlib.sha256(
        (vectors / "github_trusted_root.json").read_bytes()).hexdigest()
    code, records, _ = run(_demo(vectors, "--source-ref", "refs/heads/release"))
    assert code == 1 and records[0]["step"] == "identity"
    code, records, _ = run(_demo(vectors, "--repo", "actions/other"))
    assert code == 1 and records[0]["step"] == "identity"
    # the same under --trust-root naming the github snapshot alone; --staging has no GitHub root
    code, _, err = run(_demo(vectors, "--trust-root", str(SHIPPED / "github")))
    assert code == 0, err
    code, records, _ = run(_demo(vectors, "--staging"))
    assert code == 1 and records[0]["step"] in ("timestamp", "tlog", "certificate-chain")


def test_public_good_bundle_passes_with_the_shipped_snapshots(vectors: pathlib.Path) -> None:
    code, records, err = run(reusable(vectors, *REUSABLE, "--signer-repo", ATTEST_REPO))
    assert code == 0 and records[0]["trust_root"]["snapshot"]["instance"] == "sigstore", err
    assert records[0]["log"] and records[0]["log_index"] == 96764485
    code, records, _ = run(reusable(vectors, *REUSABLE, "--signer-repo", "github/other"))
    assert code == 1 and records[0]["step"] == "identity"


def test_a_public_good_bundle_without_its_log_entry_fails_with_the_shipped_snapshots(
        vectors: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """Its CA is production's, whose root lists logs: never log-less, even with the log-less github
    root beside it (whose CAs did not issue the certificate)."""
    document = json.loads((vectors / "reusable-workflow-attestation.sigstore.json").read_text())
    document["verificationMaterial"]["tlogEntries"] = []
    stripped = tmp_path / "stripped.sigstore.json"
    stripped.write_text(json.dumps(document))
    code, records, err = run([str(vectors / "reusable-workflow-artifact"), "--bundle", str(stripped), *REUSABLE,
                              "--signer-repo", ATTEST_REPO])
    assert code == 1 and records[0]["step"] == "tlog" and "lists no log" not in records[0]["error"], err
    assert "against any of the 2 trusted roots" in records[0]["error"] + (records[0].get("hint") or "")


@pytest.mark.parametrize("name", ["github_provenance_demo-0.0.12-py3-none-any-bundle-missing-cert.jsonl",
                                  "github_provenance_demo-0.0.12-py3-none-any-bundle-missing-verification-material.jsonl"])
def test_broken_github_bundles_fail_with_the_shipped_snapshots(vectors: pathlib.Path, name: str) -> None:
    for extra in ([], ["--trust-root", str(SHIPPED / "github")]):
        code, records, _ = run([str(vectors / "github_provenance_demo-0.0.12-py3-none-any.whl"), "--bundle",
                                str(vectors / name), "--repo", "actions/attest-demo", *extra])
        assert code == 4 and records[0]["step"] == "bundle"


def _roots(tmp_path: pathlib.Path, *instances: str) -> pathlib.Path:
    roots = tmp_path / "roots"
    for instance in instances:
        shutil.copytree(SHIPPED / instance, roots / instance)
    return roots


def test_without_the_github_snapshot_production_alone_is_used(vectors: pathlib.Path, tmp_path: pathlib.Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGSTORE_OFFLINE_TRUST_ROOTS", str(_roots(tmp_path, "sigstore")))
    code, records, err = run(_demo(vectors))
    assert code == 1 and records[0]["step"] in ("timestamp", "tlog", "certificate-chain")
    assert "warning: the shipped github trust-root snapshot is not installed" in err
    code, _, err = run(reusable(vectors, *REUSABLE, "--signer-repo", ATTEST_REPO))
    assert code == 0 and "bundles from GitHub's own Sigstore instance cannot verify" in err
    code, _, err = run(reusable(vectors, *REUSABLE, "--signer-repo", ATTEST_REPO, "-q"))
    assert code == 0 and err == ""


def test_a_broken_or_old_github_snapshot_is_exit_3(vectors: pathlib.Path, tmp_path: pathlib.Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The github snapshot's pins and age are checked like production's, for every bundle."""
    roots = _roots(tmp_path, "sigstore", "github")
    monkeypatch.setenv("SIGSTORE_OFFLINE_TRUST_ROOTS", str(roots))
    manifest = json.loads((roots / "github" / "manifest.json").read_text())
    manifest["refreshed_at"] = "2020-01-01T00:00:00Z"
    (roots / "github" / "manifest.json").write_text(json.dumps(manifest))
    code, _, err = run(_demo(vectors))
    assert code == 0 and "days old (imported 2020-01-01T00:00:00Z, not proven through TUF)" in err, err
    code, records, _ = run(_demo(vectors, "--max-trust-root-age", "2000"))
    assert code == 3 and records[0]["step"] == "trust-root"
    assert "github was imported 2020-01-01T00:00:00Z" in records[0]["error"]
    (roots / "github" / "trusted_root.json").write_bytes(b" " + (SHIPPED / "github" / "trusted_root.json").read_bytes())
    code, records, _ = run(reusable(vectors, *REUSABLE, "--signer-repo", ATTEST_REPO))
    assert code == 3 and records[0]["step"] == "trust-root" and "the manifest pins" in records[0]["error"]


def test_a_public_good_bundle_never_skips_its_log(vectors: pathlib.Path) -> None:
    code, records, _ = run(reusable(vectors, *REUSABLE, "--signer-repo", ATTEST_REPO, "--custom-trusted-root",
                                    str(vectors / "github_trusted_root.json")))
    assert code == 1 and records[0]["step"] == "tlog" and "lists no log" in records[0]["error"]


def test_only_the_github_verb_reads_a_log_less_root(vectors: pathlib.Path) -> None:
    from helpers import run_cli

    code, _, err = run_cli(["--trust-root", str(vectors / "github_trusted_root.json"), "--cert-identity", "x",
                            "--cert-oidc-issuer", GITHUB_ISSUER, "--bundle", "b.json", "sha256:" + "0" * 64])
    assert code == 3 and "transparency log" in err, err


def _logless(inst: TestInstance, directory: pathlib.Path, *, timestamp: bool = True) -> Tuple[str, str]:
    claims = github_claims(repository=REPO)
    leaf = LeafSpec(identity=dict(claims)[FULCIO_OID + "9"], issuer=GITHUB_ISSUER, claims=claims)
    generated = inst.sign_dsse(ARTIFACT, leaf=leaf, timestamp=timestamp)
    document = generated.bundle
    document["verificationMaterial"]["tlogEntries"] = []
    (directory / "private.tar.gz").write_bytes(ARTIFACT)
    (directory / "private.tar.gz.sigstore.json").write_text(json.dumps(document))
    return str(directory / "private.tar.gz"), str(directory / "private.tar.gz.sigstore.json")


def _root_file(directory: pathlib.Path, name: str, *documents: Dict[str, Any]) -> str:
    path = directory / name
    path.write_text("\n".join(json.dumps(d) for d in documents) + "\n")
    return str(path)


def test_log_less_only_when_the_cas_own_root_lists_no_log(inst: TestInstance, tmp_path: pathlib.Path) -> None:
    artifact, _ = _logless(inst, tmp_path)
    full = inst.trusted_root_json()
    logless = inst.trusted_root_json(omit=("rekor_v1", "rekor_v2", "ct_log"))
    no_tlog_but_ct = inst.trusted_root_json(omit=("rekor_v1", "rekor_v2"))
    other_logless = TestInstance(seed="another log-less instance").trusted_root_json(
        omit=("rekor_v1", "rekor_v2", "ct_log"))
    base = [artifact, "--repo", REPO, "--custom-trusted-root"]
    code, records, err = run([*base, _root_file(tmp_path, "logless.json", logless)])
    assert code == 0 and records[0]["tlog"] is False, err
    code, records, _ = run([*base, _root_file(tmp_path, "full.json", full)])
    assert code == 1 and records[0]["step"] == "tlog"
    code, records, _ = run([*base, _root_file(tmp_path, "ct.json", no_tlog_but_ct)])
    assert code == 1 and records[0]["step"] == "tlog"
    # the CA's own root lists logs; another instance's root is log-less: the bundle cannot borrow it
    code, records, _ = run([*base, _root_file(tmp_path, "mixed.jsonl", full, other_logless)])
    assert code == 1 and records[0]["step"] in ("tlog", "timestamp", "certificate-chain")


def test_log_less_requires_a_timestamp(inst: TestInstance, tmp_path: pathlib.Path) -> None:
    artifact, _ = _logless(inst, tmp_path, timestamp=False)
    logless = inst.trusted_root_json(omit=("rekor_v1", "rekor_v2", "ct_log"))
    code, records, _ = run([artifact, "--repo", REPO, "--custom-trusted-root",
                            _root_file(tmp_path, "logless.json", logless)])
    assert code == 1 and records[0]["step"] == "timestamp" and "RFC 3161" in records[0]["error"]
    no_tsa = inst.trusted_root_json(omit=("rekor_v1", "rekor_v2", "ct_log", "tsa"))
    artifact, _ = _logless(inst, tmp_path)
    code, records, _ = run([artifact, "--repo", REPO, "--custom-trusted-root",
                            _root_file(tmp_path, "notsa.json", no_tsa)])
    assert code == 1 and records[0]["step"] == "timestamp"


@pytest.mark.parametrize("argv,message", [
    (["x.whl"], "give --repo"),
    (["x.whl", "--repo", "a/b", "--owner", "a"], "not both"),
    (["x.whl", "--repo", "a"], "OWNER/REPO"),
    (["x.whl", "--repo", "a/b", "--signer-repo", "c/d", "--cert-identity", "x"], "not allowed with"),
    (["x.whl", "--repo", "a/b", "--signer-workflow", "c/d/release.yml"], "OWNER/REPO/.github/workflows/FILE"),
    (["x.whl", "--repo", "a/b", "--cert-identity-regex", "("], "invalid regular expression"),
    (["x.whl", "y.whl", "--repo", "a/b", "--bundle", "b.json"], "applies to one artifact"),
    (["x.whl", "--repo", "a/b", "--custom-trusted-root", "r.json", "--staging"], "not both"),
])
def test_usage_errors(argv: List[str], message: str) -> None:
    code, _, err = run(argv)
    assert code == 2 and message in err, err


# --- generated attestations: many subjects, runners ------------------------------------------------

@pytest.fixture(scope="module")
def inst() -> TestInstance:
    return TestInstance(seed="github attestations")


@pytest.fixture(scope="module")
def root(inst: TestInstance, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("root") / "trusted_root.json"
    path.write_text(json.dumps(inst.trusted_root_json()))
    return str(path)


def _subjects(*, sha512: bool, hit: Optional[int]) -> Any:
    def statement(artifact: bytes, *, name: str = "artifact", digest: Optional[bytes] = None) -> bytes:
        subjects = []
        for index in range(40):
            data = artifact if index == hit else b"other file %d" % index
            algorithm = "sha512" if sha512 else "sha256"
            subjects.append({"name": f"file-{index}", "digest": {algorithm: hashlib.new(algorithm, data).hexdigest()}})
        return _enc.canonical_json({"_type": "https://in-toto.io/Statement/v1", "subject": subjects,
                                    "predicateType": "https://slsa.dev/provenance/v1", "predicate": {}})
    return statement


def _attestation(inst: TestInstance, directory: pathlib.Path, monkeypatch: pytest.MonkeyPatch, *,
                 sha512: bool = False, hit: Optional[int] = 17, runner: str = "github-hosted") -> Tuple[str, str]:
    claims = dict(github_claims(repository=REPO))
    claims[FULCIO_OID + "11"] = runner
    leaf = LeafSpec(identity=claims[FULCIO_OID + "9"], issuer=GITHUB_ISSUER, claims=tuple(claims.items()))
    monkeypatch.setattr(bundle_module, "statement", _subjects(sha512=sha512, hit=hit))
    generated = inst.sign_dsse(ARTIFACT, leaf=leaf)
    artifact = directory / "tool.tar.gz"
    artifact.write_bytes(ARTIFACT)
    bundle = directory / "tool.tar.gz.sigstore.json"
    bundle.write_text(generated.json())
    return str(artifact), str(bundle)


@pytest.mark.parametrize("sha512", [False, True])
def test_one_of_many_subjects_names_the_artifact(inst: TestInstance, root: str, tmp_path: pathlib.Path,
                                                 monkeypatch: pytest.MonkeyPatch, sha512: bool) -> None:
    artifact, _ = _attestation(inst, tmp_path, monkeypatch, sha512=sha512)
    code, records, err = run([artifact, "--repo", REPO, "--trust-root", root])
    assert code == 0 and records[0]["digest"].startswith("sha512:" if sha512 else "sha256:"), err
    artifact, _ = _attestation(inst, tmp_path, monkeypatch, sha512=sha512, hit=None)
    code, records, _ = run([artifact, "--repo", REPO, "--trust-root", root])
    assert code == 1 and records[0]["step"] == "signature" and "40 subject(s)" in records[0]["error"]


def test_deny_self_hosted_runners(inst: TestInstance, root: str, tmp_path: pathlib.Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    artifact, _ = _attestation(inst, tmp_path, monkeypatch, runner="self-hosted")
    code, _, err = run([artifact, "--repo", REPO, "--trust-root", root])
    assert code == 0, err
    code, records, _ = run([artifact, "--repo", REPO, "--trust-root", root, "--deny-self-hosted-runners"])
    assert code == 1 and records[0]["step"] == "identity" and "Runner Environment (1.11)" in records[0]["error"]


def test_a_message_signature_is_not_an_attestation(inst: TestInstance, root: str, tmp_path: pathlib.Path) -> None:
    claims = github_claims(repository=REPO)
    leaf = LeafSpec(identity=dict(claims)[FULCIO_OID + "9"], issuer=GITHUB_ISSUER, claims=claims)
    (tmp_path / "t.tar.gz").write_bytes(ARTIFACT)
    (tmp_path / "t.tar.gz.sigstore.json").write_text(inst.sign_artifact(ARTIFACT, leaf=leaf).json())
    code, records, _ = run([str(tmp_path / "t.tar.gz"), "--repo", REPO, "--trust-root", root])
    assert code == 1 and records[0]["step"] == "predicate"


def test_every_option_is_in_the_man_page() -> None:
    import re

    from helpers import REPO as CHECKOUT
    from sigstore_offline.cli.github import build_parser

    page = (CHECKOUT / "man" / "verify-offline-github.1").read_text()
    documented = set(re.findall(r"Fl (-?[\w-]+)", page))
    options = {opt.lstrip("-") for action in build_parser()._actions for opt in action.option_strings}
    missing = {opt for opt in options if opt not in {d.lstrip("-") for d in documented}} - {"h", "help"}
    assert not missing, f"options missing from man/verify-offline-github.1: {sorted(missing)}"


def test_verify_without_logs_refuses_a_root_with_logs(inst: TestInstance, tmp_path: pathlib.Path) -> None:
    from sigstore_offline.cosign import parse_any_bundle
    from sigstore_offline.errors import VerificationError
    from sigstore_offline.github import attestation_policy
    from sigstore_offline.trust.trusted_root import parse_trusted_root
    from sigstore_offline.verify.pipeline import Artifact, verify_without_logs

    _, bundle_path = _logless(inst, tmp_path)
    bundle = parse_any_bundle(pathlib.Path(bundle_path).read_bytes())
    policy = attestation_policy(repository=REPO)
    artifact = Artifact("private.tar.gz", hashlib.sha256(ARTIFACT).digest())
    for omit in ((), ("rekor_v1", "rekor_v2"), ("ct_log",)):
        root = parse_trusted_root(json.dumps(inst.trusted_root_json(omit=omit)).encode(), allow_no_logs=True)
        with pytest.raises(VerificationError) as caught:
            verify_without_logs(bundle, artifact=artifact, trusted_root=root, policy=policy)
        assert caught.value.step == "tlog"
    root = parse_trusted_root(json.dumps(inst.trusted_root_json(omit=("rekor_v1", "rekor_v2", "ct_log"))).encode(),
                              allow_no_logs=True)
    assert verify_without_logs(bundle, artifact=artifact, trusted_root=root, policy=policy).log_url == ""


def test_gh_download_file_name_is_found_beside_the_file(vectors: pathlib.Path, tmp_path: pathlib.Path) -> None:
    data = (vectors / "reusable-workflow-artifact").read_bytes()
    artifact = tmp_path / "demo.whl"
    artifact.write_bytes(data)
    argv = [str(artifact), *REUSABLE, "--signer-repo", ATTEST_REPO]
    code, records, _ = run(argv)
    assert code == 4 and records[0]["step"] == "bundle" and "sha256:" in records[0]["error"]
    line = json.dumps(json.loads((vectors / "reusable-workflow-attestation.sigstore.json").read_text()))
    (tmp_path / f"sha256:{hashlib.sha256(data).hexdigest()}.jsonl").write_text(line + "\n")
    code, records, err = run(argv)
    assert code == 0 and records[0]["bundle"].endswith(".jsonl:1"), err
