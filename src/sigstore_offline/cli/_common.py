# SPDX-License-Identifier: Apache-2.0
"""What the commands share: the parser class, the identity and trust-root options, the mapping
from the request layer's words to the command line's, and the printing of verdicts.

The commands (``verify_offline``, ``pypi``, ``sigstoreverify``) parse flags into the typed values
of :mod:`sigstore_offline.request` and print what comes back; nothing else happens here.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, NoReturn, Optional, TextIO

from .. import hints
from .._encoding import utc
from ..errors import EXIT_BUG, EXIT_OK, SigstoreOfflineError, Step, UsageError
from ..inputs import shown

if TYPE_CHECKING:  # the verify path is imported on first use: --help and usage errors stay cheap
    from ..policy import Identity
    from ..request import TrustMaterial
    from ..verify.pipeline import Verified

__all__ = [
    "Parser",
    "add_identity_options",
    "add_publisher_options",
    "add_trust_options",
    "identity_from_args",
    "open_trust_from_args",
    "each_target",
    "print_failure",
    "print_ok",
    "publisher_from_args",
    "safe_streams",
    "setup_failed",
    "usage",
]

EXIT_STATUS = ("Exit status: 0 verified, 1 verification failed, 2 usage error, 3 trust root unusable,"
               " 4 input unreadable or malformed, 5 internal error.")
# The request layer's hints, in the words of this command line.
_HINTS = {
    hints.MANAGED_KEY: "pass the signer's public key with --key (a PEM file)",
    hints.UNLISTED_TSA: "a timestamp counts only if a timestamp authority in the trusted root signed it; if you"
                        " trust the TSA that signed this one, add its certificate chain to timestampAuthorities of"
                        " a trusted_root.json and pass that file with --trusted-root; a timestamp from Sigstore's"
                        " staging instance verifies with --staging",
    hints.STAGING: "the bundle was signed on the Sigstore staging instance; did you mean --staging?",
    hints.REKOR_FRAGMENT: "cosign's .rekor output is not read; give its detached signature and certificate"
                         " (--signature FILE.sig --certificate FILE.crt; without log evidence that passes only"
                         " with --insecure-ignore-tlog, docs/cosign.md), or ask upstream for a bundle"
                         " (cosign sign-blob --bundle, or a .sigstore file)",
    hints.NO_TLOG: "without a log entry nothing shows the signature was made while the certificate was valid, or"
                  " made public; pass --insecure-ignore-tlog only if you accept that weaker verification"
                  " (docs/cosign.md)",
}


def _columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` finds it ($COLUMNS, then standard
    output's terminal, else 80), without importing ``shutil`` (and ``bz2``, ``lzma``): argparse
    builds a formatter for every option it adds, so every run would."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, its default width from :func:`_columns`."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: Optional[int] = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are :class:`UsageError` (exit 2), never ``SystemExit``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def usage(exc: ValueError) -> UsageError:
    """A caller's mistake reported by the request layer, as a usage error."""
    return UsageError(str(exc))


