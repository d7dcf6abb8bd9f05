# SPDX-License-Identifier: Apache-2.0
"""Batch verification: ``verify-offline --manifest FILE`` (sigstore-offline-manifest(5)).

A manifest lists artifacts (files or digests), their bundles and their signers. It is parsed and
checked as a whole before anything is verified: a malformed manifest verifies nothing (exit 4).
The entries are then verified in worker processes, one per usable CPU (``jobs``), forked after
the trust root is parsed so that every worker shares it. Workers take fixed chunks of the
manifest in turn and send their outcomes back over a pipe each: nothing is written to the file
system (no POSIX semaphores in ``/dev/shm``, which a build sandbox may mount read-only or not at
all). :func:`run` yields the outcomes in manifest order as they arrive, holding at most one chunk
per worker; the command line prints them.
"""

from __future__ import annotations

import os
import pathlib
import pickle
import re
import signal
import struct
from typing import Any, BinaryIO, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

from . import _encoding as enc
from .errors import InputError, SigstoreOfflineError, Step
from .inputs import read_input
from .limits import MAX_MANIFEST_BYTES, MAX_MANIFEST_ENTRIES, MAX_MANIFEST_JSON_VALUES
from .policy import SignerPolicy
from .request import Request, Target, TrustMaterial, identity_policy, load_key, verify_request
from .verify.pipeline import Verified

__all__ = ["Defaults", "Entry", "Outcome", "default_jobs", "read_manifest", "run"]

DIGEST = re.compile(r"sha256:([0-9a-f]{64})|sha512:([0-9a-f]{128})")
CHUNK = 8  # entries per task: few enough for even load, enough to keep inter-process traffic low
_SIGNER_FIELDS = ("identity", "identity_regexp", "issuer", "issuer_regexp", "policy", "key")
_PUBLISHER_FIELDS = ("repository", "workflow", "ref")
_LENGTH = struct.Struct(">I")

Outcome = Union[Verified, SigstoreOfflineError]


class Defaults(NamedTuple):
    """The command line's signer, used by entries that name none."""

    policy: Optional[SignerPolicy] = None
    upstream: Any = None  # an upstream.UpstreamPolicy
    key: Any = None

    @property
    def given(self) -> bool:
        return self.policy is not None or self.upstream is not None or self.key is not None


class Entry(NamedTuple):
    # The field shadows tuple.index, which mypy reports; the name is public (cli, --json "entry").
    index: int  # type: ignore[assignment]
    name: str  # what the verdict calls it: the artifact as written in the manifest
    path: Optional[str]  # the file to hash, or None for a digest
    digest: Optional[bytes]
    bundle: str
    identity: Optional[SignerPolicy]  # an Identity, or a publisher.Publisher
    policy: Optional[str]  # an upstream policy name or file
    key: Optional[str]


def _entries(document: Any) -> List[Any]:
    if isinstance(document, list):
        return document
    raise ValueError(f"expected a JSON array of entries or JSON Lines, found {enc.type_name(document)}")


def _decode(raw: bytes) -> List[Any]:
    """A JSON array, or JSON Lines (one object per non-blank line); the entry count is checked
    before anything is parsed."""
    text = raw.lstrip()
    if text.startswith(b"["):
        items = _entries(enc.load_json(raw, max_values=MAX_MANIFEST_JSON_VALUES))
        if len(items) > MAX_MANIFEST_ENTRIES:
            raise ValueError(f"{len(items)} entries, more than the limit of {MAX_MANIFEST_ENTRIES}")
        return items
    lines = [(number, line) for number, line in enumerate(raw.split(b"\n"), start=1) if line.strip()]
    if len(lines) > MAX_MANIFEST_ENTRIES:
        raise ValueError(f"{len(lines)} entries, more than the limit of {MAX_MANIFEST_ENTRIES}")
    items = []
    for number, line in lines:
        try:
            items.append(enc.load_json(line))
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
    return items


