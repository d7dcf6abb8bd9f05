# SPDX-License-Identifier: Apache-2.0
"""Upstream policies (``--policy``, sigstore-offline-policy(5)): the shipped ``cpython`` policy over
every real CPython bundle, the file names it must place or refuse, and user policy files."""

from __future__ import annotations

import json
import pathlib
from typing import Any, Dict, List

import pytest

from helpers import CPYTHON, need_shared, run_cli, run_json
from sigstore_offline.errors import UsageError, VerificationError
from sigstore_offline.policy import CertificateIdentity
from sigstore_offline.upstream import SHIPPED, load_policy

GITHUB = "https://github.com/login/oauth"
GOOGLE = "https://accounts.google.com"
# python.org's table of release managers, written out independently of the shipped file.
TABLE = {
    "3.7": ("nad@python.org", GITHUB), "3.8": ("lukasz@langa.pl", GITHUB), "3.9": ("lukasz@langa.pl", GITHUB),
    "3.10": ("pablogsal@python.org", GOOGLE), "3.11": ("pablogsal@python.org", GOOGLE),
    "3.12": ("thomas@python.org", GOOGLE), "3.13": ("thomas@python.org", GOOGLE),
    "3.14": ("hugo@python.org", GITHUB), "3.15": ("hugo@python.org", GITHUB),
}


def _manifest() -> List[Dict[str, Any]]:
    return json.loads((need_shared(CPYTHON) / "manifest.json").read_text())


def _entry(artifact: str) -> Dict[str, Any]:
    return next(e for e in _manifest() if e["artifact"] == artifact)


def _argv(entry: Dict[str, Any], name: str, policy: str = "cpython") -> List[str]:
    return ["--policy", policy, "--name", name, "--bundle", str(CPYTHON / entry["bundle"]), entry["digest"]]


def test_every_cpython_bundle_verifies_with_the_cpython_policy() -> None:
    """The 353 real CPython bundles, by digest with their file names: each one passes and names the
    release manager python.org lists for its series."""
    entries = _manifest()
    assert len(entries) == 353
    wrong = []
    for entry in entries:
        code, records, err = run_json(_argv(entry, entry["artifact"]))
        series = ".".join(entry["version"].split(".")[:2])
        expected = TABLE[series]
        if code != 0 or (records[0]["identity"], records[0]["issuer"]) != expected:
            wrong.append(f"{entry['artifact']}: exit {code} {err.strip()[:160]}")
        if records and records[0]["artifact"] != entry["artifact"]:
            wrong.append(f"{entry['artifact']}: reported as {records[0]['artifact']}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name,key", [
    ("Python-3.13.0.tgz", "3.13"), ("Python-3.14.0a5.tar.xz", "3.14"), ("Python-3.12.0rc3.tgz", "3.12"),
    ("python-3.13.0-amd64.exe", "3.13"), ("python-3.13.0-embed-win32.zip", "3.13"),
    ("python-3.13.0-macos11.pkg", "3.13"), ("python-3.10.0b1.exe", "3.10"), ("Python-3.7.9.tgz", "3.7"),
])
def test_cpython_file_names_pick_their_series(name: str, key: str) -> None:
    chosen = load_policy("cpython").for_artifact(name)
    identity, issuer = TABLE[key]
    assert [(s.san, s.issuer) for s in chosen.signers] == [(identity, issuer)]
    assert chosen.context == f"policy cpython for {key}"


@pytest.mark.parametrize("name", ["Python-3.6.15.tgz", "Python-4.0.0.tgz", "Python-2.7.18.tgz"])
def test_an_unknown_series_fails_clearly(name: str) -> None:
    with pytest.raises(VerificationError) as caught:
        load_policy("cpython").for_artifact(name)
    assert caught.value.step == "policy" and "it knows 3.7 to 3.15" in caught.value.message


@pytest.mark.parametrize("name", ["foo.tar.gz", "Python-3.13.tgz", "Python-3.13.0.tgz.sigstore", "Python-3.13.0.zip",
                                  "python-3.13.0 .exe", "Python-3.13.0.TGZ", ""])
