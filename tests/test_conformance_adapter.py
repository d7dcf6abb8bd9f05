"""Drive tests/conformance/verify-bundle as the conformance harness does: a subprocess per case."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from conftest import CONFORMANCE, PRODUCTION_ROOT_FOR_CONFORMANCE, REPO, need_shared, package_path

ADAPTER = REPO / "tests" / "conformance" / "verify-bundle"
DEFAULT_IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
CASES = [
    "happy-path-v0.1", "happy-path-v0.3-new-mediaType", "rekor2-happy-path", "managed-key-happy-path",
    "intoto-with-custom-trust-root", "wrong-material_fail", "rekor2-no-timestamp_fail", "managed-key-wrong-key_fail",
    "bundle-malformed-json_fail", "invalid-ct-key_fail",
]


@pytest.mark.parametrize("by_digest", [False, True], ids=["PATH", "DIGEST"])
@pytest.mark.parametrize("name", CASES)
def test_adapter(name: str, by_digest: bool) -> None:
    case = need_shared(CONFORMANCE / name)
    artifact = case / "artifact" if (case / "artifact").exists() else CONFORMANCE / "a.txt"
    argv = [sys.executable, str(ADAPTER), "--bundle", str(case / "bundle.sigstore.json")]
    if (case / "key.pub").exists():
        argv += ["--key", str(case / "key.pub")]
    else:
        argv += ["--certificate-identity", DEFAULT_IDENTITY,
                 "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"]
    root = case / "trusted_root.json"
    argv += ["--trusted-root", str(root if root.exists() else PRODUCTION_ROOT_FOR_CONFORMANCE)]
    argv.append("sha256:" + hashlib.sha256(artifact.read_bytes()).hexdigest() if by_digest else str(artifact))
    env = dict(os.environ, PYTHONPATH=package_path())
    result = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert "Traceback" not in result.stderr
    if name.endswith("_fail"):
        assert result.returncode not in (0, 5), result.stderr
    else:
        assert result.returncode == 0, result.stderr
