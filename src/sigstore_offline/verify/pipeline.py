# SPDX-License-Identifier: Apache-2.0
"""The verification pipeline: the order of the steps, stated once (ARCHITECTURE.md, "Verification order").

:func:`verify` calls one function per step, in this order; each takes plain values and returns
what the next needs:

1. Parse the bundle strictly                        -> model.parse_bundle (before this module)
2. Pick trust material                              -> the caller (CLI) passes a TrustedRoot
   Which signer: certificate or managed key         -> _signer
3. Establish verified times                         -> _step3_times: rfc3161 (timestamps); tlog: log
                                                       key, inclusion proof, checkpoint, SET (Rekor v1
                                                       integrated time counts only once its SET verifies)
4. Certificate chain to a Fulcio CA valid at each verified time     -> _step4_chain
5. SCTs against CT log keys                                          -> _step5_scts
6. Identity policy (SAN, OIDC issuer)                                -> _step6_identity
7. Artifact binding: message signature, or DSSE signature + in-toto subject -> _step7_artifact
8. Log entry body matches the bundle                                 -> _step8_entries
9. Result: a ``Verified`` record                                     -> _step9_result

Every step raises :class:`VerificationError` with its ``step`` name; the first failure stops
verification. The formats nested in a bundle (checkpoint, log entry body, RFC 3161 token) are
parsed at the step that uses them, so a malformed one is an :class:`~sigstore_offline.errors.InputError`
at that step (exit 4), a well-formed one that does not match a :class:`VerificationError` (exit 1). Steps are pure: no clock, no I/O. The pipeline never returns without raising
unless every step passed.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union, cast

from .._certificate import Certificate, name_text
from .._encoding import utc
from .. import hints
from ..errors import Step, VerificationError
from ..model import Bundle, DsseEnvelope, MessageSignature, PublicKey, TlogEntry
from ..policy import SignerPolicy, summarise
from ..trust.trusted_root import Authority, LogKey, TrustedRoot
from . import certchain, checkpoint, dsse, merkle, sct, tlog

__all__ = ["Artifact", "Verified", "verify", "verify_without_logs"]


class Artifact(NamedTuple):
    """What is verified: a display name, its SHA-256, and its bytes only where a key needs them."""

    name: str
    digest: bytes
    data: Optional[bytes] = None


class Verified(NamedTuple):
    """The verdict, and what it rests on. Every field is either verified or says it is not:

    * ``artifact`` -- the caller's name for the artifact (command line or manifest), echoed as a
      label; what is verified is ``digest``.
    * ``digest`` -- SHA-256 of the artifact: bound to the signature (step 7) and, through the
      log entry body, to the log (step 8).
    * ``identity``, ``issuer`` -- the certificate's SAN and OIDC issuer, from a certificate that
      chains to a trusted Fulcio CA and matched the policy (steps 4-6); None for a managed key.
    * ``key_verified`` -- True when a caller-supplied key (not a certificate) verified the signature.
    * ``bundle_media_type`` -- the format the bundle declares and was parsed (and checked) as: it
      describes the input file, is not covered by any signature, and says nothing about the
      signing event.
    * ``entry_kind`` -- kind and version of the first log entry: the logged (authenticated)
      body states the same (step 8).
    * ``log_url`` -- ``baseUrl`` of the trusted-root log whose key verified the entry.
    * ``log_index`` -- the first entry's log index *as authenticated*: covered by the signed entry
      timestamp (Rekor v1), or equal to the inclusion proof's index that the signed checkpoint
      proves (Rekor v2; ``tlog`` fails when they differ). None when nothing authenticates it: a
      Rekor v1 entry without a signed entry timestamp, whose inclusion proof is proven in a log
      shard with its own numbering; then ``log_index_claimed`` carries the bundle's unverified
      value. None too in a weaker verdict without a log entry.
    * ``log_index_proof`` -- what authenticated ``log_index``: "signed entry timestamp",
      "inclusion proof", or "" when it is None.
    * ``times`` -- verified times only (RFC 3161 genTime, a SET-covered integrated time).
    * ``weaker`` -- set only by verify(allow_no_tlog=True) for a bundle without any log entry:
      why the verdict is weaker. Then entry_kind and log_url are "", log_index is None and
      times may be empty.
    """

    artifact: str
    digest: str
    identity: Optional[str]
    issuer: Optional[str]
    key_verified: bool
    bundle_media_type: str
    entry_kind: str
    log_url: str
    log_index: Optional[int]
    times: Tuple[Tuple[str, datetime.datetime], ...]
    weaker: Optional[str] = None
    log_index_proof: str = ""
    log_index_claimed: Optional[int] = None

    @property
    def signed_at(self) -> datetime.datetime:
        """The earliest verified time (``times`` is empty only in a weaker verdict: check ``weaker``)."""
        return min(moment for _, moment in self.times)

    @property
    def index_text(self) -> str:
        """The log index for a human: ``#N``, or ``#N (unverified log index)`` when only the bundle says N."""
        if self.log_index is not None:
            return f"#{self.log_index}"
        if self.log_index_claimed is not None:
            return f"#{self.log_index_claimed} (unverified log index)"
        return ""

    @property
    def unverified(self) -> Tuple[str, ...]:
        """Names of the ``as_json`` fields whose values nothing authenticated (besides the input's
        own description, ``artifact`` and ``bundle_media_type``)."""
        return ("log_index_claimed",) if self.log_index is None and self.log_index_claimed is not None else ()

    def as_json(self) -> Dict[str, Any]:
        record = {
            "artifact": self.artifact,
            "digest": f"{'sha512' if len(self.digest) == 128 else 'sha256'}:{self.digest}",  # 64-byte: npm
            "verified": True,
            "identity": self.identity,
            "issuer": self.issuer,
            "key": self.key_verified,
            "bundle_media_type": self.bundle_media_type,
            "entry_kind": self.entry_kind,
            "log": self.log_url,
            "log_index": self.log_index,
            "signed_at": utc(self.signed_at) if self.times else None,
            "verified_times": [{"source": source, "time": utc(moment)} for source, moment in self.times],
        }
        if self.unverified:  # keys only a record with an unauthenticated value has
            record.update({"log_index_claimed": self.log_index_claimed, "unverified": list(self.unverified)})
        if self.weaker is not None:  # keys only a weaker verdict has (--insecure-ignore-tlog)
            record.update({"weaker": self.weaker, "tlog": bool(self.log_url)})
            if not self.log_url:
                record.update({"entry_kind": None, "log": None, "log_index": None})
        return record


