# SPDX-License-Identifier: Apache-2.0
"""``verify-offline pypi``: verify Python distributions against their PEP 740 attestations, offline.

``main(argv) -> int`` (argv without the leading ``pypi``), same conventions and exit codes as
``verify-offline`` (see :mod:`.verify_offline`): 0 verified, 1 verification failed, 2 usage
error, 3 trust root unusable, 4 input unreadable or malformed, 5 internal error. With several
distributions the exit code is the largest of theirs. See ``man/verify-offline-pypi.1``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence, TextIO

from .. import __version__
from .._encoding import utc
from ..errors import InputError, TrustRootError, UsageError
from ..inputs import shown
from ..pypi import distname
from . import _common
from ._common import EXIT_STATUS, Parser

__all__ = ["PROG", "DEFAULT_SUFFIXES", "build_parser", "policy_from_args", "verify_target", "main"]

if TYPE_CHECKING:  # the verify path is imported on first use: --help and usage errors stay cheap
    from ..request import PypiRequest, TrustMaterial

PROG = "verify-offline pypi"
DEFAULT_SUFFIXES = (".provenance", ".publish.attestation")
_GITHUB_SLUG = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_GITLAB_PATH = re.compile(r"[^/\s]+(?:/[^/\s]+)+")
_SHORT_PREDICATES = {
    "https://docs.pypi.org/attestations/publish/v1": "publish/v1",
    "https://slsa.dev/provenance/v1": "slsa-provenance/v1",
}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Verify Python distributions offline against their PEP 740 attestations (a PyPI"
        " provenance file, or attestation objects): every attestation's Sigstore material, its in-toto"
        " statement (this file, its SHA-256, a PyPI predicate type) and the Trusted Publisher.",
        epilog=EXIT_STATUS,
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
    who.add_argument("--ref", metavar="REF_OR_GLOB",
                     help="GitHub/GitLab: the git ref the publishing workflow ran on (certificate claim 1.14),"
                     " exactly, or a pattern such as refs/tags/v* (default: any); the workflow must then lie"
                     " in the repository itself")
    who.add_argument("--environment", metavar="NAME",
                     help="GitHub/GitLab environment; compared with the provenance's publisher record only,"
                     " which PyPI does not sign")
    who.add_argument("--google-service-account", "--gcp-service-account", metavar="EMAIL",
                     help="Google Cloud Trusted Publisher: the service account's e-mail address")
    who.add_argument("--circleci-project-id", metavar="ID", help="CircleCI Trusted Publisher: the project id")
    who.add_argument("--circleci-pipeline-definition-id", metavar="ID",
                     help="CircleCI Trusted Publisher: the pipeline definition id")
    _common.add_identity_options(who, explicit_help="an explicit signer identity (SAN), checked on the"
                                                    " certificate only")
    _common.add_trust_options(parser)
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
    from ..pypi import publishers
    kind = given[0]
    if kind not in ("--repository", "--gitlab-repository"):
        for option, value in (("--workflow", args.workflow), ("--ref", args.ref),
                              ("--environment", args.environment)):
            if value is not None:
                raise UsageError(f"{option} applies to a GitHub or GitLab Trusted Publisher (--repository)")
    if args.environment is not None and args.attestation:
        raise UsageError("--environment is checked against a provenance's publisher record; use --provenance"
                         " (attestation objects carry no environment)")
    gitlab_option, gitlab_project = "--gitlab-repository", args.gitlab_repository
    if kind == "--repository" and args.repository.startswith(publishers.GITLAB + "/"):
        kind, gitlab_option = "--gitlab-repository", "--repository"
        gitlab_project = args.repository[len(publishers.GITLAB) + 1:]
    if args.ref is not None:  # a CI publisher with a ref: matched like verify-offline --repository
        from ..publisher import GITHUB, GITLAB, publisher

        forge, path = (GITLAB, _gitlab_project(gitlab_project, gitlab_option)) if kind == "--gitlab-repository" \
            else (GITHUB, _github_repository(args.repository))
        try:
            return publisher(path, workflow=args.workflow, ref=args.ref, forge=forge, environment=args.environment)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if kind == "--repository":
        workflow = args.workflow
        if workflow is not None and ("/" in workflow or not workflow):
            raise UsageError(f"--workflow {workflow!r}: a GitHub workflow is a file name in .github/workflows/"
                             " (e.g. release.yml)")
        return publishers.GitHubPublisher(_github_repository(args.repository), workflow, args.environment)
    if kind == "--gitlab-repository":
        if args.workflow is not None and (not args.workflow or args.workflow.startswith("/")):
            raise UsageError(f"--workflow {args.workflow!r}: a GitLab CI file path relative to the project root")
        return publishers.GitLabPublisher(_gitlab_project(gitlab_project, gitlab_option),
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
    return _common.identity_from_args(args)


def _filename(name: str, *, given: bool) -> str:
    try:
        distname.parse_filename(name)
    except distname.InvalidFilename as exc:
        hint = None if given else "give the distribution's real filename with --name"
        raise UsageError(f"not a valid distribution filename: {exc}", hint=hint) from None
    return name


def _request(spec: str, args: argparse.Namespace, policy: Any) -> PypiRequest:
    from ..request import PypiRequest, resolve_target

    target = resolve_target(spec, name=args.name)
    if target.path is None:
        if args.name is None:
            raise UsageError(f"{spec}: a digest needs --name FILENAME (the distribution's filename)")
        if args.provenance is None and not args.attestation:
            raise UsageError(f"{spec}: a digest needs --provenance or --attestation")
    filename = _filename(target.name or "", given=args.name is not None)
    return PypiRequest(target, filename, policy, provenance=args.provenance,
                       attestations=tuple(args.attestation or ()))


def verify_target(spec: str, args: argparse.Namespace, trust: TrustMaterial, policy: Any) -> Any:
    from ..request import verify_pypi

    try:
        return verify_pypi(_request(spec, args, policy), trust)
    except ValueError as exc:
        message = str(exc)
        if "environment" in message:
            raise UsageError("--environment is checked against a provenance's publisher record, and"
                             f" {spec} has no provenance; use --provenance") from None
        if message.startswith("no attestation"):
            raise UsageError(f"{message}; use --provenance or --attestation") from None
        raise _common.usage(exc) from None


def _report_ok(target: str, result: Any, args: argparse.Namespace, out: TextIO,
               root_info: Dict[str, Any]) -> None:
    if args.json:
        out.write(json.dumps({
            "artifact": shown(target),
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
            parts.append(f"{kind} {host} {item.verified.index_text} {utc(item.verified.signed_at)}")
        name = shown(target) if target == result.filename else f"{shown(target)} ({shown(result.filename)})"
        out.write(f"OK: {name}  {result.policy}  {'; '.join(parts)}\n")


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
        _common.check_trust_options(args)
        policy = policy_from_args(args)
        trust = _common.open_trust_from_args(args, err, quiet=args.quiet, prog=PROG)
    except (UsageError, TrustRootError, InputError) as exc:
        return _common.setup_failed(exc, prog=PROG, json_mode=args is not None and args.json, out=out, err=err)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    return _common.each_target(args.distributions, lambda target: verify_target(target, args, trust, policy),
                               lambda target, result: _report_ok(target, result, args, out, trust.described),
                               prog=PROG, json_mode=args.json, out=out, err=err)