def safe_streams() -> None:
    """Printing never fails on a name the locale cannot encode: escape it instead."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream that cannot change (already written, closed)
                pass


def add_identity_options(group: Any, *, explicit_help: str = "the signer's exact identity (SAN: e-mail or URI)",
                         ) -> None:
    """``--cert-identity[-regexp]`` and ``--cert-oidc-issuer[-regexp]`` (and cosign's spellings)."""
    who = group.add_mutually_exclusive_group()
    who.add_argument("--cert-identity", "--certificate-identity", metavar="ID", help=explicit_help)
    who.add_argument("--cert-identity-regexp", "--certificate-identity-regexp", metavar="RE",
                     help="a regular expression the whole SAN must match")
    issuer = group.add_mutually_exclusive_group()
    issuer.add_argument("--cert-oidc-issuer", "--certificate-oidc-issuer", metavar="URL",
                        help="the exact OIDC issuer of the signer's identity")
    issuer.add_argument("--cert-oidc-issuer-regexp", "--certificate-oidc-issuer-regexp", metavar="RE",
                        help="a regular expression the whole issuer must match")


def add_publisher_options(group: Any) -> None:
    """``--repository``, ``--workflow`` and ``--ref``: a CI publisher that survives releases."""
    group.add_argument("--repository", metavar="REPO",
                       help="the signer is a CI publisher: GitHub OWNER/REPO (or https://github.com/OWNER/REPO),"
                            " or https://gitlab.com/NAMESPACE/PROJECT; matched on the certificate's claims")
    group.add_argument("--workflow", metavar="FILE",
                       help="with --repository: the workflow file (GitHub: a name in .github/workflows/; GitLab: the"
                            " CI file's path) the run started from (default: any)")
    group.add_argument("--ref", metavar="REF_OR_GLOB",
                       help="with --repository: the git ref built, e.g. refs/tags/v2.1.0, or refs/tags/v* (* within"
                            " one component, after refs/KIND/) (default: any ref)")


def publisher_from_args(args: argparse.Namespace) -> Any:
    """The :class:`publisher.Publisher` of ``--repository`` / ``--workflow`` / ``--ref``, or
    ``None`` without ``--repository``."""
    if args.repository is None:
        for option, value in (("--workflow", args.workflow), ("--ref", args.ref)):
            if value is not None:
                raise UsageError(f"{option} goes with --repository (a CI publisher)")
        return None
    from ..publisher import publisher

    try:
        return publisher(args.repository, workflow=args.workflow, ref=args.ref)
    except ValueError as exc:
        raise usage(exc) from None


def add_trust_options(parser: argparse.ArgumentParser) -> None:
    """``--trust-root`` / ``--trusted-root`` / ``--staging`` and ``--max-trust-root-age``."""
    roots = parser.add_mutually_exclusive_group()
    roots.add_argument("--trust-root", metavar="FILE_OR_DIR",
                       help="a trusted_root.json, a ClientTrustConfig file, or a snapshot directory holding a"
                            " trusted_root.json (default: the shipped production snapshot)")
    roots.add_argument("--trusted-root", metavar="FILE",
                       help="a trusted_root.json or ClientTrustConfig file (sigstore-python's spelling)")
    roots.add_argument("--staging", action="store_true", help="use the shipped Sigstore staging trust root")
    parser.add_argument("--max-trust-root-age", type=int, metavar="DAYS",
                        help="fail (exit 3) if the trust-root snapshot was refreshed more than DAYS days ago")


def has_identity_options(args: argparse.Namespace) -> bool:
    return any(getattr(args, name) is not None for name in (
        "cert_identity", "cert_identity_regexp", "cert_oidc_issuer", "cert_oidc_issuer_regexp"))


def identity_from_args(args: argparse.Namespace) -> "Identity":
    """The identity policy the identity options give (all four checked as a pair)."""
    has_identity = args.cert_identity is not None or args.cert_identity_regexp is not None
    has_issuer = args.cert_oidc_issuer is not None or args.cert_oidc_issuer_regexp is not None
    if not has_identity or not has_issuer:
        raise UsageError("give the expected signer: --cert-identity (or --cert-identity-regexp) and"
                         " --cert-oidc-issuer (or --cert-oidc-issuer-regexp)")
    from ..request import identity_policy

    try:
        return identity_policy(identity=args.cert_identity, identity_regexp=args.cert_identity_regexp,
                               issuer=args.cert_oidc_issuer, issuer_regexp=args.cert_oidc_issuer_regexp)
    except ValueError as exc:
        raise usage(exc) from None


def check_trust_options(args: argparse.Namespace) -> None:
    """Usage errors of the trust-root options, before anything is read."""
    for option in ("trust_root", "trusted_root"):
        path = getattr(args, option, None)
        if path is not None and not path.strip():
            raise UsageError(f"--{option.replace('_', '-')} is empty (an unset variable in a recipe?); give a file"
                             " or directory, or leave the option out for the shipped snapshot")
    max_age = getattr(args, "max_trust_root_age", None)
    if max_age is not None and max_age < 0:
        raise UsageError("--max-trust-root-age must be zero or more days")


def open_trust_from_args(args: argparse.Namespace, err: TextIO, *, quiet: bool, prog: str,
                         instance: Optional[str] = None, allow_no_logs: bool = False) -> "TrustMaterial":
    """Step 2 from the trust-root options; the stale-snapshot warning goes to ``err``.

    ``instance``: the shipped snapshot to open when no trust-root option names one (default:
    production, or staging with ``--staging``). ``allow_no_logs``: the trusted root may list no
    transparency log (``verify-offline github`` only).
    """
    check_trust_options(args)
    from ..request import TrustChoice, open_trust
    from ..trust import store

    path = getattr(args, "trust_root", None)
    if path is None:
        path = getattr(args, "trusted_root", None)
    max_age = getattr(args, "max_trust_root_age", None)
    if instance is None:
        instance = store.STAGING if getattr(args, "staging", False) else store.PRODUCTION
    choice = TrustChoice(path=path, instance=instance, max_age_days=max_age, allow_no_logs=allow_no_logs)
    now = datetime.datetime.now(datetime.timezone.utc)  # the only clock read: the snapshot's age
    try:
        trust = open_trust(choice, now)
    except ValueError as exc:
        if max_age is not None and "age limit" in str(exc):
            raise UsageError("--max-trust-root-age needs a trust-root snapshot (a directory with a manifest),"
                             " not a file") from None
        raise usage(exc) from None
    if not quiet:
        for warning in trust.warnings:
            err.write(f"{prog}: warning: {warning}\n")
    return trust


def in_cli_words(exc: SigstoreOfflineError) -> SigstoreOfflineError:
    """``exc`` with the request layer's hints worded for this command line."""
    if exc.hint in _HINTS:
        return type(exc)(exc.message, step=exc.step, hint=_HINTS[exc.hint])
    return exc


def who(result: Verified) -> str:
    return f"{result.identity} ({result.issuer})" if result.identity is not None else "managed key"


def ok_line(result: Verified) -> str:
    """The human verdict of a full verification (``OK: …``)."""
    host = result.log_url.split("://", 1)[-1]
    return f"OK: {shown(result.artifact)}  {who(result)}  {host} {result.index_text}  {utc(result.signed_at)}"


def weaker_line(result: Verified) -> str:
    """The verdict of a weaker verification (no log entry, accepted on request): never hidden."""
    return f"OK (WEAKER: {result.weaker}): {shown(result.artifact)}  {who(result)}"


def print_ok(result: Verified, *, json_mode: bool, quiet: bool, out: TextIO, err: TextIO,
             extra: Optional[Dict[str, Any]] = None) -> None:
    """Print a passing verdict. A weaker one always leaves a line on stderr, even with -q or --json."""
    if json_mode:
        out.write(json.dumps({**result.as_json(), **(extra or {})}, sort_keys=True) + "\n")
        if result.weaker is not None:
            err.write(weaker_line(result) + "\n")
    elif result.weaker is not None:
        (err if quiet else out).write(weaker_line(result) + "\n")
    elif not quiet:
        out.write(ok_line(result) + "\n")


def failure_record(target: Optional[str], exc: SigstoreOfflineError, *, step: Optional[str] = None,
                   extra: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    exc = in_cli_words(exc)
    return {"artifact": shown(target) if target is not None else None, "verified": False,
            "step": step or exc.step, "error": exc.message, "hint": exc.hint, "exit_code": exc.exit_code,
            **(extra or {})}


def print_failure(target: str, exc: SigstoreOfflineError, *, json_mode: bool, out: TextIO, err: TextIO,
                  extra: Optional[Dict[str, Any]] = None) -> None:
    """``FAIL: target: step: message (hint: …)`` on stderr; with --json, its record on stdout too."""
    err.write(f"FAIL: {shown(target)}: {shown(str(in_cli_words(exc)))}\n")  # one line, whatever the input held
    if json_mode:
        out.write(json.dumps(failure_record(target, exc, extra=extra), sort_keys=True) + "\n")


def bug_line(target: str, exc: BaseException, prog: str) -> str:
    return (f"FAIL: {shown(target)}: internal error ({type(exc).__name__}: {shown(str(exc))}); this is a bug in"
            f" {prog}, please report it")


def setup_failed(exc: SigstoreOfflineError, *, prog: str, json_mode: bool, out: TextIO, err: TextIO) -> int:
    """A failure before any target is verified (usage, trust root, an unreadable option file):
    one line on stderr, with --json a record with no artifact; the exit status."""
    err.write(f"{prog}: error: {shown(str(in_cli_words(exc)))}\n")
    if json_mode:
        out.write(json.dumps(failure_record(None, exc, step=exc.step or Step.USAGE), sort_keys=True) + "\n")
    return exc.exit_code


def each_target(targets: Iterable[str], verify: Callable[[str], Any], report: Callable[[str, Any], None], *,
                prog: str, json_mode: bool, out: TextIO, err: TextIO) -> int:
    """Verify every target in turn: ``verify(target)`` returns a result that ``report`` prints, or
    raises. A caller's ``ValueError`` is a usage error; anything unexpected is a bug (exit 5),
    never a traceback and never a pass. Returns the largest exit status."""
    codes = [EXIT_OK]
    for target in targets:
        try:
            try:
                result = verify(target)
            except ValueError as exc:  # the request layer's word for a usage mistake
                raise usage(exc) from None
        except SigstoreOfflineError as exc:
            print_failure(target, exc, json_mode=json_mode, out=out, err=err)
            codes.append(exc.exit_code)
            continue
        except Exception as exc:  # noqa: BLE001 -- anything else is a bug; never a traceback, never a pass
            err.write(bug_line(target, exc, prog) + "\n")
            codes.append(EXIT_BUG)
            continue
        report(target, result)
    return max(codes)
