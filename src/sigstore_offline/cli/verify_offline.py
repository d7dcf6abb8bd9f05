"""``verify-offline``: verify Sigstore bundles against artifacts or digests, entirely offline.

``main(argv) -> int`` is testable without a subprocess; ``entry()`` is the console script.
Exit codes (stable): 0 verified, 1 verification failed, 2 usage error, 3 trust root missing,
corrupt or too old, 4 input unreadable or malformed, 5 internal error (a bug).
With several artifacts, the exit code is the largest of their codes.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, List, NoReturn, Optional, Sequence, TextIO, Tuple

from .. import __version__
from ..errors import EXIT_FAILED, EXIT_OK, InputError, SigstoreOfflineError, TrustRootError, UsageError
from ..inputs import shown
from . import _common
from ._common import EXIT_STATUS, Parser

if TYPE_CHECKING:  # the verify path is imported on first use: --help, --version and usage errors stay cheap
    from ..policy import SignerPolicy
    from ..request import Request, TrustMaterial

PROG = "verify-offline"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Verify Sigstore bundles offline: certificate chain, SCTs, signature, transparency-log"
        " entry, inclusion proof, checkpoint, signed entry timestamp, RFC 3161 timestamps and identity.",
        epilog=EXIT_STATUS,
    )
    parser.add_argument("artifacts", nargs="*", metavar="ARTIFACT_OR_DIGEST",
                        help="a file to verify, or sha256:<64 hex> (with --bundle)")
    parser.add_argument("--bundle", metavar="FILE",
                        help="the Sigstore bundle (default: ARTIFACT.sigstore, then ARTIFACT.sigstore.json)")
    _common.add_identity_options(parser)
    _common.add_publisher_options(parser)
    parser.add_argument("--key", metavar="PEM", help="a PEM public key, for bundles signed with a managed key")
    parser.add_argument("--policy", metavar="NAME_OR_FILE",
                        help="an upstream policy (shipped: cpython; or a policy file) that picks the expected signer"
                             " from the artifact's file name (sigstore-offline-policy(5))")
    parser.add_argument("--name", metavar="FILENAME",
                        help="the artifact's upstream file name: for a sha256: digest, or a renamed file (with --policy)")
    _common.add_trust_options(parser)
    parser.add_argument("--manifest", metavar="FILE",
                        help="verify every entry of a manifest (sigstore-offline-manifest(5)) in parallel;"
                             " signer options become defaults for entries that name none")
    parser.add_argument("--jobs", type=int, metavar="N",
                        help=f"worker processes for --manifest, 1 to {MAX_JOBS} (default: the usable CPUs)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per artifact on standard output")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success; failures still go to stderr")
    parser.add_argument("--offline", action="store_true",
                        help="accepted for sigstore-python compatibility; verify-offline is always offline")
    legacy = parser.add_argument_group("cosign's detached signatures and old bundles (docs/cosign.md; --bundle also"
                                       " reads cosign's old bundle JSON)")
    legacy.add_argument("--signature", metavar="FILE",
                        help="a detached signature (cosign sign-blob --output-signature: base64, or raw bytes)")
    legacy.add_argument("--certificate", metavar="FILE",
                        help="the signing certificate of --signature: PEM, base64 of PEM, or DER")
    legacy.add_argument("--certificate-chain", metavar="FILE",
                        help="PEM intermediates (and root) of --certificate; must match a CA in the trust root")
    legacy.add_argument("--rfc3161-timestamp", metavar="FILE",
                        help="cosign's RFC 3161 timestamp over the signature (JSON or DER): a verified signing time")
    legacy.add_argument("--insecure-ignore-tlog", action="store_true",
                        help="INSECURE: accept a signature that has no transparency-log entry; the verdict says"
                             " WEAKER")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _compat(argv: Sequence[str]) -> List[str]:
    """Accept sigstore-python's spelling, ``verify identity [--offline] ...``, so that an existing
    recipe switches by changing only the command name."""
    args = list(argv)
    if args[:2] == ["verify", "identity"]:
        return args[2:]
    if args[:1] == ["verify"] and args[1:2] and not args[1].startswith("-") and not os.path.exists(args[1]):
        raise UsageError(f"'verify {args[1]}' is not supported; use 'verify identity' or plain options")
    return args



MAX_JOBS = 64


def _check_usage(args: argparse.Namespace) -> None:
    """Contradictions between options, before anything is read."""
    _common.check_trust_options(args)
    if args.bundle is not None and len(args.artifacts) > 1:
        raise UsageError("--bundle applies to one artifact; give one artifact per run, or omit --bundle")
    if args.manifest is not None:
        if args.artifacts or args.bundle is not None or args.name is not None or args.signature is not None:
            raise UsageError("--manifest lists the artifacts and bundles; give no ARTIFACT, --bundle, --name"
                             " or --signature with it")
        if args.jobs is not None and not 1 <= args.jobs <= MAX_JOBS:
            raise UsageError(f"--jobs must be between 1 and {MAX_JOBS}")
    elif not args.artifacts:
        raise UsageError("give ARTIFACT_OR_DIGEST (one or more), or --manifest FILE")
    elif args.jobs is not None:
        raise UsageError("--jobs applies to --manifest only")
    if args.name is not None and len(args.artifacts) > 1:
        raise UsageError("--name applies to one artifact; give one artifact per run, or omit --name")
    if args.signature is None:
        if args.certificate is not None or args.certificate_chain is not None:
            raise UsageError("--certificate and --certificate-chain go with a detached --signature;"
                             " a bundle carries its own certificate")
    else:
        if args.bundle is not None:
            raise UsageError("give either --bundle or --signature, not both")
        if (args.certificate is None) == (args.key is None):
            raise UsageError("--signature needs one signer: --certificate (keyless) or --key (managed key)")
        if args.certificate_chain is not None and args.certificate is None:
            raise UsageError("--certificate-chain needs --certificate")
    if (args.signature is not None or args.rfc3161_timestamp is not None) and len(args.artifacts) > 1:
        raise UsageError("--signature and --rfc3161-timestamp apply to one artifact; give one artifact per run")


def _signer(args: argparse.Namespace) -> Tuple[Optional[SignerPolicy], Any, Any]:
    """(identity policy, upstream policy, managed key) from the signer options; with --manifest,
    all three may be absent (the entries then name their own signers)."""
    has_identity = _common.has_identity_options(args)
    publisher = _common.publisher_from_args(args)
    if publisher is not None:
        if has_identity or args.key is not None or args.policy is not None:
            raise UsageError("--repository names the signer itself; do not combine it with --cert-* options, --key"
                             " or --policy")
        return publisher, None, None
    if args.policy is not None:
        if has_identity or args.key is not None:
            raise UsageError("--policy picks the signer itself; do not combine it with --cert-* options or --key")
        from ..upstream import load_policy  # only --policy needs it

        return None, load_policy(args.policy), None
    if args.key is not None:
        if has_identity:
            raise UsageError("--key verifies a managed-key bundle; identity options do not apply to it")
        from ..request import load_key

        return None, None, load_key(args.key)
    if args.manifest is not None and not has_identity:
        return None, None, None
    if not has_identity:
        raise UsageError(
            "give the expected signer: --cert-identity (or --cert-identity-regexp) and --cert-oidc-issuer"
            " (or --cert-oidc-issuer-regexp), --repository for a CI publisher, or --key for a managed-key bundle"
        )
    return _common.identity_from_args(args), None, None


def _request(spec: str, args: argparse.Namespace, policy: Optional[SignerPolicy], upstream: Any,
             key: Any) -> Request:
    from ..cosign import DetachedInputs
    from ..request import Request, resolve_target

    target = resolve_target(spec, name=args.name)
    if target.path is None:
        if args.bundle is None and args.signature is None:
            raise UsageError(f"{spec}: a digest needs --bundle (or --signature)")
        if upstream is not None and args.name is None:
            raise UsageError(f"{spec}: --policy needs the artifact's file name for a digest; give --name")
    detached = None
    if args.signature is not None:
        detached = DetachedInputs(args.signature, args.certificate, args.certificate_chain)
    return Request(target, bundle=args.bundle, policy=policy, upstream=upstream, key=key, detached=detached,
                   timestamp=args.rfc3161_timestamp, allow_no_tlog=args.insecure_ignore_tlog)


def _verify_all(args: argparse.Namespace, trust: TrustMaterial, policy: Optional[SignerPolicy], upstream: Any,
                key: Any, out: TextIO, err: TextIO) -> int:
    from ..request import verify_request

    def report(spec: str, result: Any) -> None:
        _common.print_ok(result, json_mode=args.json, quiet=args.quiet, out=out, err=err,
                         extra={"trust_root": trust.described})

    return _common.each_target(args.artifacts,
                               lambda spec: verify_request(_request(spec, args, policy, upstream, key), trust),
                               report, prog=PROG, json_mode=args.json, out=out, err=err)


def _run_manifest(args: argparse.Namespace, trust: TrustMaterial, policy: Optional[SignerPolicy], upstream: Any,
                  key: Any, out: TextIO, err: TextIO) -> int:
    """``--manifest``: every entry's verdict in manifest order, a summary, the worst exit status."""
    import json

    from .. import batch  # only --manifest needs it

    defaults = batch.Defaults(policy=policy, upstream=upstream, key=key)
    entries = batch.read_manifest(args.manifest, defaults=defaults.given)
    jobs = args.jobs if args.jobs is not None else batch.default_jobs()
    progress = hasattr(err, "isatty") and err.isatty() and not args.quiet
    verified = failed = 0
    worst = EXIT_OK
    out.flush()
    err.flush()
    try:
        for done, (entry, outcome) in enumerate(batch.run(entries, trust, defaults, jobs=jobs), start=1):
            if progress:
                err.write("\r\033[K")
            if isinstance(outcome, SigstoreOfflineError):
                failed += 1
                worst = max(worst, outcome.exit_code)
                _common.print_failure(entry.name, outcome, json_mode=args.json, out=out, err=err,
                                      extra={"entry": entry.index})
            else:
                verified += 1
                _common.print_ok(outcome, json_mode=args.json, quiet=args.quiet, out=out, err=err,
                                 extra={"entry": entry.index})
            if progress:
                err.write(f"[{done}/{len(entries)}] {failed} failed")
                err.flush()
    except KeyboardInterrupt:
        if progress:
            err.write("\r\033[K")
        err.write(f"{PROG}: interrupted after {verified + failed} of {len(entries)} entries; not verified\n")
        return max(worst, EXIT_FAILED)
    if progress:
        err.write("\r\033[K")
    if args.json:
        out.write(json.dumps({"summary": {"manifest": shown(args.manifest), "entries": len(entries),
                                          "verified": verified, "failed": failed, "exit_code": worst,
                                          "trust_root": trust.described}}, sort_keys=True) + "\n")
    elif not args.quiet or failed:
        (out if not failed else err).write(f"{verified} verified, {failed} failed, {len(entries)} in total"
                                           f" ({shown(args.manifest)})\n")
    return worst


def main(argv: Optional[Sequence[str]] = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["pypi"]:  # PEP 740 attestations: their own options (verify-offline-pypi(1))
        from .pypi import main as pypi_main

        return pypi_main(argv[1:], out=out, err=err)
    if argv[:1] == ["github"]:  # GitHub artifact attestations: gh attestation verify's options
        from .github import main as github_main

        return github_main(argv[1:], out=out, err=err)
    args = None
    try:
        args = build_parser().parse_args(_compat(argv))
        _check_usage(args)
        policy, upstream, key = _signer(args)
        trust = _common.open_trust_from_args(args, err, quiet=args.quiet, prog=PROG)
        if args.manifest is not None:
            return _run_manifest(args, trust, policy, upstream, key, out, err)
    except (UsageError, TrustRootError, InputError) as exc:
        return _common.setup_failed(exc, prog=PROG, json_mode=args is not None and args.json, out=out, err=err)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    return _verify_all(args, trust, policy, upstream, key, out, err)


def entry() -> NoReturn:
    _common.safe_streams()
    sys.exit(main())
