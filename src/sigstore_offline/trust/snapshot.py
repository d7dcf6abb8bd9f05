# SPDX-License-Identifier: Apache-2.0
"""Trust-root snapshots: a directory with ``trusted_root.json``, the TUF files it came with, and a
``manifest.json`` that pins every file (sha256 and length). See docs/trust-roots.md and
sigstore-offline-snapshot(5).

``load_snapshot`` checks every pin before ``trusted_root.json`` is parsed; a missing, extra-large,
truncated or changed file is a :class:`TrustRootError` (exit 3). This module is on the verify
path: standard library and ``cryptography`` only, and it never reads the clock (the caller passes
``now`` to :meth:`SnapshotInfo.age_days` and :func:`check_age`).

Age. A snapshot's age counts from ``refreshed_at``: the time the refresh that wrote it proved its
files through TUF (the refresh job's clock when it ran; python-tuf checked every role unexpired at
that moment). TUF's timestamp metadata expires within days, so it says nothing about a shipped
snapshot judged later; what "fresh" means for a build is the age, checked by :func:`check_age`
(warning after :data:`STALE_AFTER_DAYS`, refusal past a caller's limit). A manifest that claims a
refresh after its own pinned, TUF-proven ``timestamp.json`` had expired is refused: its age would
be a lie.

Imported snapshots. ``sigstore-offline trust-root import`` writes a snapshot from a TUF root and a
``trusted_root.json`` obtained out of band (GitHub's instance, shipped from what ``gh attestation
trusted-root`` printed): nothing in it is TUF-proven, its manifest says ``"imported": true``, and
``refreshed_at`` is the time of the import -- the age counts from it and every message says
"imported". The next ``trust-root refresh`` proves (or replaces) the files through TUF and drops
the flag.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import pathlib
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from .. import _encoding as enc
from ..errors import Step, TrustRootError
from ..limits import MAX_TRUSTED_ROOT_BYTES
from .trusted_root import TrustedRoot, parse_trusted_root

__all__ = [
    "MANIFEST", "FORMAT", "MAX_MANIFEST_BYTES", "MAX_FILES", "STALE_AFTER_DAYS", "EARLIEST_REFRESH",
    "LATEST_REFRESH", "CLOCK_SKEW", "TUF_ROLES", "TUF_METADATA", "PinnedFile", "SnapshotInfo", "check_age",
    "utc_text", "read_pinned", "load_snapshot", "manifest_bytes", "build_manifest", "main",
]

MANIFEST = "manifest.json"
FORMAT = "sigstore-offline-trust-root/1"
MAX_MANIFEST_BYTES = 256 * 1024
MAX_FILES = 64
# verify-offline, sigstoreverify and the helpers built on them warn about an older snapshot.
STALE_AFTER_DAYS = 180
# ``refreshed_at`` must lie in this window (UTC): anything else is a broken manifest (exit 3), never
# an overflow further down. The lower bound predates Sigstore; the upper one leaves room for arithmetic.
EARLIEST_REFRESH = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
LATEST_REFRESH = datetime.datetime(9999, 1, 1, tzinfo=datetime.timezone.utc)
# A refresh time this far past the caller's clock makes the age unknowable.
CLOCK_SKEW = datetime.timedelta(days=1)
# The TUF roles whose versions a refreshed snapshot records, and the files holding their metadata.
# Intermediate roots walked through by a refresh are kept as ``<version>.root.json``.
TUF_ROLES = ("root", "timestamp", "snapshot", "targets")
TUF_METADATA = {"root": "root.json", "timestamp": "timestamp.json", "snapshot": "snapshot.json",
                "targets": "targets.json"}


class PinnedFile(NamedTuple):
    sha256: str
    length: int
    tuf_proven: bool


class SnapshotInfo(NamedTuple):
    directory: pathlib.Path
    instance: str
    tuf_url: str
    source: str
    refreshed_at: datetime.datetime
    tool_version: str
    tuf_versions: Mapping[str, int]
    files: Mapping[str, PinnedFile]
    # The expiry of the pinned, TUF-proven timestamp.json (None without one): refreshed_at is at
    # or before it (checked by read_pinned).
    timestamp_expires: Optional[datetime.datetime] = None
    # Written by ``trust-root import`` from files obtained out of band: ``refreshed_at`` is the
    # time of the import, nothing was proven through TUF.
    imported: bool = False

    @property
    def dated(self) -> str:
        """What ``refreshed_at`` is the time of, for messages: ``refreshed`` or ``imported``."""
        return "imported" if self.imported else "refreshed"

    def age_days(self, now: datetime.datetime) -> float:
        """Days since the proving refresh (negative when ``refreshed_at`` is after ``now``)."""
        return (now - self.refreshed_at).total_seconds() / 86400

    @property
    def tuf_proven(self) -> bool:
        """Whether the refresh that wrote this snapshot proved ``trusted_root.json`` through TUF."""
        return self.files["trusted_root.json"].tuf_proven

    def as_json(self, now: datetime.datetime) -> Dict[str, Any]:
        return {
            "directory": str(self.directory),
            "instance": self.instance,
            "refreshed_at": enc.utc(self.refreshed_at),
            "age_days": round(self.age_days(now), 1),
            "imported": self.imported,
            "trusted_root_tuf_proven": self.tuf_proven,
            "tuf_timestamp_expires": enc.utc(self.timestamp_expires) if self.timestamp_expires else None,
            "stale": self.age_days(now) > STALE_AFTER_DAYS,
        }


def check_age(info: SnapshotInfo, now: datetime.datetime, *, max_age_days: Optional[float] = None,
              stale_after_days: float = STALE_AFTER_DAYS) -> List[str]:
    """The age policy every front end applies: the warnings to print (without a program prefix).

    Raises :class:`TrustRootError` (exit 3, step ``trust-root``, with a hint) when ``max_age_days``
    is given and the snapshot is older, or its ``refreshed_at`` lies more than a day after ``now``
    (its age cannot be known). Without a limit, those cases are warnings: an old snapshot (older
    than ``stale_after_days``), and one refreshed in the future (the clock or the manifest is wrong).
    """
    age = info.age_days(now)
    when = enc.utc(info.refreshed_at)
    dated = info.dated
    update = ("update the distribution's trust-root package, or run the refresh job"
              " (sigstore-offline trust-root refresh on a networked host)")
    if info.refreshed_at - now > CLOCK_SKEW:
        words = (f"trust-root snapshot {info.directory} says it was {dated} {when}, {-age:.0f} days after"
                 f" the current time {enc.utc(now)}: the clock or the manifest is wrong, its age is unknown")
        if max_age_days is not None:
            raise TrustRootError(words, step=Step.TRUST_ROOT, hint="check the clock, or " + update)
        return [words]
    if max_age_days is not None and age > max_age_days:
        raise TrustRootError(
            f"trust-root snapshot {info.directory} was {dated} {when}, {age:.0f} days ago,"
            f" older than the limit of {max_age_days:g} days", step=Step.TRUST_ROOT, hint=update)
    if age > stale_after_days:
        how = f"{dated} {when}" + (", not proven through TUF" if info.imported else "")
        return [f"trust-root snapshot {info.directory} is {age:.0f} days old ({how});"
                f" a newer one may know logs, CAs and keys that bundles use: {update}"]
    return []


def utc_text(moment: datetime.datetime) -> str:
    """RFC 3339 UTC with four-digit years (what the manifest holds)."""
    return enc.utc(moment)


def _time(value: Any, what: str) -> datetime.datetime:
    """An RFC 3339 time of a manifest or TUF file: total -- ValueError for anything out of range."""
    try:
        moment = enc.rfc3339(value, what)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00: before datetime.min once in UTC
        raise ValueError(f"{what}: {value!r} is outside the calendar") from None
    if not EARLIEST_REFRESH <= moment < LATEST_REFRESH:
        raise ValueError(f"{what}: {value!r} is not between {enc.utc(EARLIEST_REFRESH)} and"
                         f" {enc.utc(LATEST_REFRESH)}")
    return moment


def _fail(directory: pathlib.Path, message: str) -> TrustRootError:
    return TrustRootError(f"trust-root snapshot {directory}: {message}", step=Step.TRUST_ROOT)


def _read(path: pathlib.Path, limit: int) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes")
    return data


def _parse_manifest(directory: pathlib.Path, data: bytes) -> SnapshotInfo:
    doc = enc.obj(enc.load_json(data), "manifest")
    if doc.get("format") != FORMAT:
        raise ValueError(f"format is {doc.get('format')!r}, expected {FORMAT!r}")
    files_raw = enc.obj(enc.req(doc, "files", "manifest"), "manifest.files")
    if len(files_raw) > MAX_FILES:
        raise ValueError(f"more than {MAX_FILES} files")
    files: Dict[str, PinnedFile] = {}
    for name, pin in files_raw.items():
        if "/" in name or name in ("", ".", "..", MANIFEST) or name.startswith("."):
            raise ValueError(f"file name {name!r} is not a plain file name")
        pin_map = enc.obj(pin, f"files[{name}]")
        digest = enc.string(enc.req(pin_map, "sha256", f"files[{name}]"), f"files[{name}].sha256")
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"files[{name}].sha256 is not 64 lowercase hex digits")
        proven = pin_map.get("tuf_proven", False)
        if not isinstance(proven, bool):
            raise ValueError(f"files[{name}].tuf_proven must be true or false")
        files[name] = PinnedFile(digest, enc.int64(enc.req(pin_map, "length", f"files[{name}]"), f"files[{name}].length"),
                                 proven)
    if "trusted_root.json" not in files:
        raise ValueError("trusted_root.json is not pinned")
    imported = doc.get("imported", False)
    if not isinstance(imported, bool):
        raise ValueError("imported must be true or false")
    if imported and any(pin.tuf_proven for pin in files.values()):
        raise ValueError("an imported snapshot marks a file tuf_proven")
    versions_raw = enc.obj(doc.get("tuf_versions") or {}, "manifest.tuf_versions")
    versions = {role: enc.int64(v, f"tuf_versions.{role}") for role, v in versions_raw.items()}
    return SnapshotInfo(
        directory=directory,
        instance=enc.string(enc.req(doc, "instance", "manifest"), "manifest.instance"),
        tuf_url=enc.string(doc.get("tuf_url") or "", "manifest.tuf_url"),
        source=enc.string(doc.get("source") or "", "manifest.source"),
        refreshed_at=_time(enc.req(doc, "refreshed_at", "manifest"), "manifest.refreshed_at"),
        tool_version=enc.string(doc.get("tool_version") or "", "manifest.tool_version"),
        tuf_versions=versions,
        files=files,
        imported=imported,
    )


def read_pinned(directory: pathlib.Path) -> Tuple[SnapshotInfo, Dict[str, bytes]]:
    """Check every pin of ``directory/manifest.json``; return the manifest and the pinned files' bytes.

    Raises :class:`TrustRootError` (step ``trust-root``, one-line message) for a missing or malformed
    manifest, a manifest without a ``trusted_root.json`` pin, and any pinned file that is missing,
    unreadable, larger than the limit, or whose length or sha256 differs from its pin.
    """
    try:
        manifest = _read(directory / MANIFEST, MAX_MANIFEST_BYTES)
    except FileNotFoundError:
        raise _fail(directory, f"no {MANIFEST}: not a trust-root snapshot (give a trusted_root.json file instead)") from None
    except (OSError, ValueError) as exc:
        raise _fail(directory, f"cannot read {MANIFEST}: {exc}") from None
    try:
        info = _parse_manifest(directory, manifest)
    except ValueError as exc:
        raise _fail(directory, f"{MANIFEST} is malformed: {exc}") from None
    contents: Dict[str, bytes] = {}
    for name, pin in sorted(info.files.items()):
        try:
            data = _read(directory / name, MAX_TRUSTED_ROOT_BYTES)
        except FileNotFoundError:
            raise _fail(directory, f"{name} is pinned in {MANIFEST} but missing") from None
        except (OSError, ValueError) as exc:
            raise _fail(directory, f"cannot read {name}: {exc}") from None
        if len(data) != pin.length:
            raise _fail(directory, f"{name} has {len(data)} bytes, the manifest pins {pin.length}")
        actual = hashlib.sha256(data).hexdigest()
        if actual != pin.sha256:
            raise _fail(directory, f"{name} has sha256 {actual}, the manifest pins {pin.sha256}")
        contents[name] = data
    stamp = info.files.get(TUF_METADATA["timestamp"])
    if stamp is not None and stamp.tuf_proven:
        try:
            signed = enc.obj(enc.obj(enc.load_json(contents[TUF_METADATA["timestamp"]]), "timestamp.json")
                             .get("signed"), "timestamp.json signed")
            expires = _time(signed.get("expires"), "timestamp.json expires")
        except ValueError as exc:
            raise _fail(directory, f"timestamp.json is not TUF timestamp metadata: {exc}") from None
        if info.refreshed_at > expires:
            raise _fail(directory, f"{MANIFEST} says it was refreshed {enc.utc(info.refreshed_at)}, after its"
                                   f" TUF timestamp expired ({enc.utc(expires)}): no refresh writes that,"
                                   " so its age cannot be trusted")
        info = info._replace(timestamp_expires=expires)
    return info, contents


def load_snapshot(directory: pathlib.Path, *, allow_no_logs: bool = False) -> Tuple[TrustedRoot, SnapshotInfo]:
    """Check every pin of ``directory/manifest.json``, then parse the pinned ``trusted_root.json``.

    ``allow_no_logs``: accept a trusted root that lists no transparency log (GitHub's own
    instance; only ``verify-offline github`` verifies against one, see
    :func:`sigstore_offline.trust.trusted_root.parse_trusted_root`).

    Raises :class:`TrustRootError` as :func:`read_pinned` does, or when ``trusted_root.json`` does
    not parse.
    """
    info, contents = read_pinned(directory)
    root = parse_trusted_root(contents["trusted_root.json"], source=str(directory / "trusted_root.json"),
                              allow_no_logs=allow_no_logs)
    return root, info


def manifest_bytes(files: Mapping[str, bytes], *, instance: str, tuf_url: str, source: str,
                   refreshed_at: datetime.datetime, tool_version: str, tuf_versions: Mapping[str, int],
                   tuf_proven: Tuple[str, ...] = (), imported: bool = False) -> bytes:
    """The manifest for ``files`` (name -> bytes), canonical: sorted keys, two-space indent, final newline.
    ``imported`` (``trust-root import``) adds ``"imported": true``; nothing may then be ``tuf_proven``.

    Raises ValueError for a name :func:`load_snapshot` would refuse, or without ``trusted_root.json``.
    """
    pins = {}
    for name, data in sorted(files.items()):
        if "/" in name or name in ("", ".", "..", MANIFEST) or name.startswith("."):
            raise ValueError(f"file name {name!r} is not a plain file name")
        pins[name] = {"sha256": hashlib.sha256(data).hexdigest(), "length": len(data),
                      "tuf_proven": name in tuf_proven}
    if "trusted_root.json" not in pins:
        raise ValueError("trusted_root.json is not among the files")
    if len(pins) > MAX_FILES:
        raise ValueError(f"more than {MAX_FILES} files")
    if imported and tuf_proven:
        raise ValueError("an imported snapshot has no TUF-proven file")
    document: Dict[str, Any] = {"format": FORMAT, "instance": instance, "tuf_url": tuf_url, "source": source,
                                "refreshed_at": enc.utc(refreshed_at), "tool_version": tool_version,
                                "tuf_versions": dict(tuf_versions), "files": pins}
    if imported:
        document["imported"] = True
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


def build_manifest(directory: pathlib.Path, *, instance: str, tuf_url: str, source: str,
                   refreshed_at: datetime.datetime, tool_version: str, tuf_proven: Tuple[str, ...] = ()) -> bytes:
    """The manifest bytes for the ``*.json`` files now in ``directory`` (used to make the shipped snapshots)."""
    files = {}
    for path in sorted(directory.iterdir()):
        if path.name == MANIFEST or path.name.startswith(".") or not path.is_file() or path.suffix != ".json":
            continue
        files[path.name] = path.read_bytes()
    versions: Dict[str, int] = {}
    if "root.json" in files:
        versions["root"] = int(json.loads(files["root.json"])["signed"]["version"])
    return manifest_bytes(files, instance=instance, tuf_url=tuf_url, source=source, refreshed_at=refreshed_at,
                          tool_version=tool_version, tuf_versions=versions, tuf_proven=tuf_proven)


def main(argv: Optional[List[str]] = None) -> int:
    """``python3 -m sigstore_offline.trust.snapshot DIR INSTANCE TUF_URL REFRESHED_AT SOURCE``:
    (re)write DIR/manifest.json for the files in DIR, none marked TUF-proven (for a snapshot put
    together by hand; the shipped ones are written by ``sigstore-offline trust-root refresh``)."""
    import sys

    from .. import __version__

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 5:
        print(main.__doc__, file=sys.stderr)
        return 2
    directory = pathlib.Path(args[0])
    manifest = build_manifest(directory, instance=args[1], tuf_url=args[2], source=args[4],
                              refreshed_at=enc.rfc3339(args[3], "REFRESHED_AT"), tool_version=__version__)
    (directory / MANIFEST).write_bytes(manifest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
