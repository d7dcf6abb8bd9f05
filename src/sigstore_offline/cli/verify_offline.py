"""``verify-offline``: verify Sigstore bundles against artifacts or digests, entirely offline.

``main(argv) -> int`` is testable without a subprocess; ``entry()`` is the console script.
Exit codes (stable): 0 verified, 1 verification failed, 2 usage error, 3 trust root missing,
corrupt or too old, 4 input unreadable or malformed, 5 internal error (a bug).
With several artifacts, the exit code is the largest of their codes.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import pathlib
import re
import sys
from typing import Any, Dict, List, NoReturn, Optional, Sequence, TextIO, Tuple

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .. import __version__, cosign
from .._encoding import utc
from ..errors import (
    EXIT_BUG,
    EXIT_OK,
    InputError,
    SigstoreOfflineError,
    TrustRootError,
    UsageError,
    VerificationError,
)
from ..limits import HASH_CHUNK_BYTES, MAX_BUNDLE_BYTES, MAX_KEY_BYTES
from ..model import Bundle
from ..policy import Identity, SignerPolicy
from ..trust import store
from ..trust.trusted_root import TrustedRoot
from ..verify.pipeline import Artifact, Verified, verify

PROG = "verify-offline"
DIGEST = re.compile(r"sha256:([0-9a-fA-F]{64})")
BUNDLE_SUFFIXES = (".sigstore", ".sigstore.json")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Verify Sigstore bundles offline: certificate chain, SCTs, signature, transparency-log"
        " entry, inclusion proof, checkpoint, signed entry timestamp, RFC 3161 timestamps and identity.",
        epilog="Exit status: 0 verified, 1 verification failed, 2 usage error, 3 trust root unusable,"
        " 4 input unreadable or malformed, 5 internal error.",
    )
    parser.add_argument("artifacts", nargs="*", metavar="ARTIFACT_OR_DIGEST",
                        help="a file to verify, or sha256:<64 hex> (with --bundle)")
    parser.add_argument("--bundle", metavar="FILE",
                        help="the Sigstore bundle (default: ARTIFACT.sigstore, then ARTIFACT.sigstore.json)")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--cert-identity", "--certificate-identity", metavar="ID",
                     help="the signer's exact identity (SAN: e-mail or URI)")
    who.add_argument("--cert-identity-regexp", "--certificate-identity-regexp", metavar="RE",
                     help="a regular expression the whole SAN must match")
    issuer = parser.add_mutually_exclusive_group()
    issuer.add_argument("--cert-oidc-issuer", "--certificate-oidc-issuer", metavar="URL",
                        help="the exact OIDC issuer of the signer's identity")
    issuer.add_argument("--cert-oidc-issuer-regexp", "--certificate-oidc-issuer-regexp", metavar="RE",
                        help="a regular expression the whole issuer must match")
    parser.add_argument("--key", metavar="PEM", help="a PEM public key, for bundles signed with a managed key")
    parser.add_argument("--policy", metavar="NAME_OR_FILE",
                        help="an upstream policy (shipped: cpython; or a policy file) that picks the expected signer"
                             " from the artifact's file name (sigstore-offline-policy(5))")
    parser.add_argument("--name", metavar="FILENAME",
                        help="the artifact's upstream file name: for a sha256: digest, or a renamed file (with --policy)")
    roots = parser.add_mutually_exclusive_group()
    roots.add_argument("--trust-root", metavar="FILE_OR_DIR",
                       help="a trusted_root.json, or a snapshot directory holding one (default: shipped production)")
    roots.add_argument("--trusted-root", metavar="FILE", help="a trusted_root.json (sigstore-python's spelling)")
    roots.add_argument("--staging", action="store_true", help="use the shipped Sigstore staging trust root")
    parser.add_argument("--max-trust-root-age", type=int, metavar="DAYS",
                        help="fail (exit 3) if the trust-root snapshot was refreshed more than DAYS days ago")
    parser.add_argument("--manifest", metavar="FILE",
                        help="verify every entry of a manifest (sigstore-offline-manifest(5)) in parallel;"
                             " signer options become defaults for entries that name none")
    parser.add_argument("--jobs", type=int, metavar="N",
                        help="worker processes for --manifest (default: the usable CPUs)")
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


def _policy(args: argparse.Namespace) -> Optional[Identity]:
    has_identity = args.cert_identity is not None or args.cert_identity_regexp is not None
    has_issuer = args.cert_oidc_issuer is not None or args.cert_oidc_issuer_regexp is not None
    if args.policy is not None:
        if has_identity or has_issuer or args.key is not None:
            raise UsageError("--policy picks the signer itself; do not combine it with --cert-* options or --key")
        from ..upstream import load_policy  # only --policy needs it

        args.upstream_policy = load_policy(args.policy)
        return None
    if args.key is not None:
        if has_identity or has_issuer:
            raise UsageError("--key verifies a managed-key bundle; identity options do not apply to it")
        return None
    if not has_identity or not has_issuer:
        raise UsageError(
            "give the expected signer: --cert-identity (or --cert-identity-regexp) and --cert-oidc-issuer"
            " (or --cert-oidc-issuer-regexp), or --key for a managed-key bundle"
        )
    try:
        return Identity.build(
            san=args.cert_identity,
            san_regexp=args.cert_identity_regexp,
            issuer=args.cert_oidc_issuer,
            issuer_regexp=args.cert_oidc_issuer_regexp,
        )
    except re.error as exc:
        raise UsageError(f"invalid regular expression: {exc}") from None


def _key(path: Optional[str]) -> Any:
    if path is None:
        return None
    try:
        data = store.read_limited(pathlib.Path(path), MAX_KEY_BYTES)
        return load_pem_public_key(data)
    except FileNotFoundError:
        raise InputError(f"key {path} does not exist", step="key") from None
    except OSError as exc:
        raise InputError(f"cannot read key {path}: {exc.strerror or exc}", step="key") from None
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InputError(f"key {path} is not a PEM public key", step="key") from None


STALE_DAYS = 180


def _trusted_root(args: argparse.Namespace, now: datetime.datetime, err: TextIO) -> Tuple[TrustedRoot, Dict[str, Any]]:
    """Step 2: the trust material, its pins checked; its description for --json; age policy."""
    if args.trust_root is not None or args.trusted_root is not None:
        root, info = store.open_trust_root(pathlib.Path(args.trust_root or args.trusted_root))
    else:
        root, info = store.open_shipped(store.STAGING if args.staging else store.PRODUCTION)
    described: Dict[str, Any] = {"source": root.source, "sha256": root.sha256}
    if info is not None:
        described["snapshot"] = info.as_json(now)
        age = info.age_days(now)
        if args.max_trust_root_age is not None and age > args.max_trust_root_age:
            raise TrustRootError(
                f"trust-root snapshot {info.directory} was refreshed {utc(info.refreshed_at)}, {age:.0f} days ago,"
                f" older than --max-trust-root-age {args.max_trust_root_age}",
                step="trust-root",
                hint="install a newer snapshot (sigstore-offline trust-root refresh on a networked host)",
            )
        if age > STALE_DAYS and not args.quiet:
            err.write(f"{PROG}: warning: trust-root snapshot {info.directory} is {age:.0f} days old"
                      f" (refreshed {utc(info.refreshed_at)})\n")
    elif args.max_trust_root_age is not None:
        raise UsageError("--max-trust-root-age needs a trust-root snapshot (a directory with a manifest), not a file")
    return root, described


def hash_file(path: pathlib.Path, *, keep: bool = False) -> Tuple[bytes, Optional[bytes]]:
    """SHA-256 of a regular file in fixed-size chunks (flat memory); optionally keep its bytes."""
    try:
        if path.is_dir():
            raise InputError(f"artifact {path} is a directory", step="artifact")
        digest = hashlib.sha256()
        kept = bytearray() if keep else None
        buffer = bytearray(HASH_CHUNK_BYTES)
        view = memoryview(buffer)
        with open(path, "rb", buffering=0) as handle:
            while True:
                count = handle.readinto(buffer)
                if not count:
                    break
                digest.update(view[:count])
                if kept is not None:
                    kept += view[:count]
        return digest.digest(), bytes(kept) if kept is not None else None
    except FileNotFoundError:
        raise InputError(f"artifact {path} does not exist", step="artifact") from None
    except OSError as exc:
        raise InputError(f"cannot read artifact {path}: {exc.strerror or exc}", step="artifact") from None


def _bundle_path(target: str, explicit: Optional[str]) -> pathlib.Path:
    if explicit is not None:
        return pathlib.Path(explicit)
    for suffix in BUNDLE_SUFFIXES:
        candidate = pathlib.Path(target + suffix)
        if candidate.exists():
            return candidate
    raise InputError(f"no bundle for {target}: neither {target}.sigstore nor {target}.sigstore.json exists; use --bundle",
                     step="bundle")


def load_bundle(path: pathlib.Path) -> Bundle:
    """Read (size-capped) and parse a bundle file; every problem is an :class:`InputError`."""
    try:
        raw = store.read_limited(path, MAX_BUNDLE_BYTES)
    except FileNotFoundError:
        raise InputError(f"bundle {path} does not exist", step="bundle") from None
    except ValueError:
        raise InputError(f"bundle {path} is larger than {MAX_BUNDLE_BYTES} bytes", step="bundle") from None
    except OSError as exc:
        raise InputError(f"cannot read bundle {path}: {exc.strerror or exc}", step="bundle") from None
    return cosign.parse_any_bundle(raw, source=str(path))  # a Sigstore bundle, or cosign's old bundle JSON


def verify_one(target: str, args: argparse.Namespace, root: TrustedRoot, policy: Optional[SignerPolicy],
               key: Any) -> Verified:
    match = DIGEST.fullmatch(target)
    if match and not os.path.exists(target):
        if args.bundle is None and getattr(args, "signature", None) is None:
            raise UsageError(f"{target}: a digest needs --bundle (or --signature)")
        digest, data, name = bytes.fromhex(match.group(1)), None, args.name or target
        if args.name is None and getattr(args, "upstream_policy", None) is not None:
            raise UsageError(f"{target}: --policy needs the artifact's file name for a digest; give --name")
    else:
        from cryptography.hazmat.primitives.asymmetric import ed25519  # local: only managed Ed25519 keys need bytes

        digest, data = hash_file(pathlib.Path(target), keep=isinstance(key, ed25519.Ed25519PublicKey))
        name = target
    upstream = getattr(args, "upstream_policy", None)
    if upstream is not None:  # the signer this file name must carry (sigstore-offline-policy(5))
        policy = upstream.for_artifact(args.name or os.path.basename(target))
    bundle = cosign.load(args, root) or load_bundle(_bundle_path(target, args.bundle))  # cosign: docs/cosign.md
    bundle = cosign.prepare(bundle, args)
    try:
        return verify(bundle, artifact=Artifact(name, digest, data), trusted_root=root, policy=policy, key=key,
                      allow_no_tlog=cosign.allow_no_tlog(args))
    except VerificationError as exc:
        if exc.hint is None and not args.staging and args.trust_root is None and args.trusted_root is None:
            exc.hint = _staging_hint(bundle, exc, name, digest, data, policy, key)
        raise


def _staging_hint(bundle: Any, exc: VerificationError, name: str, digest: bytes, data: Optional[bytes],
                  policy: Optional[SignerPolicy], key: Any) -> Optional[str]:
    """A failure against production that passes these steps against staging suggests --staging."""
    if exc.step not in ("certificate-chain", "tlog", "timestamp"):
        return None
    try:
        verify(bundle, artifact=Artifact(name, digest, data), trusted_root=store.shipped(store.STAGING),
               policy=policy, key=key)
    except VerificationError as again:
        if again.step in ("certificate-chain", "tlog", "timestamp"):
            return None
    except Exception:  # noqa: BLE001 -- the hint is best effort; the original failure stands
        return None
    return "the bundle was signed on the Sigstore staging instance; did you mean --staging?"


def _report_ok(result: Verified, args: argparse.Namespace, out: TextIO, root_info: Dict[str, Any]) -> None:
    if args.json:
        out.write(json.dumps({**result.as_json(), "trust_root": root_info}, sort_keys=True) + "\n")
    elif result.weaker is not None and not args.quiet:  # --insecure-ignore-tlog, no log entry (docs/cosign.md)
        who = f"{result.identity} ({result.issuer})" if result.identity is not None else "managed key"
        out.write(f"OK (WEAKER: {result.weaker}): {result.artifact}  {who}\n")
    elif not args.quiet:
        who = f"{result.identity} ({result.issuer})" if result.identity is not None else "managed key"
        host = result.log_url.split("://", 1)[-1]
        out.write(f"OK: {result.artifact}  {who}  {host} #{result.log_index}  {utc(result.signed_at)}\n")


def _report_failure(target: str, exc: SigstoreOfflineError, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    err.write(f"FAIL: {target}: {exc}\n")
    if args.json:
        out.write(json.dumps({"artifact": target, "verified": False, "step": exc.step, "error": exc.message,
                              "hint": exc.hint, "exit_code": exc.exit_code}, sort_keys=True) + "\n")


def main(argv: Optional[Sequence[str]] = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["pypi"]:  # PEP 740 attestations: their own options (verify-offline-pypi(1))
        from .pypi import main as pypi_main

        return pypi_main(argv[1:], out=out, err=err)
    args = None
    try:
        args = build_parser().parse_args(_compat(argv))
        if args.bundle is not None and len(args.artifacts) > 1:
            raise UsageError("--bundle applies to one artifact; give one artifact per run, or omit --bundle")
        if args.manifest is not None:
            if args.artifacts or args.bundle is not None or args.name is not None or args.signature is not None:
                raise UsageError("--manifest lists the artifacts and bundles; give no ARTIFACT, --bundle, --name"
                                 " or --signature with it")
            if args.jobs is not None and args.jobs < 1:
                raise UsageError("--jobs must be at least 1")
        elif not args.artifacts:
            raise UsageError("give ARTIFACT_OR_DIGEST (one or more), or --manifest FILE")
        elif args.jobs is not None:
            raise UsageError("--jobs applies to --manifest only")
        if args.name is not None and len(args.artifacts) > 1:
            raise UsageError("--name applies to one artifact; give one artifact per run, or omit --name")
        cosign.check_options(args)
        signer_given = any(getattr(args, name) is not None for name in (
            "cert_identity", "cert_identity_regexp", "cert_oidc_issuer", "cert_oidc_issuer_regexp", "key", "policy"))
        policy = _policy(args) if args.manifest is None or signer_given else None  # manifest: defaults only
        key = _key(args.key)
        now = datetime.datetime.now(datetime.timezone.utc)  # the only clock read: the snapshot's age
        root, root_info = _trusted_root(args, now, err)
        if args.manifest is not None:
            from .. import batch  # only --manifest needs it

            return batch.run(args.manifest, args, root=root, root_info=root_info, policy=policy, key=key,
                             out=out, err=err)
    except (UsageError, TrustRootError, InputError) as exc:
        err.write(f"{PROG}: error: {exc}\n")
        if args is not None and args.json:
            out.write(json.dumps({"artifact": None, "verified": False, "step": exc.step or "usage", "error": exc.message,
                                  "hint": exc.hint, "exit_code": exc.exit_code}, sort_keys=True) + "\n")
        return exc.exit_code
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    codes: List[int] = []
    for target in args.artifacts:
        try:
            result = verify_one(target, args, root, policy, key)
        except SigstoreOfflineError as exc:
            _report_failure(target, exc, args, out, err)
            codes.append(exc.exit_code)
            continue
        except Exception as exc:  # noqa: BLE001 -- anything else is a bug; never a traceback, never a pass
            err.write(f"FAIL: {target}: internal error ({type(exc).__name__}: {exc}); this is a bug in {PROG},"
                      " please report it\n")
            codes.append(EXIT_BUG)
            continue
        _report_ok(result, args, out, root_info)
        codes.append(EXIT_OK)
    return max(codes)


def entry() -> NoReturn:
    sys.exit(main())
