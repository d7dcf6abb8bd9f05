# SPDX-License-Identifier: Apache-2.0
"""Hints the library attaches to errors, named so that a command line can word them with its own
options (``cli/_common.py``). Importing this module costs nothing: no ``cryptography``."""

from __future__ import annotations

__all__ = ["NO_TLOG", "REKOR_FRAGMENT", "STAGING"]

# A bundle signed on the staging instance, checked against production.
STAGING = "the bundle was signed on the Sigstore staging instance; verify it against the staging trust root"

# A lone cosign .rekor file: it is not evidence this verifier reads.
REKOR_FRAGMENT = ("a .rekor file is not read: verify cosign's detached signature and certificate instead"
                  " (a weaker verification without log evidence), or ask upstream for a bundle")

# cosign input without a transparency-log entry.
NO_TLOG = ("without a log entry nothing shows the signature was made while the certificate was valid, or"
           " made public; ignore the missing log entry only if you accept that weaker verification"
           " (docs/cosign.md)")
