# SPDX-License-Identifier: Apache-2.0
"""``trust-root verify``: re-check a snapshot's whole TUF chain offline, at a given time.

The checks, in order (TUF specification section in brackets), each recorded as a finding:

1. Every manifest pin (:func:`sigstore_offline.trust.snapshot.read_pinned`); a failure is a
   TrustRootError (exit 3) and nothing else is checked.
2. The root chain [5.3]: the lowest root kept (``<N>.root.json``, else ``root.json``) is the anchor
   and must meet its own threshold; every next version must meet both the previous version's and
   its own root threshold; versions are consecutive and ``root.json`` is the last one.
3. ``timestamp.json`` signed by the final root's timestamp keys [5.4].
4. ``snapshot.json`` signed by the snapshot keys, at the version (and hash and length, when given)
   the timestamp names [5.5].
5. ``targets.json`` signed by the targets keys, at the version (and hash and length, when given)
   the snapshot names [5.6].
6. ``trusted_root.json`` and every other file the manifest marks ``tuf_proven``: length and hashes
   as listed in targets [5.7]. The manifest's ``tuf_versions`` must match the metadata.
7. Expiry of the final root, timestamp, snapshot and targets at ``at``: reported, a problem only
   when ``require_fresh``. ``at`` None means the manifest's ``refreshed_at``: a shipped snapshot
   is judged at the time it was refreshed (its timestamp expires within days of that; how fresh
   it is for a build is its age, see :func:`sigstore_offline.trust.snapshot.check_age`).
8. The refresh time itself: every role must have been unexpired at ``refreshed_at`` (python-tuf
   refuses expired metadata, so a refresh never writes anything else); otherwise the manifest
   misstates the snapshot's age.

Uses python-tuf's Metadata API (the ``[refresh]`` extra); the caller passes the time.
"""

from __future__ import annotations

import datetime
import hashlib
import pathlib
from typing import Any, Dict, List, NamedTuple, Optional

from .._encoding import utc
from ..trust import snapshot as snap
from .update import import_tuf, quiet_deprecations

__all__ = ["Finding", "AuditReport", "audit"]


class Finding(NamedTuple):
    level: str  # "ok", "note", "expired" or "problem"
    text: str


class AuditReport(NamedTuple):
    directory: pathlib.Path
    at: datetime.datetime
    findings: List[Finding]
    trusted_root_proven: bool

    @property
    def problems(self) -> List[str]:
        return [f.text for f in self.findings if f.level == "problem"]

    @property
    def expired(self) -> List[str]:
        return [f.text for f in self.findings if f.level == "expired"]

    def passed(self, *, require_fresh: bool) -> bool:
        return not self.problems and not (require_fresh and self.expired)


def _history_version(name: str) -> Optional[int]:
    head, _, tail = name.partition(".")
    return int(head) if head.isdigit() and tail == "root.json" else None


def _count(result: Any) -> str:
    """'3 (threshold 3 of 5)': valid signatures, the threshold, the number of keys."""
    return f"{len(result.signed)} (threshold {result.threshold} of {len(result.signed) + len(result.unsigned)})"


def audit(directory: pathlib.Path, *, at: Optional[datetime.datetime],
          allow_unproven: bool = False) -> AuditReport:
    """Checks 1-8 of the module docstring (``at`` None: at the manifest's ``refreshed_at``).
    Raises TrustRootError for a pin failure (check 1)."""
    with quiet_deprecations():
        return _audit(directory, at=at, allow_unproven=allow_unproven)


