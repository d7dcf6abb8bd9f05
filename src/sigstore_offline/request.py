# SPDX-License-Identifier: Apache-2.0
"""The one way into the pipeline: what every command does before and around ``pipeline.verify``.

``verify-offline``, its ``pypi`` verb, ``sigstoreverify`` and ``--manifest`` all:

1. choose and open the trust material (:func:`open_trust` with a :class:`TrustChoice`): a
   shipped snapshot, a snapshot directory, a ``trusted_root.json`` or a ClientTrustConfig; its
   manifest pins checked, its age measured against an optional limit;
2. build the signer policy (:func:`identity_policy`, an upstream policy, or a managed key from
   :func:`load_key`);
3. resolve the target (:func:`resolve_target`: a file to hash, or a ``sha256:`` digest, with
   the upstream file name a policy needs);
4. find and read the bundle (:func:`find_bundle`, :func:`load_bundle`: a Sigstore bundle or
   cosign's old bundle JSON; or cosign's detached files, :class:`cosign.DetachedInputs`);
5. verify (:func:`verify_request` with a :class:`Request`) and add the hints a human needs.

Rendering the verdict is :mod:`.report`. This layer takes typed values, never command-line
flags, and names none in its messages; a caller's contradictory request is a ``ValueError`` in
these words, which the command line turns into a usage error.
"""

from __future__ import annotations

import datetime
import os
import pathlib
import re
from typing import TYPE_CHECKING, Any, Dict, NamedTuple, Optional, Tuple

from . import cosign, hints
from ._encoding import utc
from .errors import InputError, Step, VerificationError
from .inputs import hash_file, read_input, shown
from .limits import MAX_BUNDLE_BYTES, MAX_KEY_BYTES
from .model import Bundle
from .policy import Identity, SignerPolicy
from .trust import snapshot, store
from .trust.snapshot import SnapshotInfo
from .trust.trusted_root import TrustedRoot
from .verify import certchain
from .verify.pipeline import Artifact, Verified, verify

if TYPE_CHECKING:
    from .upstream import UpstreamPolicy

__all__ = [
    "BUNDLE_SUFFIXES",
    "REKOR_FRAGMENT_HINT",
    "STAGING_HINT",
    "STALE_DAYS",
    "ATTESTATION_SUFFIXES",
    "PypiRequest",
    "Request",
    "Target",
    "TrustChoice",
    "TrustMaterial",
    "find_attestations",
    "find_bundle",
    "identity_policy",
    "load_bundle",
    "load_key",
    "open_trust",
    "resolve_target",
    "snapshot_hint",
    "verify_pypi",
    "verify_request",
]

BUNDLE_SUFFIXES = (".sigstore", ".sigstore.json")
STALE_DAYS = snapshot.STALE_AFTER_DAYS  # an older snapshot is used, with a warning
_DIGEST = re.compile(r"(sha256|sha384|sha512|[a-z0-9-]+):([0-9a-fA-F]+)")
_SHA256 = re.compile(r"sha256:([0-9a-fA-F]{64})")
_SHA512 = re.compile(r"sha512:([0-9a-fA-F]{128})")
_DIGEST_LENGTHS = {"sha256": 64, "sha512": 128}
_HINT_STEPS = (Step.CERTIFICATE_CHAIN, Step.TLOG, Step.TIMESTAMP)
REKOR_FRAGMENT_HINT = hints.REKOR_FRAGMENT
STAGING_HINT = hints.STAGING


# --- 1. trust material ----------------------------------------------------------------------


class TrustChoice(NamedTuple):
    """Which trust material to use.

    Attributes:
        path: a ``trusted_root.json``, a ClientTrustConfig file or a snapshot directory; ``None``
            for the shipped snapshot of ``instance``.
        instance: the shipped instance used when ``path`` is ``None`` (``store.PRODUCTION`` or
            ``store.STAGING``).
        max_age_days: refuse a snapshot refreshed more than this many days ago; ``None``: no limit.
        allow_no_logs: accept a trusted root that lists no transparency log (GitHub's own
            instance; only ``verify-offline github``, whose bundles then need an RFC 3161 timestamp).
    """

    path: Optional[str] = None
    instance: str = store.PRODUCTION
    max_age_days: Optional[int] = None
    allow_no_logs: bool = False


