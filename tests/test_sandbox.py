"""verify-offline in a build sandbox: no network, no HOME, and no socket-using module imported."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import CPYTHON, REPO, need_shared

# ``socket`` itself is imported by the standard library's email.utils, which cryptography.x509
# uses for RFC 822 names; what must never load is a module that opens connections.
SOCKET_MODULES = ("ssl", "urllib.request", "http.client", "requests", "urllib3", "tuf", "securesystemslib")


def test_verify_path_imports_no_network_module() -> None:
    code = (
        "import sys\n"
        "import sigstore_offline.cli.verify_offline, sigstore_offline.verify.pipeline, sigstore_offline.model\n"
        f"bad = [m for m in {SOCKET_MODULES!r} if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"verify path imported {result.stdout.strip()}"


def test_verify_path_imports_only_stdlib_and_cryptography() -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import sigstore_offline.cli.verify_offline\n"
        "from sigstore_offline.cli.verify_offline import main\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "stdlib = set(sys.stdlib_module_names) if hasattr(sys, 'stdlib_module_names') else set()\n"
        "print(','.join(sorted(n for n in new if n not in stdlib and n not in ('sigstore_offline', 'cryptography', '_cffi_backend'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_verification_opens_no_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from conftest import EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, run_cli

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("verify-offline tried to open a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    code, out, err = run_cli(["--bundle", str(EXAMPLE_BUNDLE), "--cert-identity", EXAMPLE_IDENTITY,
                              "--cert-oidc-issuer", GITHUB_ISSUER, EXAMPLE_DIGEST])
    assert code == 0 and out.startswith("OK: "), err


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def test_real_cpython_bundle_verifies_with_no_network_and_no_home(tmp_path: "os.PathLike[str]") -> None:
    need_shared(CPYTHON / "manifest.json")
    if not _unshare_works():
        pytest.skip("unshare -n is not permitted here (needs root or user namespaces)")
    bundle = CPYTHON / "3.14.0" / "Python-3.14.0.tgz.sigstore"
    digest_line = next(
        line for line in (CPYTHON / "manifest.json").read_text().split("{") if '"Python-3.14.0.tgz"' in line
    )
    digest = digest_line.split('"digest": "')[1].split('"')[0]
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")}
    env["PYTHONPATH"] = str(REPO / "src")
    command = [
        "unshare", "-n", "--", sys.executable, "-m", "sigstore_offline", "--bundle", str(bundle),
        "--cert-identity", "hugo@python.org", "--cert-oidc-issuer", "https://github.com/login/oauth", digest,
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK: {digest}  hugo@python.org (https://github.com/login/oauth)  rekor.sigstore.dev #")
    # The network really was absent: the same namespace cannot open a socket to anything.
    probe = subprocess.run(
        ["unshare", "-n", "--", sys.executable, "-c",
         "import socket; s=socket.socket(); s.settimeout(1); s.connect(('1.1.1.1', 443))"],
        capture_output=True, text=True,
    )
    assert probe.returncode != 0
