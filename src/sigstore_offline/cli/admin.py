# SPDX-License-Identifier: Apache-2.0
"""``sigstore-offline``: the administrator's command (not for build sandboxes).

``sigstore-offline trust-root refresh|import|verify|show`` -- see man/sigstore-offline.1. ``refresh``,
``import`` and ``verify`` need the ``[refresh]`` extra (python-tuf); they import it only when they
run, so this module, ``show`` and ``--help`` work without it. The clock is read once, here.

Exit status: 0 success; 1 ``verify`` found a problem (or an expired role with ``--require-fresh``),
or ``refresh --check`` found trust material that would change; 2 usage (also: the ``[refresh]``
extra is missing); 3 a snapshot's pins fail, or the TUF repository's metadata failed verification
(rollback, freeze, bad signatures, wrong hashes, oversized data), or a file given to ``import`` is
not what it must be -- nothing was changed;
4 the repository could not be read (network, HTTP status, stall, timeout); 5 a bug.
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import sys
from typing import Any, Dict, List, NoReturn, Optional, Sequence, TextIO

from .. import __version__
from .. import _encoding as enc
from ..errors import EXIT_BUG, EXIT_FAILED, EXIT_OK, EXIT_USAGE, SigstoreOfflineError, Step, TrustRootError, UsageError
from ..inputs import read_input
from ..limits import MAX_TRUSTED_ROOT_BYTES
from ..trust import snapshot as snap
from ..trust import store

PROG = "sigstore-offline"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Administer sigstore-offline trust-root snapshots.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    top = parser.add_subparsers(dest="area", metavar="trust-root", parser_class=_Parser)
    area = top.add_parser("trust-root", help="refresh, verify or show a trust-root snapshot")
    commands = area.add_subparsers(dest="command", metavar="{refresh,import,verify,show}", parser_class=_Parser)

    refresh = commands.add_parser("refresh", help="update a snapshot through TUF (needs the [refresh] extra)")
    refresh.add_argument("--instance", metavar="NAME",
                         help="instance: sigstore (default), sigstage, github, or a private one")
    refresh.add_argument("--tuf-url", metavar="URL", help="TUF repository (default: the snapshot's manifest)")
    refresh.add_argument("--mirror", metavar="URL",
                         help="download from this mirror or local copy of the repository (served over HTTP);"
                              " the manifest still records the repository's URL")
    refresh.add_argument("--source-note", metavar="TEXT",
                         help="words appended to the manifest's source (e.g. which copy the mirror served)")
    refresh.add_argument("--dest", metavar="DIR",
                         help="the snapshot directory to refresh (default: the installed one of the instance)")
    refresh.add_argument("--bootstrap-root", metavar="FILE",
                         help="start a new snapshot from this TUF root.json (only when DIR holds none)")
    refresh.add_argument("--check", action="store_true",
                         help="only report; exit 1 if the trust material would change")
    refresh.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                         help="give up when the downloads take longer (default 120)")

    imp = commands.add_parser("import", help="start a snapshot from a TUF root and a trusted root obtained out of"
                                             " band, marked not TUF-proven (needs the [refresh] extra)")
    imp.add_argument("--instance", metavar="NAME",
                     help="the instance (default: the name of --dest); sigstore, sigstage and github are built in")
    imp.add_argument("--dest", metavar="DIR",
                     help="the new snapshot's directory (default: the installed one of --instance); must not hold one")
    imp.add_argument("--bootstrap-root", metavar="FILE", required=True,
                     help="the instance's TUF root.json: the anchor the next refresh starts from")
    imp.add_argument("--trusted-root", metavar="FILE", required=True,
                     help="the trusted_root.json, or JSON Lines (.jsonl) as gh attestation trusted-root prints")
    imp.add_argument("--line", type=int, metavar="N",
                     help="take the trusted root on line N of --trusted-root (needed for a .jsonl of several)")
    imp.add_argument("--tuf-url", metavar="URL", help="the instance's TUF repository (default: the built-in one)")
    imp.add_argument("--source-note", metavar="TEXT",
                     help="words appended to the manifest's source (how and when the files were obtained)")

    verify = commands.add_parser("verify", help="re-check a snapshot's TUF chain offline (needs the [refresh] extra)")
    verify.add_argument("dir", nargs="?", metavar="DIR", help="snapshot directory (default: the installed one)")
    verify.add_argument("--instance", metavar="NAME", help="the installed snapshot to check when DIR is not given")
    verify.add_argument("--at", metavar="TIME",
                        help="evaluate expiry at this RFC 3339 time, or 'refreshed': at the manifest's"
                             " refreshed_at, how a shipped snapshot is judged (default: now)")
    verify.add_argument("--require-fresh", action="store_true",
                        help="an expired role (at --at) is a failure")
    verify.add_argument("--allow-unproven", action="store_true",
                        help="accept a snapshot whose trusted_root.json has no TUF proof (still checks root.json)")
    verify.add_argument("--json", action="store_true", help="print the findings as one JSON object")

    show = commands.add_parser("show", help="describe a snapshot for review")
    show.add_argument("dir", nargs="?", metavar="DIR", help="snapshot directory (default: the installed one)")
    show.add_argument("--instance", metavar="NAME", help="the installed snapshot to show when DIR is not given")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _directory(args: argparse.Namespace) -> pathlib.Path:
    given = getattr(args, "dir", None) or getattr(args, "dest", None)
    if given:
        return pathlib.Path(given)
    return store.shipped_dir() / (args.instance or store.PRODUCTION)


def _time(value: Optional[str], now: datetime.datetime) -> datetime.datetime:
    if value is None:
        return now
    try:
        return enc.rfc3339(value, "--at")
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _refresh(args: argparse.Namespace, now: datetime.datetime, out: TextIO) -> int:
    from ..refresh import update

    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    dest = _directory(args)
    bootstrap: Optional[bytes] = None
    if args.bootstrap_root is not None:
        bootstrap = read_input(args.bootstrap_root, limit=512 * 1024, what="--bootstrap-root", step="",
                               error=UsageError)
    verb = "checking" if args.check else "refreshing"
    out.write(f"{verb} {dest}\n")
    out.flush()
    def report(line: str) -> None:
        out.write(line + "\n")

    try:
        outcome = update.refresh(dest, now=now, instance=args.instance, tuf_url=args.tuf_url,
                                 bootstrap_root=bootstrap, check=args.check, timeout=args.timeout,
                                 report=report, mirror=args.mirror, source_note=args.source_note)
    except OSError as exc:
        raise TrustRootError(f"cannot write the snapshot {dest}: {exc}", step=Step.TRUST_ROOT) from None
    versions = ", ".join(f"{role} v{outcome.versions[role]}" for role in snap.TUF_ROLES)
    if not outcome.changes:
        out.write("no change to the trust material or the TUF metadata\n")
    elif not outcome.needs_review:
        out.write("no change to the trust material (TUF metadata moves forward)\n")
    if args.check:
        if outcome.needs_review:
            out.write(f"a refresh would change the trust material ({versions}); review the lines above\n")
            return EXIT_FAILED
        out.write(f"up to date ({versions})\n")
        return EXIT_OK
    if outcome.needs_review:
        out.write("the trust material changed: review the lines above before shipping this snapshot\n")
    out.write(f"wrote {dest}: {versions}\n")
    return EXIT_OK


def _import(args: argparse.Namespace, now: datetime.datetime, out: TextIO) -> int:
    from ..refresh import imported

    if args.dest is None and args.instance is None:
        raise UsageError("give --instance NAME or --dest DIR: where the imported snapshot goes")
    dest = _directory(args)
    tuf_root = read_input(args.bootstrap_root, limit=512 * 1024, what="--bootstrap-root", step="", error=UsageError)
    raw = read_input(args.trusted_root, limit=MAX_TRUSTED_ROOT_BYTES * 4, what="--trusted-root", step="",
                     error=UsageError)
    trusted_root, origin = imported.pick_line(raw, args.line, source=pathlib.Path(args.trusted_root).name,
                                              jsonl=args.trusted_root.endswith(".jsonl"))
    out.write(f"importing {dest}\n")
    try:
        outcome = imported.import_snapshot(dest, now=now, tuf_root=tuf_root, trusted_root=trusted_root, origin=origin,
                                           instance=args.instance, tuf_url=args.tuf_url, source_note=args.source_note)
    except OSError as exc:
        raise TrustRootError(f"cannot write the snapshot {dest}: {exc}", step=Step.TRUST_ROOT) from None
    for line in outcome.lines:
        out.write(line + "\n")
    out.write(f"wrote {dest}: imported {enc.utc(now)}, root v{outcome.root_version}; nothing in it is TUF-proven"
              f" until sigstore-offline trust-root refresh --dest {dest} proves it\n")
    return EXIT_OK


def _verify(args: argparse.Namespace, now: datetime.datetime, out: TextIO) -> int:
    from ..refresh import audit

    directory = _directory(args)
    at = None if args.at == "refreshed" else _time(args.at, now)
    report = audit.audit(directory, at=at, allow_unproven=args.allow_unproven)
    at = report.at
    passed = report.passed(require_fresh=args.require_fresh)
    if args.json:
        out.write(json.dumps({"directory": str(directory), "at": enc.utc(at), "passed": passed,
                              "trusted_root_tuf_proven": report.trusted_root_proven,
                              "findings": [{"level": f.level, "text": f.text} for f in report.findings]},
                             sort_keys=True) + "\n")
    else:
        marks = {"ok": "ok", "note": "note", "expired": "EXPIRED" if args.require_fresh else "expired",
                 "problem": "FAIL"}
        for finding in report.findings:
            out.write(f"{marks[finding.level]}: {finding.text}\n")
        verdict = "OK" if passed else "FAIL"
        out.write(f"{verdict}: {directory} (checked at {enc.utc(at)})\n")
    return EXIT_OK if passed else EXIT_FAILED


def describe(directory: pathlib.Path, now: datetime.datetime) -> Dict[str, Any]:
    """Everything ``show`` prints, as data (pins checked first: TrustRootError if they fail)."""
    from ..refresh import diff
    from ..trust.trusted_root import parse_trusted_root

    info, files = snap.read_pinned(directory)
    root = parse_trusted_root(files["trusted_root.json"], source=str(directory / "trusted_root.json"),
                              allow_no_logs=True)
    tuf: Dict[str, Any] = {}
    for role, name in snap.TUF_METADATA.items():
        if name in files:
            try:
                signed = json.loads(files[name])["signed"]
                tuf[role] = {"version": signed["version"], "expires": signed["expires"]}
                if role == "root":
                    tuf[role].update(diff.root_summary(files[name]))
            except (ValueError, KeyError, TypeError):
                tuf[role] = {"unreadable": True}
    return {
        "directory": str(directory), "instance": info.instance, "tuf_url": info.tuf_url, "source": info.source,
        "refreshed_at": enc.utc(info.refreshed_at), "age_days": round(info.age_days(now), 1), "imported": info.imported,
        "tool_version": info.tool_version, "tuf_versions": dict(info.tuf_versions), "tuf": tuf,
        "files": {name: {"sha256": pin.sha256, "length": pin.length, "tuf_proven": pin.tuf_proven}
                  for name, pin in sorted(info.files.items())},
        "trusted_root": diff.summarize(root),
    }


def _show(args: argparse.Namespace, now: datetime.datetime, out: TextIO) -> int:
    from ..refresh.diff import KINDS

    doc = describe(_directory(args), now)
    if args.json:
        out.write(json.dumps(doc, sort_keys=True) + "\n")
        return EXIT_OK
    lines: List[str] = [
        f"snapshot:     {doc['directory']}",
        f"instance:     {doc['instance']}",
        f"TUF repo:     {doc['tuf_url'] or '(none recorded)'}",
        f"source:       {doc['source']}",
        f"{'imported at:' if doc['imported'] else 'refreshed at:':<13} {doc['refreshed_at']} ({doc['age_days']} days ago)"
        + ("; not proven through TUF" if doc["imported"] else ""),
        f"written by:   sigstore-offline {doc['tool_version']}",
    ]
    root = doc["tuf"].get("root")
    if root and "roles" in root:
        roles = ", ".join(f"{name} {r['threshold']}/{len(r['keyids'])}" for name, r in root["roles"].items())
        lines.append(f"TUF root:     v{root['version']}, expires {root['expires']}; thresholds: {roles}")
    for role in ("timestamp", "snapshot", "targets"):
        meta = doc["tuf"].get(role)
        if meta and "version" in meta:
            lines.append(f"{'TUF ' + role + ':':<13} v{meta['version']}, expires {meta['expires']}")
    if set(doc["tuf"]) <= {"root"}:
        lines.append("TUF proof:    none (no timestamp/snapshot/targets metadata in this snapshot)")
    lines.append("files:")
    for name, pin in doc["files"].items():
        proven = "TUF-proven" if pin["tuf_proven"] else "not TUF-proven"
        lines.append(f"  {name:<32} {pin['length']:>7} B  sha256 {pin['sha256']}  {proven}")
    for kind, title in KINDS:
        entries = doc["trusted_root"][kind]
        lines.append(f"{title}s: {len(entries)}")
        for entry in entries:
            where = entry["url"]
            detail = (f"log id {entry['log_id']} {entry['key']}" if "log_id" in entry
                      else f"{' <- '.join(entry['chain'])}; certificates until {entry['certificates_valid_until']}")
            lines.append(f"  {where}  valid {entry['valid_from']} .. {entry['valid_until']}")
            lines.append(f"    {detail}")
    out.write("\n".join(lines) + "\n")
    return EXIT_OK


def main(argv: Optional[Sequence[str]] = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        if args.area is None or getattr(args, "command", None) is None:
            raise UsageError("give a command: sigstore-offline trust-root {refresh,import,verify,show} (see --help)")
        now = datetime.datetime.now(datetime.timezone.utc)  # the only clock read
        handler = {"refresh": _refresh, "import": _import, "verify": _verify, "show": _show}[args.command]
        return handler(args, now, out)
    except SigstoreOfflineError as exc:
        err.write(f"{PROG}: error: {exc}\n")
        return exc.exit_code if exc.exit_code != EXIT_BUG else EXIT_BUG
    except KeyboardInterrupt:
        err.write(f"{PROG}: interrupted; the snapshot directory holds the previous snapshot or the whole new one\n")
        return 130
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except Exception as exc:  # a bug: say so, never a traceback
        err.write(f"{PROG}: internal error ({type(exc).__name__}: {exc}); this is a bug, please report it\n")
        return EXIT_BUG


def entry() -> None:
    sys.exit(main())


__all__ = ["EXIT_USAGE", "build_parser", "describe", "entry", "main"]