class TrustMaterial(NamedTuple):
    """Opened trust material.

    Attributes:
        root: the parsed trusted root.
        snapshot: the snapshot it came from, or ``None`` for a plain file (no pins, no age).
        described: what ``--json`` reports of it (source, sha256, snapshot and its age).
        warnings: lines to show the operator (a stale snapshot, a refresh time in the future).
        shipped_production: the shipped production snapshot, where a failure may come from a
            bundle signed on staging (then the staging hint is worth computing).
    """

    root: TrustedRoot
    snapshot: Optional[SnapshotInfo]
    described: Dict[str, Any]
    warnings: Tuple[str, ...]
    shipped_production: bool


def open_trust(choice: TrustChoice, now: datetime.datetime) -> TrustMaterial:
    """Open the trust material ``choice`` names, judged at ``now`` (the caller's one clock read).

    Raises:
        TrustRootError: missing, corrupt, pins not matching, or older than ``max_age_days``.
        ValueError: an empty path, a negative age, or an age limit on a plain file.
    """
    if choice.max_age_days is not None and choice.max_age_days < 0:
        raise ValueError("the trust-root age limit must be zero or more days")
    if choice.path is not None:
        if not choice.path.strip():
            raise ValueError("the trust-root path is empty")
        root, info = store.open_trust_root(pathlib.Path(choice.path), allow_no_logs=choice.allow_no_logs)
    else:
        root, info = store.open_shipped(choice.instance, allow_no_logs=choice.allow_no_logs)
    described: Dict[str, Any] = {"source": root.source, "sha256": root.sha256}
    warnings: Tuple[str, ...] = ()
    if info is not None:
        described["snapshot"] = info.as_json(now)
        warnings = tuple(snapshot.check_age(info, now, max_age_days=choice.max_age_days))
    elif choice.max_age_days is not None:
        raise ValueError("an age limit needs a trust-root snapshot (a directory with a manifest), not a file")
    return TrustMaterial(root, info, described, warnings,
                         shipped_production=choice.path is None and choice.instance == store.PRODUCTION)


# --- 2. the signer --------------------------------------------------------------------------


def identity_policy(*, identity: Optional[str] = None, identity_regexp: Optional[str] = None,
                    issuer: Optional[str] = None, issuer_regexp: Optional[str] = None) -> Identity:
    """An exact-or-regexp identity and issuer policy; ``ValueError`` unless exactly one identity
    form and one issuer form are given, or when a regular expression does not compile."""
    if (identity is None) == (identity_regexp is None):
        raise ValueError("give the signer's identity: exactly one of an exact identity or a regular expression")
    if (issuer is None) == (issuer_regexp is None):
        raise ValueError("give the signer's OIDC issuer: exactly one of an exact issuer or a regular expression")
    try:
        return Identity.build(san=identity, san_regexp=identity_regexp, issuer=issuer, issuer_regexp=issuer_regexp)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None


