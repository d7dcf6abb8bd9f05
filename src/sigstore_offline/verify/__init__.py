# SPDX-License-Identifier: Apache-2.0
"""Verification steps (pure functions over parsed data) and the pipeline that orders them.

The library in ten lines: parse the bundle and the trusted root, name the artifact by its
SHA-256 (and its bytes, for an Ed25519 key), say who must have signed, and verify. A failure
raises :class:`~sigstore_offline.errors.VerificationError` whose ``step`` is an
:class:`~sigstore_offline.errors.Step`; malformed input raises ``InputError``, a format nested
in the bundle (checkpoint, log entry body, RFC 3161 token) at the step that parses it: each has a
``parse_*`` that returns a NamedTuple and raises only ``InputError``, and the checks compare its
fields and raise only ``VerificationError`` (docs/adr/0002-exit-codes.md).

>>> import pathlib
>>> from sigstore_offline.model import parse_bundle
>>> from sigstore_offline.policy import Identity
>>> from sigstore_offline.trust.trusted_root import parse_trusted_root
>>> from sigstore_offline.verify.pipeline import Artifact, verify
>>> bundle = parse_bundle(pathlib.Path("docs/examples/pypi_attestation_models-0.0.4a2.tar.gz.sigstore").read_bytes())
>>> root = parse_trusted_root(pathlib.Path("trust-roots/sigstore/trusted_root.json").read_bytes())
>>> digest = bytes.fromhex("c9709ce6fd5b67b59b4a28758cf14d3f411803c4b89b6068b1f1a8e4ee94c8ef")
>>> signer = Identity.build(san_regexp=r"https://github\\.com/trailofbits/.*", issuer="https://token.actions.githubusercontent.com")
>>> verified = verify(bundle, artifact=Artifact("pypi_attestation_models-0.0.4a2.tar.gz", digest), trusted_root=root, policy=signer)
>>> verified.identity
'https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2'

(tests/test_errors.py runs this example from the repository's top directory.)
"""

__all__: "list[str]" = []
