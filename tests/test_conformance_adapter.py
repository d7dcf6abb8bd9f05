# SPDX-License-Identifier: Apache-2.0
"""Drive tests/conformance/verify-bundle exactly as sigstore-conformance's harness does.

The harness (../shared/conformance-harness/test/client.py, commit a73de49) executes its ENTRYPOINT as a
program, once per case and mode, with

    verify-bundle [--staging] --bundle FILE (--certificate-identity ID --certificate-oidc-issuer URL | --key PEM)
                  [--trusted-root FILE] FILE_OR_DIGEST

from a working directory that holds ``bundle-verify/a.txt`` (the default artifact, given as that relative
path); ``--trusted-root`` only for a case that ships one (otherwise the client's production root applies).
``harness_argv`` builds that command line; ``test_harness_argv_is_the_harness_own`` checks it against the
harness's own client code, so a drift of the protocol fails here. tests/test_conformance_harness.py runs the
harness itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
from typing import Any, Dict, List, Optional

import pytest

from helpers import (
    CONFORMANCE,
    GITHUB_ISSUER,
    PRODUCTION_ROOT_FOR_CONFORMANCE,
    REPO,
    SHARED,
    need_shared,
    package_path,
)

ADAPTER = REPO / "tests" / "conformance" / "verify-bundle"
HARNESS = SHARED / "conformance-harness"
LOG_ENV = "SIGSTORE_OFFLINE_CONFORMANCE_LOG"
DEFAULT_IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
DEFAULT_ARTIFACT = pathlib.Path("bundle-verify", "a.txt")  # relative to the harness's working directory
CASES = [
    # no trusted_root.json: the adapter must fall back to the production root by itself
    "happy-path-v0.1", "happy-path-v0.3-new-mediaType", "happy-path-intoto-in-dsse-v3", "managed-key-happy-path",
    "wrong-material_fail", "managed-key-wrong-key_fail", "managed-key-no-key_fail", "bundle-malformed-json_fail",
    "bundle-unknown-version_fail",
    # with their own trusted_root.json
    "rekor2-happy-path", "intoto-with-custom-trust-root", "managed-key-and-trusted-root",
    "rekor2-no-timestamp_fail", "invalid-ct-key_fail", "trust-root-tlog-missing-validity-start_fail",
]


def harness_argv(case: pathlib.Path, *, digest: bool, staging: bool = False, workdir: pathlib.Path) -> List[str]:
    """The arguments the harness passes to its ENTRYPOINT for ``case`` (run in ``workdir``)."""
    argv = ["verify-bundle"] + (["--staging"] if staging else []) + ["--bundle", str(case / "bundle.sigstore.json")]
    if (case / "key.pub").exists():
        argv += ["--key", str(case / "key.pub")]
    else:
        identity = (case / "identity").read_text().strip() if (case / "identity").exists() else DEFAULT_IDENTITY
        issuer = (case / "issuer").read_text().strip() if (case / "issuer").exists() else GITHUB_ISSUER
        argv += ["--certificate-identity", identity, "--certificate-oidc-issuer", issuer]
    if (case / "trusted_root.json").exists():
        argv += ["--trusted-root", str(case / "trusted_root.json")]
    artifact = case / "artifact" if (case / "artifact").exists() else DEFAULT_ARTIFACT
    if digest:
        argv.append("sha256:" + hashlib.sha256((workdir / artifact).read_bytes()).hexdigest())
    else:
        argv.append(str(artifact))
    return argv


def adapter_env(**extra: str) -> Dict[str, str]:
    """The harness runs the ENTRYPOINT as a program: its ``#!/usr/bin/env python3`` must find this Python."""
    env = {k: v for k, v in os.environ.items() if k != LOG_ENV}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = package_path()
    env.update(extra)
    return env


