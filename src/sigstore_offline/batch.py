"""Batch verification: ``verify-offline --manifest FILE`` (sigstore-offline-manifest(5)).

A manifest lists artifacts (files or digests), their bundles and their signers. It is parsed and
checked as a whole before anything is verified: a malformed manifest verifies nothing (exit 4).
The entries are then verified in worker processes, one per usable CPU (``--jobs``), forked after
the trust root is parsed so that every worker shares it; the verdicts come out in manifest order,
one line (or one JSON object) each, followed by a summary. The exit status is 0 only when every
entry verified, else the largest per-entry status.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import pathlib
import re
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, TextIO, Tuple

from . import _encoding as enc
from ._encoding import utc
from .errors import EXIT_BUG, EXIT_FAILED, EXIT_OK, InputError, SigstoreOfflineError
from .limits import MAX_MANIFEST_BYTES, MAX_MANIFEST_ENTRIES
from .policy import Identity, SignerPolicy
from .trust.trusted_root import TrustedRoot

DIGEST = re.compile(r"sha256:([0-9a-f]{64})")
CHUNK = 8  # entries per task: few enough for even load, enough to keep inter-process traffic low
_SIGNER_FIELDS = ("identity", "identity_regexp", "issuer", "issuer_regexp", "policy", "key")


class Entry(NamedTuple):
    index: int
    name: str  # what the verdict calls it: the artifact as written in the manifest
    path: Optional[str]  # the file to hash, or None for a digest
    digest: Optional[bytes]
    bundle: str
    identity: Optional[Identity]
    policy: Optional[str]  # an upstream policy name or file
    key: Optional[str]


def _entries(document: Any) -> List[Any]:
    if isinstance(document, list):
        return document
    raise ValueError(f"expected a JSON array of entries or JSON Lines, found {enc.type_name(document)}")


def _decode(raw: bytes) -> List[Any]:
    """A JSON array, or JSON Lines (one object per non-blank line)."""
    text = raw.lstrip()
    if text.startswith(b"["):
        return _entries(enc.load_json(raw))
    items = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            items.append(enc.load_json(line))
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
    return items


def _entry(index: int, value: Any, base: pathlib.Path, defaults: bool) -> Entry:
    where = f"entry {index}"
    item = enc.obj(value, where)
    fields: Dict[str, Optional[str]] = {}
    for name in ("artifact", "digest", "bundle", *_SIGNER_FIELDS):
        raw = item.get(name)
        fields[name] = None if raw is None else enc.string(raw, f"{where}.{name}")
    artifact = fields["artifact"]
    if not artifact:
        raise ValueError(f"{where}: missing required field 'artifact'")
    digest = None
    if fields["digest"] is not None:
        match = DIGEST.fullmatch(fields["digest"])
        if match is None:
            raise ValueError(f"{where}.digest: expected sha256: and 64 lower-case hex digits")
        digest = bytes.fromhex(match.group(1))
    elif DIGEST.fullmatch(artifact):
        digest = bytes.fromhex(artifact[7:])
    path = None if digest is not None else str(base / artifact)
    bundle = fields["bundle"]
    if bundle is None:
        if digest is not None:
            raise ValueError(f"{where}: a digest needs a 'bundle'")
        bundle = artifact + ".sigstore"
    has_identity = fields["identity"] is not None or fields["identity_regexp"] is not None
    has_issuer = fields["issuer"] is not None or fields["issuer_regexp"] is not None
    kinds = [kind for kind, present in (("identity", has_identity or has_issuer), ("policy", fields["policy"]),
                                        ("key", fields["key"])) if present]
    if len(kinds) > 1:
        raise ValueError(f"{where}: give one signer: identity and issuer, policy, or key (found {' and '.join(kinds)})")
    identity = None
    if has_identity or has_issuer:
        if not has_identity or not has_issuer:
            raise ValueError(f"{where}: 'identity' (or 'identity_regexp') and 'issuer' (or 'issuer_regexp') go together")
        if fields["identity"] is not None and fields["identity_regexp"] is not None or (
                fields["issuer"] is not None and fields["issuer_regexp"] is not None):
            raise ValueError(f"{where}: give an exact value or a regular expression, not both")
        try:
            identity = Identity.build(san=fields["identity"], san_regexp=fields["identity_regexp"],
                                      issuer=fields["issuer"], issuer_regexp=fields["issuer_regexp"])
        except re.error as exc:
            raise ValueError(f"{where}: invalid regular expression: {exc}") from None
    elif not kinds and not defaults:
        raise ValueError(f"{where}: no signer: give 'identity' and 'issuer', 'policy' or 'key' in the entry,"
                         " or defaults on the command line (--cert-identity/--cert-oidc-issuer, --policy, --key)")
    key = str(base / fields["key"]) if fields["key"] is not None else None
    policy = fields["policy"]
    if policy is not None and ("/" in policy or policy.endswith(".json")):
        policy = str(base / policy)
    return Entry(index, artifact, path, digest, str(base / bundle), identity, policy, key)


def read_manifest(path: pathlib.Path, *, defaults: bool) -> List[Entry]:
    """Read and check the whole manifest; every problem is an :class:`InputError` naming the entry."""
    from .trust.store import read_limited

    try:
        raw = read_limited(path, MAX_MANIFEST_BYTES)
    except FileNotFoundError:
        raise InputError(f"manifest {path} does not exist", step="manifest") from None
    except ValueError:
        raise InputError(f"manifest {path} is larger than {MAX_MANIFEST_BYTES} bytes", step="manifest") from None
    except OSError as exc:
        raise InputError(f"cannot read manifest {path}: {exc.strerror or exc}", step="manifest") from None
    try:
        items = _decode(raw)
        if not items:
            raise ValueError("it lists no entries")
        if len(items) > MAX_MANIFEST_ENTRIES:
            raise ValueError(f"{len(items)} entries, more than the limit of {MAX_MANIFEST_ENTRIES}")
        base = path.parent
        return [_entry(index, item, base, defaults) for index, item in enumerate(items)]
    except ValueError as exc:
        raise InputError(f"manifest {path}: {exc}", step="manifest") from None


# --- the workers --------------------------------------------------------------------------------

class _State(NamedTuple):
    root: TrustedRoot
    root_info: Dict[str, Any]
    policy: Optional[SignerPolicy]  # the command line's default signer
    upstream: Any  # the command line's default upstream policy
    key: Any  # the command line's default key
    json: bool


_STATE: Optional[_State] = None  # set before the workers fork; each worker inherits it
_CACHE: Dict[Tuple[str, str], Any] = {}  # loaded upstream policies and keys, per process


def _cached(kind: str, spec: str) -> Any:
    if (kind, spec) not in _CACHE:
        if kind == "policy":
            from .upstream import load_policy

            _CACHE[(kind, spec)] = load_policy(spec)
        else:
            from .cli.verify_offline import _key

            _CACHE[(kind, spec)] = _key(spec)
    return _CACHE[(kind, spec)]


def _verify(entry: Entry) -> Tuple[int, str]:
    """One entry: (exit status, its verdict line or JSON object)."""
    from .cli.verify_offline import hash_file, load_bundle
    from .verify.pipeline import Artifact, verify

    state = _STATE
    if state is None:
        raise RuntimeError("batch state not initialised")
    try:
        file_name = os.path.basename(entry.name)
        policy: Optional[SignerPolicy] = entry.identity
        key = _cached("key", entry.key) if entry.key is not None else None
        if entry.policy is not None:
            policy = _cached("policy", entry.policy).for_artifact(file_name)
        elif policy is None and key is None:
            if state.upstream is not None:
                policy = state.upstream.for_artifact(file_name)
            else:
                policy, key = state.policy, state.key
        if entry.digest is not None:
            digest, data = entry.digest, None
        else:
            from cryptography.hazmat.primitives.asymmetric import ed25519

            digest, data = hash_file(pathlib.Path(entry.path or ""), keep=isinstance(key, ed25519.Ed25519PublicKey))
        bundle = load_bundle(pathlib.Path(entry.bundle))
        result = verify(bundle, artifact=Artifact(entry.name, digest, data), trusted_root=state.root, policy=policy,
                        key=key)
    except SigstoreOfflineError as exc:
        code = exc.exit_code  # a UsageError here is this entry's mistake (e.g. a key for a certificate bundle)
        if state.json:
            return code, json.dumps({"entry": entry.index, "artifact": entry.name, "verified": False,
                                     "step": exc.step, "error": exc.message, "hint": exc.hint, "exit_code": code},
                                    sort_keys=True)
        return code, f"FAIL: {entry.name}: {exc}"
    except Exception as exc:  # noqa: BLE001 -- anything else is a bug; never a traceback, never a pass
        message = f"internal error ({type(exc).__name__}: {exc}); this is a bug in verify-offline, please report it"
        if state.json:
            return EXIT_BUG, json.dumps({"entry": entry.index, "artifact": entry.name, "verified": False,
                                         "step": "internal", "error": message, "hint": None, "exit_code": EXIT_BUG},
                                        sort_keys=True)
        return EXIT_BUG, f"FAIL: {entry.name}: {message}"
    if state.json:
        return EXIT_OK, json.dumps({"entry": entry.index, **result.as_json()}, sort_keys=True)
    who = f"{result.identity} ({result.issuer})" if result.identity is not None else "managed key"
    host = result.log_url.split("://", 1)[-1]
    return EXIT_OK, f"OK: {result.artifact}  {who}  {host} #{result.log_index}  {utc(result.signed_at)}"


def _verify_chunk(chunk: Sequence[Entry]) -> List[Tuple[int, str]]:
    return [_verify(entry) for entry in chunk]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _results(entries: List[Entry], jobs: int):  # type: ignore[no-untyped-def]
    """Yield (entry, code, text) in manifest order."""
    chunks = [entries[i:i + CHUNK] for i in range(0, len(entries), CHUNK)]
    if jobs <= 1 or len(chunks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in chunks:
            for entry, (code, text) in zip(chunk, _verify_chunk(chunk)):
                yield entry, code, text
        return
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(_verify_chunk, chunk) for chunk in chunks]
        try:
            for chunk, future in zip(chunks, futures):
                try:
                    outcome = future.result()
                except Exception as exc:  # noqa: BLE001 -- a worker died: those entries fail, never pass
                    outcome = [(EXIT_BUG, f"FAIL: {entry.name}: internal error (worker process failed:"
                                          f" {type(exc).__name__}); this is a bug in verify-offline, please"
                                          " report it") for entry in chunk]
                    if _STATE is not None and _STATE.json:
                        outcome = [(EXIT_BUG, json.dumps({"entry": entry.index, "artifact": entry.name,
                                                          "verified": False, "step": "internal",
                                                          "error": "worker process failed", "hint": None,
                                                          "exit_code": EXIT_BUG}, sort_keys=True))
                                   for entry in chunk]
                for entry, (code, text) in zip(chunk, outcome):
                    yield entry, code, text
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def run(manifest: str, args: argparse.Namespace, *, root: TrustedRoot, root_info: Dict[str, Any],
        policy: Optional[SignerPolicy], key: Any, out: TextIO, err: TextIO) -> int:
    """Verify every entry of ``manifest``; print verdicts in order and a summary; return the exit status."""
    global _STATE
    upstream = getattr(args, "upstream_policy", None)
    defaults = policy is not None or key is not None or upstream is not None
    entries = read_manifest(pathlib.Path(manifest), defaults=defaults)
    jobs = args.jobs if args.jobs is not None else default_jobs()
    _STATE = _State(root, root_info, policy, upstream, key, bool(args.json))
    progress = hasattr(err, "isatty") and err.isatty() and not args.quiet
    counts = {"verified": 0, "failed": 0}
    worst = EXIT_OK
    try:
        for done, (entry, code, text) in enumerate(_results(entries, jobs), start=1):
            if progress:
                err.write("\r\033[K")
            if code == EXIT_OK:
                counts["verified"] += 1
                if args.json or not args.quiet:
                    out.write(text + "\n")
            else:
                counts["failed"] += 1
                if args.json:
                    out.write(text + "\n")
                err.write((text if not args.json else f"FAIL: {entry.name}: {json.loads(text)['error']}") + "\n")
            worst = max(worst, code)
            if progress:
                err.write(f"[{done}/{len(entries)}] {counts['failed']} failed")
                err.flush()
    except KeyboardInterrupt:
        if progress:
            err.write("\r\033[K")
        err.write(f"verify-offline: interrupted after {counts['verified'] + counts['failed']} of {len(entries)}"
                  " entries; not verified\n")
        return max(worst, EXIT_FAILED)
    finally:
        _STATE = None
    if progress:
        err.write("\r\033[K")
    summary = (f"{counts['verified']} verified, {counts['failed']} failed, {len(entries)} in total"
               f" ({manifest})")
    if args.json:
        out.write(json.dumps({"summary": {"manifest": manifest, "entries": len(entries), "verified": counts["verified"],
                                          "failed": counts["failed"], "exit_code": worst,
                                          "trust_root": root_info}}, sort_keys=True) + "\n")
    elif not args.quiet or counts["failed"]:
        (out if not counts["failed"] else err).write(summary + "\n")
    return worst


