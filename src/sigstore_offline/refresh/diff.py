# SPDX-License-Identifier: Apache-2.0
"""What changes between two snapshots, in words a reviewer can check.

Trust material is compared entry by entry: a Fulcio CA or timestamp authority is identified by
its certificate chain, a Rekor or CT log by its log id. An entry is *added*, *removed*, or keeps
its identity and has a *changed validity window*. The TUF side (root version, keys and thresholds
per role, metadata versions) and any other pinned file whose bytes changed are listed too.
Standard library and the trusted-root parser only (``show`` uses this without python-tuf).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .._certificate import name_text
from .._encoding import utc
from ..verify.certchain import not_after
from ..trust.trusted_root import Authority, LogKey, TrustedRoot, ValidityWindow

__all__ = ["KINDS", "summarize", "trust_root_changes", "root_summary", "snapshot_changes"]

KINDS = (
    ("certificate_authorities", "Fulcio CA"),
    ("tlogs", "Rekor log"),
    ("ctlogs", "CT log"),
    ("timestamp_authorities", "TSA"),
)


def _time(moment: datetime.datetime) -> str:
    """RFC 3339 UTC, with the fraction when there is one (a window may change by a millisecond)."""
    text = utc(moment)
    return text if not moment.microsecond else f"{text[:-1]}.{moment.microsecond:06d}".rstrip("0") + "Z"


def _chain_id(authority: Authority) -> str:
    digest = hashlib.sha256()
    for cert in authority.chain:
        digest.update(cert.der)
    return digest.hexdigest()


def _entry(kind: str, item: Any) -> Tuple[str, Dict[str, Any]]:
    """(identity, description) of one trust-root entry."""
    window: ValidityWindow = item.valid_for
    described: Dict[str, Any] = {"valid_from": _time(window.start),
                                 "valid_until": _time(window.end) if window.end is not None else "open"}
    if kind in ("tlogs", "ctlogs"):
        log: LogKey = item
        ident = base64.b64encode(log.log_id).decode()
        described.update({"url": log.base_url, "log_id": ident, "key": log.key_details})
    else:
        authority: Authority = item
        ident = _chain_id(authority)
        described.update({
            "url": authority.uri,
            "chain": [name_text(cert, "subject") for cert in authority.chain],
            "chain_sha256": ident,
            "certificates_valid_until": utc(min(not_after(c) for c in authority.chain)),
        })
    return ident, described


def summarize(root: TrustedRoot) -> Dict[str, List[Dict[str, Any]]]:
    """Every entry of a trusted root, for ``trust-root show``."""
    return {kind: [_entry(kind, item)[1] for item in getattr(root, kind)] for kind, _ in KINDS}


def _label(kind: str, described: Mapping[str, Any]) -> str:
    if kind in ("tlogs", "ctlogs"):
        return f"{described['url']} (log id {described['log_id']}, {described['key']})"
    chain = " <- ".join(described["chain"]) or "?"
    return f"{described['url']} [{chain}] (chain sha256 {described['chain_sha256'][:16]}...)"


def _window(described: Mapping[str, Any]) -> str:
    return f"valid {described['valid_from']} .. {described['valid_until']}"


def trust_root_changes(old: Optional[TrustedRoot], new: TrustedRoot) -> List[str]:
    """One line per added, removed or re-windowed CA, log, CT log and TSA (empty: no change)."""
    lines: List[str] = []
    for kind, title in KINDS:
        before = dict(_entry(kind, item) for item in getattr(old, kind)) if old is not None else {}
        after = dict(_entry(kind, item) for item in getattr(new, kind))
        for ident, described in after.items():
            if ident not in before:
                lines.append(f"+ {title} added: {_label(kind, described)}, {_window(described)}")
            elif _window(before[ident]) != _window(described):
                lines.append(f"~ {title} validity changed: {_label(kind, described)}:"
                             f" {_window(before[ident])} -> {_window(described)}")
        for ident, described in before.items():
            if ident not in after:
                lines.append(f"- {title} removed: {_label(kind, described)}, {_window(described)}")
    return lines


def root_summary(root_json: bytes) -> Dict[str, Any]:
    """Version, expiry and, per role, threshold and key ids of a TUF root (plain JSON, no signature check)."""
    signed = json.loads(root_json)["signed"]
    roles = {name: {"threshold": role["threshold"], "keyids": sorted(role["keyids"])}
             for name, role in sorted(signed["roles"].items())}
    return {"version": signed["version"], "expires": signed["expires"],
            "consistent_snapshot": signed.get("consistent_snapshot", False), "roles": roles}


def _root_changes(old: Optional[bytes], new: bytes) -> List[str]:
    after = root_summary(new)
    if old is None:
        return [f"+ TUF root v{after['version']} (no previous root)"]
    before = root_summary(old)
    if before == after:
        return []
    lines = [f"~ TUF root v{before['version']} -> v{after['version']}, expires {after['expires']}"]
    for name, role in after["roles"].items():
        prev = before["roles"].get(name, {"threshold": 0, "keyids": []})
        added = sorted(set(role["keyids"]) - set(prev["keyids"]))
        removed = sorted(set(prev["keyids"]) - set(role["keyids"]))
        if prev["threshold"] != role["threshold"] or added or removed:
            lines.append(f"~ TUF {name} role: threshold {prev['threshold']}/{len(prev['keyids'])}"
                         f" -> {role['threshold']}/{len(role['keyids'])}"
                         + "".join(f", key {k[:16]}... added" for k in added)
                         + "".join(f", key {k[:16]}... removed" for k in removed))
    return lines


def snapshot_changes(old_files: Mapping[str, bytes], new_files: Mapping[str, bytes],
                     old_root: Optional[TrustedRoot], new_root: TrustedRoot) -> List[str]:
    """The whole reviewable diff between two snapshots' files (empty: identical files)."""
    lines = trust_root_changes(old_root, new_root)
    if "root.json" in new_files:
        lines += _root_changes(old_files.get("root.json"), new_files["root.json"])
    for name in sorted(set(old_files) | set(new_files)):
        if name in ("trusted_root.json", "root.json") or old_files.get(name) == new_files.get(name):
            continue
        if name not in new_files:
            lines.append(f"- file {name} removed")
        elif name not in old_files:
            lines.append(f"+ file {name} added{_version_note(new_files[name])}")
        else:
            lines.append(f"~ file {name} changed{_version_note(new_files[name], old_files[name])}")
    return lines


def _version_note(new: bytes, old: Optional[bytes] = None) -> str:
    """' (v3 -> v4)' for TUF metadata, '' for anything else."""
    def version(data: Optional[bytes]) -> Optional[int]:
        try:
            value = json.loads(data or b"null")["signed"]["version"]
        except (ValueError, TypeError, KeyError):
            return None
        return value if isinstance(value, int) else None

    after = version(new)
    if after is None:
        return ""
    before = version(old)
    return f" (v{before} -> v{after})" if before is not None else f" (v{after})"
