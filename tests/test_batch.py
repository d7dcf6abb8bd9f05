# SPDX-License-Identifier: Apache-2.0
"""Batch verification (``verify-offline --manifest``, sigstore-offline-manifest(5)): the 353 real
CPython bundles in one run, mixed verdicts in order, malformed manifests, progress on a tty only."""

from __future__ import annotations

import json
import os
import pathlib
import pty
import subprocess
import sys
from typing import Any, Dict, List

import pytest

from helpers import CPYTHON, need_shared, package_path, run_cli

GOOGLE = "https://accounts.google.com"


def _manifest() -> List[Dict[str, Any]]:
    return json.loads((need_shared(CPYTHON) / "manifest.json").read_text())


def test_all_cpython_bundles_in_one_manifest_run() -> None:
    """The vectors' own manifest.json is a valid manifest: 353 entries, each verified by digest
    with its identity, reported in manifest order, and a summary."""
    entries = _manifest()
    manifest = str(CPYTHON / "manifest.json")
    code, out, err = run_cli(["--json", "--jobs", "2", "--manifest", manifest])
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == len(entries) + 1
    for index, (entry, record) in enumerate(zip(entries, records)):
        assert record["entry"] == index and record["verified"] is True
        assert record["artifact"] == entry["artifact"]
        assert record["digest"] == entry["digest"] and record["identity"] == entry["identity"]
        assert record["issuer"] == entry["issuer"]
    assert records[-1]["summary"]["verified"] == 353 and records[-1]["summary"]["failed"] == 0
    code, out, err = run_cli(["--manifest", manifest])
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 354 and all(line.startswith("OK: ") for line in lines[:-1])
    assert lines[-1] == f"353 verified, 0 failed, 353 in total ({manifest})"


