# SPDX-License-Identifier: Apache-2.0
"""What counts as an oracle's rejection.

An oracle wrapper (a test's function that asks sigstore-python or pypi-attestations for its verdict)
catches only the exception types with which the oracle itself rejects its input. Anything else
raised inside the wrapper -- an ImportError or AttributeError after an API change in the oracle, a
TypeError from a wrong call, a bug in the wrapper -- is the wrapper's own error: it propagates and
fails the test as an error, and is never counted as "the oracle rejects".

The types are read from sigstore-python 4.5.1 and pypi-attestations 0.0.30 (pinned in
pyproject.toml's test extra); each module is imported only when its oracle runs.
"""

from __future__ import annotations

from typing import Tuple, Type

from helpers import need_module


def sigstore_rejections() -> Tuple[Type[BaseException], ...]:
    """sigstore-python 4.5.1 rejects a bundle with

    * ``sigstore.errors.VerificationError`` (``CertValidationError`` is one): every check in
      ``Verifier`` and the log-entry, SET, SCT and policy code;
    * ``sigstore.models.InvalidBundle``: ``Bundle.from_json`` and the bundle's own consistency
      checks (it wraps the model's validation errors);
    * ``sigstore.dsse.InvalidEnvelope``: a DSSE envelope it will not take (not one signature);
    * ``sigstore.errors.MetadataError``: the trusted root lacks keys of a kind it needs (no CT log).
    """
    need_module("sigstore", "the oracle: pip install -e '.[test]'")
    from sigstore.dsse import InvalidEnvelope
    from sigstore.errors import MetadataError, VerificationError
    from sigstore.models import InvalidBundle

    return (VerificationError, InvalidBundle, InvalidEnvelope, MetadataError)


def pypi_attestations_rejections() -> Tuple[Type[BaseException], ...]:
    """pypi-attestations 0.0.30 rejects with ``AttestationError`` (``VerificationError``,
    ``ConversionError``); it re-raises sigstore-python's verification errors as its own."""
    impl = need_module("pypi_attestations._impl", "the oracle: pip install -e '.[test]'")
    return (impl.AttestationError,)
