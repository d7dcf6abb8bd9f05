# SPDX-License-Identifier: Apache-2.0
"""GitHub artifact attestations (``verify-offline github``), through the one pipeline.

What ``gh attestation verify`` checks, offline: a Sigstore bundle with a DSSE envelope whose
in-toto statement names the artifact among its subjects (SHA-256, or SHA-512 for npm), signed by
a GitHub Actions workflow the caller describes by the Fulcio certificate's claims
(sigstore/fulcio ``docs/oid-info.md``):

========================  ====================================================================
``repository``            Source Repository URI (1.12) is ``https://github.com/OWNER/REPO``
``owner``                 Source Repository Owner URI (1.16) is ``https://github.com/OWNER``
``signer_repository``     Build Signer URI (1.9) is a workflow of ``https://github.com/R/``
``signer_workflow``       Build Signer URI (1.9), without its ``@ref``, is that workflow
``identity[_regexp]``     the SAN, exactly or by a full-match regular expression
(default signer)          with none of the four above: 1.9 lies in ``repository`` (or, with
                          ``owner`` only, under that owner) -- the signing workflow is the
                          repository's own
``source_ref``            Source Repository Ref (1.14), exactly
``source_digest``         Source Repository Digest (1.13), exactly
``hosted_runners_only``   Runner Environment (1.11) is ``github-hosted``
``issuer``                OIDC issuer (1.8, or the legacy 1.1), exactly; default GitHub Actions
========================  ====================================================================

and the statement's ``predicateType`` (default SLSA provenance v1), checked after the pipeline
passed, on the envelope it verified (step ``predicate``).

A bundle file may hold one bundle (JSON) or several (JSON Lines, ``.jsonl``, as ``gh attestation
download`` writes); the artifact passes when one of them passes every check. Several trust
roots (a ``.jsonl`` of trusted roots, as ``gh attestation trusted-root`` prints) are tried in
turn for each bundle.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional, Pattern, Sequence, Tuple, Union

from . import _encoding as enc
from .errors import InputError, SigstoreOfflineError, Step, TrustRootError, VerificationError
from .fulcio import (
    BUILD_SIGNER_URI,
    GITHUB,
    GITHUB_ISSUER,
    RUNNER_ENVIRONMENT,
    SOURCE_REPOSITORY_DIGEST,
    SOURCE_REPOSITORY_OWNER_URI,
    SOURCE_REPOSITORY_REF,
    SOURCE_REPOSITORY_URI,
)
from .inputs import hash_file, read_input, shown
from .limits import MAX_BUNDLE_BYTES, MAX_TRUSTED_ROOT_BYTES

if TYPE_CHECKING:  # the verify path is imported on first use: a command line builds a policy cheaply
    from .model import Bundle
    from .policy import CertificateIdentity, SignerPolicy
    from .request import Target, TrustMaterial
    from .verify.pipeline import Verified

__all__ = ["AttestationPolicy", "GithubRequest", "GithubResult", "attestation_policy", "load_bundles",
           "load_trusted_roots", "verify_github"]

SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
STEP = Step.IDENTITY
MAX_BUNDLES = 256  # bundles in one JSON Lines file
MAX_ROOTS = 16  # trusted roots in one JSON Lines file
_SLUG = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_OWNER = re.compile(r"[A-Za-z0-9_.-]+")
# The order of the pipeline's steps, then ours: a failure further along says more.
_PROGRESS = (Step.BUNDLE, Step.TLOG, Step.INCLUSION_PROOF, Step.CHECKPOINT, Step.SET, Step.TIMESTAMP, Step.TIME,
             Step.CERTIFICATE_CHAIN, Step.SCT, Step.IDENTITY, Step.SIGNATURE, Step.TLOG_ENTRY, Step.PREDICATE)


class AttestationPolicy(NamedTuple):
    """Who must have signed, as ``gh attestation verify``'s options say it (module docstring).
    Build it with :func:`attestation_policy`, which checks the combination."""

    repository: Optional[str] = None
    owner: Optional[str] = None
    signer_repository: Optional[str] = None
    signer_workflow: Optional[str] = None
    identity: Optional[str] = None
    identity_regexp: Optional[Pattern[str]] = None
    source_ref: Optional[str] = None
    source_digest: Optional[str] = None
    hosted_runners_only: bool = False
    issuer: str = GITHUB_ISSUER

    def describe(self) -> str:
        parts = [f"repository {self.repository}" if self.repository else f"owner {self.owner}"]
        if self.signer_repository:
            parts.append(f"signer repository {self.signer_repository}")
        if self.signer_workflow:
            parts.append(f"signer workflow {self.signer_workflow}")
        if self.identity:
            parts.append(f"identity {self.identity}")
        if self.identity_regexp is not None:
            parts.append(f"identity /{self.identity_regexp.pattern}/")
        if self.source_ref:
            parts.append(f"ref {self.source_ref}")
        if self.source_digest:
            parts.append(f"commit {self.source_digest}")
        if self.hosted_runners_only:
            parts.append("GitHub-hosted runner")
        return ", ".join(parts)

    def _claim(self, found: "CertificateIdentity", oid: str, name: str, expected: str) -> None:
        value = found.claims.get(oid)
        if value != expected:
            shown_value = "absent or malformed" if value is None else repr(value)
            raise VerificationError(f"certificate {name} is {shown_value}, expected {expected!r}", step=STEP)

    def check(self, found: "CertificateIdentity") -> None:
        if found.issuer != self.issuer:
            raise VerificationError(f"certificate OIDC issuer is {found.issuer or '(none)'}, expected {self.issuer}",
                                    step=STEP)
        if self.repository is not None:
            self._claim(found, SOURCE_REPOSITORY_URI, "Source Repository URI (1.12)", f"{GITHUB}/{self.repository}")
        if self.owner is not None:
            self._claim(found, SOURCE_REPOSITORY_OWNER_URI, "Source Repository Owner URI (1.16)",
                        f"{GITHUB}/{self.owner}")
        self._check_signer(found)
        if self.source_ref is not None:
            self._claim(found, SOURCE_REPOSITORY_REF, "Source Repository Ref (1.14)", self.source_ref)
        if self.source_digest is not None:
            self._claim(found, SOURCE_REPOSITORY_DIGEST, "Source Repository Digest (1.13)", self.source_digest)
        if self.hosted_runners_only:
            self._claim(found, RUNNER_ENVIRONMENT, "Runner Environment (1.11)", "github-hosted")

    def _check_signer(self, found: "CertificateIdentity") -> None:
        if self.identity is not None:
            if self.identity not in found.sans:
                raise VerificationError(f"certificate identity is {', '.join(found.sans) or '(none)'}, expected"
                                        f" {self.identity}", step=STEP)
            return
        if self.identity_regexp is not None:
            if not any(self.identity_regexp.fullmatch(san) for san in found.sans):
                raise VerificationError(f"certificate identity is {', '.join(found.sans) or '(none)'}, which does"
                                        f" not match /{self.identity_regexp.pattern}/ (whole value)", step=STEP)
            return
        signer = found.claims.get(BUILD_SIGNER_URI)
        shown_signer = "absent or malformed" if signer is None else repr(signer)
        if self.signer_workflow is not None:
            if signer is None or signer.rsplit("@", 1)[0] != f"{GITHUB}/{self.signer_workflow}":
                raise VerificationError(f"certificate Build Signer URI (1.9) is {shown_signer}, expected the"
                                        f" workflow {GITHUB}/{self.signer_workflow}@<ref>", step=STEP)
            return
        where = self.signer_repository or self.repository
        if where is not None:
            prefix, what = f"{GITHUB}/{where}/", f"a workflow of {GITHUB}/{where}"
        else:
            prefix, what = f"{GITHUB}/{self.owner}/", f"a workflow of a repository of {GITHUB}/{self.owner}"
        if signer is None or not signer.startswith(prefix):
            hint = None if self.signer_repository else ("a reusable workflow of another repository signed; name it"
                                                        " as the signer repository or workflow if you trust it")
            raise VerificationError(f"certificate Build Signer URI (1.9) is {shown_signer}, not {what}", step=STEP,
                                    hint=hint)


def attestation_policy(*, repository: Optional[str] = None, owner: Optional[str] = None,
                       signer_repository: Optional[str] = None, signer_workflow: Optional[str] = None,
                       identity: Optional[str] = None, identity_regexp: Optional[str] = None,
                       source_ref: Optional[str] = None, source_digest: Optional[str] = None,
                       hosted_runners_only: bool = False, issuer: Optional[str] = None) -> AttestationPolicy:
    """A checked :class:`AttestationPolicy`; ``ValueError`` for a contradiction or a malformed value."""
    if (repository is None) == (owner is None):
        raise ValueError("give the repository (OWNER/REPO) or the owner the artifact's source belongs to, one of them")
    if repository is not None:
        repository = repository.removeprefix(GITHUB + "/").removesuffix("/")
        if not _SLUG.fullmatch(repository):
            raise ValueError(f"repository {repository!r}: expected OWNER/REPO")
    if owner is not None and not _OWNER.fullmatch(owner):
        raise ValueError(f"owner {owner!r}: expected a GitHub user or organization name")
    signers = [v for v in (signer_repository, signer_workflow, identity, identity_regexp) if v is not None]
    if len(signers) > 1:
        raise ValueError("give at most one of: the signer repository, the signer workflow, an exact identity, an"
                         " identity regular expression")
    if signer_repository is not None:
        signer_repository = signer_repository.removeprefix(GITHUB + "/").removesuffix("/")
        if not _SLUG.fullmatch(signer_repository):
            raise ValueError(f"signer repository {signer_repository!r}: expected OWNER/REPO")
    if signer_workflow is not None:
        signer_workflow = signer_workflow.removeprefix(GITHUB + "/").removeprefix("github.com/")
        parts = signer_workflow.split("/")
        if (len(parts) != 5 or parts[2:4] != [".github", "workflows"] or not _SLUG.fullmatch("/".join(parts[:2]))
                or not parts[4] or "@" in signer_workflow):
            raise ValueError(f"signer workflow {signer_workflow!r}: expected OWNER/REPO/.github/workflows/FILE"
                             " (without @ref)")
    compiled = None
    if identity_regexp is not None:
        try:
            compiled = re.compile(identity_regexp)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
    for what, value in (("source ref", source_ref), ("source digest", source_digest), ("OIDC issuer", issuer),
                        ("identity", identity)):
        if value is not None and not value.strip():
            raise ValueError(f"the {what} is empty")
    return AttestationPolicy(repository, owner, signer_repository, signer_workflow, identity, compiled, source_ref,
                             source_digest, hosted_runners_only, issuer if issuer is not None else GITHUB_ISSUER)


# --- input files ---------------------------------------------------------------------------------

Loaded = Union["Bundle", InputError]


def _is_jsonl(path: str) -> bool:
    return path.endswith(".jsonl")


def load_bundles(path: str) -> List[Tuple[str, Loaded]]:
    """``(label, bundle or its parse error)`` for each bundle of ``path``: one for a JSON file,
    one a non-blank line for JSON Lines. An unreadable file, or one with no bundle, raises."""
    from . import cosign

    if not _is_jsonl(path):
        raw = read_input(path, limit=MAX_BUNDLE_BYTES, what="bundle", step=Step.BUNDLE)
        return [(shown(path), cosign.parse_any_bundle(raw, source=shown(path)))]
    raw = read_input(path, limit=MAX_BUNDLE_BYTES * 4, what="bundle file", step=Step.BUNDLE)
    lines = [(number, line) for number, line in enumerate(raw.split(b"\n"), start=1) if line.strip()]
    if not lines:
        raise InputError(f"bundle file {shown(path)} holds no bundle", step=Step.BUNDLE)
    if len(lines) > MAX_BUNDLES:
        raise InputError(f"bundle file {shown(path)} holds {len(lines)} bundles, more than {MAX_BUNDLES}",
                         step=Step.BUNDLE)
    loaded: List[Tuple[str, Loaded]] = []
    for number, line in lines:
        label = f"{shown(path)}:{number}"
        try:
            loaded.append((label, cosign.parse_any_bundle(line, source=label)))
        except InputError as exc:
            loaded.append((label, exc))
    return loaded


def load_trusted_roots(path: str) -> Tuple[List["TrustMaterial"], List[str]]:
    """The trusted roots of a JSON file, or of a JSON Lines file (one a line, as ``gh attestation
    trusted-root`` prints), and a warning for each line this verifier cannot use. None usable:
    :class:`TrustRootError`."""
    from .request import TrustMaterial
    from .trust.trusted_root import parse_trusted_root

    raw = read_input(path, limit=MAX_TRUSTED_ROOT_BYTES, what="trusted root", step=Step.TRUST_ROOT, error=TrustRootError)
    if not _is_jsonl(path):
        documents = [(shown(path), raw)]
    else:
        documents = [(f"{shown(path)}:{n}", line) for n, line in enumerate(raw.split(b"\n"), start=1) if line.strip()]
        if len(documents) > MAX_ROOTS:
            raise TrustRootError(f"{shown(path)} holds {len(documents)} trusted roots, more than {MAX_ROOTS}",
                                 step=Step.TRUST_ROOT)
    roots: List["TrustMaterial"] = []
    warnings: List[str] = []
    problems: List[str] = []
    for label, document in documents:
        try:
            root = parse_trusted_root(document, source=label, allow_no_logs=True)
        except TrustRootError as exc:
            problems.append(exc.message)
            continue
        roots.append(TrustMaterial(root, None, {"source": root.source, "sha256": root.sha256}, (), False))
    if not roots:
        raise TrustRootError(f"no usable trusted root in {shown(path)}: {'; '.join(problems) or 'it is empty'}",
                             step=Step.TRUST_ROOT)
    warnings.extend(f"trusted root {problem}; it is not used" for problem in problems)
    return roots, warnings


# --- verification --------------------------------------------------------------------------------


class GithubRequest(NamedTuple):
    """One artifact against its attestation bundle file(s).

    Attributes:
        target: the artifact: a file, or a ``sha256:``/``sha512:`` digest.
        bundle: the bundle file (JSON, or JSON Lines); ``None``: ``FILE.sigstore``,
            ``FILE.sigstore.json``, or ``sha256:HEX.jsonl`` (``gh attestation download``'s name)
            beside a file.
        policy: who must have signed: an :class:`AttestationPolicy`, or any identity policy
            (``policy.SignerPolicy``, e.g. a signers file's ``upstream.AnySigner``).
        predicate_type: the statement's required ``predicateType``.
    """

    target: "Target"
    bundle: Optional[str]
    policy: "SignerPolicy"
    predicate_type: str = SLSA_PROVENANCE_V1


class GithubResult(NamedTuple):
    verified: "Verified"
    predicate_type: str
    bundle: str  # which bundle passed: the file, or FILE:LINE
    bundles: int  # how many the file held
    trust_root: Any  # the passing root's description

    def as_json(self) -> Dict[str, Any]:
        record = {**self.verified.as_json(), "predicate_type": self.predicate_type, "bundle": self.bundle,
                  "bundles": self.bundles, "trust_root": self.trust_root}
        if not self.verified.log_url:  # GitHub's own instance: nothing logged, time from RFC 3161
            record.update({"tlog": False, "entry_kind": None, "log": None, "log_index": None})
        return record


def _predicate_type(bundle: "Bundle", required: str) -> str:
    """The verified statement's predicateType, which must be ``required``."""
    from .model import DsseEnvelope

    envelope = bundle.content
    if not isinstance(envelope, DsseEnvelope):  # the pipeline passed: a message signature has no statement
        raise VerificationError("the bundle signs the artifact itself, not an attestation (no in-toto statement)",
                                step=Step.PREDICATE)
    try:
        statement = enc.obj(enc.load_json(envelope.payload), "in-toto statement")
        found = enc.string(enc.req(statement, "predicateType", "in-toto statement"), "predicateType")
    except ValueError as exc:
        raise VerificationError(f"in-toto statement has no usable predicateType: {exc}", step=Step.PREDICATE) from None
    if found != required:
        raise VerificationError(f"attestation predicate type is {found!r}, expected {required!r}", step=Step.PREDICATE)
    return found


def _attempt(bundle: "Bundle", digest: bytes, name: str, request: GithubRequest,
             trust: "TrustMaterial") -> GithubResult:
    from . import cosign
    from .verify.pipeline import Artifact, verify, verify_without_logs

    root = trust.root
    if not root.tlogs and not root.ctlogs:  # GitHub's own instance: RFC 3161 time, nothing logged
        verified = verify_without_logs(bundle, artifact=Artifact(name, digest), trusted_root=root,
                                       policy=request.policy)
    else:  # a root that lists logs: its CAs' bundles need log evidence, always
        verified = verify(cosign.prepare(bundle), artifact=Artifact(name, digest), trusted_root=root,
                          policy=request.policy)
    return GithubResult(verified, _predicate_type(bundle, request.predicate_type), "", 0, trust.described)


def _progress(exc: SigstoreOfflineError) -> Tuple[int, int]:
    verification = isinstance(exc, VerificationError)
    return (int(verification), _PROGRESS.index(exc.step) if exc.step in _PROGRESS else -1)


def _issued_by(bundle: "Bundle", trust: "TrustMaterial") -> bool:
    """Whether one of the root's CAs has the name that issued the bundle's certificate: that root's
    failure says more than another root's (a public-good bundle under GitHub's log-less root fails
    for want of a timestamp, which is beside the point)."""
    certificate = bundle.certificate
    if certificate is None:
        return False
    return any(authority.chain and authority.chain[0].subject == certificate.issuer
               for authority in trust.root.certificate_authorities)


def _bundle_file(target: "Target", explicit: Optional[str]) -> str:
    """``explicit``; else beside a file: ``FILE.sigstore``, ``FILE.sigstore.json``, then the
    ``sha256:HEX.jsonl`` that ``gh attestation download`` writes, in the file's directory."""
    import os

    from .request import find_bundle

    try:
        return find_bundle(target, explicit)
    except InputError:
        if target.path is None:
            raise
        downloaded = os.path.join(os.path.dirname(target.path), f"sha256:{hash_file(target.path)[0].hex()}.jsonl")
        if os.path.isfile(downloaded):
            return downloaded
        raise InputError(f"no attestation for {shown(target.path)}: neither {shown(target.path)}.sigstore,"
                         f" {shown(target.path)}.sigstore.json nor {shown(downloaded)} exists", step=Step.BUNDLE,
                         hint="name the bundle file explicitly") from None


def verify_github(request: GithubRequest, trusts: Sequence["TrustMaterial"]) -> GithubResult:
    """Verify the artifact: pass when one bundle of the file passes every check against one of
    ``trusts``; else raise the most telling failure (under the root whose CA issued the bundle's
    certificate, if any; the one that got furthest), naming how many bundles failed.

    Raises:
        VerificationError: no bundle verified.
        InputError: the artifact or the bundle file is unreadable; or every bundle is malformed.
        ValueError: a digest without its bundle file named, no trust root.
    """
    from .model import DsseEnvelope
    from .request import artifact_digest
    from .verify import dsse

    if not trusts:
        raise ValueError("no trust root to verify against")
    target = request.target
    if target.path is None and request.bundle is None:
        raise ValueError(f"{shown(target.spec)}: a digest needs its bundle file named")
    bundles = load_bundles(_bundle_file(target, request.bundle))
    name = shown(target.name if target.path is None and target.name is not None else target.spec)
    digests: Dict[str, bytes] = {}
    failures: List[Tuple[str, SigstoreOfflineError, bool]] = []  # (bundle, error, under its issuer's root)
    for label, loaded in bundles:
        if isinstance(loaded, InputError):
            failures.append((label, loaded, False))
            continue
        if target.path is None:
            try:
                digest = artifact_digest(target, loaded)[0]  # a sha512: digest needs a statement
            except InputError as exc:
                failures.append((label, exc, False))
                continue
        else:
            algorithm = dsse.subject_algorithm(loaded.content) if isinstance(loaded.content, DsseEnvelope) else "sha256"
            if algorithm not in digests:
                digests[algorithm] = hash_file(target.path, algorithm=algorithm)[0]
            digest = digests[algorithm]
        for trust in trusts:
            try:
                result = _attempt(loaded, digest, name, request, trust)
            except SigstoreOfflineError as exc:
                failures.append((label, exc, _issued_by(loaded, trust)))
                continue
            return result._replace(bundle=label, bundles=len(bundles))
    label, worst, _ = max(failures, key=lambda item: (item[2], *_progress(item[1])))
    if len(failures) == 1:
        raise worst
    many = f"none of the {len(bundles)} bundle(s) verified" + (
        f" against any of the {len(trusts)} trusted roots" if len(trusts) > 1 else "")
    raise worst.with_context(prefix=f"{label}: ", hint=f"{many}; this is the one that got furthest")


def summary(result: GithubResult) -> str:
    """The ``OK:`` line's details: predicate type, signer, log entry."""
    verified = result.verified
    where = f"{verified.log_url.split('://', 1)[-1]} {verified.index_text}" if verified.log_url else (
        "not logged (GitHub instance; time from RFC 3161)")
    return f"{result.predicate_type}  {verified.identity} ({verified.issuer})  {where}"
