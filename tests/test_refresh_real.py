# SPDX-License-Identifier: Apache-2.0
"""Refresh through the real production and staging TUF repositories (../shared/tuf, served in place on
127.0.0.1) with the TUF clock fixed at 2026-08-27 in the test; then ``trust-root verify`` offline."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import pathlib
import shutil
from typing import List, Tuple

import pytest

from helpers import SHARED, SHIPPED, need_shared, need_tuf

need_tuf()

from sigstore_offline.cli.admin import main  # noqa: E402
from sigstore_offline.trust import snapshot  # noqa: E402
from tuf_helpers import Server, fixed_clock  # noqa: E402

TUF = SHARED / "tuf"
FIXED = datetime.datetime(2026, 8, 27, tzinfo=datetime.timezone.utc)
STAGING_TRUSTED_ROOT_SHA256 = "44deb991"  # NOTES.md: targets/44deb991…6ed8.trusted_root.json


def admin(argv: List[str]) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def refresh(repo: str, argv: List[str]) -> Tuple[int, str, str]:
    """A refresh run on 2026-08-27: python-tuf's reference time and the admin command's clock fixed."""
    with Server(directory=str(need_shared(TUF / repo))) as server, fixed_clock(FIXED):
        return admin(["trust-root", "refresh", "--tuf-url", server.url, *argv])


def test_production_from_root_5_yields_the_shipped_trusted_root(tmp_path: pathlib.Path) -> None:
    dest = tmp_path / "sigstore"
    code, out, err = refresh("prod", ["--dest", str(dest), "--instance", "sigstore",
                                      "--bootstrap-root", str(TUF / "prod" / "5.root.json")])
    assert code == 0, err
    assert "wrote" in out and "root v15, timestamp v762, snapshot v165, targets v14" in out
    assert (dest / "trusted_root.json").read_bytes() == (SHIPPED / "sigstore" / "trusted_root.json").read_bytes()
    assert (dest / "root.json").read_bytes() == (SHIPPED / "sigstore" / "root.json").read_bytes()
    assert (dest / "signing_config.v0.2.json").read_bytes() == (
        SHIPPED / "sigstore" / "signing_config.v0.2.json").read_bytes()
    _, info = snapshot.load_snapshot(dest)
    assert dict(info.tuf_versions) == {"root": 15, "timestamp": 762, "snapshot": 165, "targets": 14}
    assert info.files["trusted_root.json"].tuf_proven and info.files["15.root.json"].tuf_proven
    assert not info.files["5.root.json"].tuf_proven  # the anchor
    assert sorted(n for n in info.files if n[0].isdigit()) == sorted(f"{v}.root.json" for v in range(5, 16))

    code, out, err = admin(["trust-root", "verify", str(dest), "--at", "2026-08-27T00:00:00Z", "--require-fresh"])
    assert code == 0, out + err
    assert "root v15: signed by" in out and "trusted_root.json: length 6787 and sha256 match targets v14" in out
    # Today everything has expired: reported, not fatal, unless --require-fresh.
    code, out, _ = admin(["trust-root", "verify", str(dest), "--at", "2026-11-22T00:00:00Z"])
    assert code == 0 and "expired: timestamp v762 expired 2026-08-28T19:25:56Z" in out
    code, out, _ = admin(["trust-root", "verify", str(dest), "--at", "2026-11-22T00:00:00Z", "--require-fresh"])
    assert code == 1 and "EXPIRED: root v15" in out


@pytest.mark.parametrize("instance,repo", [("sigstore", "prod"), ("sigstage", "staging")])
def test_the_shipped_snapshot_is_what_the_repository_serves(tmp_path: pathlib.Path, instance: str, repo: str) -> None:
    """A refresh of the shipped snapshot from the same repository finds nothing new: --check is quiet
    and changes nothing, a refresh keeps every trust file and moves no TUF version."""
    dest = tmp_path / instance
    shutil.copytree(SHIPPED / instance, dest)
    code, out, err = refresh(repo, ["--dest", str(dest), "--check"])
    assert code == 0, err
    assert "up to date" in out and "no change to the trust material or the TUF metadata" in out
    assert not any(line[:2] in ("+ ", "- ", "~ ") for line in out.splitlines())
    assert (dest / "manifest.json").read_bytes() == (SHIPPED / instance / "manifest.json").read_bytes()
    code, out, err = refresh(repo, ["--dest", str(dest)])
    assert code == 0 and "no change to the trust material or the TUF metadata" in out, out + err
    # Every file, the kept root chain included, and every pin's tuf_proven stay as shipped.
    shipped_files = {p.name: p.read_bytes() for p in (SHIPPED / instance).iterdir() if p.name != "manifest.json"}
    assert {p.name: p.read_bytes() for p in dest.iterdir() if p.name != "manifest.json"} == shipped_files
    _, before = snapshot.load_snapshot(SHIPPED / instance)
    _, after = snapshot.load_snapshot(dest)
    assert after.files == before.files and after.refreshed_at == FIXED
    code, out, err = admin(["trust-root", "verify", str(dest), "--at", "2026-08-27T00:00:00Z", "--require-fresh"])
    assert code == 0, out + err


def test_staging_from_root_1(tmp_path: pathlib.Path) -> None:
    dest = tmp_path / "sigstage"
    code, out, err = refresh("staging", ["--dest", str(dest), "--instance", "sigstage",
                                         "--bootstrap-root", str(TUF / "staging" / "1.root.json")])
    assert code == 0, err
    assert "root v14, timestamp v703, snapshot v25, targets v28" in out
    served = hashlib.sha256((dest / "trusted_root.json").read_bytes()).hexdigest()
    assert served.startswith(STAGING_TRUSTED_ROOT_SHA256)
    assert (dest / "trusted_root.json").read_bytes() == (SHIPPED / "sigstage" / "trusted_root.json").read_bytes()
    code, out, err = admin(["trust-root", "verify", str(dest), "--at", "2026-08-27T00:00:00Z", "--json"])
    assert code == 0, out + err
    assert json.loads(out)["trusted_root_tuf_proven"] is True


def test_expired_timestamp_in_the_real_repository_is_a_freeze(tmp_path: pathlib.Path) -> None:
    """Without the fixed clock, today's date: the real metadata has expired -- refused, nothing written."""
    dest = tmp_path / "sigstore"
    shutil.copytree(SHIPPED / "sigstore", dest)
    before = {p.name: p.read_bytes() for p in dest.iterdir()}
    with Server(directory=str(need_shared(TUF / "prod"))) as server:
        code, _, err = admin(["trust-root", "refresh", "--dest", str(dest), "--tuf-url", server.url])
    assert code == 3 and "expired" in err and len(err.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == before