def load_key(path: str) -> Any:
    """A PEM public key file (a managed-key signer); every problem is an :class:`InputError`."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    from . import _x509

    data = read_input(path, limit=MAX_KEY_BYTES, what="key", step=Step.KEY)
    try:
        return load_der_public_key(_x509.pem_public_key(data))  # canonical DER on every cryptography version
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InputError(f"key {shown(path)} is not a PEM public key", step=Step.KEY) from None
    except Exception as exc:  # noqa: BLE001 -- whatever cryptography raises on odd input is malformed input
        raise InputError(f"key {shown(path)} is not a usable PEM public key ({type(exc).__name__})",
                         step=Step.KEY) from None


# --- 3. the target --------------------------------------------------------------------------


class Target(NamedTuple):
    """What is verified.

    Attributes:
        spec: the target as given (a path, or ``sha256:<hex>``), for messages.
        path: the file to hash, or ``None`` for a digest.
        digest: the SHA-256 (32 bytes) or SHA-512 (64 bytes) when given as a digest, else ``None``
            (the file is hashed later, with the hash its bundle needs).
        name: the upstream file name a policy reads: ``name`` if given, else the file's base name;
            ``None`` for a digest without a name.
    """

    spec: str
    path: Optional[str]
    digest: Optional[bytes]
    name: Optional[str]


def resolve_target(spec: str, *, name: Optional[str] = None) -> Target:
    """A file, ``sha256:<64 hex>`` or ``sha512:<128 hex>`` (a file of that name wins);
    ``ValueError`` for an empty target, and :class:`InputError` for a digest this verifier cannot
    use. A SHA-512 is checked against in-toto subjects only (npm provenance); a hashedrekord
    bundle signs the SHA-256, and :func:`verify_request` says so."""
    if not spec:
        raise ValueError("the artifact is empty: give a file or sha256:<64 hex digits>")
    if not os.path.lexists(spec):
        match = _SHA256.fullmatch(spec) or _SHA512.fullmatch(spec)
        if match:
            return Target(spec, None, bytes.fromhex(match.group(1)), name)
        other = _DIGEST.fullmatch(spec)
        if other and other.group(1) not in _DIGEST_LENGTHS:
            raise InputError(f"{shown(spec)}: unsupported digest algorithm {other.group(1)!r}; give the file,"
                             " or its sha256: (or sha512:) digest", step=Step.ARTIFACT)
        if other:
            raise InputError(f"{shown(spec)}: a {other.group(1)} digest has {_DIGEST_LENGTHS[other.group(1)]} hex"
                             f" digits, found {len(other.group(2))}", step=Step.ARTIFACT)
    return Target(spec, spec, None, name if name is not None else os.path.basename(spec))


# --- 4. the bundle ----------------------------------------------------------------------------


def find_bundle(target: Target, explicit: Optional[str]) -> str:
    """``explicit``, or the target file's ``.sigstore`` / ``.sigstore.json`` beside it."""
    if explicit is not None:
        return explicit
    if target.path is None:
        raise ValueError(f"{shown(target.spec)}: a digest needs its bundle named")
    for suffix in BUNDLE_SUFFIXES:
        if os.path.lexists(target.path + suffix):
            return target.path + suffix
    if os.path.lexists(target.path + ".rekor"):
        raise InputError(
            f"no bundle for {shown(target.path)}: {shown(target.path)}.rekor is a Rekor entry fragment, not a bundle",
            step=Step.BUNDLE,
            hint=REKOR_FRAGMENT_HINT,
        )
    raise InputError(f"no bundle for {shown(target.path)}: neither {shown(target.path)}.sigstore nor"
                     f" {shown(target.path)}.sigstore.json exists", step=Step.BUNDLE,
                     hint="name the bundle explicitly")


def load_bundle(path: str) -> Bundle:
    """Read (size-capped) and parse a bundle file: a Sigstore bundle, or cosign's old bundle JSON.
    Every problem is an :class:`InputError` at step ``bundle``."""
    raw = read_input(path, limit=MAX_BUNDLE_BYTES, what="bundle", step=Step.BUNDLE)
    return cosign.parse_any_bundle(raw, source=shown(path))


# --- 5. verification -------------------------------------------------------------------------


class Request(NamedTuple):
    """One verification, fully described.

    Attributes:
        target: the resolved target.
        bundle: the bundle file; ``None`` finds it beside a file target (or uses ``detached``).
        policy: the identity policy; ``None`` with a ``key``, or when ``upstream`` picks it.
        upstream: an upstream policy (``upstream.UpstreamPolicy``) choosing the signer by the
            target's file name; ``None``: none.
        key: a managed public key; ``None`` for a certificate (keyless) bundle.
        detached: cosign's detached signature inputs instead of a bundle; ``None``: a bundle.
        timestamp: cosign's RFC 3161 timestamp file to attach; ``None``: none.
        allow_no_tlog: accept cosign input without a log entry, as a WEAKER verdict.
    """

    target: Target
    bundle: Optional[str] = None
    policy: Optional[SignerPolicy] = None
    upstream: Optional[UpstreamPolicy] = None
    key: Any = None
    detached: Optional[cosign.DetachedInputs] = None
    timestamp: Optional[str] = None
    allow_no_tlog: bool = False


def signer_for(request: Request) -> Optional[SignerPolicy]:
    """The identity policy of ``request``: the upstream policy's choice for the file name, or its own."""
    if request.upstream is None:
        return request.policy
    if request.target.name is None:
        raise ValueError(f"{shown(request.target.spec)}: an upstream policy needs the artifact's file name for a digest")
    return request.upstream.for_artifact(request.target.name)


