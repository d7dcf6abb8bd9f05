# SPDX-License-Identifier: Apache-2.0
"""``sigstoreverify``: the gpgverify-compatible front end (src/sigstore_offline/cli/sigstoreverify.py).

In-process through ``main(argv)``; the real material is the conformance suite's ``a.txt`` with its
production bundle (happy-path-v0.3) read in place from ../shared, and its managed-key case.
One subprocess run under ``unshare -n`` with no usable ``HOME`` checks the sandbox promise.
"""

from __future__ import annotations

import io
import pathlib
import re
import subprocess
import sys
from typing import List, Tuple

import pytest

from helpers import CONFORMANCE, GITHUB_ISSUER, REPO, SHIPPED, need_no_network, need_shared, package_path
from sigstore_offline.cli import sigstoreverify
from sigstore_offline.errors import UsageError

BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
HUGO = "hugo@python.org https://github.com/login/oauth"


def run(argv: List[str]) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = sigstoreverify.main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def signers(tmp_path: pathlib.Path, text: str) -> str:
    path = tmp_path / "signers"
    path.write_text(text)
    return str(path)


@pytest.fixture
def material() -> Tuple[str, str]:
    need_shared(CONFORMANCE)
    return str(CONFORMANCE / "happy-path-v0.3" / "bundle.sigstore.json"), str(CONFORMANCE / "a.txt")


# --- the signers file (sigstore-signers(5)) ----------------------------------------------------

def test_signers_file_comments_blank_lines_and_pairs() -> None:
    parsed = sigstoreverify.parse_signers(
        f"# CPython 3.14\n\n   # indented comment\n{HUGO}\n  {BEACON}\t{GITHUB_ISSUER}  \r\n", source="S"
    )
    assert [(s.identity, s.issuer, s.line) for s in parsed] == [
        ("hugo@python.org", "https://github.com/login/oauth", 4), (BEACON, GITHUB_ISSUER, 5)
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "S: lists no signer"),
        ("# only a comment\n", "S: lists no signer"),
        ("hugo@python.org\n", "S:1: expected 'IDENTITY ISSUER' (two fields), found 1"),
        (f"{HUGO} extra\n", "S:1: expected 'IDENTITY ISSUER' (two fields), found 3"),
        (f"{HUGO} # release manager\n", "comments must be on lines of their own"),
        ("regexp:.*@python.org https://github.com/login/oauth\n", "S:1: regular expressions are not supported"),
        ("hugo https://github.com/login/oauth\n", "S:1: identity 'hugo' is neither an e-mail address nor a URI"),
        ("hugo@python.org http://github.com/login/oauth\n", "S:1: OIDC issuer 'http://github.com/login/oauth' is not"),
        (f"\n{HUGO}\n{HUGO}\n", "S:3: duplicate of line 2"),
    ],
)
def test_signers_file_is_strict(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        sigstoreverify.parse_signers(text, source="S")
    assert message in caught.value.message


def test_signers_file_is_bounded() -> None:
    text = "".join(f"user{i}@example.org https://accounts.google.com\n" for i in range(sigstoreverify.MAX_SIGNERS + 1))
    with pytest.raises(UsageError, match="more than"):
        sigstoreverify.parse_signers(text, source="S")


def test_unreadable_signers_file_is_a_usage_error(tmp_path: pathlib.Path) -> None:
    code, _, err = run([f"--keyring={tmp_path}/none", "--signature=b", "--data=d"])
    assert code == 2 and err == f"sigstoreverify: error: signers file {tmp_path}/none does not exist\n"
    (tmp_path / "latin1").write_bytes(b"h\xe9@python.org https://github.com/login/oauth\n")
    code, _, err = run([f"--keyring={tmp_path}/latin1", "--signature=b", "--data=d"])
    assert code == 2 and "is not UTF-8 text" in err


# --- the command line: gpgverify's ----------------------------------------------------------

@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "--keyring, --signature, --data missing"),
        (["--keyring=k", "--signature=s"], "--data missing"),
        (["--keyring=k", "--signature=s", "--data=d", "extra"], "unrecognized arguments: extra"),
        (["--key=k", "--signature=s", "--data=d"], "unrecognized arguments: --key=k"),
        (["--keyring=k", "--signature=s", "--data=d", "--data=e"], "--data given twice"),
        (["-k2", "-s1", "-d0"], "unrecognized arguments"),
        (["--keyring=k", "--policy=cpython", "--signature=s", "--data=d"], "--keyring or --policy, not both"),
        (["--policy=cpython", "--data=d"], "--signature missing"),
        (["--policy=no-such-policy", "--signature=s", "--data=d"], "no shipped policy"),
    ],
)
def test_usage_errors_exit_2(argv: List[str], message: str) -> None:
    code, out, err = run(argv)
    assert code == 2 and out == ""
    assert err.startswith("sigstoreverify: error: ") and message in err, err


