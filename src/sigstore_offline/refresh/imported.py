# SPDX-License-Identifier: Apache-2.0
"""``trust-root import``: a first snapshot from files obtained out of band, labelled as such.

Some instances' trust material reaches the snapshot's maker without TUF: GitHub's trusted root is
what ``gh attestation trusted-root`` prints, its TUF root the one the GitHub CLI embeds. ``import``
writes a snapshot of exactly two files, each checked first:

* ``root.json``: TUF root metadata signed by its own root keys to its threshold (python-tuf's
  Metadata API; an expired root is accepted with a note -- the next refresh walks the
  repository's newer roots from it). It is the anchor the next ``trust-root refresh`` starts from.
* ``trusted_root.json``: a trusted root that parses; one listing no transparency log (GitHub's
  instance) is accepted -- only ``verify-offline github`` verifies against such a root.

Nothing is TUF-proven: every pin is ``tuf_proven: false``, the manifest says ``"imported": true``
and names the files' origin in ``source``, and ``refreshed_at`` is the time of the import (the
snapshot's age counts from it; messages say "imported"). ``trust-root verify`` reports the trusted
root as not TUF-proven (a failure without ``--allow-unproven``). The first ``trust-root refresh``
proves the files through the instance's TUF repository, or replaces them and prints what changed;
its manifest no longer says ``imported``.

A JSON Lines file (``gh attestation trusted-root`` prints one trusted root a line) is read one
line at a time: ``line`` picks it, and the snapshot's ``trusted_root.json`` is that line with a
final newline.
"""

from __future__ import annotations

import datetime
import hashlib
import pathlib
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from .. import __version__
from .._encoding import utc
from ..errors import Step, TrustRootError, UsageError
from ..trust import snapshot as snap
from ..trust.trusted_root import parse_trusted_root
from . import diff
from .update import KNOWN_INSTANCES, TRUSTED_ROOT, import_tuf, quiet_deprecations, recover, write_snapshot

__all__ = ["ImportOutcome", "pick_line", "check_tuf_root", "import_snapshot"]


class ImportOutcome(NamedTuple):
    """What an import wrote."""

    destination: pathlib.Path
    lines: List[str]            # what was imported, for the operator: entries of the trusted root, the TUF root
    root_version: int
    files: Dict[str, bytes]
    manifest: bytes


def pick_line(data: bytes, line: Optional[int], *, source: str, jsonl: bool) -> Tuple[bytes, str]:
    """The trusted root's bytes and a label: line ``line`` (1-based, with a final newline) of ``data``,
    or the whole file. A JSON Lines file (``jsonl``) with several non-blank lines needs ``line``.
    Raises UsageError for a line that does not exist or a missing choice."""
    lines = data.split(b"\n")
    if line is None:
        if not jsonl:
            return data, source
        filled = [n for n, text in enumerate(lines, start=1) if text.strip()]
        if len(filled) != 1:
            raise UsageError(f"{source} holds {len(filled)} JSON lines; pick the trusted root with --line N")
        line = filled[0]
    if line < 1 or line > len(lines) or not lines[line - 1].strip():
        raise UsageError(f"{source} has no trusted root on line {line}")
    return lines[line - 1].rstrip(b"\r") + b"\n", f"{source}:{line}"


def check_tuf_root(data: bytes, *, source: str, now: datetime.datetime,
                   tuf: Optional[Any] = None) -> Tuple[int, List[str]]:
    """(version, lines for the operator) of TUF root metadata signed by its own root keys to
    threshold; TrustRootError (exit 3) otherwise. A root expired at ``now`` is accepted, with a note."""
    tuf = tuf or import_tuf("import")
    from tuf.api.metadata import Metadata, Root  # type: ignore[attr-defined]

    with quiet_deprecations():
        try:
            md = Metadata.from_bytes(data)
        except (tuf.exceptions.RepositoryError, ValueError, KeyError, TypeError) as exc:
            raise TrustRootError(f"{source}: not TUF metadata: {exc}", step=Step.TRUST_ROOT) from None
        if not isinstance(md.signed, Root):
            raise TrustRootError(f"{source}: is {md.signed.type} metadata, not a TUF root", step=Step.TRUST_ROOT)
        result = md.signed.get_root_verification_result(None, md.signed_bytes, md.signatures)
    first = result.first
    counted = f"{len(first.signed)} (threshold {first.threshold} of {len(first.signed) + len(first.unsigned)})"
    if not result.verified:
        raise TrustRootError(f"{source}: TUF root v{md.signed.version} is signed by {counted} of its own root keys:"
                             " threshold not met", step=Step.TRUST_ROOT)
    notes = [f"root.json: TUF root v{md.signed.version}, signed by {counted} of its own root keys,"
             f" expires {utc(md.signed.expires)}"]
    if md.signed.is_expired(now):
        notes.append(f"note: TUF root v{md.signed.version} has expired; it is only the anchor: a refresh walks the"
                     " repository's newer roots from it, and python-tuf refuses the repository if the last one"
                     " has expired too")
    return md.signed.version, notes


def import_snapshot(dest: pathlib.Path, *, now: datetime.datetime, tuf_root: bytes, trusted_root: bytes,
                    origin: str, instance: Optional[str] = None, tuf_url: Optional[str] = None,
                    source_note: Optional[str] = None) -> ImportOutcome:
    """Write a new snapshot at ``dest`` from ``tuf_root`` and ``trusted_root`` (see the module docstring).

    ``origin`` names where the trusted root was read (file, line), ``source_note`` says how it was
    obtained; both go into the manifest's ``source``. ``now`` is the import time (``refreshed_at``).
    Raises UsageError (``dest`` already holds a snapshot, unknown instance without ``tuf_url``) or
    TrustRootError (either file fails its check); nothing is written then.
    """
    tuf = import_tuf("import")
    recover(dest)
    if (dest / snap.MANIFEST).exists() or (dest.exists() and (not dest.is_dir() or any(dest.iterdir()))):
        raise UsageError(f"{dest} already holds a snapshot (or other files); import only starts a new one:"
                         " trust-root refresh moves a snapshot forward")
    name = instance or dest.name
    url = tuf_url or KNOWN_INSTANCES.get(name, "")
    if not url:
        raise UsageError(f"instance {name!r} is not built in: give its TUF repository's URL")
    version, notes = check_tuf_root(tuf_root, source="the TUF root", now=now, tuf=tuf)
    root = parse_trusted_root(trusted_root, source=origin, allow_no_logs=True)
    files = {"root.json": tuf_root, TRUSTED_ROOT: trusted_root}
    source = (f"sigstore-offline trust-root import: {TRUSTED_ROOT} obtained out of band ({origin}), not through"
              f" TUF; root.json is the anchor a refresh from {url} starts from")
    if source_note:
        source += f"; {source_note}"
    manifest = snap.manifest_bytes(files, instance=name, tuf_url=url, source=source, refreshed_at=now,
                                   tool_version=__version__, tuf_versions={"root": version}, imported=True)
    lines = diff.trust_root_changes(None, root) + notes
    lines.append(f"{TRUSTED_ROOT}: sha256 {hashlib.sha256(trusted_root).hexdigest()}, not TUF-proven"
                 f" (obtained out of band); {'no transparency log' if not root.tlogs else f'{len(root.tlogs)} log(s)'}")
    write_snapshot(dest, files, manifest)
    return ImportOutcome(dest, lines, version, files, manifest)
