# SPDX-License-Identifier: Apache-2.0
"""Real PEP 740 bundles from PyPI (../shared/vectors/pypi) and the example bundle the project carries."""

from __future__ import annotations

from helpers import (
    EXAMPLE_BUNDLE,
    EXAMPLE_DIGEST,
    EXAMPLE_IDENTITY,
    GITHUB_ISSUER,
    PYPI,
    need_shared,
    run_cli,
    run_json,
)

RFC8785_DIGEST = "sha256:c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201"
MODELS_DIGEST = "sha256:c9709ce6fd5b67b59b4a28758cf14d3f411803c4b89b6068b1f1a8e4ee94c8ef"


def test_example_bundle_verifies_on_the_shipped_production_root() -> None:
    code, out, err = run_cli(
        ["--bundle", str(EXAMPLE_BUNDLE), "--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer", GITHUB_ISSUER,
         EXAMPLE_DIGEST]
    )
    assert code == 0, err
    assert out.startswith(f"OK: {EXAMPLE_DIGEST}  {EXAMPLE_IDENTITY} ({GITHUB_ISSUER})  rekor.sigstore.dev #")


def test_pypi_models_bundle_verifies() -> None:
    bundle = need_shared(PYPI / "pypi_attestation_models-0.0.4a2.tar.gz.sigstore")
    code, records, err = run_json(
        ["--bundle", str(bundle), "--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer", GITHUB_ISSUER,
         MODELS_DIGEST]
    )
    assert code == 0, err
    assert records[0]["entry_kind"] == "dsse 0.0.1"


def test_staging_bundle_fails_on_production_with_a_staging_hint() -> None:
    bundle = need_shared(PYPI / "rfc8785-0.1.2-py3-none-any.whl.sigstore")
    argv = ["--bundle", str(bundle), "--cert-identity", "william@yossarian.net",
            "--cert-oidc-issuer", "https://github.com/login/oauth", RFC8785_DIGEST]
    code, records, err = run_json(argv)
    assert code == 1
    assert records[0]["step"] in ("tlog", "certificate-chain")
    assert "--staging" in (records[0]["hint"] or "")
    assert "--staging" in err and len(err.splitlines()) == 1
    code, records, err = run_json(["--staging", *argv])
    assert code == 0, err


def test_wrong_digest_for_a_dsse_bundle_fails_at_signature() -> None:
    bundle = need_shared(PYPI / "pypi_attestation_models-0.0.4a2.tar.gz.sigstore")
    code, records, _ = run_json(
        ["--bundle", str(bundle), "--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer", GITHUB_ISSUER,
         RFC8785_DIGEST]
    )
    assert code == 1 and records[0]["step"] == "signature"
