"""Trust-root snapshots: a directory with ``trusted_root.json``, the TUF files it came with, and a
``manifest.json`` that pins every file (sha256 and length). See docs/trust-roots.md and
sigstore-offline-snapshot(5).

``load_snapshot`` checks every pin before ``trusted_root.json`` is parsed; a missing, extra-large,
truncated or changed file is a :class:`TrustRootError` (exit 3). This module is on the verify
path: standard library and ``cryptography`` only, and it never reads the clock (the caller passes
``now`` to :meth:`SnapshotInfo.age_days`).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import pathlib
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from .. import _encoding as enc
from ..errors import TrustRootError
from ..limits import MAX_TRUSTED_ROOT_BYTES
from .trusted_root import TrustedRoot, parse_trusted_root

MANIFEST = "manifest.json"
FORMAT = "sigstore-offline-trust-root/1"
MAX_MANIFEST_BYTES = 256 * 1024
MAX_FILES = 64
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

    def age_days(self, now: datetime.datetime) -> float:
        return (now - self.refreshed_at).total_seconds() / 86400

    def as_json(self, now: datetime.datetime) -> Dict[str, Any]:
        return {
            "directory": str(self.directory),
            "instance": self.instance,
            "refreshed_at": enc.utc(self.refreshed_at),
            "age_days": round(self.age_days(now), 1),
            "trusted_root_tuf_proven": self.files["trusted_root.json"].tuf_proven,
        }


def _fail(directory: pathlib.Path, message: str) -> TrustRootError:
    return TrustRootError(f"trust-root snapshot {directory}: {message}", step="trust-root")


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
    versions_raw = enc.obj(doc.get("tuf_versions") or {}, "manifest.tuf_versions")
    versions = {role: enc.int64(v, f"tuf_versions.{role}") for role, v in versions_raw.items()}
    return SnapshotInfo(
        directory=directory,
        instance=enc.string(enc.req(doc, "instance", "manifest"), "manifest.instance"),
        tuf_url=enc.string(doc.get("tuf_url") or "", "manifest.tuf_url"),
        source=enc.string(doc.get("source") or "", "manifest.source"),
        refreshed_at=enc.rfc3339(enc.req(doc, "refreshed_at", "manifest"), "manifest.refreshed_at"),
        tool_version=enc.string(doc.get("tool_version") or "", "manifest.tool_version"),
        tuf_versions=versions,
        files=files,
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
    return info, contents


def load_snapshot(directory: pathlib.Path) -> Tuple[TrustedRoot, SnapshotInfo]:
    """Check every pin of ``directory/manifest.json``, then parse the pinned ``trusted_root.json``.

    Raises :class:`TrustRootError` as :func:`read_pinned` does, or when ``trusted_root.json`` does
    not parse.
    """
    info, contents = read_pinned(directory)
    root = parse_trusted_root(contents["trusted_root.json"], source=str(directory / "trusted_root.json"))
    return root, info


def manifest_bytes(files: Mapping[str, bytes], *, instance: str, tuf_url: str, source: str,
                   refreshed_at: datetime.datetime, tool_version: str, tuf_versions: Mapping[str, int],
                   tuf_proven: Tuple[str, ...] = ()) -> bytes:
    """The manifest for ``files`` (name -> bytes), canonical: sorted keys, two-space indent, final newline.

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
    document = {"format": FORMAT, "instance": instance, "tuf_url": tuf_url, "source": source,
                "refreshed_at": enc.utc(refreshed_at), "tool_version": tool_version,
                "tuf_versions": dict(tuf_versions), "files": pins}
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
    (re)write DIR/manifest.json for the files in DIR (how the shipped snapshots are made)."""
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