def test_help_and_version() -> None:
    assert run(["--help"])[0] == 0
    assert run(["--version"])[0] == 0


def test_good_file_both_option_spellings(tmp_path: pathlib.Path, material: Tuple[str, str]) -> None:
    bundle, data = material
    keyring = signers(tmp_path, f"{HUGO}\n{BEACON} {GITHUB_ISSUER}\n")  # any listed pair will do
    for argv in ([f"--keyring={keyring}", f"--signature={bundle}", f"--data={data}"],
                 ["--data", data, "--keyring", keyring, "--signature", bundle]):
        code, out, err = run(argv)
        assert (code, err) == (0, "")
        assert re.fullmatch(
            rf"sigstoreverify: OK: {re.escape(data)} signed by {re.escape(BEACON)} \({re.escape(GITHUB_ISSUER)}\),"
            r" rekor\.sigstore\.dev #79571823, 2024-03-19T17:26:26Z\n", out), out
    assert run([f"--keyring={keyring}", f"--signature={bundle}", f"--data={data}", "--quiet"]) == (0, "", "")


def test_explicit_trust_root(tmp_path: pathlib.Path, material: Tuple[str, str]) -> None:
    bundle, data = material
    keyring = signers(tmp_path, f"{BEACON} {GITHUB_ISSUER}\n")
    code, _, err = run([f"--keyring={keyring}", f"--signature={bundle}", f"--data={data}", "-q",
                        f"--trust-root={SHIPPED / 'sigstore'}"])
    assert (code, err) == (0, "")
    code, _, err = run([f"--keyring={keyring}", f"--signature={bundle}", f"--data={data}",
                        f"--trust-root={SHIPPED / 'sigstage'}"])
    assert code == 1 and err.startswith(f"sigstoreverify: FAIL: {data}: ") and "tlog" in err, err
    code, _, err = run([f"--keyring={keyring}", f"--signature={bundle}", f"--data={data}",
                        f"--trust-root={tmp_path}/none.json"])
    assert code == 1
    assert f"FAIL: {data}: cannot be verified, the trust root is unusable: trust-root: trust root {tmp_path}/none.json" in err


def test_signer_not_listed_fails(tmp_path: pathlib.Path, material: Tuple[str, str]) -> None:
    bundle, data = material
    keyring = signers(tmp_path, f"{HUGO}\n{BEACON} https://accounts.google.com\n")
    code, out, err = run([f"--keyring={keyring}", f"--signature={bundle}", f"--data={data}"])
    assert code == 1 and out == ""
    assert err == (f"sigstoreverify: FAIL: {data}: identity: signed by {BEACON} ({GITHUB_ISSUER}), which is not one"
                   f" of the 2 signer(s) listed in {keyring}\n")


def test_tampered_file_fails(tmp_path: pathlib.Path, material: Tuple[str, str]) -> None:
    bundle, data = material
    tampered = tmp_path / "a.txt"
    tampered.write_bytes(pathlib.Path(data).read_bytes().replace(b"DO NOT MODIFY", b"DO NOT MODIFx"))
    code, _, err = run([f"--keyring={signers(tmp_path, f'{BEACON} {GITHUB_ISSUER}')}", f"--signature={bundle}",
                        f"--data={tampered}"])
    assert code == 1 and err.startswith(f"sigstoreverify: FAIL: {tampered}: signature: artifact digest sha256:"), err