def _mixed(tmp_path: pathlib.Path) -> pathlib.Path:
    good = [e for e in _manifest() if e["artifact"].startswith("Python-3.13.")][:3]
    bundle = lambda e: str(CPYTHON / e["bundle"])  # noqa: E731
    lines = [
        {"artifact": good[0]["artifact"], "digest": good[0]["digest"], "bundle": bundle(good[0]),
         "identity": good[0]["identity"], "issuer": good[0]["issuer"]},
        {"artifact": good[1]["artifact"], "digest": good[1]["digest"], "bundle": bundle(good[1]),
         "identity": "someone@example.org", "issuer": GOOGLE},  # wrong signer
        {"artifact": good[2]["artifact"], "digest": "sha256:" + "0" * 64, "bundle": bundle(good[2]),
         "policy": "cpython"},  # wrong digest
        {"artifact": "Python-3.13.9.tgz", "digest": good[0]["digest"], "bundle": "missing.sigstore",
         "policy": "cpython"},  # no such bundle: exit 4
        {"artifact": good[2]["artifact"], "digest": good[2]["digest"], "bundle": bundle(good[2]),
         "policy": "cpython"},
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    return path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_mixed_verdicts_in_order_and_the_largest_exit_code(tmp_path: pathlib.Path, jobs: str) -> None:
    path = _mixed(tmp_path)
    code, out, err = run_cli(["--json", "--jobs", jobs, "--manifest", str(path)])
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 4
    assert [(r["entry"], r["verified"], r.get("step")) for r in records[:-1]] == [
        (0, True, None), (1, False, "identity"), (2, False, "signature"), (3, False, "bundle"), (4, True, None)]
    assert records[-1]["summary"] == {**records[-1]["summary"], "verified": 2, "failed": 3, "exit_code": 4}
    assert err.count("FAIL: ") == 3
    code, out, err = run_cli(["--jobs", jobs, "--manifest", str(path)])
    assert code == 4 and out.count("OK: ") == 2
    assert err.splitlines()[-1].startswith("2 verified, 3 failed, 5 in total")


def test_command_line_signer_is_the_default(tmp_path: pathlib.Path) -> None:
    """Entries without a signer take --policy (or --cert-*) from the command line; entries with one keep it."""
    entries = [e for e in _manifest() if e["artifact"].startswith("Python-3.12.")][:4]
    path = tmp_path / "m.json"
    path.write_text(json.dumps([{"artifact": e["artifact"], "digest": e["digest"], "bundle": str(CPYTHON / e["bundle"])}
                                for e in entries]))
    assert run_cli(["-q", "--policy", "cpython", "--manifest", str(path)])[0] == 0
    assert run_cli(["-q", "--cert-identity", "thomas@python.org", "--cert-oidc-issuer", GOOGLE,
                    "--manifest", str(path)])[0] == 0
    code, _, err = run_cli(["-q", "--cert-identity", "hugo@python.org", "--cert-oidc-issuer", GOOGLE,
                            "--manifest", str(path)])
    assert code == 1 and err.count("identity:") == 4
    code, _, err = run_cli(["--manifest", str(path)])  # no signer anywhere: refused before verifying
    assert code == 4 and "entry 0: no signer" in err


BROKEN = {
    "not JSON": ("[", "malformed JSON"),
    "bad JSON line": ('{"artifact": "a", "policy": "cpython"}\n{', "line 2"),
    "an object without artifact": ('{"entries": []}', "entry 0: missing required field"),
    "empty array": ("[]", "lists no entries"),
    "empty file": ("", "lists no entries"),
    "entry not an object": ("[1]", "entry 0: expected an object"),
    "artifact missing": ('[{"bundle": "b", "policy": "cpython"}]', "entry 0: missing required field 'artifact'"),
    "artifact not a string": ('[{"artifact": 5, "policy": "cpython"}]', "entry 0.artifact: expected a string"),
    "bad digest": ('[{"artifact": "a", "digest": "sha256:XYZ", "bundle": "b", "policy": "cpython"}]', "entry 0.digest"),
    "digest without bundle": ('[{"artifact": "a", "digest": "sha256:' + "0" * 64 + '", "policy": "cpython"}]',
                              "needs a 'bundle'"),
    "two signers": ('[{"artifact": "a", "identity": "i", "issuer": "o", "policy": "cpython"}]', "give one signer"),
    "identity without issuer": ('[{"artifact": "a", "identity": "i"}]', "go together"),
    "bad regex": ('[{"artifact": "a", "identity_regexp": "(", "issuer": "o"}]', "invalid regular expression"),
    "duplicate key": ('[{"artifact": "a", "artifact": "b", "policy": "cpython"}]', "duplicate JSON key"),
    "second entry bad": ('[{"artifact": "a", "policy": "cpython"}, {"artifact": "b", "policy": 3}]', "entry 1.policy"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_malformed_manifest_verifies_nothing(case: str, tmp_path: pathlib.Path) -> None:
    text, message = BROKEN[case]
    path = tmp_path / "manifest.json"
    path.write_text(text)
    code, out, err = run_cli(["--manifest", str(path)])
    assert code == 4 and out == "" and message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_and_huge_manifests(tmp_path: pathlib.Path) -> None:
    code, _, err = run_cli(["--manifest", str(tmp_path / "nope.json")])
    assert code == 4 and "does not exist" in err
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as handle:
        handle.truncate(64 * 1024 * 1024 + 1)
    code, _, err = run_cli(["--manifest", str(huge)])
    assert code == 4 and "larger than" in err


@pytest.mark.parametrize("argv,message", [
    (["--manifest", "m.json", "a.tgz"], "give no ARTIFACT"),
    (["--manifest", "m.json", "--bundle", "b"], "give no ARTIFACT"),
    (["--manifest", "m.json", "--jobs", "0"], "--jobs must be between 1 and 64"),
        (["--manifest", "m.json", "--jobs", "65"], "--jobs must be between 1 and 64"),
    (["--jobs", "2", "a.tgz"], "--jobs applies to --manifest only"),
    ([], "or --manifest FILE"),
])
def test_usage_errors(argv: List[str], message: str) -> None:
    code, out, err = run_cli(argv)
    assert code == 2 and message in err and out == ""


def _subprocess_run(manifest: pathlib.Path, *, tty: bool) -> str:
    """Run verify-offline --manifest with stderr on a pseudo-terminal (tty) or a pipe; return stderr."""
    argv = [sys.executable, "-m", "sigstore_offline", "--jobs", "2", "--manifest", str(manifest)]
    env = {**os.environ, "PYTHONPATH": package_path()}
    if not tty:
        return subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert process.wait() == 0
    return b"".join(chunks).decode()


def test_progress_only_on_a_terminal(tmp_path: pathlib.Path) -> None:
    entries = _manifest()[:40]
    path = tmp_path / "m.json"
    path.write_text(json.dumps([{**e, "bundle": str(CPYTHON / e["bundle"])} for e in entries]))
    assert _subprocess_run(path, tty=False) == ""
    shown = _subprocess_run(path, tty=True)
    assert "[40/40] 0 failed" in shown and "\r" in shown