def test_a_file_name_the_policy_does_not_cover_fails(name: str) -> None:
    with pytest.raises(VerificationError) as caught:
        load_policy("cpython").for_artifact(name)
    assert caught.value.step == "policy" and "does not cover" in caught.value.message


def test_a_bundle_under_another_series_name_fails_at_identity() -> None:
    """The 3.13 bundle presented as a 3.14 file: the signer is thomas@, the policy wants hugo@."""
    code, records, _ = run_json(_argv(_entry("Python-3.13.0.tgz"), "Python-3.14.0.tgz"))
    assert code == 1 and records[0]["step"] == "identity"
    assert "hugo@python.org" in records[0]["error"]


def test_unknown_series_through_the_cli_is_step_policy() -> None:
    code, records, _ = run_json(_argv(_entry("Python-3.13.0.tgz"), "Python-3.6.0.tgz"))
    assert code == 1 and records[0]["step"] == "policy"


def test_the_file_name_of_a_file_target_picks_the_signer(tmp_path: pathlib.Path) -> None:
    """Without --name, a file's own base name is used; the digest check still applies (wrong content)."""
    entry = _entry("Python-3.13.0.tgz")
    target = tmp_path / "Python-3.13.0.tgz"
    target.write_bytes(b"not the release\n")
    code, records, _ = run_json(["--policy", "cpython", "--bundle", str(CPYTHON / entry["bundle"]), str(target)])
    assert code == 1 and records[0]["step"] == "signature"
    renamed = tmp_path / "download"
    renamed.write_bytes(b"x")
    code, records, _ = run_json(["--policy", "cpython", "--bundle", str(CPYTHON / entry["bundle"]), str(renamed)])
    assert code == 1 and records[0]["step"] == "policy"