def test_missing_and_malformed_inputs_fail_with_1(tmp_path: pathlib.Path, material: Tuple[str, str]) -> None:
    bundle, data = material
    keyring = signers(tmp_path, f"{BEACON} {GITHUB_ISSUER}\n")
    code, _, err = run([f"--keyring={keyring}", f"--signature={tmp_path}/a.txt.sigstore", f"--data={data}"])
    assert code == 1
    assert err == f"sigstoreverify: FAIL: {data}: cannot be verified: bundle: bundle {tmp_path}/a.txt.sigstore does not exist\n"
    code, _, err = run([f"--keyring={keyring}", f"--signature={bundle}", f"--data={tmp_path}/gone.tar.xz"])
    assert code == 1 and f"cannot be verified: artifact: artifact {tmp_path}/gone.tar.xz does not exist" in err
    garbage = tmp_path / "garbage.sigstore"
    garbage.write_text("{not json")
    code, _, err = run([f"--keyring={keyring}", f"--signature={garbage}", f"--data={data}"])
    assert code == 1 and f"sigstoreverify: FAIL: {data}: cannot be verified: bundle: " in err


def test_managed_key_bundle_is_not_an_identity(tmp_path: pathlib.Path) -> None:
    case = need_shared(CONFORMANCE / "managed-key-happy-path")
    code, _, err = run([f"--keyring={signers(tmp_path, HUGO)}", f"--signature={case / 'bundle.sigstore.json'}",
                        f"--data={CONFORMANCE / 'a.txt'}"])
    assert code == 1 and "signed with a managed key, not a Sigstore identity" in err


