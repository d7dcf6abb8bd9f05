"""``verify-offline pypi``: verify Python distributions against their PEP 740 attestations, offline.

``main(argv) -> int`` (argv without the leading ``pypi``), same conventions and exit codes as
``verify-offline`` (see :mod:`.verify_offline`): 0 verified, 1 verification failed, 2 usage
error, 3 trust root unusable, 4 input unreadable or malformed, 5 internal error. With several
distributions the exit code is the largest of theirs. See ``man/verify-offline-pypi.1``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import re
import sys
from typing import Any, Dict, List, Optional, Sequence, TextIO

from .. import __version__
from .._encoding import utc
from ..errors import (
    EXIT_BUG,
    EXIT_OK,
    InputError,
    SigstoreOfflineError,
    TrustRootError,
    UsageError,
)
from ..limits import MAX_ATTESTATION_FILE_BYTES
from ..policy import Identity
from ..pypi import distname, publishers
from ..pypi.attestation import parse_attestation, parse_provenance
from ..pypi.verify import DistributionResult, Source, verify_distribution
from ..trust import store
from .verify_offline import (
    DIGEST,
    _Parser,
    _report_failure,
    _staging_hint,
    _trusted_root,
    hash_file,
)

PROG = "verify-offline pypi"
DEFAULT_SUFFIXES = (".provenance", ".publish.attestation")
_GITHUB_SLUG = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_GITLAB_PATH = re.compile(r"[^/\s]+(?:/[^/\s]+)+")
_SHORT_PREDICATES = {
    "https://docs.pypi.org/attestations/publish/v1": "publish/v1",
    "https://slsa.dev/provenance/v1": "slsa-provenance/v1",
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Verify Python distributions offline against their PEP 740 attestations (a PyPI"
        " provenance file, or attestation objects): every attestation's Sigstore material, its in-toto"
        " statement (this file, its SHA-256, a PyPI predicate type) and the Trusted Publisher.",
        epilog="Exit status: 0 verified, 1 verification failed, 2 usage error, 3 trust root unusable,"
        " 4 input unreadable or malformed, 5 internal error.",
    )
    parser.add_argument("distributions", nargs="+", metavar="DIST_OR_DIGEST",
                        help="a distribution file (sdist or wheel), or sha256:<64 hex> with --name")
    parser.add_argument("--name", metavar="FILENAME",
                        help="the distribution's filename (needed with a digest; overrides a file's own name)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--provenance", metavar="FILE",
                        help="a PEP 740 provenance object (PyPI's Integrity API response)"
                        " (default: DIST.provenance, then DIST.publish.attestation)")
    source.add_argument("--attestation", metavar="FILE", action="append",
                        help="a PEP 740 attestation object; repeat for several")
    who = parser.add_argument_group("signer policy (exactly one)")
    who.add_argument("--repository", metavar="REPO",
                     help="GitHub Trusted Publisher OWNER/NAME or https://github.com/OWNER/NAME;"
                     " GitLab: https://gitlab.com/NAMESPACE/PROJECT")
    who.add_argument("--gitlab-repository", metavar="NAMESPACE/PROJECT",
                     help="GitLab Trusted Publisher (same as --repository https://gitlab.com/NAMESPACE/PROJECT)")
    who.add_argument("--workflow", metavar="FILE",
                     help="GitHub: the workflow file name in .github/workflows/; GitLab: the CI file's path"
                     " (default: any)")
    who.add_argument("--environment", metavar="NAME",
                     help="GitHub/GitLab environment; compared with the provenance's publisher record only,"
                     " which PyPI does not sign")
    who.add_argument("--google-service-account", "--gcp-service-account", metavar="EMAIL",
                     help="Google Cloud Trusted Publisher: the service account's e-mail address")
    who.add_argument("--circleci-project-id", metavar="ID", help="CircleCI Trusted Publisher: the project id")
    who.add_argument("--circleci-pipeline-definition-id", metavar="ID",
                     help="CircleCI Trusted Publisher: the pipeline definition id")
    identity = who.add_mutually_exclusive_group()
    identity.add_argument("--cert-identity", "--certificate-identity", metavar="ID",
                          help="an explicit signer identity (SAN), checked on the certificate only")
    identity.add_argument("--cert-identity-regexp", "--certificate-identity-regexp", metavar="RE",
                          help="a regular expression the whole SAN must match")
    issuer = who.add_mutually_exclusive_group()
    issuer.add_argument("--cert-oidc-issuer", "--certificate-oidc-issuer", metavar="URL",
                        help="the exact OIDC issuer, with --cert-identity")
    issuer.add_argument("--cert-oidc-issuer-regexp", "--certificate-oidc-issuer-regexp", metavar="RE",
                        help="a regular expression the whole issuer must match")
    roots = parser.add_mutually_exclusive_group()
    roots.add_argument("--trust-root", metavar="FILE_OR_DIR",
                       help="a trusted_root.json, or a snapshot directory holding one (default: shipped production)")
    roots.add_argument("--trusted-root", metavar="FILE", help="a trusted_root.json (sigstore-python's spelling)")
    roots.add_argument("--staging", action="store_true", help="use the shipped Sigstore staging trust root")
    parser.add_argument("--max-trust-root-age", type=int, metavar="DAYS",
                        help="fail (exit 3) if the trust-root snapshot was refreshed more than DAYS days ago")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object per distribution on standard output")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print nothing on success; failures still go to stderr")
    parser.add_argument("--version", action="version", version=f"verify-offline {__version__}")
    return parser


def _github_repository(value: str) -> str:
    slug = value.removeprefix("https://github.com/")
    slug = slug.removesuffix("/")
    if not _GITHUB_SLUG.fullmatch(slug):
        raise UsageError(f"--repository {value!r}: expected OWNER/NAME or https://github.com/OWNER/NAME")
    return slug


def _gitlab_project(value: str, option: str) -> str:
    path = value.removesuffix("/")
    if not _GITLAB_PATH.fullmatch(path):
        raise UsageError(f"{option} {value!r}: expected NAMESPACE/PROJECT (namespaces may nest)")
    return path


def policy_from_args(args: argparse.Namespace) -> Any:
    """Exactly one signer policy from the command line."""
    explicit = any(v is not None for v in (args.cert_identity, args.cert_identity_regexp,
                                           args.cert_oidc_issuer, args.cert_oidc_issuer_regexp))
    circleci = args.circleci_project_id is not None or args.circleci_pipeline_definition_id is not None
    given = [name for name, present in (
        ("--repository", args.repository is not None), ("--gitlab-repository", args.gitlab_repository is not None),
        ("--google-service-account", args.google_service_account is not None),
        ("--circleci-project-id/--circleci-pipeline-definition-id", circleci),
        ("--cert-identity/--cert-oidc-issuer", explicit)) if present]
    if not given:
        raise UsageError(
            "give the expected signer: --repository (GitHub or GitLab), --google-service-account,"
            " --circleci-project-id with --circleci-pipeline-definition-id, or --cert-identity with --cert-oidc-issuer"
        )
    if len(given) > 1:
        raise UsageError(f"give one signer policy, not {' and '.join(given)}")
    kind = given[0]
    if kind not in ("--repository", "--gitlab-repository"):
        for option, value in (("--workflow", args.workflow), ("--environment", args.environment)):
            if value is not None:
                raise UsageError(f"{option} applies to a GitHub or GitLab Trusted Publisher (--repository)")
    if args.environment is not None and args.attestation:
        raise UsageError("--environment is checked against a provenance's publisher record; use --provenance"
                         " (attestation objects carry no environment)")
    gitlab_option = "--gitlab-repository"
    if kind == "--repository" and args.repository.startswith(publishers.GITLAB + "/"):
        kind, gitlab_option = "--gitlab-repository", "--repository"
        args.gitlab_repository = args.repository[len(publishers.GITLAB) + 1:]
    if kind == "--repository":
        workflow = args.workflow
        if workflow is not None and ("/" in workflow or not workflow):
            raise UsageError(f"--workflow {workflow!r}: a GitHub workflow is a file name in .github/workflows/"
                             " (e.g. release.yml)")
        return publishers.GitHubPublisher(_github_repository(args.repository), workflow, args.environment)
    if kind == "--gitlab-repository":
        if args.workflow is not None and (not args.workflow or args.workflow.startswith("/")):
            raise UsageError(f"--workflow {args.workflow!r}: a GitLab CI file path relative to the project root")
        return publishers.GitLabPublisher(_gitlab_project(args.gitlab_repository, gitlab_option),
                                          args.workflow, args.environment)
    if kind == "--google-service-account":
        if "@" not in args.google_service_account:
            raise UsageError(f"--google-service-account {args.google_service_account!r}: expected an e-mail address")
        return publishers.GooglePublisher(args.google_service_account)
    if circleci and kind.startswith("--circleci"):
        if args.circleci_project_id is None or args.circleci_pipeline_definition_id is None:
            raise UsageError("a CircleCI Trusted Publisher needs both --circleci-project-id and"
                             " --circleci-pipeline-definition-id")
        return publishers.CircleCIPublisher(args.circleci_project_id, args.circleci_pipeline_definition_id)
    has_identity = args.cert_identity is not None or args.cert_identity_regexp is not None
    has_issuer = args.cert_oidc_issuer is not None or args.cert_oidc_issuer_regexp is not None
    if not has_identity or not has_issuer:
        raise UsageError("an explicit signer needs --cert-identity (or --cert-identity-regexp) and"
                         " --cert-oidc-issuer (or --cert-oidc-issuer-regexp)")
    try:
        return Identity.build(san=args.cert_identity, san_regexp=args.cert_identity_regexp,
                              issuer=args.cert_oidc_issuer, issuer_regexp=args.cert_oidc_issuer_regexp)
    except re.error as exc:
        raise UsageError(f"invalid regular expression: {exc}") from None


def _read(path: pathlib.Path, step: str) -> bytes:
    try:
        return store.read_limited(path, MAX_ATTESTATION_FILE_BYTES)
    except FileNotFoundError:
        raise InputError(f"{step} {path} does not exist", step=step) from None
    except ValueError:
        raise InputError(f"{step} {path} is larger than {MAX_ATTESTATION_FILE_BYTES} bytes", step=step) from None
    except OSError as exc:
        raise InputError(f"cannot read {step} {path}: {exc.strerror or exc}", step=step) from None


def _sources(target: str, args: argparse.Namespace, digest_mode: bool) -> List[Source]:
    provenance: Optional[str] = args.provenance
    attestations: List[str] = list(args.attestation or [])
    if provenance is None and not attestations:
        if digest_mode:
            raise UsageError(f"{target}: a digest needs --provenance or --attestation")
        for suffix in DEFAULT_SUFFIXES:
            if os.path.exists(target + suffix):
                if suffix == ".provenance":
                    provenance = target + suffix
                else:
                    attestations = [target + suffix]
                break
        else:
            raise UsageError(f"no attestation for {target}: neither {target}.provenance nor"
                             f" {target}.publish.attestation exists; use --provenance or --attestation")
    if provenance is not None:
        parsed = parse_provenance(_read(pathlib.Path(provenance), "provenance"), source=provenance)
        return [Source(a, bundle.publisher) for bundle in parsed.bundles for a in bundle.attestations]
    if getattr(args, "environment", None) is not None:
        raise UsageError("--environment is checked against a provenance's publisher record, and"
                         f" {target} has no provenance; use --provenance")
    return [Source(parse_attestation(_read(pathlib.Path(p), "attestation"), source=p)) for p in attestations]


def _filename(name: str, *, given: bool) -> str:
    try:
        distname.parse_filename(name)
    except distname.InvalidFilename as exc:
        hint = None if given else "give the distribution's real filename with --name"
        raise UsageError(f"not a valid distribution filename: {exc}", hint=hint) from None
    return name


def verify_target(target: str, args: argparse.Namespace, root: Any, policy: Any) -> DistributionResult:
    match = DIGEST.fullmatch(target)
    digest_mode = bool(match) and not os.path.exists(target)
    if digest_mode:
        if args.name is None:
            raise UsageError(f"{target}: a digest needs --name FILENAME (the distribution's filename)")
        digest = bytes.fromhex(match.group(1))  # type: ignore[union-attr]
        filename = _filename(args.name, given=True)
    else:
        filename = _filename(args.name if args.name is not None else os.path.basename(target),
                             given=args.name is not None)
        digest = hash_file(pathlib.Path(target))[0]
    sources = _sources(target, args, digest_mode)
    hint = None
    if not args.staging and args.trust_root is None and args.trusted_root is None:
        def hint(bundle: Any, exc: Any, artifact: Any) -> Optional[str]:
            return _staging_hint(bundle, exc, artifact.name, artifact.digest, None, policy, None)
    return verify_distribution(filename=filename, digest=digest, sources=sources, policy=policy,
                               trusted_root=root, hint=hint)


def _report_ok(target: str, result: DistributionResult, args: argparse.Namespace, out: TextIO,
               root_info: Dict[str, Any]) -> None:
    if args.json:
        out.write(json.dumps({
            "artifact": target,
            "distribution": result.filename,
            "digest": f"sha256:{result.digest.hex()}",
            "verified": True,
            "policy": result.policy,
            "publisher_records_checked": result.records_checked,
            "environment_checked": result.environment_checked,
            "attestations": [a.as_json() for a in result.attestations],
            "trust_root": root_info,
        }, sort_keys=True) + "\n")
    elif not args.quiet:
        parts = []
        for item in result.attestations:
            host = item.verified.log_url.split("://", 1)[-1]
            kind = _SHORT_PREDICATES.get(item.predicate_type, item.predicate_type)
            parts.append(f"{kind} {host} #{item.verified.log_index} {utc(item.verified.signed_at)}")
        shown = target if target == result.filename else f"{target} ({result.filename})"
        out.write(f"OK: {shown}  {result.policy}  {'; '.join(parts)}\n")


def main(argv: Optional[Sequence[str]] = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    argv = list(sys.argv[2:] if argv is None else argv)
    args = None
    try:
        args = build_parser().parse_args(argv)
        if len(args.distributions) > 1:
            for option, value in (("--name", args.name), ("--provenance", args.provenance),
                                  ("--attestation", args.attestation)):
                if value is not None:
                    raise UsageError(f"{option} applies to one distribution; give one distribution per run,"
                                     f" or omit {option}")
        policy = policy_from_args(args)
        now = datetime.datetime.now(datetime.timezone.utc)  # the only clock read: the snapshot's age
        root, root_info = _trusted_root(args, now, err)
    except (UsageError, TrustRootError, InputError) as exc:
        err.write(f"{PROG}: error: {exc}\n")
        if args is not None and args.json:
            out.write(json.dumps({"artifact": None, "verified": False, "step": exc.step or "usage",
                                  "error": exc.message, "hint": exc.hint, "exit_code": exc.exit_code},
                                 sort_keys=True) + "\n")
        return exc.exit_code
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    codes: List[int] = []
    for target in args.distributions:
        try:
            result = verify_target(target, args, root, policy)
        except SigstoreOfflineError as exc:
            _report_failure(target, exc, args, out, err)
            codes.append(exc.exit_code)
            continue
        except Exception as exc:  # noqa: BLE001 -- anything else is a bug; never a traceback, never a pass
            err.write(f"FAIL: {target}: internal error ({type(exc).__name__}: {exc}); this is a bug in"
                      f" {PROG}, please report it\n")
            codes.append(EXIT_BUG)
            continue
        _report_ok(target, result, args, out, root_info)
        codes.append(EXIT_OK)
    return max(codes)
