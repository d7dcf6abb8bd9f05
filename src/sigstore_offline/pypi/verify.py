# SPDX-License-Identifier: Apache-2.0
"""Verify a distribution against its PEP 740 attestations: every attestation, every log entry.

For each attestation, in order (the first failure stops everything):

1. convert it to a Sigstore bundle and parse that strictly (all attestations are converted
   before any is verified, so malformed input is reported as such, exit 4);
2. run the bundle pipeline (:func:`sigstore_offline.verify.pipeline.verify`): verified times,
   every transparency entry (inclusion proof, checkpoint, SET), certificate chain, SCTs, the
   signer policy (identity step), the DSSE signature and in-toto subject digest, entry bodies;
3. check the signed statement (:mod:`.statement`): Statement v1, one subject naming this
   distribution and its SHA-256, a predicate type PyPI defines;
4. with a provenance and a Trusted Publisher policy, check the (unsigned) publisher record
   (:func:`.publishers.check_record`).

No I/O, no clock: the CLI reads the files and picks the trust root.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from .._encoding import utc
from ..errors import Step, VerificationError
from ..model import Bundle, DsseEnvelope
from ..policy import summarise
from ..publisher import Publisher as CiPublisher
from ..trust.trusted_root import TrustedRoot
from ..verify.pipeline import Artifact, Verified, verify
from . import publishers
from .attestation import Attestation, PublisherRecord, to_bundle
from .statement import check_statement

__all__ = ["HintFunction", "Source", "AttestationResult", "DistributionResult", "verify_distribution"]

# (bundle, the pipeline's failure, the artifact) -> a hint, e.g. "did you mean --staging?"
HintFunction = Callable[[Bundle, VerificationError, Artifact], Optional[str]]


class Source(NamedTuple):
    """An attestation to verify, and the provenance record it came with (None for a bare attestation)."""

    attestation: Attestation
    record: Optional[PublisherRecord] = None


class AttestationResult(NamedTuple):
    where: str
    predicate_type: str
    verified: Verified
    record: Optional[PublisherRecord]

    def as_json(self) -> Dict[str, Any]:
        result = self.verified
        record: Dict[str, Any] = {
            "source": self.where,
            "predicate_type": self.predicate_type,
            "identity": result.identity,
            "issuer": result.issuer,
            "entry_kind": result.entry_kind,
            "log": result.log_url,
            "log_index": result.log_index,
            "signed_at": utc(result.signed_at),
            "verified_times": [{"source": source, "time": utc(moment)} for source, moment in result.times],
            "publisher_record": self.record.as_json() if self.record is not None else None,
        }
        if result.unverified:  # as in Verified.as_json: a log index nothing authenticated is named so
            record.update({"log_index_claimed": result.log_index_claimed, "unverified": list(result.unverified)})
        return record


class DistributionResult(NamedTuple):
    filename: str
    digest: bytes
    policy: str
    attestations: Tuple[AttestationResult, ...]
    records_checked: bool
    environment_checked: bool


def verify_distribution(
    *,
    filename: str,
    digest: bytes,
    sources: Sequence[Source],
    policy: Any,
    trusted_root: TrustedRoot,
    hint: Optional[HintFunction] = None,
) -> DistributionResult:
    """Verify ``sources`` for the distribution ``filename`` whose SHA-256 is ``digest``.

    ``policy`` is an identity policy (``check``/``describe``): a :mod:`.publishers` Trusted
    Publisher or a :class:`sigstore_offline.publisher.Publisher` (which adds a ref), whose
    provenance records are then cross-checked, or a plain
    :class:`sigstore_offline.policy.Identity`, which checks only the certificates.

    Raises:
        VerificationError: ``Step.ATTESTATION`` (none given), ``Step.STATEMENT`` (the signed
            statement does not name the distribution), ``Step.PUBLISHER`` (a provenance record
            disagrees), or any step of :func:`sigstore_offline.verify.pipeline.verify`.
        InputError: an attestation is malformed, at the step that read it.
    """
    if not sources:
        raise VerificationError("no attestation to verify", step=Step.ATTESTATION)
    # A CI publisher (``publisher.Publisher``: repository, workflow, ref) is a Trusted Publisher too.
    trusted_publisher = isinstance(policy, (*publishers.PUBLISHER_TYPES, CiPublisher))
    if getattr(policy, "environment", None) is not None and any(s.record is None for s in sources):
        # The CLI refuses this combination; a library caller gets the same answer.
        raise VerificationError("an environment can only be checked against a provenance's publisher record",
                                step=Step.PUBLISHER)
    bundles = [to_bundle(source.attestation) for source in sources]
    artifact = Artifact(filename, digest, None)
    results: List[AttestationResult] = []
    for source, bundle in zip(sources, bundles):
        where = source.attestation.where
        try:
            verified = verify(bundle, artifact=artifact, trusted_root=trusted_root, policy=policy)
        except VerificationError as exc:
            extra = hint(bundle, exc, artifact) if hint is not None and exc.hint is None else None
            raise exc.with_context(prefix=f"{where}: ", hint=extra) from exc
        if not isinstance(bundle.content, DsseEnvelope):  # pragma: no cover -- to_bundle makes DSSE bundles
            raise VerificationError(f"{where}: not a DSSE attestation", step=Step.STATEMENT)
        predicate_type = check_statement(bundle.content.payload, filename=filename, digest=digest, where=where)
        if trusted_publisher and source.record is not None and bundle.certificate is not None:
            publishers.check_record(policy, source.record, summarise(bundle.certificate), where=where)
        results.append(AttestationResult(where, predicate_type, verified, source.record))
    return DistributionResult(
        filename=filename,
        digest=digest,
        policy=policy.describe(),
        attestations=tuple(results),
        records_checked=trusted_publisher and any(s.record is not None for s in sources),
        environment_checked=getattr(policy, "environment", None) is not None,
    )
