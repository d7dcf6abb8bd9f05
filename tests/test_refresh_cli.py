# SPDX-License-Identifier: Apache-2.0
"""``sigstore-offline`` without a network: usage, exit codes, ``show``, the import boundary, the man page."""

from __future__ import annotations

import io
import json
import pathlib
import re
import shutil
import subprocess
import sys
from typing import List, Tuple

import pytest

from helpers import REPO, SHIPPED, need_tuf, package_path
from sigstore_offline.cli.admin import build_parser, main
from sigstore_offline.errors import TrustRootError
from sigstore_offline.trust import snapshot


def admin(argv: List[str]) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_show_describes_the_shipped_snapshot() -> None:
    code, out, err = admin(["trust-root", "show", str(SHIPPED / "sigstore")])
    assert code == 0, err
    assert "TUF proof:    none" not in out and "Fulcio CAs: 2" in out and "Rekor logs: 2" in out
    assert "refreshed at: 2026-08-27T00:00:00Z" in out and "TUF timestamp: v762, expires 2026-08-28T19:25:56Z" in out
    assert "https://log2025-1.rekor.sigstore.dev  valid 2025-09-23T00:00:00Z .. open" in out
    code, out, _ = admin(["trust-root", "show", "--instance", "sigstage", "--json"])
    doc = json.loads(out)
    assert code == 0 and doc["instance"] == "sigstage" and doc["tuf"]["root"]["roles"]["root"]["threshold"] == 2
    assert {e["url"] for e in doc["trusted_root"]["tlogs"]} >= {"https://rekor.sigstage.dev",
                                                              "https://log2026-1.us-east4.rekor.sigstage.dev"}
    assert doc["files"]["trusted_root.json"]["tuf_proven"] is True
    assert [n for n, pin in doc["files"].items() if not pin["tuf_proven"]] == ["1.root.json"]  # the anchor


@pytest.mark.parametrize("argv", [[], ["trust-root"], ["trust-root", "nonsense"],
                                  ["trust-root", "verify", "--at", "yesterday"],
                                  ["trust-root", "refresh", "--timeout", "0"]])
def test_usage_errors_exit_2(argv: List[str]) -> None:
    if argv[-1:] == ["yesterday"] or argv[-1:] == ["0"]:
        need_tuf()
    code, out, err = admin(argv)
    assert code == 2 and err.startswith("sigstore-offline: error: ") and "Traceback" not in err


def test_missing_snapshot_is_exit_3(tmp_path: object) -> None:
    code, _, err = admin(["trust-root", "show", str(REPO / "docs")])
    assert code == 3 and "no manifest.json" in err


def test_admin_and_show_never_import_tuf() -> None:
    script = (
        "import sys, io\n"
        "from sigstore_offline.cli.admin import main\n"
        f"assert main(['trust-root', 'show', {str(SHIPPED / 'sigstore')!r}], out=io.StringIO()) == 0\n"
        "print(sorted(m for m in ('tuf', 'securesystemslib', 'urllib3') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            env={"PYTHONPATH": package_path()})
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr


def test_missing_refresh_extra_is_a_clear_message(tmp_path: object) -> None:
    script = (
        "import sys, io\n"
        "sys.modules['tuf'] = None\n"  # as if the [refresh] extra were not installed
        "from sigstore_offline.cli.admin import main\n"
        "err = io.StringIO()\n"
        f"code = main(['trust-root', 'verify', {str(SHIPPED / 'sigstore')!r}], out=io.StringIO(), err=err)\n"
        "print(code, err.getvalue())\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            env={"PYTHONPATH": package_path()})
    assert result.stdout.startswith("2 sigstore-offline: error: trust-root verify needs the [refresh] extra")


@pytest.mark.parametrize("instance", ["sigstore", "sigstage"])
def test_verify_of_the_shipped_snapshots_passes_offline(instance: str) -> None:
    """Judged at the time they were refreshed, the shipped snapshots are TUF-proven and fresh; judged
    today their timestamp (7-day expiry) has long expired: reported with what it means, not fatal."""
    need_tuf()
    code, out, err = admin(["trust-root", "verify", str(SHIPPED / instance), "--at", "refreshed", "--require-fresh"])
    assert code == 0, out + err
    assert not [line for line in out.splitlines() if line.startswith(("FAIL", "expired", "EXPIRED", "note"))], out
    assert "trusted_root.json: length" in out and "checked at 2026-08-27T00:00:00Z" in out
    assert "refreshed 2026-08-27T00:00:00Z: every role was unexpired then" in out
    code, out, err = admin(["trust-root", "verify", str(SHIPPED / instance)])
    assert code == 0, out + err
    assert "expired: timestamp" in out and "note: TUF metadata expires within days" in out
    assert "--at refreshed (2026-08-27T00:00:00Z)" in out and "days at" in out
    code, out, _ = admin(["trust-root", "verify", str(SHIPPED / instance), "--require-fresh", "--json"])
    doc = json.loads(out)
    assert code == 1 and doc["passed"] is False and doc["trusted_root_tuf_proven"] is True
    code, out, _ = admin(["trust-root", "verify", str(SHIPPED / instance), "--at", "refreshed", "--json"])
    assert code == 0 and json.loads(out)["at"] == "2026-08-27T00:00:00Z"


def test_verify_refuses_a_refresh_time_after_the_timestamp_expired(tmp_path: pathlib.Path) -> None:
    """A manifest claiming a later refresh than its TUF timestamp allows: verify says the age is
    misstated (exit 1); the verify path refuses the snapshot (exit 3)."""
    need_tuf()
    copy = tmp_path / "sigstore"
    shutil.copytree(SHIPPED / "sigstore", copy)
    doc = json.loads((copy / "manifest.json").read_text())
    doc["refreshed_at"] = "2026-11-01T00:00:00Z"
    (copy / "manifest.json").write_text(json.dumps(doc))
    code, _, err = admin(["trust-root", "verify", str(copy)])
    assert code == 3 and "after its TUF timestamp expired (2026-08-28T19:25:56Z)" in err
    with pytest.raises(TrustRootError, match="its age cannot be trusted"):
        snapshot.load_snapshot(copy)


def test_manifest_bytes_is_strict() -> None:
    import datetime

    when = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    common = dict(instance="x", tuf_url="", source="", refreshed_at=when, tool_version="0", tuf_versions={})
    with pytest.raises(ValueError):
        snapshot.manifest_bytes({"../trusted_root.json": b"{}"}, **common)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        snapshot.manifest_bytes({"root.json": b"{}"}, **common)  # type: ignore[arg-type]


def test_every_option_is_in_the_man_page() -> None:
    page = (REPO / "man" / "sigstore-offline.1").read_text()
    documented = {d.lstrip("-") for d in re.findall(r"Fl (-?[\w-]+)", page)}
    parser = build_parser()
    options = set()
    stack = [parser]
    while stack:
        current = stack.pop()
        for action in current._actions:
            options.update(o.lstrip("-") for o in action.option_strings)
            for sub in (getattr(action, "choices", None) or {}).values() if hasattr(action, "_name_parser_map") else ():
                stack.append(sub)
    assert not options - documented - {"h", "help"}, sorted(options - documented)
    for code in range(6):
        assert re.search(rf"^\.It {code}$", page, re.M), f"exit status {code} is not documented"