def _audit(directory: pathlib.Path, *, at: Optional[datetime.datetime], allow_unproven: bool) -> AuditReport:
    tuf = import_tuf("verify")
    from tuf.api.metadata import Metadata, Root, Snapshot, Targets, Timestamp  # type: ignore[attr-defined]

    info, files = snap.read_pinned(directory)
    if at is None:
        at = info.refreshed_at
    findings: List[Finding] = []

    def ok(text: str) -> None:
        findings.append(Finding("ok", text))

    def problem(text: str) -> None:
        findings.append(Finding("problem", text))

    ok(f"all {len(files)} files match their manifest pins")

    def parse(name: str, kind: Any) -> Optional[Any]:
        try:
            md = Metadata.from_bytes(files[name])
        except (tuf.exceptions.RepositoryError, ValueError, KeyError, TypeError) as exc:
            problem(f"{name}: not TUF metadata: {exc}")
            return None
        if not isinstance(md.signed, kind):
            problem(f"{name}: is {md.signed.type} metadata, expected {kind.type}")
            return None
        return md

    def signers(delegator: Any, role: str, md: Any) -> Any:
        return delegator.get_verification_result(role, md.signed_bytes, md.signatures)

    # 2. The root chain.
    if "root.json" not in files:
        problem("root.json is not pinned: there is no TUF anchor")
        return AuditReport(directory, at, findings, False)
    history = {v: n for n in files if (v := _history_version(n)) is not None}
    chain_names = [history[v] for v in sorted(history)] or ["root.json"]
    parsed = [parse(name, Root) for name in chain_names]
    final_root: Optional[Any] = None
    roots: List[Any] = [r for r in parsed if r is not None]
    if len(roots) == len(parsed):
        anchor = roots[0]
        versions = [r.signed.version for r in roots]
        for name, version in zip(chain_names, versions):
            if name != "root.json" and _history_version(name) != version:
                problem(f"{name} holds root version {version}")
        if versions != list(range(versions[0], versions[0] + len(versions))):
            problem(f"root versions {versions} are not consecutive")
        self_check = anchor.signed.get_root_verification_result(None, anchor.signed_bytes, anchor.signatures)
        sha = hashlib.sha256(files[chain_names[0]]).hexdigest()
        if self_check.verified:
            ok(f"anchor root v{versions[0]} (sha256 {sha}) is signed by"
               f" {_count(self_check.first)} of its own root keys; it is trusted as pinned:"
               " compare it with the previous snapshot's root.json")
        else:
            problem(f"anchor root v{versions[0]} is signed by {_count(self_check.first)} of its own root keys:"
                    " threshold not met")
        for prev, new in zip(roots, roots[1:]):
            try:
                result = new.signed.get_root_verification_result(prev.signed, new.signed_bytes, new.signatures)
            except ValueError as exc:
                problem(f"root v{new.signed.version}: {exc}")
                continue
            words = (f"root v{new.signed.version}: signed by {_count(result.first)} root keys of"
                     f" v{prev.signed.version} and {_count(result.second)} of its own")
            (ok if result.verified else problem)(words + ("" if result.verified else ": threshold not met"))
        if history and files["root.json"] != files[chain_names[-1]]:
            problem(f"root.json is not the last root of the chain ({chain_names[-1]})")
        final_root = roots[-1] if not history else parse("root.json", Root)
    if final_root is None:
        return AuditReport(directory, at, findings, False)

    # 3-5. Timestamp, snapshot, targets.
    metadata: Dict[str, Any] = {"root": final_root}
    present = [name for name in ("timestamp.json", "snapshot.json", "targets.json") if name in files]
    if present and len(present) < 3:
        problem(f"incomplete TUF metadata: only {', '.join(present)}")
    elif present:
        timestamp = parse("timestamp.json", Timestamp)
        snapshot_md = parse("snapshot.json", Snapshot)
        targets = parse("targets.json", Targets)
        if timestamp is not None and snapshot_md is not None and targets is not None:
            metadata.update(timestamp=timestamp, snapshot=snapshot_md, targets=targets)
            for role, md in (("timestamp", timestamp), ("snapshot", snapshot_md), ("targets", targets)):
                result = signers(final_root.signed, role, md)
                words = f"{role} v{md.signed.version}: signed by {_count(result)} {role} keys"
                (ok if result.verified else problem)(words)
            links = (("timestamp", timestamp.signed.snapshot_meta, "snapshot.json", snapshot_md),
                     ("snapshot", snapshot_md.signed.meta.get("targets.json"), "targets.json", targets))
            for parent, meta, name, md in links:
                if meta is None:
                    problem(f"{parent} does not list {name}")
                    continue
                if meta.version != md.signed.version:
                    problem(f"{parent} names {name} v{meta.version}, the snapshot holds v{md.signed.version}"
                            " (mix-and-match)")
                    continue
                try:
                    meta.verify_length_and_hashes(files[name])
                except tuf.exceptions.LengthOrHashMismatchError as exc:
                    problem(f"{name}: {exc}")
                    continue
                ok(f"{parent} names {name} v{meta.version}"
                   + (" with matching hash and length" if meta.hashes or meta.length else ""))

    # 6. Target files and manifest claims.
    proven_root = False
    if "targets" in metadata:
        listed = metadata["targets"].signed.targets
        for name in sorted(files):
            if name == "root.json" or _history_version(name) is not None or name in (
                    "timestamp.json", "snapshot.json", "targets.json"):
                continue
            target = listed.get(name)
            marked = info.files[name].tuf_proven
            if target is None:
                (problem if marked else ok)(f"{name}: not listed in targets" + (" although the manifest marks it"
                                                                                 " tuf_proven" if marked else ""))
                continue
            try:
                target.verify_length_and_hashes(files[name])
            except tuf.exceptions.LengthOrHashMismatchError as exc:
                problem(f"{name}: does not match targets v{metadata['targets'].signed.version}: {exc}")
                continue
            ok(f"{name}: length {target.length} and {', '.join(sorted(target.hashes))} match targets"
               f" v{metadata['targets'].signed.version}")
            proven_root = proven_root or name == "trusted_root.json"
        for role, md in metadata.items():
            recorded = info.tuf_versions.get(role)
            if recorded is not None and recorded != md.signed.version:
                problem(f"the manifest records {role} v{recorded}, the metadata is v{md.signed.version}")
    else:
        claimed = sorted(n for n, p in info.files.items()
                         if p.tuf_proven and n != "root.json" and _history_version(n) is None)
        if claimed:
            problem(f"no TUF targets metadata, yet the manifest marks {', '.join(claimed)} tuf_proven")
    if not proven_root:
        words = "trusted_root.json is not TUF-proven: this snapshot holds no targets metadata listing it"
        if info.imported:
            words += (f"; it was imported {utc(info.refreshed_at)} from files obtained out of band"
                      " (trust-root refresh proves it through TUF)")
        findings.append(Finding("note" if allow_unproven else "problem",
                                words + (" (accepted: --allow-unproven)" if allow_unproven else "")))

    # 7. Expiry at the given time.
    expired_now = False
    for role, md in metadata.items():
        expires = md.signed.expires
        if md.signed.is_expired(at):
            expired_now = True
            findings.append(Finding("expired", f"{role} v{md.signed.version} expired {utc(expires)}"
                                               f" (checked at {utc(at)})"))
        else:
            ok(f"{role} v{md.signed.version} expires {utc(expires)}")

    # 8. The refresh time: every role unexpired then.
    if "timestamp" in metadata:
        stale = [f"{role} v{md.signed.version} (expired {utc(md.signed.expires)})"
                 for role, md in metadata.items() if md.signed.is_expired(info.refreshed_at)]
        if stale:
            problem(f"the manifest says refreshed {utc(info.refreshed_at)}, when {', '.join(stale)} had"
                    " already expired: no refresh writes that, the snapshot's age is misstated")
        else:
            ok(f"refreshed {utc(info.refreshed_at)}: every role was unexpired then (the TUF proof is of that"
               " time; the snapshot's age counts from it)")
    if expired_now and at != info.refreshed_at:
        findings.append(Finding("note", (
            f"TUF metadata expires within days (the timestamp), so a shipped snapshot is judged at the time"
            f" it was refreshed: --at refreshed ({utc(info.refreshed_at)}); for a build, freshness is the"
            f" snapshot's age ({(at - info.refreshed_at).total_seconds() / 86400:.0f} days at {utc(at)};"
            " verify-offline --max-trust-root-age DAYS)")))
    return AuditReport(directory, at, findings, proven_root)
