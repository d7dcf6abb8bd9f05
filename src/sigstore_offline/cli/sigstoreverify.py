# SPDX-License-Identifier: Apache-2.0
"""``sigstoreverify``: a gpgverify-compatible front end for RPM's ``%sigstoreverify`` and dh_sigstore_verify.

Fedora's ``gpgverify`` takes ``--keyring=FILE --signature=FILE --data=FILE`` and exits 0 (good),
1 (bad signature) or 2 (usage). This command takes the same three options, where:

* ``--keyring`` is a *signers file* (sigstore-signers(5)): the identities that may sign, one
  ``IDENTITY ISSUER`` pair per line -- the analogue of "a keyring with all the trusted keys and
  no others";
* ``--signature`` is the Sigstore bundle (``Python-3.14.0.tar.xz.sigstore``);
* ``--data`` is the signed file.

Instead of ``--keyring``, ``--policy NAME_OR_FILE`` takes the allowed signers from an upstream
policy (sigstore-offline-policy(5), e.g. ``cpython``), chosen by the data file's name.

The artifact passes if the bundle verifies (every step of the pipeline, against the installed
trust-root snapshot) *and* its signing certificate names one of the listed pairs exactly. The
pair is chosen by the certificate's subject alternative names and OIDC issuer, and the pipeline
then checks that very pair as its identity policy (step 6), so nothing is trusted that the
pipeline did not check. Every message starts with ``sigstoreverify:``.

Exit status: 0 verified, 1 not verified (including a missing or malformed bundle or data file,
an unusable trust root, or an internal error -- each said so in the message), 2 usage error
(including a missing or malformed signers file: that is the packager's mistake, like a bad
``--keyring``). ``$HOME`` is never read; there is no networking code on this path.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, NoReturn, Optional, Sequence, TextIO, Tuple

from .. import __version__
from .._encoding import utc
from ..errors import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    InputError,
    SigstoreOfflineError,
    Step,
    TrustRootError,
    UsageError,
    VerificationError,
)
from ..inputs import read_input, shown
from . import _common
from ._common import Parser

__all__ = [
    "PROG", "MAX_SIGNERS_BYTES", "MAX_SIGNERS", "Signer", "parse_publisher_line", "parse_signers", "read_signers",
    "build_parser", "check", "check_provenance", "check_attestations", "main", "entry",
]

if TYPE_CHECKING:  # the verify path is imported on first use: --help and usage errors stay cheap
    from ..policy import Identity
    from ..request import TrustMaterial
    from ..upstream import UpstreamPolicy
    from ..verify.pipeline import Verified

PROG = "sigstoreverify"
MAX_SIGNERS_BYTES = 64 * 1024
MAX_SIGNERS = 256
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")
_ISSUER = re.compile(r"https://\S+")


class Signer(NamedTuple):
    """One allowed signer: an exact identity (SAN) and an exact OIDC issuer; or a CI publisher
    (``publisher``, then ``identity`` and ``issuer`` only describe it)."""

    identity: str
    issuer: str
    line: int
    publisher: Any = None  # a publisher.Publisher

    def policy(self) -> Any:
        if self.publisher is not None:
            return self.publisher
        from ..policy import Identity

        return Identity(san=self.identity, issuer=self.issuer)


_PUBLISHER_KEYS = ("workflow", "ref")


def parse_publisher_line(fields: Sequence[str], *, where: str, number: int) -> Signer:
    """A publisher line: ``github OWNER/REPO [workflow=FILE] [ref=REF_OR_GLOB]`` or
    ``gitlab NAMESPACE/PROJECT [workflow=PATH] [ref=REF_OR_GLOB]``."""
    from ..publisher import publisher

    forge, path, options = fields[0], fields[1] if len(fields) > 1 else "", fields[2:]
    if not path:
        raise UsageError(f"{where}: expected '{forge} REPOSITORY [workflow=FILE] [ref=REF_OR_GLOB]'")
    given: Dict[str, str] = {}
    for option in options:
        key, equals, value = option.partition("=")
        if not equals or key not in _PUBLISHER_KEYS:
            raise UsageError(f"{where}: {option!r} is not workflow=FILE or ref=REF_OR_GLOB"
                             + (" -- comments must be on lines of their own" if option.startswith("#") else ""))
        if key in given:
            raise UsageError(f"{where}: {key}= given twice")
        given[key] = value
    try:
        found = publisher(path, workflow=given.get("workflow"), ref=given.get("ref"), forge=forge)
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}") from None
    return Signer(f"{forge}:{found.repository}", found.describe(), number, found)


def parse_signers(text: str, *, source: str) -> Tuple[Signer, ...]:
    """Parse a signers file (sigstore-signers(5)); raise :class:`UsageError` naming file and line.

    Format: UTF-8 text; blank lines and lines whose first non-blank character is ``#`` are
    ignored; every other line is exactly ``IDENTITY ISSUER`` separated by blanks, where IDENTITY
    is an e-mail address or a URI matched exactly against the certificate's subject alternative
    names, and ISSUER is an ``https://`` URL matched exactly against its OIDC issuer. No regular
    expressions, no trailing comments, no duplicates; at least one pair.
    """
    signers: List[Signer] = []
    seen: Dict[Tuple[str, str], int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}:{number}"
        fields = line.split()
        if fields[0] in ("github", "gitlab"):
            signer = parse_publisher_line(fields, where=where, number=number)
            key = (signer.identity, repr(signer.publisher))
            if key in seen:
                raise UsageError(f"{where}: duplicate of line {seen[key]}")
            seen[key] = number
            signers.append(signer)
            if len(signers) > MAX_SIGNERS:
                raise UsageError(f"{source}: more than {MAX_SIGNERS} signers")
            continue
        if len(fields) != 2:
            raise UsageError(
                f"{where}: expected 'IDENTITY ISSUER' (two fields), found {len(fields)} field(s)"
                + (" -- comments must be on lines of their own" if "#" in line else "")
            )
        identity, issuer = fields
        if identity.startswith("regexp:") or issuer.startswith("regexp:"):
            raise UsageError(f"{where}: regular expressions are not supported; list each identity on its own line")
        if not (_EMAIL.fullmatch(identity) or _URI.fullmatch(identity)):
            raise UsageError(f"{where}: identity {identity!r} is neither an e-mail address nor a URI")
        if not _ISSUER.fullmatch(issuer):
            raise UsageError(f"{where}: OIDC issuer {issuer!r} is not an https:// URL")
        if (identity, issuer) in seen:
            raise UsageError(f"{where}: duplicate of line {seen[(identity, issuer)]}")
        seen[(identity, issuer)] = number
        signers.append(Signer(identity, issuer, number))
        if len(signers) > MAX_SIGNERS:
            raise UsageError(f"{source}: more than {MAX_SIGNERS} signers")
    if not signers:
        raise UsageError(f"{source}: lists no signer (expected lines of 'IDENTITY ISSUER', or"
                         " 'github OWNER/REPO ...')")
    return tuple(signers)


def read_signers(path: str) -> Tuple[Signer, ...]:
    data = read_input(path, limit=MAX_SIGNERS_BYTES, what="signers file", step="", error=UsageError)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"signers file {path} is not UTF-8 text") from None
    return parse_signers(text, source=path)


class _Once(argparse.Action):
    """Store a value; giving the option twice is a usage error (gpgverify takes each once)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: Optional[str] = None) -> None:
        if getattr(namespace, self.dest) is not None:
            raise UsageError(f"{option_string} given twice")
        setattr(namespace, self.dest, values)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        allow_abbrev=False,
        description="Verify a file against its Sigstore bundle and a signers file, offline, with the"
        " options of Fedora's gpgverify. Options take their value as --option=VALUE or --option VALUE.",
        epilog="Exit status: 0 verified, 1 not verified (bad signature, wrong signer, missing or malformed"
        " bundle or data, unusable trust root), 2 usage error (including a malformed signers file)."
        " See sigstoreverify(1) and sigstore-signers(5).",
    )
    parser.add_argument("--keyring", metavar="SIGNERS_FILE", action=_Once,
                        help="the signers file: allowed 'IDENTITY ISSUER' pairs, one per line")
    parser.add_argument("--policy", metavar="NAME_OR_FILE", action=_Once,
                        help="instead of --keyring: an upstream policy (e.g. cpython) that picks the signer from"
                             " the data file's name (sigstore-offline-policy(5))")
    parser.add_argument("--signature", metavar="BUNDLE", action=_Once, help="the Sigstore bundle (FILE.sigstore)")
    parser.add_argument("--provenance", metavar="FILE", action=_Once,
                        help="instead of --signature: the PyPI provenance of the data file (PyPI's Integrity API"
                             " response, PEP 740); the signers file then names its Trusted Publisher")
    parser.add_argument("--name", metavar="FILENAME", action=_Once,
                        help="with --provenance: the distribution's file name on PyPI, which the attestations"
                             " name (default: the data file's name)")
    parser.add_argument("--data", metavar="FILE", action=_Once, help="the signed file")
    parser.add_argument("--trust-root", metavar="FILE_OR_DIR", action=_Once,
                        help="a trusted_root.json or snapshot directory (default: the installed production snapshot)")
    parser.add_argument("--max-trust-root-age", type=int, metavar="DAYS", action=_Once,
                        help="fail if the trust-root snapshot was refreshed more than DAYS days ago (it warns past"
                             " 180 days in any case)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    parser.add_argument("--version", action="version", version=f"%(prog)s (sigstore-offline) {__version__}")
    return parser


def _choose(found: Any, signers: Sequence[Signer], signers_path: str) -> Signer:
    """The first listed signer the certificate summary ``found`` names (a pair exactly, or a
    publisher whose claims it carries)."""
    for signer in signers:
        if signer.publisher is None:
            if signer.identity in found.sans and signer.issuer == found.issuer:
                return signer
            continue
        try:
            signer.publisher.check(found)
        except VerificationError:
            continue
        return signer
    who = ", ".join(found.sans) or "(no identity)"
    raise VerificationError(
        f"signed by {who} ({found.issuer or 'no OIDC issuer'}), which is not one of the"
        f" {len(signers)} signer(s) listed in {signers_path}",
        step=Step.IDENTITY,
    )


def check(*, signers_path: str, bundle_path: str, data_path: str, trust: TrustMaterial,
          signers: Sequence[Signer], upstream: Optional[UpstreamPolicy] = None) -> Verified:
    """Verify ``data_path`` against ``bundle_path``; the signer must be one of ``signers``, or the
    one ``upstream`` names for the data file's name."""
    from ..policy import summarise
    from ..request import Request, Target, artifact_digest, load_bundle, verify_request
    from ..verify.pipeline import Artifact, verify

    target = Target(data_path, data_path, None, data_path.rsplit("/", 1)[-1])
    if upstream is not None:
        return verify_request(Request(target, bundle=bundle_path, upstream=upstream), trust)
    bundle = load_bundle(bundle_path)
    digest, _ = artifact_digest(target, bundle)  # SHA-512 for npm provenance
    if bundle.certificate is None:
        raise VerificationError(
            f"bundle {shown(bundle_path)} is signed with a managed key, not a Sigstore identity; a signers file"
            " lists identities only (use verify-offline --key for managed keys)",
            step=Step.IDENTITY,
        )
    found = summarise(bundle.certificate)
    signer = _choose(found, signers, signers_path)
    return verify(bundle, artifact=Artifact(shown(data_path), digest), trusted_root=trust.root,
                  policy=signer.policy())


def check_provenance(*, signers_path: str, provenance_path: str, data_path: str, name: Optional[str],
                     trust: TrustMaterial, signers: Sequence[Signer]) -> Verified:
    """Verify ``data_path`` against its PyPI provenance ``provenance_path`` (PEP 740): every
    attestation in it, each naming the distribution ``name`` (default: the data file's name) and
    its SHA-256, signed by one of ``signers``; a publisher line also cross-checks PyPI's publisher
    record. Returns the first attestation's verification."""
    from ..limits import MAX_ATTESTATION_FILE_BYTES
    from ..policy import summarise
    from ..pypi.attestation import parse_provenance, to_bundle
    from ..request import PypiRequest, Target, verify_pypi

    from ..pypi.distname import parse_filename

    basename = data_path.rsplit("/", 1)[-1]
    filename = basename if name is None else name
    if name is None:
        try:
            parse_filename(basename)
        except ValueError:
            raise UsageError(f"the data file's name {shown(basename)} is not a Python distribution's file name;"
                             " give the name PyPI serves it under with --name") from None
    parsed = parse_provenance(read_input(provenance_path, limit=MAX_ATTESTATION_FILE_BYTES, what="provenance",
                                         step=Step.PROVENANCE), source=shown(provenance_path))
    first = next((a for bundle in parsed.bundles for a in bundle.attestations), None)
    if first is None:
        raise VerificationError(f"provenance {shown(provenance_path)} holds no attestation", step=Step.ATTESTATION)
    certificate = to_bundle(first).certificate
    if certificate is None:  # pragma: no cover -- PEP 740 attestations always carry a certificate
        raise VerificationError(f"{first.where}: no signing certificate", step=Step.IDENTITY)
    signer = _choose(summarise(certificate), signers, signers_path)
    target = Target(data_path, data_path, None, basename)
    result = verify_pypi(PypiRequest(target, filename, signer.policy(), provenance=provenance_path), trust)
    verified: Verified = result.attestations[0].verified
    return verified


def check_attestations(*, signers_path: str, bundle_path: str, data_path: str, trusts: Sequence[TrustMaterial],
                       signers: Sequence[Signer]) -> Verified:
    """Verify ``data_path`` against a JSON Lines file of GitHub artifact attestations (what
    ``gh attestation download`` writes): it passes when one of them -- an SLSA provenance v1
    statement naming the file's digest -- verifies against one of ``trusts`` and is signed by one
    of ``signers``. ``trusts`` may hold GitHub's own log-less instance, whose bundles then need an
    RFC 3161 timestamp (``github.verify_github``)."""
    from ..github import SLSA_PROVENANCE_V1, GithubRequest, verify_github
    from ..request import Target
    from ..upstream import AnySigner

    policy = AnySigner(tuple(signer.policy() for signer in signers), f"the signers file {signers_path}")
    target = Target(data_path, data_path, None, data_path.rsplit("/", 1)[-1])
    verified: Verified = verify_github(GithubRequest(target, bundle_path, policy, SLSA_PROVENANCE_V1), trusts).verified
    return verified


def _trusts(args: argparse.Namespace, err: TextIO) -> List[TrustMaterial]:
    """The trust roots: the one the options name; for a JSON Lines attestation file with none
    named, the installed production snapshot and, if installed, GitHub's instance snapshot."""
    # The stale-snapshot warning is printed even with -q: a recipe's log should show it.
    trusts = [_common.open_trust_from_args(args, err, quiet=False, prog=PROG)]
    if args.signature is not None and args.signature.endswith(".jsonl") and args.trust_root is None:
        from ..trust import store

        if (store.shipped_dir() / store.GITHUB).is_dir():
            trusts.append(_common.open_trust_from_args(args, err, quiet=False, prog=PROG, instance=store.GITHUB,
                                                       allow_no_logs=True))
    return trusts


def _describe_failure(exc: SigstoreOfflineError) -> str:
    if isinstance(exc, VerificationError):
        return str(exc)
    if isinstance(exc, InputError):
        return f"cannot be verified: {exc}"
    if isinstance(exc, TrustRootError):
        return f"cannot be verified, the trust root is unusable: {exc}"
    return str(exc)


def main(argv: Optional[Sequence[str]] = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    try:
        args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
        if args.keyring is not None and args.policy is not None:
            raise UsageError("give --keyring or --policy, not both")
        if args.signature is not None and args.signature.endswith(".jsonl") and args.policy is not None:
            raise UsageError("a JSON Lines attestation file (.jsonl) takes its signers from --keyring=SIGNERS_FILE,"
                             " not from --policy")
        if args.provenance is not None:
            if args.signature is not None:
                raise UsageError("give --signature (a Sigstore bundle) or --provenance (a PyPI provenance), not both")
            if args.policy is not None:
                raise UsageError("--provenance takes the Trusted Publisher from --keyring=SIGNERS_FILE"
                                 " (a 'github OWNER/REPO workflow=FILE' line), not from --policy")
            needed: Tuple[str, ...] = ("keyring", "provenance", "data")
        else:
            if args.name is not None:
                raise UsageError("--name is the PyPI file name a provenance names: give it with --provenance")
            needed = ("signature", "data") if args.policy is not None else ("keyring", "signature", "data")
        missing = [f"--{name}" for name in needed if getattr(args, name) is None]
        if missing:
            raise UsageError(f"{', '.join(missing)} missing: give --keyring=SIGNERS_FILE (or --policy=NAME)"
                             " --signature=BUNDLE (or --provenance=FILE) --data=FILE")
        if args.name is not None:
            from ..pypi.distname import parse_filename

            try:
                parse_filename(args.name)
            except ValueError as exc:
                raise UsageError(f"--name: {exc}") from None
        upstream = None
        if args.policy is not None:
            from ..upstream import load_policy

            upstream = load_policy(args.policy)
        signers = read_signers(args.keyring) if args.keyring is not None else ()
    except UsageError as exc:
        err.write(f"{PROG}: error: {exc.message}\n")
        return EXIT_USAGE
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    data = args.data
    try:
        trusts = _trusts(args, err)
        trust = trusts[0]
        if args.signature is not None and args.signature.endswith(".jsonl"):
            result = check_attestations(signers_path=args.keyring, bundle_path=args.signature, data_path=data,
                                        trusts=trusts, signers=signers)
        elif args.provenance is not None:
            result = check_provenance(signers_path=args.keyring, provenance_path=args.provenance, data_path=data,
                                      name=args.name, trust=trust, signers=signers)
        else:
            result = check(signers_path=args.keyring or "", bundle_path=args.signature, data_path=data,
                           trust=trust, signers=signers, upstream=upstream)
    except UsageError as exc:
        err.write(f"{PROG}: error: {exc.message}\n")
        return EXIT_USAGE
    except SigstoreOfflineError as exc:
        err.write(f"{PROG}: FAIL: {shown(data)}: {shown(_describe_failure(exc))}\n")
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 -- anything else is a bug; never a traceback, never a pass
        err.write(f"{PROG}: FAIL: {shown(data)}: internal error ({type(exc).__name__}: {exc}); this is a bug in"
                  " sigstore-offline, please report it\n")
        return EXIT_FAILED
    if not args.quiet:
        where = (f"{result.log_url.split('://', 1)[-1]} {result.index_text}" if result.log_url
                 else "not logged (GitHub instance; time from RFC 3161)")
        out.write(f"{PROG}: OK: {shown(data)} signed by {result.identity} ({result.issuer}), {where},"
                  f" {utc(result.signed_at)}\n")
    return EXIT_OK


def entry() -> NoReturn:
    _common.safe_streams()
    sys.exit(main())


if __name__ == "__main__":
    entry()