def test_an_internal_error_is_a_failure_not_a_pass(tmp_path: pathlib.Path, material: Tuple[str, str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("boom")

    from sigstore_offline.verify import pipeline

    monkeypatch.setattr(pipeline, "verify", broken)
    bundle, data = material
    code, out, err = run([f"--keyring={signers(tmp_path, f'{BEACON} {GITHUB_ISSUER}')}", f"--signature={bundle}",
                          f"--data={data}"])
    assert code == 1 and out == ""
    assert "internal error (KeyError: 'boom'); this is a bug in sigstore-offline, please report it" in err


def test_runs_without_network_or_home(tmp_path: pathlib.Path, material: Tuple[str, str]) -> None:
    """python -m sigstore_offline.cli.sigstoreverify in a network namespace, HOME unusable, no network module.

    (``socket`` itself is loaded by email.utils, which cryptography.x509 imports; see test_sandbox.py.)"""
    prefix = need_no_network()
    bundle, data = material
    keyring = signers(tmp_path, f"{BEACON} {GITHUB_ISSUER}\n")
    probe = (
        "import sys\n"
        "from sigstore_offline.cli.sigstoreverify import main\n"
        f"code = main(['--keyring={keyring}', '--signature={bundle}', '--data={data}'])\n"
        "loaded = sorted(m for m in ('ssl', 'urllib.request', 'http.client', 'requests', 'urllib3', 'tuf',"
        " 'securesystemslib') if m in sys.modules)\n"
        "print('net-modules', loaded)\n"
        "sys.exit(code)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "no-such-home"), "PYTHONPATH": package_path()}
    result = subprocess.run([*prefix, sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "sigstoreverify: OK:" in result.stdout and "net-modules []" in result.stdout
    module = subprocess.run([*prefix, sys.executable, "-m", "sigstore_offline.cli.sigstoreverify",
                             f"--keyring={keyring}", f"--signature={bundle}", f"--data={data}", "-q"],
                            env=env, capture_output=True, text=True)
    assert (module.returncode, module.stdout, module.stderr) == (0, "", "")


# --- the man page must not drift -------------------------------------------------------------

def test_every_option_and_exit_status_is_in_the_man_page() -> None:
    page = (REPO / "man" / "sigstoreverify.1").read_text()
    documented = set(re.findall(r"Fl (-?[\w-]+)", page))
    options = {opt for action in sigstoreverify.build_parser()._actions for opt in action.option_strings}
    missing = {opt for opt in options if opt.lstrip("-") not in {d.lstrip("-") for d in documented}}
    assert not missing, f"options missing from man/sigstoreverify.1: {sorted(missing)}"
    for code in range(3):
        assert re.search(rf"^\.It {code}$", page, re.M), f"exit status {code} is not documented"
    for flag in ("k", "s", "d"):  # the macro's short options
        assert f".It Fl {flag} Ar N" in page


# --- --policy instead of a signers file (sigstore-offline-policy(5)) ----------------------------

def _policy_file(tmp_path: pathlib.Path, identity: str) -> str:
    import json

    path = tmp_path / "policy.json"
    path.write_text(json.dumps({
        "format": "sigstore-offline-policy/1", "name": "conformance", "description": "the conformance a.txt",
        "artifacts": ["(?P<key>a)\\.txt"], "signers": {"a": [{"identity": identity, "issuer": GITHUB_ISSUER}]}}))
    return str(path)


def test_policy_picks_the_signer_from_the_data_file_name(tmp_path: pathlib.Path, material: Tuple[str, str]) -> None:
    bundle, data = material
    code, out, err = run([f"--policy={_policy_file(tmp_path, BEACON)}", f"--signature={bundle}", f"--data={data}"])
    assert (code, err) == (0, "") and f"signed by {BEACON}" in out
    code, out, err = run([f"--policy={_policy_file(tmp_path, 'someone@example.org')}", f"--signature={bundle}",
                          f"--data={data}"])
    assert code == 1 and out == "" and "expects someone@example.org" in err
    renamed = tmp_path / "b.txt"
    renamed.write_bytes(pathlib.Path(data).read_bytes())
    code, out, err = run([f"--policy={_policy_file(tmp_path, BEACON)}", f"--signature={bundle}", f"--data={renamed}"])
    assert code == 1 and "does not cover the file name 'b.txt'" in err


def test_snapshot_age_warning_and_limit(tmp_path: pathlib.Path, material: Tuple[str, str]) -> None:
    """Like verify-offline: an old snapshot draws a warning on stderr (even with -q, so a recipe's
    log shows it); --max-trust-root-age refuses one older than the limit (exit 1, not verified)."""
    import json
    import shutil

    from helpers import SHIPPED

    bundle, data = material
    keyring = signers(tmp_path, f"{BEACON} {GITHUB_ISSUER}\n")
    argv = [f"--keyring={keyring}", f"--signature={bundle}", f"--data={data}"]
    # Today's shipped snapshot (refreshed 2026-08-27): a 60-day limit refuses it, a 400-day one accepts it.
    code, _, err = run([*argv, f"--trust-root={SHIPPED / 'sigstore'}", "--max-trust-root-age=60"])
    assert code == 1 and "older than the limit of 60 days" in err and "trust root is unusable" in err
    code, out, err = run([*argv, f"--trust-root={SHIPPED / 'sigstore'}", "--max-trust-root-age=400"])
    assert code == 0 and out.startswith("sigstoreverify: OK: ")
    old = tmp_path / "sigstore"
    shutil.copytree(SHIPPED / "sigstore", old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["refreshed_at"] = "2025-11-01T00:00:00Z"
    (old / "manifest.json").write_text(json.dumps(manifest))
    code, out, err = run([*argv, f"--trust-root={old}", "-q"])
    assert code == 0 and out == ""
    assert err.startswith("sigstoreverify: warning: trust-root snapshot ") and "days old (refreshed 2025-11-01" in err
    code, _, err = run([*argv, f"--trust-root={old}", "--max-trust-root-age=-1"])
    assert code == 2 and "zero or more days" in err