def _text(value: Any, what: str) -> str:
    text = enc.string(value, what)
    if "\0" in text:
        raise ValueError(f"{what}: contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what}: contains an unpaired surrogate (\\uD800-\\uDFFF)") from None
    return text


def _entry(index: int, value: Any, base: pathlib.Path, defaults: bool) -> Entry:
    where = f"entry {index}"
    item = enc.obj(value, where)
    fields: Dict[str, Optional[str]] = {}
    for name in ("artifact", "digest", "bundle", *_SIGNER_FIELDS, *_PUBLISHER_FIELDS):
        raw = item.get(name)
        fields[name] = None if raw is None else _text(raw, f"{where}.{name}")
    artifact = fields["artifact"]
    if not artifact:
        raise ValueError(f"{where}: missing required field 'artifact'")
    digest = None
    if fields["digest"] is not None:
        match = DIGEST.fullmatch(fields["digest"])
        if match is None:
            raise ValueError(f"{where}.digest: expected sha256: and 64, or sha512: and 128, lower-case hex digits")
        digest = bytes.fromhex(match.group(1) or match.group(2))
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
                                        ("key", fields["key"]), ("repository", fields["repository"])) if present]
    if len(kinds) > 1:
        raise ValueError(f"{where}: give one signer: identity and issuer, repository, policy, or key"
                         f" (found {' and '.join(kinds)})")
    identity: Optional[SignerPolicy] = None
    if fields["repository"] is None and (fields["workflow"] is not None or fields["ref"] is not None):
        raise ValueError(f"{where}: 'workflow' and 'ref' go with 'repository' (a CI publisher)")
    if fields["repository"] is not None:
        from .publisher import publisher

        try:
            identity = publisher(fields["repository"], workflow=fields["workflow"], ref=fields["ref"])
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    elif has_identity or has_issuer:
        if not has_identity or not has_issuer:
            raise ValueError(f"{where}: 'identity' (or 'identity_regexp') and 'issuer' (or 'issuer_regexp') go together")
        if fields["identity"] is not None and fields["identity_regexp"] is not None or (
                fields["issuer"] is not None and fields["issuer_regexp"] is not None):
            raise ValueError(f"{where}: give an exact value or a regular expression, not both")
        try:
            identity = identity_policy(identity=fields["identity"], identity_regexp=fields["identity_regexp"],
                                       issuer=fields["issuer"], issuer_regexp=fields["issuer_regexp"])
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    elif not kinds and not defaults:
        raise ValueError(f"{where}: no signer: give 'identity' and 'issuer', 'repository', 'policy' or 'key' in the entry,"
                         " or a default signer for the whole manifest")
    key = str(base / fields["key"]) if fields["key"] is not None else None
    policy = fields["policy"]
    if policy is not None and ("/" in policy or policy.endswith(".json")):
        policy = str(base / policy)
    return Entry(index, artifact, path, digest, str(base / bundle), identity, policy, key)


def read_manifest(path: str, *, defaults: bool) -> List[Entry]:
    """Read and check the whole manifest; every problem is an :class:`InputError` naming the entry.
    ``defaults``: the caller has a default signer for entries that name none."""
    raw = read_input(path, limit=MAX_MANIFEST_BYTES, what="manifest", step=Step.MANIFEST)
    try:
        items = _decode(raw)
        if not items:
            raise ValueError("it lists no entries")
        base = pathlib.Path(path).parent
        return [_entry(index, item, base, defaults) for index, item in enumerate(items)]
    except ValueError as exc:
        raise InputError(f"manifest {path}: {exc}", step=Step.MANIFEST) from None


# --- the workers --------------------------------------------------------------------------------

_STATE: Optional[Tuple[TrustMaterial, Defaults]] = None  # set before the workers fork; each inherits it
_CACHE: Dict[Tuple[str, str], Any] = {}  # loaded upstream policies and keys, per process


def _cached(kind: str, spec: str) -> Any:
    if (kind, spec) not in _CACHE:
        if kind == "policy":
            from .upstream import load_policy

            _CACHE[(kind, spec)] = load_policy(spec)
        else:
            _CACHE[(kind, spec)] = load_key(spec)
    return _CACHE[(kind, spec)]