class _LogEvidence(NamedTuple):
    log: LogKey
    integrated: Optional[datetime.datetime]  # verified integrated time (SET), if any
    log_index: Optional[int]  # the authenticated log index, if any
    index_proof: str  # what authenticated it


def _verify_log_entry(bundle: Bundle, entry: TlogEntry, root: TrustedRoot) -> _LogEvidence:
    """Step 3 for one entry: prove it was logged; return its log, its verified integrated time and
    its authenticated log index."""
    log = root.tlog(entry.log_id)
    if log is None:
        raise VerificationError(
            f"entry #{entry.log_index} comes from a log the trusted root does not list (log id {entry.log_id.hex()})",
            step=Step.TLOG,
        )
    proof = entry.inclusion_proof
    needs_checkpoint = bundle.version >= (0, 2) or entry.integrated_time is None
    if needs_checkpoint and proof is None:
        raise VerificationError(
            f"entry #{entry.log_index} has no inclusion proof (required for bundle v0.2+ and Rekor v2)",
            step=Step.INCLUSION_PROOF,
        )
    if proof is not None:
        merkle.verify_inclusion(
            leaf=merkle.leaf_hash(entry.canonicalized_body),
            index=proof.log_index,
            tree_size=proof.tree_size,
            proof=proof.hashes,
            root_hash=proof.root_hash,
        )
        if proof.checkpoint is not None:
            checkpoint.verify_checkpoint(
                proof.checkpoint, log=log, tree_size=proof.tree_size, root_hash=proof.root_hash
            )
        elif needs_checkpoint:
            raise VerificationError(
                f"inclusion proof of entry #{entry.log_index} has no checkpoint, so nothing signed its root hash",
                step=Step.CHECKPOINT,
            )
    index: Optional[int] = None
    index_proof = ""
    if proof is not None and proof.checkpoint is not None and tlog.is_rekor_v2(entry):
        # Rekor v2 has one index space: the entry's index is the proven leaf index, or a lie.
        if entry.log_index != proof.log_index:
            raise VerificationError(
                f"entry claims log index {entry.log_index}, its inclusion proof proves index {proof.log_index}",
                step=Step.TLOG,
            )
        index, index_proof = proof.log_index, "inclusion proof"
    integrated: Optional[datetime.datetime] = None
    if entry.inclusion_promise is not None:
        tlog.verify_set(entry, log)
        index, index_proof = entry.log_index, "signed entry timestamp"  # the SET covers logIndex
        integrated = _integrated_time(entry)
        if not log.valid_for.contains(integrated):
            raise VerificationError(
                f"entry #{entry.log_index} was integrated at {utc(integrated)}, outside the validity of the key of"
                f" {log.base_url} ({log.valid_for.describe()})",
                step=Step.TLOG,
            )
    elif proof is None or proof.checkpoint is None:
        raise VerificationError(
            f"entry #{entry.log_index} has neither a signed entry timestamp nor an inclusion proof with a checkpoint",
            step=Step.TLOG,
        )
    return _LogEvidence(log, integrated, index, index_proof)


