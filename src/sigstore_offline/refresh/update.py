# SPDX-License-Identifier: Apache-2.0
"""``trust-root refresh``: move a snapshot forward through TUF and replace it atomically.

The order of work, each step fail-closed (the current snapshot is never touched before step 6):

1. Recover from an interrupted earlier run (:func:`recover`), then check every pin of the current
   snapshot (:func:`sigstore_offline.trust.snapshot.read_pinned`). Its ``root.json`` is the TUF
   trust anchor; ``--bootstrap-root`` replaces it only when there is no snapshot yet.
2. python-tuf's ngclient, in a private temporary directory seeded with the current snapshot's
   timestamp/snapshot/targets metadata (so its own rollback checks apply), walks the root
   rotations (TUF spec 5.3), then timestamp, snapshot and targets (5.4-5.6), and downloads
   ``trusted_root.json`` and the signing config against their hashes and lengths in targets (5.7).
   All downloads share one deadline; lengths are capped by ngclient's limits and by targets.
3. Rollback refusal against the current snapshot's manifest: no role may go back a version.
4. The new snapshot's files and manifest (every TUF-verified file marked ``tuf_proven``).
5. The human-readable diff (:mod:`.diff`) is returned for printing before anything is replaced.
6. Atomic replacement (:func:`write_snapshot`): a temporary sibling directory, every file and the
   directory fsynced, pins re-checked, then one ``renameat2(RENAME_EXCHANGE)`` (two renames where
   the kernel cannot exchange), the parent fsynced, the old copy removed.

python-tuf reads the clock itself for expiry checks; this module never fixes it. ``now`` (the
manifest's ``refreshed_at``) is passed in by the CLI.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import errno
import json
import os
import pathlib
import secrets
import shutil
import tempfile
import time
import warnings
from typing import Any, Callable, Dict, Iterator, List, Mapping, NamedTuple, Optional, Tuple

from .. import __version__
from ..errors import InputError, Step, TrustRootError, UsageError
from ..trust import snapshot as snap
from ..trust.trusted_root import TrustedRoot, parse_trusted_root
from . import diff

__all__ = [
    "KNOWN_INSTANCES", "TRUSTED_ROOT", "OPTIONAL_TARGETS", "REVIEWED", "DEFAULT_TIMEOUT", "EXTRA_MISSING",
    "quiet_deprecations", "import_tuf", "Outcome", "fetch", "refresh", "recover", "write_snapshot",
]

KNOWN_INSTANCES = {
    "sigstore": "https://tuf-repo-cdn.sigstore.dev",
    "sigstage": "https://tuf-repo-cdn.sigstage.dev",
    # GitHub's own instance (private repositories' attestations; no transparency log): the TUF
    # repository ``gh attestation trusted-root`` reads; its root ships in trust-roots/github.
    "github": "https://tuf-repo.github.com",
}
TRUSTED_ROOT = "trusted_root.json"
# Copied into the snapshot when the repository's targets list them.
OPTIONAL_TARGETS = ("signing_config.v0.2.json",)
# Files whose change needs a human's review (--check exits 1 for them); the other TUF metadata moves
# forward on every refresh.
REVIEWED = ("trusted_root.json", "root.json") + OPTIONAL_TARGETS
DEFAULT_TIMEOUT = 120.0
EXTRA_MISSING = ("trust-root {command} needs the [refresh] extra (python-tuf and securesystemslib[crypto]):"
                 " pip install 'sigstore-offline[refresh]' ({missing} is not installed)")

# Test hook: called with a label before every filesystem change of write_snapshot/recover.
_STEP_HOOK: Optional[Callable[[str], None]] = None


def _step(label: str) -> None:
    hook = _STEP_HOOK
    if hook is not None:
        hook(label)


@contextlib.contextmanager
def quiet_deprecations() -> Iterator[None]:
    """securesystemslib warns (DeprecationWarning) about the legacy ``ecdsa-sha2-nistp256`` key type that
    Sigstore's older roots use, inside its signature check; under ``-W error`` that warning would
    turn into "signed by 0/3 keys". Not actionable for an administrator: ignored while TUF runs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def import_tuf(command: str) -> Any:
    """The python-tuf modules this package uses, or a UsageError naming the missing extra."""
    try:
        import securesystemslib  # noqa: F401  (the [crypto] part is checked by signature checks)
        from tuf.api import exceptions
        from tuf.ngclient import Updater, UpdaterConfig  # type: ignore[attr-defined]
        from tuf.ngclient.fetcher import FetcherInterface
        from tuf.ngclient.urllib3_fetcher import Urllib3Fetcher
    except ImportError as exc:
        raise UsageError(EXTRA_MISSING.format(command=command, missing=exc.name or "python-tuf")) from None

    class _Tuf:
        pass

    mod = _Tuf()
    mod.exceptions, mod.Updater, mod.UpdaterConfig = exceptions, Updater, UpdaterConfig  # type: ignore[attr-defined]
    mod.FetcherInterface, mod.Urllib3Fetcher = FetcherInterface, Urllib3Fetcher  # type: ignore[attr-defined]
    return mod


