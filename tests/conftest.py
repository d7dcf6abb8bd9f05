"""Shared test fixtures: paths to the repository, the shipped trust roots and ../shared (read in place)."""

from __future__ import annotations

import io
import json
import pathlib
from typing import Any, Dict, List, Optional, Tuple

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
VECTORS = SHARED / "vectors"
CONFORMANCE = VECTORS / "conformance" / "bundle-verify"
PRODUCTION_ROOT_FOR_CONFORMANCE = VECTORS / "conformance" / "production_trusted_root.json"
CPYTHON = VECTORS / "cpython"
PYPI = VECTORS / "pypi"
SHIPPED = REPO / "trust-roots"
EXAMPLE_BUNDLE = REPO / "docs" / "examples" / "pypi_attestation_models-0.0.4a2.tar.gz.sigstore"
EXAMPLE_DIGEST = "sha256:c9709ce6fd5b67b59b4a28758cf14d3f411803c4b89b6068b1f1a8e4ee94c8ef"
EXAMPLE_IDENTITY = "https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


def package_path() -> str:
    """The directory to put on PYTHONPATH of a subprocess so it imports the same sigstore_offline."""
    import sigstore_offline

    return str(pathlib.Path(sigstore_offline.__file__).resolve().parent.parent)


def need_shared(path: pathlib.Path) -> pathlib.Path:
    """Skip (with the reason) when ../shared is not beside the checkout, as in a user's clone."""
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared test vectors live beside the repository (CI always has them)")
    return path


def require(condition: bool, reason: str) -> None:
    """Skip with ``reason`` when a tool, namespace or data set is missing; under
    SIGSTORE_OFFLINE_REQUIRE_ALL_LANES=1 (CI), fail instead: lost coverage must not pass quietly."""
    import os

    if condition:
        return
    if os.environ.get("SIGSTORE_OFFLINE_REQUIRE_ALL_LANES") == "1":
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def run_cli(argv: List[str]) -> Tuple[int, str, str]:
    """Run verify-offline in-process; return (exit code, stdout, stderr)."""
    from sigstore_offline.cli.verify_offline import main

    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def run_json(argv: List[str]) -> Tuple[int, List[Dict[str, Any]], str]:
    code, out, err = run_cli(["--json", *argv])
    return code, [json.loads(line) for line in out.splitlines()], err


def step_of(records: List[Dict[str, Any]]) -> Optional[str]:
    failed = [r for r in records if not r["verified"]]
    return failed[0]["step"] if failed else None