def verify_request(request: Request, trust: TrustMaterial) -> Verified:
    """Verify one request against ``trust``.

    Raises:
        VerificationError: a check failed (with a hint where one helps: staging, an old snapshot).
        InputError: the artifact, bundle or cosign files are unreadable or malformed.
        ValueError: the request contradicts itself (the caller's mistake).
    """
    target = request.target
    if target.digest is None and target.path is None:
        raise ValueError("the target has neither a file nor a digest")
    if request.detached is not None and request.bundle is not None:
        raise ValueError("give either a bundle or a detached signature, not both")
    policy = signer_for(request)
    if target.digest is not None and request.bundle is None and request.detached is None:
        raise ValueError(f"{shown(target.spec)}: a digest needs its bundle (or a detached signature) named")
    if request.detached is not None:
        bundle = cosign.load_detached(request.detached, trust.root)
    else:
        bundle = load_bundle(find_bundle(target, request.bundle))
    bundle = cosign.prepare(bundle, timestamp=request.timestamp, allow_no_tlog=request.allow_no_tlog)
    digest, data = artifact_digest(target, bundle, request.key)
    shown_name = shown(target.name if target.path is None and target.name is not None else target.spec)
    artifact = Artifact(shown_name, digest, data)
    try:
        return verify(bundle, artifact=artifact, trusted_root=trust.root, policy=policy, key=request.key,
                      allow_no_tlog=request.allow_no_tlog)
    except VerificationError as exc:
        if exc.hint is not None:
            raise
        hint = staging_hint(bundle, exc, artifact, policy, request.key) if trust.shipped_production else None
        if hint is None:
            hint = snapshot_hint(bundle, exc, trust)
        if hint is None:
            raise
        raise exc.with_context(hint=hint) from exc


def artifact_digest(target: Target, bundle: Bundle, key: Any = None) -> Tuple[bytes, Optional[bytes]]:
    """The digest the bundle is checked against, and the bytes where a managed Ed25519 key needs
    them: a given digest as it is; a file hashed with SHA-256, or with SHA-512 for a DSSE bundle
    whose statement names its subjects by SHA-512 only (npm provenance).

    Raises:
        InputError: a SHA-512 digest with a message-signature (hashedrekord) bundle, which signs
            the SHA-256: give the file or its sha256: digest.
    """
    from .model import DsseEnvelope
    from .verify import dsse

    if target.digest is not None:
        if len(target.digest) != 32 and not isinstance(bundle.content, DsseEnvelope):
            raise InputError(f"{shown(target.spec)}: this bundle signs the artifact's SHA-256 (a message signature),"
                             " which a sha512: digest cannot be checked against; give the file, or its sha256:"
                             " digest", step=Step.ARTIFACT)
        return target.digest, None
    from cryptography.hazmat.primitives.asymmetric import ed25519  # only managed Ed25519 keys need the bytes

    algorithm = dsse.subject_algorithm(bundle.content) if isinstance(bundle.content, DsseEnvelope) else "sha256"
    return hash_file(target.path or "", keep=isinstance(key, ed25519.Ed25519PublicKey), algorithm=algorithm)


def staging_hint(bundle: Bundle, exc: VerificationError, artifact: Artifact, policy: Optional[SignerPolicy],
                 key: Any) -> Optional[str]:
    """A failure against production at a trust step that passes those steps against the shipped
    staging snapshot: the bundle was signed on staging."""
    if exc.step not in _HINT_STEPS:
        return None
    try:
        verify(bundle, artifact=artifact, trusted_root=store.shipped(store.STAGING), policy=policy, key=key)
    except VerificationError as again:
        if again.step in _HINT_STEPS:
            return None
    except Exception:  # noqa: BLE001 -- the hint is best effort; the original failure stands
        return None
    return STAGING_HINT


_SNAPSHOT_STEPS = (Step.CERTIFICATE_CHAIN, Step.TLOG, Step.TIMESTAMP, Step.SCT)


def snapshot_hint(bundle: Bundle, exc: VerificationError, trust: TrustMaterial) -> Optional[str]:
    """A failure at a trust step, where the bundle is newer than the snapshot or names a log or CA
    the snapshot does not list: the snapshot is the likely cause, and updating it the remedy."""
    info = trust.snapshot
    if info is None or exc.step not in _SNAPSHOT_STEPS:
        return None
    refreshed = utc(info.refreshed_at)
    dated = info.dated
    remedy = ("update the distribution's sigstore-offline trust-root package, or run the trust-root refresh job"
              " (docs/trust-roots.md)")
    issued = certchain.not_before(bundle.certificate) if bundle.certificate is not None else None
    times = [datetime.datetime.fromtimestamp(e.integrated_time, datetime.timezone.utc)
             for e in bundle.tlog_entries if e.integrated_time]
    signed = issued or (min(times) if times else None)
    if signed is not None and signed > info.refreshed_at:
        return (f"the bundle was signed {utc(signed)}, after this trust-root snapshot was {dated} ({refreshed});"
                f" {remedy}")
    unknown_log = any(trust.root.tlog(entry.log_id) is None for entry in bundle.tlog_entries)
    issuer = bundle.certificate.issuer if bundle.certificate is not None else None
    unknown_ca = issuer is not None and not any(
        authority.chain and authority.chain[0].subject == issuer for authority in trust.root.certificate_authorities)
    if unknown_log or unknown_ca:
        what = "transparency log" if unknown_log else "certificate authority"
        return (f"the bundle's {what} is not in this trust-root snapshot ({dated} {refreshed}); if it is newer"
                f" than the snapshot, {remedy}")
    return None