@pytest.mark.parametrize("argv,message", [
    (["--policy", "cpython", "--bundle", "b", "sha256:" + "a" * 64], "give --name"),
    (["--policy", "cpython", "--cert-identity", "x", "--name", "Python-3.13.0.tgz", "--bundle", "b",
      "sha256:" + "a" * 64], "do not combine"),
    (["--policy", "cpython", "--key", "k.pem", "a"], "do not combine"),
    (["--policy", "no-such-policy", "a"], "no shipped policy"),
    (["--policy", "./missing.json", "a"], "does not exist"),
    (["--policy", "cpython", "--name", "Python-3.13.0.tgz", "a", "b"], "--name applies to one artifact"),
])
def test_usage_errors(argv: List[str], message: str) -> None:
    code, out, err = run_cli(argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and out == ""


POLICY = {
    "format": "sigstore-offline-policy/1",
    "name": "example",
    "description": "example releases",
    "artifacts": ["example-(?P<key>[0-9]+)\\.[0-9]+\\.tar\\.gz"],
    "signers": {"1": [{"identity": "someone@example.test", "issuer": "https://accounts.example.test"},
                      {"identity_regexp": "https://github\\.com/example/example/.+", "issuer": "https://token.example"}]},
}


def _write(tmp_path: pathlib.Path, document: Any) -> str:
    path = tmp_path / "policy.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def test_a_user_policy_file_accepts_any_listed_signer(tmp_path: pathlib.Path) -> None:
    policy = load_policy(_write(tmp_path, POLICY)).for_artifact("example-1.2.tar.gz")
    policy.check(CertificateIdentity(("someone@example.test",), "https://accounts.example.test"))
    policy.check(CertificateIdentity(("https://github.com/example/example/x.yml@refs/tags/v1",), "https://token.example"))
    for found in (CertificateIdentity(("someone@example.test",), "https://token.example"),
                  CertificateIdentity(("https://github.com/example/example",), "https://token.example"),
                  CertificateIdentity(("other@example.test",), "https://accounts.example.test")):
        with pytest.raises(VerificationError) as caught:
            policy.check(found)
        assert caught.value.step == "identity"
    with pytest.raises(VerificationError):
        load_policy(_write(tmp_path, POLICY)).for_artifact("example-2.0.tar.gz")


def test_a_user_policy_file_through_the_cli(tmp_path: pathlib.Path) -> None:
    entry = _entry("Python-3.13.0.tgz")
    mine = dict(POLICY, artifacts=["Python-(?P<key>[0-9]+\\.[0-9]+)\\.[0-9]+\\.tgz"],
                signers={"3.13": [{"identity": "thomas@python.org", "issuer": GOOGLE}]})
    code, records, _ = run_json(_argv(entry, "Python-3.13.0.tgz", _write(tmp_path, mine)))
    assert code == 0 and records[0]["identity"] == "thomas@python.org"
    mine["signers"] = {"3.13": [{"identity": "thomas@python.org", "issuer": GITHUB}]}
    code, records, _ = run_json(_argv(entry, "Python-3.13.0.tgz", _write(tmp_path, mine)))
    assert code == 1 and records[0]["step"] == "identity"


BROKEN = {
    "not JSON": "{",
    "duplicate key": '{"format": "sigstore-offline-policy/1", "format": "x"}',
    "a list": [],
    "unknown format": dict(POLICY, format="sigstore-offline-policy/2"),
    "unknown field": dict(POLICY, signer={}),
    "missing artifacts": {k: v for k, v in POLICY.items() if k != "artifacts"},
    "empty artifacts": dict(POLICY, artifacts=[]),
    "bad regex": dict(POLICY, artifacts=["("]),
    "regex without key group": dict(POLICY, artifacts=["example-[0-9]+\\.tar\\.gz"]),
    "artifacts not strings": dict(POLICY, artifacts=[1]),
    "empty signers": dict(POLICY, signers={}),
    "empty signer list": dict(POLICY, signers={"1": []}),
    "signer without issuer": dict(POLICY, signers={"1": [{"identity": "a@b"}]}),
    "signer with both identity forms": dict(POLICY, signers={"1": [{"identity": "a", "identity_regexp": "a",
                                                                   "issuer": "i"}]}),
    "signer unknown field": dict(POLICY, signers={"1": [{"identity": "a", "issuer": "i", "issuers": "j"}]}),
    "signer bad regex": dict(POLICY, signers={"1": [{"identity_regexp": "(", "issuer": "i"}]}),
    "bad name": dict(POLICY, name="Bad Name"),
    "identity not a string": dict(POLICY, signers={"1": [{"identity": 5, "issuer": "i"}]}),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_malformed_policy_file_is_a_usage_error(case: str, tmp_path: pathlib.Path) -> None:
    path = _write(tmp_path, BROKEN[case])
    with pytest.raises(UsageError) as caught:
        load_policy(path)
    assert caught.value.step == "policy" and str(path) in caught.value.message
    code, out, err = run_cli(["--policy", path, "--name", "example-1.0.tar.gz", "--bundle", "b", "sha256:" + "a" * 64])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_huge_policy_file_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "huge.json"
    path.write_bytes(b" " * (1024 * 1024 + 1))
    with pytest.raises(UsageError) as caught:
        load_policy(str(path))
    assert "larger than" in caught.value.message


def test_shipped_policies_parse_and_are_named_after_their_file() -> None:
    names = sorted(p.stem for p in SHIPPED.glob("*.json"))
    assert "cpython" in names
    for name in names:
        assert load_policy(name).name == name


def test_the_man_page_example_is_a_valid_policy(tmp_path: pathlib.Path) -> None:
    """man/sigstore-offline-policy.5 shows a policy file; it must parse and place its own example name."""
    from helpers import REPO

    page = (REPO / "man" / "sigstore-offline-policy.5").read_text()
    start = page.index(".Bd -literal -offset indent\n{") + len(".Bd -literal -offset indent\n")
    example = page[start:page.index(".Ed", start)].replace("\\e", "\\")
    policy = load_policy(_write(tmp_path, example))
    assert [s.san for s in policy.for_artifact("example-1.4.2.tar.gz").signers] == ["maintainer@example.org"]
    chosen = policy.for_artifact("example-2.1.0.tar.gz")
    chosen.check(CertificateIdentity(
        ("https://github.com/example/example/.github/workflows/release.yml@refs/tags/v2.1.0",),
        "https://token.actions.githubusercontent.com"))
    with pytest.raises(VerificationError):
        chosen.check(CertificateIdentity(
            ("https://github.com/example/example/.github/workflows/release.yml@refs/tags/v3.0.0",),
            "https://token.actions.githubusercontent.com"))
