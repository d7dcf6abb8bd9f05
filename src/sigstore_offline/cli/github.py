# SPDX-License-Identifier: Apache-2.0
"""``verify-offline github``: verify GitHub artifact attestations offline, with the options of
``gh attestation verify``.

``main(argv) -> int`` (argv without the leading ``github``), same conventions and exit codes as
``verify-offline``: 0 verified, 1 verification failed, 2 usage error, 3 trust root unusable,
4 input unreadable or malformed, 5 internal error; with several artifacts, the largest code.
The checks are :mod:`sigstore_offline.github`'s; see ``man/verify-offline-github.1``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, List, Optional, Sequence, TextIO

from .. import __version__
from ..errors import InputError, TrustRootError, UsageError
from ..inputs import shown
from . import _common
from ._common import EXIT_STATUS, Parser

__all__ = ["PROG", "SLSA_PROVENANCE_V1", "build_parser", "policy_from_args", "trust_from_args", "main"]

if TYPE_CHECKING:  # the verify path is imported on first use: --help and usage errors stay cheap
    from ..github import AttestationPolicy
    from ..request import TrustMaterial

PROG = "verify-offline github"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"  # also github.SLSA_PROVENANCE_V1 (kept cheap here)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Verify GitHub artifact attestations offline, with the options of gh attestation verify:"
        " the bundle's Sigstore material, its in-toto statement (one subject names the artifact's digest; the"
        " predicate type) and the GitHub Actions workflow that signed it, from the certificate's claims.",
        epilog=EXIT_STATUS,
    )
    parser.add_argument("artifacts", nargs="+", metavar="FILE_OR_DIGEST",
                        help="a file, or sha256:<64 hex> / sha512:<128 hex> (with --bundle)")
    parser.add_argument("-b", "--bundle", metavar="FILE",
                        help="the attestation: a bundle (.json), or JSON Lines (.jsonl, one bundle a line, as gh"
                             " attestation download writes); passes when one bundle passes"
                             " (default: FILE.sigstore, FILE.sigstore.json, then sha256:HEX.jsonl beside FILE)")
    parser.add_argument("--name", metavar="NAME", help="what to call a digest in messages")
    who = parser.add_argument_group("the signer (certificate claims)")
    who.add_argument("-R", "--repo", metavar="OWNER/REPO",
                     help="the repository the artifact was built from (Source Repository URI)")
    who.add_argument("-o", "--owner", metavar="OWNER",
                     help="instead of --repo: the owner of that repository (Source Repository Owner URI)")
    signer = who.add_mutually_exclusive_group()
    signer.add_argument("--signer-repo", metavar="OWNER/REPO",
                        help="the repository of the (reusable) workflow that signed (Build Signer URI)")
    signer.add_argument("--signer-workflow", metavar="OWNER/REPO/.github/workflows/FILE",
                        help="the workflow that signed, at any ref (Build Signer URI)")
    signer.add_argument("--cert-identity", metavar="URI", help="the exact signer identity (SAN)")
    signer.add_argument("-i", "--cert-identity-regex", "--cert-identity-regexp", metavar="RE",
                        help="a regular expression the whole SAN must match")
    who.add_argument("--cert-oidc-issuer", metavar="URL",
                     help="the exact OIDC issuer (default: https://token.actions.githubusercontent.com)")
    who.add_argument("--source-ref", metavar="REF", help="the git ref built, exactly (Source Repository Ref)")
    who.add_argument("--source-digest", metavar="SHA", help="the commit built, exactly (Source Repository Digest)")
    who.add_argument("--deny-self-hosted-runners", action="store_true",
                     help="fail unless the workflow ran on a GitHub-hosted runner (Runner Environment)")
    parser.add_argument("--predicate-type", metavar="URI", default=SLSA_PROVENANCE_V1,
                        help=f"the statement's required predicate type (default: {SLSA_PROVENANCE_V1})")
    parser.add_argument("--custom-trusted-root", metavar="FILE",
                        help="trusted roots: a trusted_root.json, or JSON Lines (.jsonl, one a line, as gh attestation"
                             " trusted-root prints); a bundle passes against any of them")
    _common.add_trust_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object per artifact on standard output")
    parser.add_argument("--format", choices=["json"], help="gh's spelling of --json")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print nothing on success; failures still go to stderr")
    parser.add_argument("--version", action="version", version=f"verify-offline {__version__}")
    return parser


def _check_usage(args: argparse.Namespace) -> None:
    _common.check_trust_options(args)
    if args.format == "json":
        args.json = True
    if args.custom_trusted_root is not None:
        if not args.custom_trusted_root.strip():
            raise UsageError("--custom-trusted-root is empty; give a file, or leave the option out")
        if args.trust_root is not None or args.trusted_root is not None or args.staging:
            raise UsageError("give --custom-trusted-root or --trust-root/--trusted-root/--staging, not both")
        if args.max_trust_root_age is not None:
            raise UsageError("--max-trust-root-age needs a trust-root snapshot, not --custom-trusted-root")
    if len(args.artifacts) > 1:
        for option, value in (("--bundle", args.bundle), ("--name", args.name)):
            if value is not None:
                raise UsageError(f"{option} applies to one artifact; give one artifact per run, or omit {option}")
    if args.repo is None and args.owner is None:
        raise UsageError("give --repo OWNER/REPO (or --owner OWNER): the repository the artifact was built from")
    if args.repo is not None and args.owner is not None:
        raise UsageError("give --repo or --owner, not both (--repo names its owner)")


def policy_from_args(args: argparse.Namespace) -> AttestationPolicy:
    from ..github import attestation_policy

    try:
        return attestation_policy(repository=args.repo, owner=args.owner, signer_repository=args.signer_repo,
                                  signer_workflow=args.signer_workflow, identity=args.cert_identity,
                                  identity_regexp=args.cert_identity_regex, source_ref=args.source_ref,
                                  source_digest=args.source_digest,
                                  hosted_runners_only=args.deny_self_hosted_runners, issuer=args.cert_oidc_issuer)
    except ValueError as exc:
        raise _common.usage(exc) from None


def trust_from_args(args: argparse.Namespace, err: TextIO) -> List[TrustMaterial]:
    """The trust roots a bundle is tried against, in order: those of ``--custom-trusted-root``; the
    one ``--trust-root``/``--trusted-root``/``--staging`` names (it may list no log); by default the
    shipped production snapshot and the shipped ``github`` snapshot (GitHub's own instance, no log:
    its bundles need an RFC 3161 timestamp). A missing ``github`` snapshot is a warning (production
    alone is used); a broken one, or one past ``--max-trust-root-age``, is exit 3."""
    if args.custom_trusted_root is None:
        explicit = args.trust_root is not None or args.trusted_root is not None or args.staging
        trusts = [_common.open_trust_from_args(args, err, quiet=args.quiet, prog=PROG, allow_no_logs=explicit)]
        if not explicit:
            from ..trust import store

            directory = store.shipped_dir() / store.GITHUB
            if directory.is_dir():
                trusts.append(_common.open_trust_from_args(args, err, quiet=args.quiet, prog=PROG,
                                                           instance=store.GITHUB, allow_no_logs=True))
            elif not args.quiet:
                err.write(f"{PROG}: warning: the shipped {store.GITHUB} trust-root snapshot is not installed"
                          f" ({directory}): bundles from GitHub's own Sigstore instance cannot verify; only the"
                          " production snapshot is used\n")
        return trusts
    from ..github import load_trusted_roots

    roots, warnings = load_trusted_roots(args.custom_trusted_root)
    if not args.quiet:
        for warning in warnings:
            err.write(f"{PROG}: warning: {warning}\n")
    return roots


def _verify(spec: str, args: argparse.Namespace, policy: Any, trusts: Sequence[TrustMaterial]) -> Any:
    from ..github import GithubRequest, verify_github
    from ..request import resolve_target

    try:
        target = resolve_target(spec, name=args.name)
        if target.path is None and args.bundle is None:
            raise UsageError(f"{spec}: a digest needs --bundle")
        return verify_github(GithubRequest(target, args.bundle, policy, args.predicate_type), trusts)
    except ValueError as exc:
        raise _common.usage(exc) from None


def main(argv: Optional[Sequence[str]] = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    argv = list(sys.argv[2:] if argv is None else argv)
    args = None
    try:
        args = build_parser().parse_args(argv)
        _check_usage(args)
        policy = policy_from_args(args)
        trusts = trust_from_args(args, err)
    except (UsageError, TrustRootError, InputError) as exc:
        json_mode = args is not None and (args.json or args.format == "json")
        return _common.setup_failed(exc, prog=PROG, json_mode=json_mode, out=out, err=err)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    def report(spec: str, result: Any) -> None:
        if args.json:
            out.write(json.dumps(result.as_json(), sort_keys=True) + "\n")
        elif not args.quiet:
            from ..github import summary

            which = f"  ({result.bundle})" if result.bundles > 1 else ""
            out.write(f"OK: {shown(result.verified.artifact)}  {summary(result)}{which}\n")

    return _common.each_target(args.artifacts, lambda spec: _verify(spec, args, policy, trusts), report,
                               prog=PROG, json_mode=args.json, out=out, err=err)
