# SPDX-License-Identifier: Apache-2.0
"""PEP 740 attestations and PyPI provenance, verified offline with the bundle pipeline.

* :mod:`.attestation` -- attestation, provenance and publisher-record objects (strict parsing),
  and an attestation as a Sigstore bundle v0.3;
* :mod:`.statement` -- what the signed in-toto statement must say about the distribution;
* :mod:`.distname` -- distribution filenames compared as PyPA compares them (PEP 503, PEP 440,
  wheel tags), our own code: ``packaging`` is not a dependency;
* :mod:`.publishers` -- Trusted Publisher policies (GitHub, GitLab, Google, CircleCI) over the
  certificate's Fulcio claims, and the provenance record cross-check;
* :mod:`.verify` -- every attestation, in order, through all of the above.

The CLI is ``verify-offline pypi`` (:mod:`sigstore_offline.cli.pypi`).
"""

__all__: "list[str]" = []
