# SPDX-License-Identifier: Apache-2.0
"""What a PEP 740 attestation's in-toto statement must say, checked after its signature verified.

* ``_type`` is ``https://in-toto.io/Statement/v1`` (PEP 740: "an in-toto Statement v1");
* exactly one subject, whose ``name`` is a valid distribution filename naming the same
  distribution as the file being verified (:mod:`.distname`: PEP 503 names, PEP 440 versions,
  wheel build tags and tag sets) and whose ``digest.sha256`` is the file's SHA-256;
* ``predicateType`` is one PyPI accepts: the PyPI publish attestation
  (``https://docs.pypi.org/attestations/publish/v1``) or SLSA provenance
  (``https://slsa.dev/provenance/v1``).

Failures are :class:`VerificationError` with step ``statement``.
"""

from __future__ import annotations

import hmac
from typing import Any, Mapping

from .. import _encoding as enc
from ..errors import Step, VerificationError
from . import distname

__all__ = ["STEP", "STATEMENT_V1", "PUBLISH_V1", "SLSA_PROVENANCE_V1", "PREDICATE_TYPES", "check_statement"]

STEP = Step.STATEMENT
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
PREDICATE_TYPES = (PUBLISH_V1, SLSA_PROVENANCE_V1)


def check_statement(payload: bytes, *, filename: str, digest: bytes, where: str) -> str:
    """Check the statement ``payload`` (already signature-verified) against the distribution
    ``filename`` / ``digest``; return its predicate type."""
    try:
        statement: Mapping[str, Any] = enc.obj(enc.load_json(payload), "in-toto statement")
        kind = enc.string(enc.req(statement, "_type", "statement"), "statement._type")
        subjects = enc.array(enc.req(statement, "subject", "statement"), "statement.subject", limit=4096)
        predicate_type = enc.string(enc.req(statement, "predicateType", "statement"), "statement.predicateType")
        name = sha256 = None
        if len(subjects) == 1:
            subject = enc.obj(subjects[0], "statement.subject[0]")
            name = enc.string(enc.req(subject, "name", "statement.subject[0]"), "statement.subject[0].name")
            digests = enc.obj(enc.req(subject, "digest", "statement.subject[0]"), "statement.subject[0].digest")
            sha256 = enc.opt(digests, "sha256")
            sha256 = enc.string(sha256, "statement.subject[0].digest.sha256") if sha256 is not None else None
    except ValueError as exc:
        raise VerificationError(f"{where}: the signed statement is malformed: {exc}", step=STEP) from None
    if kind != STATEMENT_V1:
        raise VerificationError(f"{where}: statement type is {kind!r}, expected {STATEMENT_V1!r}", step=STEP)
    if len(subjects) != 1:
        raise VerificationError(
            f"{where}: the statement has {len(subjects)} subjects; a PyPI attestation names exactly one", step=STEP
        )
    try:
        same = distname.same_distribution(name or "", filename)
    except distname.InvalidFilename as exc:
        raise VerificationError(f"{where}: the statement's subject is not a distribution filename: {exc}",
                                step=STEP) from None
    if not same:
        raise VerificationError(
            f"{where}: the statement's subject is {name!r}, which is not the distribution {filename!r}", step=STEP
        )
    # Exactly the lower-case hex form PyPI writes (the pipeline matched it case-insensitively already).
    if sha256 is None or not hmac.compare_digest(sha256.encode("utf-8"), digest.hex().encode("ascii")):
        raise VerificationError(
            f"{where}: the statement's subject digest is sha256:{sha256}, the distribution's is sha256:{digest.hex()}",
            step=STEP,
        )
    if predicate_type not in PREDICATE_TYPES:
        raise VerificationError(
            f"{where}: predicate type {predicate_type!r} is not one PyPI defines ({', '.join(PREDICATE_TYPES)})",
            step=STEP,
        )
    return predicate_type