class Outcome(NamedTuple):
    """What a refresh found (and, unless ``check``, wrote)."""

    destination: pathlib.Path
    changes: List[str]            # the reviewable diff, one line per change (empty: none)
    needs_review: bool            # trust material (trusted root, signing config, TUF root) changed
    written: bool
    versions: Dict[str, int]
    files: Dict[str, bytes]
    manifest: bytes


def _deadline_fetcher(tuf: Any, timeout: float) -> Any:
    """A fetcher whose downloads all end by one deadline; any broken transfer is a DownloadError."""
    exceptions = tuf.exceptions

    class DeadlineFetcher(tuf.FetcherInterface):  # type: ignore[misc]
        def __init__(self) -> None:
            self._inner = tuf.Urllib3Fetcher(socket_timeout=max(1, int(min(timeout, 30))), chunk_size=16384,
                                             app_user_agent=f"sigstore-offline/{__version__}")
            self._deadline = time.monotonic() + timeout

        def _fetch(self, url: str) -> Iterator[bytes]:
            if time.monotonic() > self._deadline:
                raise exceptions.SlowRetrievalError(f"{url}: the refresh did not finish within {timeout:g} s")
            chunks = self._inner._fetch(url)  # connects now: errors here are wrapped by fetch()
            return self._bounded(url, chunks)

        def _bounded(self, url: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
            try:
                for chunk in chunks:
                    if time.monotonic() > self._deadline:
                        raise exceptions.SlowRetrievalError(f"{url}: the refresh did not finish within {timeout:g} s")
                    yield chunk
            except exceptions.DownloadError:
                raise
            except Exception as exc:  # urllib3 ProtocolError (connection closed mid-body) and the like
                raise exceptions.DownloadError(f"{url}: the download broke off ({type(exc).__name__})") from exc

    return DeadlineFetcher()


def _version(data: bytes) -> int:
    version = json.loads(data)["signed"]["version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError("version is not an integer")
    return version


def _describe_tuf_error(tuf: Any, exc: BaseException, tuf_url: str) -> Exception:
    """Whose fault: verification failures are exit 3 (nothing was changed), transport is exit 4."""
    exceptions = tuf.exceptions
    if isinstance(exc, exceptions.DownloadLengthMismatchError):
        return TrustRootError(f"{tuf_url} served more bytes than the signed metadata allows: {exc}",
                              step=Step.TUF_REFRESH)
    if isinstance(exc, exceptions.SlowRetrievalError):
        return InputError(f"{tuf_url} is too slow or stalled: {exc or 'no data within the timeout'}",
                          step=Step.DOWNLOAD)
    if isinstance(exc, exceptions.DownloadHTTPError):
        return InputError(f"{tuf_url}: HTTP status {exc.status_code}: {exc}", step=Step.DOWNLOAD)
    if isinstance(exc, exceptions.DownloadError):
        cause = exc.__cause__
        detail = f"{exc}" + (f" ({type(cause).__name__})" if cause is not None and not str(exc) else "")
        return InputError(f"cannot download from {tuf_url}: {detail}", step=Step.DOWNLOAD)
    kind = {
        exceptions.ExpiredMetadataError: "expired metadata (freeze attack, or a stale mirror)",
        exceptions.BadVersionNumberError: "version rollback or mismatch",
        exceptions.UnsignedMetadataError: "signature threshold not met",
        exceptions.LengthOrHashMismatchError: "length or hash mismatch",
    }
    for cls, words in kind.items():
        if isinstance(exc, cls):
            return TrustRootError(f"{tuf_url}: {words}: {exc}", step=Step.TUF_REFRESH)
    return TrustRootError(f"{tuf_url}: metadata rejected: {type(exc).__name__}: {exc}", step=Step.TUF_REFRESH)


def fetch(*, anchor_root: bytes, tuf_url: str, seed: Mapping[str, bytes], timeout: float,
          tuf: Optional[Any] = None) -> Tuple[Dict[str, bytes], Dict[str, bytes]]:
    """Steps 2: run ngclient from ``anchor_root``; return (TUF-verified files, walked roots by name).

    ``seed`` holds the current snapshot's timestamp/snapshot/targets.json for ngclient's own
    rollback checks. Raises TrustRootError (verification) or InputError (transport).
    """
    tuf = tuf or import_tuf("refresh")
    base = tuf_url.rstrip("/")
    with tempfile.TemporaryDirectory(prefix="sigstore-offline-refresh-") as work:
        metadata_dir = pathlib.Path(work, "metadata")
        metadata_dir.mkdir()
        for name in ("timestamp.json", "snapshot.json", "targets.json"):
            if name in seed:
                (metadata_dir / name).write_bytes(seed[name])
        with quiet_deprecations():
            try:
                updater = tuf.Updater(str(metadata_dir), base + "/", str(pathlib.Path(work, "targets")),
                                      base + "/targets/", fetcher=_deadline_fetcher(tuf, timeout),
                                      config=tuf.UpdaterConfig(app_user_agent=f"sigstore-offline/{__version__}"),
                                      bootstrap=anchor_root)
                updater.refresh()
                files: Dict[str, bytes] = {}
                for target in (TRUSTED_ROOT, *OPTIONAL_TARGETS):
                    info = updater.get_targetinfo(target)
                    if info is None:
                        if target == TRUSTED_ROOT:
                            raise TrustRootError(f"{tuf_url}: the targets metadata does not list {TRUSTED_ROOT}",
                                                 step=Step.TUF_REFRESH)
                        continue
                    path = pathlib.Path(work, "download", target)
                    path.parent.mkdir(exist_ok=True)
                    files[target] = pathlib.Path(updater.download_target(info, str(path))).read_bytes()
            except (tuf.exceptions.RepositoryError, tuf.exceptions.DownloadError) as exc:
                raise _describe_tuf_error(tuf, exc, tuf_url) from None
        anchor_version = _version(anchor_root)
        history = sorted(int(p.name.split(".")[0]) for p in (metadata_dir / "root_history").glob("*.root.json"))
        final = max(history)
        for name in ("timestamp.json", "snapshot.json", "targets.json"):
            files[name] = (metadata_dir / name).read_bytes()
        files["root.json"] = (metadata_dir / "root_history" / f"{final}.root.json").read_bytes()
        walked: Dict[str, bytes] = {}
        if final > anchor_version:
            for version in range(anchor_version, final + 1):
                walked[f"{version}.root.json"] = (metadata_dir / "root_history" / f"{version}.root.json").read_bytes()
    return files, walked


def _resolve(dest: pathlib.Path, instance: Optional[str], tuf_url: Optional[str],
             bootstrap_root: Optional[bytes]) -> Tuple[Optional[snap.SnapshotInfo], Dict[str, bytes], str, str, bytes]:
    """Step 1: the current snapshot (pins checked), the instance, the repository URL and the anchor root."""
    if (dest / snap.MANIFEST).exists() or (dest.exists() and any(dest.iterdir())):
        if bootstrap_root is not None:
            raise UsageError(f"{dest} already holds a snapshot; a bootstrap root only starts a new one")
        info, files = snap.read_pinned(dest)
        if "root.json" not in files:
            raise TrustRootError(f"trust-root snapshot {dest}: root.json is not pinned; cannot refresh through TUF",
                                 step=Step.TRUST_ROOT)
        if instance is not None and instance != info.instance:
            raise UsageError(f"{dest} holds instance {info.instance!r}, not {instance!r}")
        url = tuf_url or info.tuf_url or KNOWN_INSTANCES.get(info.instance, "")
        if not url:
            raise UsageError(f"{dest}: the manifest names no TUF repository; give the repository's URL")
        return info, files, info.instance, url, files["root.json"]
    if bootstrap_root is None:
        raise UsageError(f"{dest} holds no snapshot yet: give a bootstrap root (the instance's TUF root.json)")
    name = instance or dest.name
    url = tuf_url or KNOWN_INSTANCES.get(name, "")
    if not url:
        raise UsageError(f"instance {name!r} is not built in: give its TUF repository's URL")
    return None, {}, name, url, bootstrap_root


def refresh(dest: pathlib.Path, *, now: datetime.datetime, instance: Optional[str] = None,
            tuf_url: Optional[str] = None, bootstrap_root: Optional[bytes] = None, check: bool = False,
            timeout: float = DEFAULT_TIMEOUT, report: Optional[Callable[[str], None]] = None,
            mirror: Optional[str] = None, source_note: Optional[str] = None) -> Outcome:
    """Steps 1-6 (see the module docstring). ``report`` receives the diff lines before the swap.

    ``mirror`` is where the files are downloaded from when it is not the repository itself (a mirror
    or a local copy served over HTTP): TUF's signatures, not the transport, make them trusted, so the
    manifest still records the repository's URL as ``tuf_url``. ``source_note`` is appended to the
    manifest's ``source`` (e.g. which copy of the repository the mirror served).
    """
    tuf = import_tuf("refresh")
    if not check:
        recover(dest)
    old_info, old_files, name, url, anchor = _resolve(dest, instance, tuf_url, bootstrap_root)
    try:
        anchor_version = _version(anchor)
    except (ValueError, KeyError, TypeError) as exc:
        raise TrustRootError(f"the anchor root.json is not TUF root metadata: {exc}", step=Step.TRUST_ROOT) from None
    seed: Dict[str, bytes] = {n: old_files[n] for n in ("timestamp.json", "snapshot.json", "targets.json") if n in old_files}
    files, walked = fetch(anchor_root=anchor, tuf_url=mirror or url, seed=seed, timeout=timeout, tuf=tuf)

    # Step 3: rollback refusal against the manifest (ngclient already compared the seeded metadata).
    versions = {role: _version(files[snap.TUF_METADATA[role]]) for role in snap.TUF_ROLES}
    for role, old_version in sorted((old_info.tuf_versions if old_info else {}).items()):
        if role in versions and versions[role] < old_version:
            raise TrustRootError(f"{url}: rollback refused: the repository serves {role} v{versions[role]},"
                                 f" older than v{old_version} in the current snapshot {dest}", step=Step.TUF_REFRESH)

    # Step 4: the new snapshot.
    # A root that lists no transparency log (GitHub's instance) is carried as served: which
    # bundles may verify without a log is the verifier's decision (verify-offline github only).
    new_root = parse_trusted_root(files[TRUSTED_ROOT], source=f"{url} {TRUSTED_ROOT}", allow_no_logs=True)
    # The root chain kept: the current snapshot's (when its last root is the anchor, it goes on from
    # there) followed by the roots this refresh walked, so a routine refresh does not drop the proof
    # of how the anchor was reached. A kept root keeps its tuf_proven flag; root.json stays proven
    # when it did not move and was proven before.
    old_chain = {n: old_files[n] for n in old_files if _is_history(n)}
    if old_chain and old_chain.get(f"{anchor_version}.root.json") != anchor:
        old_chain = {}  # not a chain ending at the anchor: start afresh from the anchor
    previously = {n for n in old_chain if old_info is not None and old_info.files[n].tuf_proven}
    root_was_proven = bool(old_info is not None and old_chain and old_info.files["root.json"].tuf_proven)
    proven = tuple(n for n in files
                   if n != "root.json" or versions["root"] > anchor_version or root_was_proven)
    proven += tuple(n for n in walked if _version(walked[n]) > anchor_version)
    proven += tuple(n for n in previously if n not in walked or _version(walked[n]) <= anchor_version)
    all_files = {**old_chain, **files, **walked}
    source = f"sigstore-offline trust-root refresh from {url}"
    if mirror:
        source += f" through the mirror {mirror}" if not source_note else ""
    if source_note:
        source += f"; {source_note}"
    manifest = snap.manifest_bytes(
        all_files, instance=name, tuf_url=url, source=source,
        refreshed_at=now, tool_version=__version__, tuf_versions=versions, tuf_proven=proven)

    # Step 5: the diff, shown before anything is replaced.
    old_root: Optional[TrustedRoot] = None
    if TRUSTED_ROOT in old_files:
        old_root = parse_trusted_root(old_files[TRUSTED_ROOT], source=str(dest / TRUSTED_ROOT), allow_no_logs=True)
    changes = diff.snapshot_changes({k: v for k, v in old_files.items() if not _is_history(k)},
                                    files, old_root, new_root)
    needs_review = any(old_files.get(n) != files.get(n) for n in REVIEWED)
    if report is not None:
        for line in changes:
            report(line)
    if check:
        return Outcome(dest, changes, needs_review, False, versions, all_files, manifest)

    # Step 6: atomic replacement.
    write_snapshot(dest, all_files, manifest)
    return Outcome(dest, changes, needs_review, True, versions, all_files, manifest)


def _is_history(name: str) -> bool:
    head, _, tail = name.partition(".")
    return head.isdigit() and tail == "root.json"


# --- atomic replacement -------------------------------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: pathlib.Path, b: pathlib.Path) -> bool:
    """Swap two directory entries in one step (Linux renameat2); False where that is unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, f"renameat2({a}, {b}): {os.strerror(code)}")


def _fsync_dir(path: pathlib.Path) -> None:
    _step(f"fsync {path.name}/")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: pathlib.Path, data: bytes) -> None:
    _step(f"write {path.name}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _leftovers(dest: pathlib.Path) -> List[pathlib.Path]:
    if not dest.parent.is_dir():
        return []
    prefixes = (f".{dest.name}.new-", f".{dest.name}.old-")
    return sorted(p for p in dest.parent.iterdir() if p.name.startswith(prefixes))


def recover(dest: pathlib.Path) -> List[str]:
    """Undo what an interrupted :func:`write_snapshot` left: restore the old snapshot if the
    destination is missing, remove temporary directories. Returns what it did, in words."""
    done: List[str] = []
    leftovers = _leftovers(dest)
    if not dest.exists():
        old = [p for p in leftovers if p.name.startswith(f".{dest.name}.old-")]
        if old:
            _step(f"restore {old[-1].name}")
            os.rename(old[-1], dest)
            _fsync_dir(dest.parent)
            done.append(f"restored {dest} from {old[-1].name}")
            leftovers.remove(old[-1])
    for path in leftovers:
        _step(f"remove {path.name}")
        shutil.rmtree(path)
        done.append(f"removed {path.name}")
    return done


def write_snapshot(dest: pathlib.Path, files: Mapping[str, bytes], manifest: bytes) -> None:
    """Step 6: replace ``dest`` by a directory holding ``files`` and ``manifest`` -- all or nothing."""
    parent = dest.parent
    parent.mkdir(parents=True, exist_ok=True)
    _step("mkdtemp")
    fresh = pathlib.Path(tempfile.mkdtemp(prefix=f".{dest.name}.new-", dir=parent))
    swapped = False
    try:
        os.chmod(fresh, 0o755)
        for name, data in sorted(files.items()):
            _write_file(fresh / name, data)
        _write_file(fresh / snap.MANIFEST, manifest)
        _fsync_dir(fresh)
        snap.read_pinned(fresh)  # what will be trusted is what was meant
        if not dest.exists():
            _step("rename")
            os.rename(fresh, dest)
            swapped = True
            _fsync_dir(parent)
            return
        _step("exchange")
        if _exchange(fresh, dest):
            swapped = True  # ``fresh`` now names the old snapshot
            _fsync_dir(parent)
            _step("remove old")
            shutil.rmtree(fresh)
            return
        old = parent / f".{dest.name}.old-{secrets.token_hex(6)}"
        _step("rename old")
        os.rename(dest, old)  # from here to the next rename, recover() restores ``old``
        _step("rename new")
        os.rename(fresh, dest)
        swapped = True
        _fsync_dir(parent)
        _step("remove old")
        shutil.rmtree(old)
    except BaseException:
        if not swapped and fresh.exists():
            shutil.rmtree(fresh, ignore_errors=True)
        if not dest.exists():
            recover(dest)
        raise
