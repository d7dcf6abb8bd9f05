# SPDX-License-Identifier: Apache-2.0
"""Fulcio's certificate extensions and the OIDC issuers of the CI publishers, named once
(sigstore/fulcio ``docs/oid-info.md``). Importing this module costs nothing: no ``cryptography``."""

from __future__ import annotations

__all__ = [
    "BUILD_CONFIG_URI", "BUILD_SIGNER_URI", "CIRCLECI_ISSUER", "GITHUB", "GITHUB_ISSUER", "GITLAB",
    "GITLAB_ISSUER", "GOOGLE_ISSUER", "ISSUER_V2", "OID", "RUNNER_ENVIRONMENT", "SOURCE_REPOSITORY_DIGEST",
    "SOURCE_REPOSITORY_OWNER_URI", "SOURCE_REPOSITORY_REF", "SOURCE_REPOSITORY_URI",
]

OID = "1.3.6.1.4.1.57264.1."  # Fulcio's arc; each claim is OID + its number
ISSUER_V2 = OID + "8"
BUILD_SIGNER_URI = OID + "9"
RUNNER_ENVIRONMENT = OID + "11"
SOURCE_REPOSITORY_URI = OID + "12"
SOURCE_REPOSITORY_DIGEST = OID + "13"
SOURCE_REPOSITORY_REF = OID + "14"
SOURCE_REPOSITORY_OWNER_URI = OID + "16"
BUILD_CONFIG_URI = OID + "18"

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB = "https://github.com"
GITLAB_ISSUER = "https://gitlab.com"
GITLAB = "https://gitlab.com"
GOOGLE_ISSUER = "https://accounts.google.com"
CIRCLECI_ISSUER = "https://oidc.circleci.com"