def _verify(entry: Entry) -> Outcome:
    """One entry's outcome: its ``Verified`` record, or the error that stopped it."""
    if _STATE is None:
        raise RuntimeError("batch state not initialised")
    trust, defaults = _STATE
    try:
        policy: Optional[SignerPolicy] = entry.identity
        upstream = _cached("policy", entry.policy) if entry.policy is not None else None
        key = _cached("key", entry.key) if entry.key is not None else None
        if policy is None and upstream is None and key is None:
            policy, upstream, key = defaults
        target = Target(entry.name, entry.path, entry.digest, entry.name)
        try:
            return verify_request(Request(target, bundle=entry.bundle, policy=policy, upstream=upstream, key=key),
                                  trust)
        except ValueError as exc:  # this entry's own contradiction
            raise InputError(f"entry {entry.index}: {exc}", step=Step.MANIFEST) from None
    except SigstoreOfflineError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 -- anything else is a bug; never a traceback, never a pass
        return SigstoreOfflineError(f"internal error ({type(exc).__name__}: {exc}); this is a bug in"
                                    " verify-offline, please report it", step=Step.INTERNAL)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _work(chunks: Sequence[Sequence[Entry]], fd: int) -> None:
    """A worker: verify its chunks in order, sending each chunk's outcomes as one message."""
    with os.fdopen(fd, "wb") as pipe:
        for chunk in chunks:
            data = pickle.dumps([_verify(entry) for entry in chunk], protocol=pickle.HIGHEST_PROTOCOL)
            pipe.write(_LENGTH.pack(len(data)) + data)
            pipe.flush()


def _receive(pipe: BinaryIO, chunk: Sequence[Entry]) -> List[Outcome]:
    """One chunk's outcomes from its worker; a worker that died fails its entries, never passes them."""
    header = pipe.read(_LENGTH.size)
    if len(header) == _LENGTH.size:
        data = pipe.read(_LENGTH.unpack(header)[0])
        try:
            outcomes = pickle.loads(data)  # noqa: S301 -- our own forked child, over our own pipe
        except Exception:  # noqa: BLE001 -- a truncated message: the worker died while writing
            outcomes = None
        if isinstance(outcomes, list) and len(outcomes) == len(chunk):
            return outcomes
    return [SigstoreOfflineError("internal error (worker process failed); this is a bug in verify-offline,"
                                 " please report it", step=Step.INTERNAL) for _ in chunk]


def _stop(workers: List[Tuple[int, BinaryIO]]) -> None:
    for pid, pipe in workers:
        pipe.close()
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
            if not finished:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
        except (ChildProcessError, ProcessLookupError):
            pass


def run(entries: Sequence[Entry], trust: TrustMaterial, defaults: Defaults, *,
        jobs: int) -> Iterator[Tuple[Entry, Outcome]]:
    """Verify ``entries`` with ``jobs`` worker processes; yield (entry, outcome) in manifest order.
    The caller flushes its output streams first (the workers are forked)."""
    global _STATE
    _STATE = (trust, defaults)
    chunks = [entries[i:i + CHUNK] for i in range(0, len(entries), CHUNK)]
    jobs = min(jobs, len(chunks))
    workers: List[Tuple[int, BinaryIO]] = []
    try:
        if jobs <= 1 or not hasattr(os, "fork"):
            for chunk in chunks:
                for entry in chunk:
                    yield entry, _verify(entry)
            return
        for number in range(jobs):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: never returns into the caller's code
                status = 1
                try:
                    os.close(read_end)
                    for _, pipe in workers:
                        pipe.close()
                    _work(chunks[number::jobs], write_end)
                    status = 0
                finally:
                    os._exit(status)
            os.close(write_end)
            workers.append((pid, os.fdopen(read_end, "rb")))
        for index, chunk in enumerate(chunks):
            for entry, outcome in zip(chunk, _receive(workers[index % jobs][1], chunk)):
                yield entry, outcome
    finally:
        _stop(workers)
        _STATE = None
