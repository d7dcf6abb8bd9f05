# SPDX-License-Identifier: Apache-2.0
"""verify-offline in a build sandbox: no network, no HOME, and no socket-using module imported."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers import CPYTHON, need_no_network, need_shared, package_path

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
    """Every module the verify path loads comes from the standard library, cryptography (and its
    compiled bindings), or sigstore_offline itself."""
    code = (
        "import os, sys, sysconfig\n"
        "before = set(sys.modules)\n"
        "import cryptography, sigstore_offline\n"
        "from sigstore_offline.cli.verify_offline import main\n"
        "allowed = [os.path.dirname(cryptography.__file__), os.path.dirname(sigstore_offline.__file__),\n"
        "           sysconfig.get_paths()['stdlib'], sysconfig.get_paths()['platstdlib']]\n"
        "bad = []\n"
        "for name in sorted(set(sys.modules) - before):\n"
        "    path = getattr(sys.modules[name], '__file__', None)\n"
        "    if path is None or name == '_cffi_backend':\n"
        "        continue\n"
        "    real = os.path.realpath(path)\n"
        "    if not any(real.startswith(os.path.realpath(a) + os.sep) for a in allowed):\n"
        "        bad.append(f'{name}={path}')\n"
        "print(' '.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"unexpected modules on the verify path: {result.stdout}"


def test_verification_opens_no_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from helpers import EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, run_cli

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("verify-offline tried to open a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    code, out, err = run_cli(["--bundle", str(EXAMPLE_BUNDLE), "--cert-identity", EXAMPLE_IDENTITY,
                              "--cert-oidc-issuer", GITHUB_ISSUER, EXAMPLE_DIGEST])
    assert code == 0 and out.startswith("OK: "), err


def test_real_cpython_bundle_verifies_with_no_network_and_no_home(tmp_path: "os.PathLike[str]") -> None:
    need_shared(CPYTHON / "manifest.json")
    no_network = need_no_network()
    bundle = CPYTHON / "3.14.0" / "Python-3.14.0.tgz.sigstore"
    digest_line = next(
        line for line in (CPYTHON / "manifest.json").read_text().split("{") if '"Python-3.14.0.tgz"' in line
    )
    digest = digest_line.split('"digest": "')[1].split('"')[0]
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")}
    env["PYTHONPATH"] = package_path()
    command = [
        *no_network, "--", sys.executable, "-m", "sigstore_offline", "--bundle", str(bundle),
        "--cert-identity", "hugo@python.org", "--cert-oidc-issuer", "https://github.com/login/oauth", digest,
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK: {digest}  hugo@python.org (https://github.com/login/oauth)  rekor.sigstore.dev #")
    # The network really was absent: the same namespace cannot open a socket to anything.
    probe = subprocess.run(
        [*no_network, "--", sys.executable, "-c",
         "import socket; s=socket.socket(); s.settimeout(1); s.connect(('1.1.1.1', 443))"],
        capture_output=True, text=True,
    )
    assert probe.returncode != 0


def test_lane_uses_what_it_should() -> None:
    """The Debian 12 lane runs the installed package on apt's cryptography 38.0.4."""
    import cryptography
    import sigstore_offline

    if os.environ.get("SIGSTORE_OFFLINE_LANE") != "debian12":
        pytest.skip("only meaningful in the Debian 12 lane (tests/run-all.sh)")
    assert cryptography.__version__ == "38.0.4"
    assert "site-packages" in sigstore_offline.__file__
    with pytest.raises(ImportError):
        import sigstore  # noqa: F401 -- the oracle must not be on the product's path
