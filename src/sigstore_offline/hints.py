# SPDX-License-Identifier: Apache-2.0
"""Hints the library attaches to errors, named so that a command line can word them with its own
options (``cli/_common.py``). Importing this module costs nothing: no ``cryptography``."""

from __future__ import annotations

__all__ = ["MANAGED_KEY", "NO_TLOG", "REKOR_FRAGMENT", "STAGING", "UNLISTED_TSA"]

# A bundle signed on the staging instance, checked against production.
STAGING = "the bundle was signed on the Sigstore staging instance; verify it against the staging trust root"

# A lone cosign .rekor file: it is not evidence this verifier reads.
REKOR_FRAGMENT = ("a .rekor file is not read: verify cosign's detached signature and certificate instead"
                  " (a weaker verification without log evidence), or ask upstream for a bundle")

# cosign input without a transparency-log entry.
NO_TLOG = ("without a log entry nothing shows the signature was made while the certificate was valid, or"
           " made public; ignore the missing log entry only if you accept that weaker verification"
           " (docs/cosign.md)")

# A managed-key bundle verified without its key.
MANAGED_KEY = "the signer's public key is not in the bundle; it comes from the signer, out of band"

# An RFC 3161 timestamp that no timestamp authority of the trusted root signed.
UNLISTED_TSA = ("a timestamp counts only if a timestamp authority in the trusted root signed it; if you trust the"
                " TSA that signed this one, add its certificate chain to timestampAuthorities of a trusted_root.json"
                " and verify against that file; a timestamp from Sigstore's staging instance verifies against the"
                " staging trust root")
