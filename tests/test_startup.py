# SPDX-License-Identifier: Apache-2.0
"""Start-up imports only what the path taken needs: --help, --version and usage errors of every
command import no ``cryptography`` at all (issue: start-up close to the interpreter's)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from helpers import package_path

PROBE = """
import io, sys
from {module} import main
code = main({argv!r}, out=io.StringIO(), err=io.StringIO()) if {has_streams} else main({argv!r})
heavy = sorted(m for m in sys.modules if m.split(".")[0] == "cryptography")
print(code, len(heavy), heavy[:3])
"""


@pytest.mark.parametrize("module,argv,code", [
    ("sigstore_offline.cli.verify_offline", ["--help"], 0),
    ("sigstore_offline.cli.verify_offline", ["--version"], 0),
    ("sigstore_offline.cli.verify_offline", [], 2),
    ("sigstore_offline.cli.verify_offline", ["--bogus"], 2),
    ("sigstore_offline.cli.verify_offline", ["--cert-identity", "a@b.c", "x.tgz"], 2),
    ("sigstore_offline.cli.verify_offline", ["--trust-root", "", "--key", "k.pem", "x.tgz"], 2),
    ("sigstore_offline.cli.verify_offline", ["--repository", "a/b", "--ref", "refs/*", "x.tgz"], 2),
    ("sigstore_offline.cli.verify_offline", ["pypi", "--help"], 0),
    ("sigstore_offline.cli.verify_offline", ["github", "--help"], 0),
    ("sigstore_offline.cli.verify_offline", ["github", "x.whl"], 2),
    ("sigstore_offline.cli.verify_offline", ["github", "--repo", "a", "x.whl"], 2),
    ("sigstore_offline.cli.verify_offline", ["pypi", "x.tar.gz"], 2),
    ("sigstore_offline.cli.sigstoreverify", ["--help"], 0),
    ("sigstore_offline.cli.sigstoreverify", ["--data=x"], 2),
])
def test_cheap_paths_import_no_cryptography(module: str, argv: list, code: int) -> None:
    script = PROBE.format(module=module, argv=argv, has_streams=True)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            env={"PYTHONPATH": package_path(), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    got_code, count, *_ = result.stdout.splitlines()[-1].split(" ", 2)
    assert int(got_code) == code and int(count) == 0, result.stdout


VERIFY_PROBE = """
import io, sys
from sigstore_offline.cli.verify_offline import main
out = io.StringIO()
code = main({argv!r}, out=out, err=io.StringIO())
print(code, out.getvalue().split(":", 1)[0])
print(" ".join(sorted(m for m in sys.modules if m.startswith(("cryptography.x509", "cryptography.hazmat.primitives.serialization", "email", "socket")))))
"""


def test_a_verification_reads_certificates_without_cryptography_x509() -> None:
    """ADR 0008: the verify path decodes certificates with the project's reader; a whole
    successful verification (a real bundle, the shipped trust root) imports neither
    ``cryptography.x509`` nor ``cryptography``'s serialization package (SSH keys, every cipher)."""
    import cryptography

    from helpers import EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, skip_by_design

    version = tuple(int(part) for part in cryptography.__version__.split(".")[:2])
    skip_by_design(version < (42, 0), "cryptography before 42 imports cryptography.x509 from its own OpenSSL backend: lanes 1 and 5 run this")
    argv = ["--bundle", str(EXAMPLE_BUNDLE), "--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer", GITHUB_ISSUER,
            EXAMPLE_DIGEST]
    result = subprocess.run([sys.executable, "-c", VERIFY_PROBE.format(argv=argv)], capture_output=True, text=True,
                            timeout=60, env={"PYTHONPATH": package_path(), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    verdict, loaded = result.stdout.splitlines()[-2:]
    assert verdict == "0 OK", result.stdout
    assert loaded == "", f"the verify path imported {loaded}"