def _integrated_time(entry: TlogEntry) -> datetime.datetime:
    """The SET-covered integrated time; one beyond the calendar fails the step, it does not crash."""
    try:
        return datetime.datetime.fromtimestamp(entry.integrated_time or 0, tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise VerificationError(
            f"entry #{entry.log_index} has an integrated time ({entry.integrated_time}) beyond the year 9999",
            step=Step.TLOG,
        ) from None


def _find_authority(
    leaf: Certificate, chain_extra: Sequence[Certificate], root: TrustedRoot, at: datetime.datetime
) -> Authority:
    """Step 4: a Fulcio CA valid at ``at`` whose chain verifies the leaf at ``at``."""
    for cert in chain_extra:
        if cert.issuer == cert.subject and certchain.issued_by(cert, cert):
            raise VerificationError(
                f"the bundle's certificate chain includes a root certificate ({certchain.describe(cert)})",
                step=Step.CERTIFICATE_CHAIN,
            )
    failures: List[str] = []
    issuer = leaf.issuer
    for authority in root.certificate_authorities:
        named = issuer == authority.chain[0].subject
        if not authority.valid_for.contains(at):
            if named:
                failures.append(f"{authority.uri or authority.subject} is valid {authority.valid_for.describe()}")
            continue
        if not named:
            continue  # verify_chain would refuse it (certchain.issued_by chains names first), and say nothing
        try:
            certchain.verify_chain(leaf, authority.chain, at, purpose=certchain.CODE_SIGNING, step=Step.CERTIFICATE_CHAIN)
        except VerificationError as exc:
            failures.append(exc.message)
            continue
        return authority
    detail = "; ".join(failures) if failures else _no_issuer(leaf, root)
    raise VerificationError(
        f"signing certificate does not chain to a trusted Fulcio CA at {utc(at)}: {detail}", step=Step.CERTIFICATE_CHAIN
    )


def _no_issuer(leaf: Certificate, root: TrustedRoot) -> str:
    """Why no CA of the trusted root issued ``leaf``, for the message; names a CA whose subject
    reads as the leaf's issuer but is encoded otherwise (Names are compared as encoded)."""
    issuer = name_text(leaf, "issuer")
    detail = f"no CA in the trusted root issued it (issuer {issuer or leaf.issuer.hex()[:40]})"
    alike = [authority.uri or authority.subject for authority in root.certificate_authorities
             if authority.chain and issuer and name_text(authority.chain[0], "subject") == issuer]
    if alike:
        detail += (f"; {alike[0]} has that name as text but encoded differently, and names are compared as"
                   " encoded")
    return detail


def verify(
    bundle: Bundle,
    *,
    artifact: Artifact,
    trusted_root: TrustedRoot,
    policy: Optional[SignerPolicy] = None,
    key: Optional[PublicKey] = None,
    allow_no_tlog: bool = False,
) -> Verified:
    """Run every step on a parsed bundle; return :class:`Verified` or raise.

    ``allow_no_tlog`` (the CLI's ``--insecure-ignore-tlog``, docs/cosign.md) lets a bundle with no
    transparency-log entry at all pass as a *weaker* verdict (``Verified.weaker`` says why): every
    other step still runs, and log entries that are present are verified as always. Without a log
    entry or a timestamp there is no verified time; the chain is then checked at the signing
    certificate's own notBefore, which the verdict names as unverified.

    Raises:
        VerificationError: at the first step that fails, with that step (:class:`~sigstore_offline.errors.Step`):
            ``SIGNATURE`` for a managed-key bundle without ``key``; step 3: ``TIMESTAMP``, ``TLOG``,
            ``INCLUSION_PROOF``, ``CHECKPOINT``, ``SET``, ``TIME``; step 4 ``CERTIFICATE_CHAIN``; step 5
            ``SCT``; step 6 ``IDENTITY``; step 7 ``SIGNATURE``; step 8 ``TLOG_ENTRY``.
        InputError: a nested format (checkpoint note, RFC 3161 token) is malformed, at its step.
        ValueError: the caller's mistake: ``key`` with a certificate bundle, or no ``policy`` for one.
    """
    public_key = _signer(bundle, policy, key)
    times, logs, weaker = _step3_times(bundle, trusted_root, allow_no_tlog=allow_no_tlog)
    identity = issuer = None
    if bundle.certificate is not None and policy is not None:
        # A weaker verdict without any verified time checks the chain at notBefore (unverified).
        moments = [moment for _, moment in times] or [certchain.not_before(bundle.certificate)]
        authority = _step4_chain(bundle.certificate, bundle.chain, trusted_root, moments)
        _step5_scts(bundle.certificate, authority, trusted_root)
        identity, issuer = _step6_identity(bundle.certificate, policy)
    _step7_artifact(bundle.content, public_key, artifact)
    _step8_entries([entry for entry, _ in logs], bundle, public_key, artifact.digest)
    return _step9_result(bundle, artifact, identity, issuer, times, logs, weaker)


def _certificate_key(certificate: Certificate) -> PublicKey:
    """The certificate's key as a signing key: a key of another kind (DSA, Ed448, ...) passes
    unchanged and then fails the signature check of step 7 (see :data:`model.PublicKey`)."""
    return cast(PublicKey, certificate.public_key())


def _signer(bundle: Bundle, policy: Optional[SignerPolicy], key: Optional[PublicKey]) -> PublicKey:
    """Which signer: a Fulcio certificate checked against an identity policy, or a managed key."""
    if bundle.certificate is not None:
        if key is not None:
            raise ValueError("the bundle carries a certificate; a managed public key applies only to public-key"
                             " bundles")
        if policy is None:
            raise ValueError("a certificate bundle needs an identity policy (the signer's identity and OIDC issuer)")
        return _certificate_key(bundle.certificate)
    if key is None:
        raise VerificationError(
            "the bundle is signed with a managed key (no certificate); verify it with that public key",
            step=Step.SIGNATURE, hint=hints.MANAGED_KEY
        )
    return key


_Times = List[Tuple[str, datetime.datetime]]
_Logs = List[Tuple[TlogEntry, _LogEvidence]]


def _step3_times(
    bundle: Bundle, root: TrustedRoot, *, allow_no_tlog: bool
) -> Tuple[_Times, _Logs, Optional[str]]:
    """Step 3: the verified times (RFC 3161 timestamps, SET-covered integrated times), each log
    entry's evidence, and why the verdict is weaker (None unless ``allow_no_tlog`` let a bundle
    without any log entry through)."""
    times: _Times = _timestamp_times(bundle, root)
    if not bundle.tlog_entries and not allow_no_tlog:
        raise VerificationError("the bundle has no transparency-log entry", step=Step.TLOG)
    logs: _Logs = []
    unbound: List[LogKey] = []
    for entry in bundle.tlog_entries:
        evidence = _verify_log_entry(bundle, entry, root)
        logs.append((entry, evidence))
        if evidence.integrated is not None:
            times.append(("tlog", evidence.integrated))
        else:
            unbound.append(evidence.log)
    weaker = _weaker(bundle, times) if not bundle.tlog_entries else None  # only with allow_no_tlog
    if not times and weaker is None:
        raise VerificationError(
            "no verified signing time: the bundle has no trusted timestamp and no log entry with a signed"
            " integrated time (Rekor v2 entries need an RFC 3161 timestamp)",
            step=Step.TIME,
        )
    stamped = [moment for source, moment in times if source == "timestamp"]
    for log in unbound:
        for moment in stamped or [m for _, m in times]:
            if not log.valid_for.contains(moment):
                raise VerificationError(
                    f"log key of {log.base_url} is valid {log.valid_for.describe()}, not at the signing time {utc(moment)}",
                    step=Step.TLOG,
                )
    return times, logs, weaker


def _timestamp_times(bundle: Bundle, root: TrustedRoot) -> _Times:
    """The times the bundle's RFC 3161 timestamps verify (``verify/rfc3161.py``, read only for a
    bundle that carries one: most carry none, and a cold start need not import it)."""
    if not bundle.rfc3161_timestamps:
        return []
    from .rfc3161 import verify_timestamp

    return [("timestamp", verify_timestamp(token, signature=bundle.signature, authorities=root.timestamp_authorities).time)
            for token in bundle.rfc3161_timestamps]


def _step4_chain(
    leaf: Certificate, chain_extra: Sequence[Certificate], root: TrustedRoot,
    moments: Sequence[datetime.datetime],
) -> Authority:
    """Step 4: the chain, at every one of ``moments``; the CA that issued the leaf at the first."""
    authority = _find_authority(leaf, chain_extra, root, moments[0])
    for moment in moments[1:]:
        _find_authority(leaf, chain_extra, root, moment)
    return authority


def _step5_scts(leaf: Certificate, authority: Authority, root: TrustedRoot) -> None:
    """Step 5: an SCT from a CT log of the trusted root, over the leaf as its issuer saw it."""
    sct.verify_scts(leaf, authority.chain[0], root.ctlogs)


def _step6_identity(leaf: Certificate, policy: SignerPolicy) -> Tuple[str, Optional[str]]:
    """Step 6: the certificate's identity and OIDC issuer, once the policy accepts them."""
    found = summarise(leaf)
    policy.check(found)
    return found.san, found.issuer


def _step7_artifact(content: Union[MessageSignature, DsseEnvelope], public_key: PublicKey, artifact: Artifact) -> None:
    """Step 7: the signature binds the artifact (message signature, or DSSE + in-toto subject)."""
    if isinstance(content, MessageSignature):
        dsse.verify_message_signature(
            content, public_key=public_key, artifact_digest=artifact.digest, artifact_bytes=artifact.data
        )
    else:
        dsse.verify_dsse(content, public_key=public_key, artifact_digest=artifact.digest)


def _step8_entries(entries: Sequence[TlogEntry], bundle: Bundle, public_key: PublicKey, digest: bytes) -> None:
    """Step 8: every log entry's body describes this bundle."""
    for entry in entries:
        tlog.verify_entry_body(entry, bundle, public_key=public_key, artifact_digest=digest)


def _step9_result(
    bundle: Bundle, artifact: Artifact, identity: Optional[str], issuer: Optional[str], times: _Times,
    logs: _Logs, weaker: Optional[str],
) -> Verified:
    """Step 9: the verdict, from the first log entry (none in a weaker verdict)."""
    entry_kind, log_url = "", ""  # a weaker verdict has no log entry
    log_index: Optional[int] = None
    index_proof = ""
    claimed: Optional[int] = None
    if logs:
        first_entry, first = logs[0]
        entry_kind = f"{first_entry.kind} {first_entry.kind_version}"
        log_url, log_index, index_proof = first.log.base_url, first.log_index, first.index_proof
        if log_index is None:
            claimed = first_entry.log_index
    return Verified(
        artifact=artifact.name,
        digest=artifact.digest.hex(),
        identity=identity,
        issuer=issuer,
        key_verified=bundle.certificate is None,
        bundle_media_type=bundle.media_type,
        entry_kind=entry_kind,
        log_url=log_url,
        log_index=log_index,
        times=tuple(sorted(times, key=lambda item: item[1])),
        weaker=weaker,
        log_index_proof=index_proof,
        log_index_claimed=claimed,
    )


def _weaker(bundle: Bundle, times: Sequence[Tuple[str, datetime.datetime]]) -> str:
    """Why a verdict without any transparency-log entry is weaker, and what time it rests on."""
    reason = "no transparency-log evidence"
    if times:
        return f"{reason}; signing time from an RFC 3161 timestamp only"
    if bundle.certificate is not None:
        return (f"{reason}; no verified signing time, the chain was checked at the certificate's own notBefore"
                f" {utc(certchain.not_before(bundle.certificate))} (unverified)")
    return f"{reason}; no verified signing time (managed key)"


def verify_without_logs(
    bundle: Bundle,
    *,
    artifact: Artifact,
    trusted_root: TrustedRoot,
    policy: SignerPolicy,
) -> Verified:
    """GitHub's own Sigstore instance: a trusted root that lists no transparency log and no CT
    log, whose bundles carry neither a log entry nor an SCT, and whose trusted time is RFC 3161.

    Only for such a root: one that lists any log or CT log is refused here (step ``tlog``), so a
    bundle whose CA comes from a root with logs can never skip them (:func:`verify` requires
    them). At least one RFC 3161 timestamp, and every one present, must verify against the
    root's timestamp authorities; the chain is checked at each of their times; then identity and
    artifact binding as in :func:`verify`. Nothing was made public: the verdict says so in
    ``Verified.log_url`` being empty.

    Raises:
        VerificationError: ``Step.TLOG`` (a root with logs, or a bundle with a log entry),
            ``Step.SIGNATURE`` (a managed key, or step 7), ``Step.TIMESTAMP`` (none, or one that does
            not verify), ``Step.CERTIFICATE_CHAIN``, ``Step.IDENTITY``.
        InputError: a malformed RFC 3161 token (``Step.TIMESTAMP``).
    """
    if trusted_root.tlogs or trusted_root.ctlogs:
        raise VerificationError(
            "this trusted root lists transparency or CT logs; a bundle of its CAs must carry log evidence", step=Step.TLOG
        )
    if bundle.tlog_entries:
        raise VerificationError(
            "the bundle has a transparency-log entry, but its trusted root lists no log to check it against",
            step=Step.TLOG,
        )
    if bundle.certificate is None:
        raise VerificationError("a bundle without a log entry needs a Fulcio certificate, not a managed key",
                                step=Step.SIGNATURE)
    if not bundle.rfc3161_timestamps:
        raise VerificationError(
            "no verified signing time: the trusted root lists no transparency log, so an RFC 3161 timestamp"
            " is required, and the bundle has none",
            step=Step.TIMESTAMP,
        )
    times = _timestamp_times(bundle, trusted_root)
    for _, moment in times:
        _find_authority(bundle.certificate, bundle.chain, trusted_root, moment)
    identity, issuer = _step6_identity(bundle.certificate, policy)
    _step7_artifact(bundle.content, _certificate_key(bundle.certificate), artifact)
    return Verified(
        artifact=artifact.name,
        digest=artifact.digest.hex(),
        identity=identity,
        issuer=issuer,
        key_verified=False,
        bundle_media_type=bundle.media_type,
        entry_kind="",
        log_url="",
        log_index=None,  # no log entry (as in a weaker verdict)
        times=tuple(sorted(times, key=lambda item: item[1])),
    )