def digest_of(target: Target) -> Tuple[bytes, Optional[str]]:
    """The target's SHA-256 (hashing a file) and the file name a PEP 740 check needs."""
    if target.digest is not None:
        return target.digest, target.name
    return hash_file(target.path or "")[0], target.name


# --- PEP 740: a distribution and its attestations ---------------------------------------------

ATTESTATION_SUFFIXES = (".provenance", ".publish.attestation")


class PypiRequest(NamedTuple):
    """One distribution against its PEP 740 attestations.

    Attributes:
        target: the resolved distribution (a file, or a digest with its file name).
        filename: the distribution's file name the statements must name.
        policy: a Trusted Publisher (``pypi.publishers``) or an :class:`Identity`.
        provenance: a provenance file (PyPI's Integrity API response); ``None``: see below.
        attestations: attestation files; empty with no ``provenance``: the file's
            ``.provenance`` or ``.publish.attestation`` beside it.
    """

    target: Target
    filename: str
    policy: Any
    provenance: Optional[str] = None
    attestations: Tuple[str, ...] = ()


def find_attestations(target: Target) -> Tuple[Optional[str], Tuple[str, ...]]:
    """The provenance or attestation file beside a distribution file; ``ValueError`` if none."""
    if target.path is None:
        raise ValueError(f"{shown(target.spec)}: a digest needs its provenance or attestations named")
    for suffix in ATTESTATION_SUFFIXES:
        if os.path.lexists(target.path + suffix):
            return (target.path + suffix, ()) if suffix == ".provenance" else (None, (target.path + suffix,))
    raise ValueError(f"no attestation for {shown(target.path)}: neither {shown(target.path)}.provenance nor"
                     f" {shown(target.path)}.publish.attestation exists")


def verify_pypi(request: PypiRequest, trust: TrustMaterial) -> Any:
    """Verify a distribution; returns a ``pypi.verify.DistributionResult``.

    Raises:
        VerificationError: an attestation, its statement or its publisher does not verify.
        InputError: the distribution or an attestation file is unreadable or malformed.
        ValueError: nothing to verify against, or an environment check without a provenance.
    """
    from .limits import MAX_ATTESTATION_FILE_BYTES
    from .pypi.attestation import parse_attestation, parse_provenance
    from .pypi.verify import Source, verify_distribution

    if request.target.digest is not None and len(request.target.digest) != 32:
        raise InputError(f"{shown(request.target.spec)}: PEP 740 attestations name a distribution by its SHA-256;"
                         " give the file or its sha256: digest", step=Step.ARTIFACT)
    digest = digest_of(request.target)[0]
    provenance, attestations = request.provenance, request.attestations
    if provenance is None and not attestations:
        provenance, attestations = find_attestations(request.target)
    if provenance is not None:
        parsed = parse_provenance(read_input(provenance, limit=MAX_ATTESTATION_FILE_BYTES, what="provenance",
                                             step=Step.PROVENANCE), source=shown(provenance))
        sources = [Source(a, bundle.publisher) for bundle in parsed.bundles for a in bundle.attestations]
    else:
        if getattr(request.policy, "environment", None) is not None:
            raise ValueError(f"{shown(request.target.spec)}: an environment is checked against a provenance's"
                             " publisher record, and attestation objects carry none")
        sources = [Source(parse_attestation(read_input(path, limit=MAX_ATTESTATION_FILE_BYTES, what="attestation",
                                                       step=Step.ATTESTATION), source=shown(path)))
                   for path in attestations]

    def hint(bundle: Bundle, exc: VerificationError, artifact: Artifact) -> Optional[str]:
        return staging_hint(bundle, exc, artifact, request.policy, None)

    return verify_distribution(filename=request.filename, digest=digest, sources=sources, policy=request.policy,
                               trusted_root=trust.root, hint=hint if trust.shipped_production else None)