def run_adapter(argv: List[str], workdir: pathlib.Path, **extra: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([str(ADAPTER), *argv], cwd=workdir, env=adapter_env(**extra), capture_output=True,
                          text=True, timeout=120)


def test_adapter_is_an_executable_program() -> None:
    assert os.access(ADAPTER, os.X_OK), f"{ADAPTER} must be executable: the harness runs it as a program"
    assert ADAPTER.read_text().startswith("#!/usr/bin/env python3\n")


@pytest.mark.parametrize("digest", [False, True], ids=["PATH", "DIGEST"])
@pytest.mark.parametrize("name", CASES)
def test_adapter(name: str, digest: bool) -> None:
    case = need_shared(CONFORMANCE / name)
    workdir = CONFORMANCE.parent
    result = run_adapter(harness_argv(case, digest=digest, workdir=workdir), workdir)
    assert "Traceback" not in result.stderr
    if name.endswith("_fail"):
        # Rejected for cause: not a usage error (a protocol the adapter misreads) and not a bug.
        assert result.returncode in (1, 3, 4), (result.returncode, result.stderr)
    else:
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("OK: "), result.stdout


def _load_harness_client() -> Any:
    """The harness's own client module (stdlib only), loaded in place without writing bytecode."""
    path = need_shared(HARNESS / "test" / "client.py")
    spec = importlib.util.spec_from_file_location("sigstore_conformance_client", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    return module


# {"exp": 4102444800, "email": "x@example.com", "iss": "https://example.com"}: SigstoreClient reads it,
# build_verify_args does not use it.
_TOKEN = "e30.eyJleHAiOiA0MTAyNDQ0ODAwLCAiZW1haWwiOiAieEBleGFtcGxlLmNvbSIsICJpc3MiOiAiaHR0cHM6Ly9leGFtcGxlLmNvbSJ9.sig"


@pytest.mark.parametrize("staging", [False, True], ids=["production", "staging"])
def test_harness_argv_is_the_harness_own(monkeypatch: pytest.MonkeyPatch, staging: bool) -> None:
    client = _load_harness_client()
    assets = need_shared(HARNESS / "test" / "assets")
    monkeypatch.chdir(assets)  # where the harness runs its client (a copy of assets/)
    cases = sorted(p for p in (assets / "bundle-verify").iterdir() if p.is_dir())
    assert len(cases) >= 70
    harness = client.SigstoreClient(str(ADAPTER), _TOKEN, staging)
    for case in cases:
        materials = client.BundleMaterials.from_dir(case)
        for digest in (False, True):
            expected = [str(a) for a in harness.build_verify_args(materials, digest=digest)]
            assert harness_argv(case, digest=digest, staging=staging, workdir=assets) == expected, case.name


@pytest.mark.parametrize("argv, message", [
    ([], "the first argument must be the command verify-bundle"),
    # The old adapter's form, without the command word: not the protocol.
    (["--bundle", "b.json", "--key", "k.pem", "a.txt"], "must be the command verify-bundle, not '--bundle'"),
    (["verify", "--bundle", "b.json", "--key", "k.pem", "a.txt"], "not 'verify'"),
    (["sign-bundle", "--identity-token", "t", "--bundle", "b.json", "a.txt"], "--skip-signing"),
    (["verify-bundle", "--bundle", "b.json", "a.txt"], "give --certificate-identity and --certificate-oidc-issuer"),
    (["verify-bundle", "--bundle", "b.json", "--certificate-identity", "x", "a.txt"], "or --key"),
    (["verify-bundle", "--bundle", "b.json", "--key", "k.pem", "--certificate-identity", "x",
      "--certificate-oidc-issuer", "y", "a.txt"], "--key excludes"),
    (["verify-bundle", "--key", "k.pem", "a.txt"], "--bundle"),
    (["verify-bundle", "--bundle", "b.json", "--key", "k.pem"], "FILE_OR_DIGEST"),
    (["verify-bundle", "--bundle", "b.json", "--key", "k.pem", "--unknown", "a.txt"], "--unknown"),
], ids=["empty", "no-command", "other-command", "sign-bundle", "no-signer", "half-identity", "key-and-identity",
        "no-bundle", "no-artifact", "unknown-option"])
def test_calls_outside_the_protocol_are_usage_errors(tmp_path: pathlib.Path, argv: List[str], message: str) -> None:
    result = run_adapter(argv, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("verify-bundle: error: ") and message in result.stderr, result.stderr
    assert "usage: ENTRYPOINT verify-bundle" in result.stderr and "Traceback" not in result.stderr


def _case_argv(name: str, *, staging: bool, trusted_root: Optional[pathlib.Path] = None) -> List[str]:
    case = need_shared(CONFORMANCE / name)
    argv = harness_argv(case, digest=False, staging=staging, workdir=CONFORMANCE.parent)
    if "--trusted-root" in argv:  # these checks are about the shipped roots
        at = argv.index("--trusted-root")
        del argv[at:at + 2]
    if trusted_root is not None:
        argv[-1:-1] = ["--trusted-root", str(trusted_root)]
    return argv


def test_staging_selects_the_shipped_staging_root() -> None:
    """``--staging`` where the harness puts it (right after the command word)."""
    workdir = CONFORMANCE.parent
    staging_bundle = "rekor2-happy-path"  # signed on the staging instance
    assert run_adapter(_case_argv(staging_bundle, staging=True), workdir).returncode == 0
    assert run_adapter(_case_argv(staging_bundle, staging=False), workdir).returncode == 1
    assert run_adapter(_case_argv("happy-path-v0.1", staging=True), workdir).returncode == 1
    # A given --trusted-root wins over --staging.
    production = need_shared(PRODUCTION_ROOT_FOR_CONFORMANCE)
    both = _case_argv("happy-path-v0.1", staging=True, trusted_root=production)
    assert both.index("--staging") == 1
    result = run_adapter(both, workdir)
    assert result.returncode == 0, result.stderr


def test_log_records_each_call_and_its_exit_code(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "calls.jsonl"
    good = harness_argv(need_shared(CONFORMANCE / "happy-path-v0.1"), digest=True, workdir=CONFORMANCE.parent)
    assert run_adapter(good, CONFORMANCE.parent, **{LOG_ENV: str(log)}).returncode == 0
    assert run_adapter(["verify-bundle"], tmp_path, **{LOG_ENV: str(log)}).returncode == 2
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls == [{"argv": good, "exit": 0}, {"argv": ["verify-bundle"], "exit": 2}]
