# SPDX-License-Identifier: Apache-2.0
"""Refresh against a TUF repository built in the test (python-tuf Metadata API, securesystemslib
signers) on 127.0.0.1: root rotation with threshold changes, and every attack rejected with the old
snapshot intact and a one-line message; then ``trust-root verify`` on tampered snapshots."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import pathlib
from typing import Callable, Dict, List, Tuple

import pytest

from helpers import SHIPPED, need_tuf

need_tuf()

from sigstore_offline.cli.admin import main  # noqa: E402
from sigstore_offline.trust import snapshot  # noqa: E402
from tuf_helpers import Repo, Server  # noqa: E402

TRUSTED_ROOT = (SHIPPED / "sigstore" / "trusted_root.json").read_bytes()
STAGING_ROOT = (SHIPPED / "sigstage" / "trusted_root.json").read_bytes()
SIGNING_CONFIG = (SHIPPED / "sigstore" / "signing_config.v0.2.json").read_bytes()
NOW = datetime.datetime.now(datetime.timezone.utc)


def admin(argv: List[str]) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def state(directory: pathlib.Path) -> Dict[str, bytes]:
    """Every entry of the snapshot's parent (so leftovers show) with its bytes."""
    return {str(p.relative_to(directory.parent)): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(directory.parent.rglob("*"))}


@pytest.fixture
def repo() -> Repo:
    repo = Repo()
    repo.add_target("trusted_root.json", TRUSTED_ROOT)
    repo.add_target("signing_config.v0.2.json", SIGNING_CONFIG)
    repo.publish()
    return repo


@pytest.fixture
def dest(repo: Repo, tmp_path: pathlib.Path) -> pathlib.Path:
    """A snapshot refreshed once from the repository's root v1."""
    (tmp_path / "bootstrap.json").write_bytes(repo.root_bytes)
    target = tmp_path / "snap" / "private"
    with Server(repo.published) as server:
        code, out, err = admin(["trust-root", "refresh", "--dest", str(target), "--tuf-url", server.url,
                                "--bootstrap-root", str(tmp_path / "bootstrap.json")])
    assert code == 0, out + err
    return target


def refresh(files: Dict[str, bytes], dest: pathlib.Path, *extra: str, behave: Dict[str, str] = {}
            ) -> Tuple[int, str, str]:
    with Server(files) as server:
        server.behave.update(behave)
        return admin(["trust-root", "refresh", "--dest", str(dest), "--tuf-url", server.url, *extra])


def test_rotation_with_threshold_changes_is_followed(repo: Repo, dest: pathlib.Path) -> None:
    repo.rotate_root(3, 2)          # v2: 1/1 -> 2/3, signed by the old key and all new ones
    repo.rotate_root(4, 3, sign_with_old=2, sign_with_new=3)  # v3: 2/3 -> 3/4; one old, one new key unsigned
    repo.add_target("trusted_root.json", STAGING_ROOT)
    files = repo.publish()
    code, out, err = refresh(files, dest)
    assert code == 0, out + err
    assert "~ TUF root v1 -> v3" in out and "~ TUF root role: threshold 1/1 -> 3/4" in out
    assert "+ Fulcio CA added: https://fulcio.sigstage.dev" in out and "- Fulcio CA removed:" in out
    _, info = snapshot.load_snapshot(dest)
    assert info.tuf_versions["root"] == 3 and {"1.root.json", "2.root.json", "3.root.json"} <= set(info.files)
    code, out, err = admin(["trust-root", "verify", str(dest), "--require-fresh"])
    assert code == 0, out + err
    assert "root v2: signed by 1 (threshold 1 of 1) root keys of v1 and 3 (threshold 2 of 3) of its own" in out
    assert "root v3: signed by 2 (threshold 2 of 3) root keys of v2 and 3 (threshold 3 of 4) of its own" in out


def _bad_rotation_old(repo: Repo) -> Dict[str, bytes]:
    repo.rotate_root(3, 2, sign_with_old=0)   # not signed by the current root's keys
    return repo.publish()


def _bad_rotation_new(repo: Repo) -> Dict[str, bytes]:
    repo.rotate_root(3, 2, sign_with_new=1)   # only 1 of the 2 new signatures it needs itself
    return repo.publish()


def _rollback(repo: Repo) -> Dict[str, bytes]:
    files = dict(repo.published)
    version = repo.timestamp.signed.version
    files["timestamp.json"] = repo.sign_timestamp(version=version - 1, expires=repo.expiry,
                                                  snapshot_version=repo.snapshot.signed.version)
    return files


def _freeze(repo: Repo) -> Dict[str, bytes]:
    files = dict(repo.published)
    files["timestamp.json"] = repo.sign_timestamp(version=repo.timestamp.signed.version + 1,
                                                  expires=NOW - datetime.timedelta(days=1),
                                                  snapshot_version=repo.snapshot.signed.version)
    return files


def _mix_and_match(repo: Repo) -> Dict[str, bytes]:
    """A new timestamp and snapshot that name targets v+1, served with the old targets under that name."""
    files = dict(repo.published)
    snap_v, targets_v = repo.snapshot.signed.version + 1, repo.targets.signed.version
    files[f"{targets_v + 1}.targets.json"] = files[f"{targets_v}.targets.json"]
    files[f"{snap_v}.snapshot.json"] = repo.sign_snapshot(version=snap_v, targets_version=targets_v + 1)
    files["timestamp.json"] = repo.sign_timestamp(version=repo.timestamp.signed.version + 1, expires=repo.expiry,
                                                  snapshot_version=snap_v)
    return files


def _target_path(repo: Repo) -> str:
    return f"targets/{hashlib.sha256(TRUSTED_ROOT).hexdigest()}.trusted_root.json"


def _wrong_hash(repo: Repo) -> Dict[str, bytes]:
    files = dict(repo.published)
    files[_target_path(repo)] = TRUSTED_ROOT.replace(b"rekor.sigstore.dev", b"rekor.sigstore.xyz")
    return files


def _oversized_target(repo: Repo) -> Dict[str, bytes]:
    files = dict(repo.published)
    files[_target_path(repo)] = TRUSTED_ROOT + b" " * 4096
    return files


def _truncated_target(repo: Repo) -> Dict[str, bytes]:
    files = dict(repo.published)
    files[_target_path(repo)] = TRUSTED_ROOT[:-100]
    return files


def _oversized_timestamp(repo: Repo) -> Dict[str, bytes]:
    files = dict(repo.published)
    files["timestamp.json"] = files["timestamp.json"] + b" " * 20000
    return files


ATTACKS: Dict[str, Tuple[Callable[[Repo], Dict[str, bytes]], str]] = {
    "rotation-not-signed-by-old-root": (_bad_rotation_old, "signature threshold not met"),
    "rotation-below-its-own-threshold": (_bad_rotation_new, "signature threshold not met"),
    "rollback": (_rollback, "rollback"),
    "freeze": (_freeze, "expired"),
    "mix-and-match": (_mix_and_match, "version rollback or mismatch"),
    "wrong-target-hash": (_wrong_hash, "length or hash mismatch"),
    "oversized-target": (_oversized_target, "more bytes than the signed metadata allows"),
    "truncated-target": (_truncated_target, "length or hash mismatch"),
    "oversized-timestamp": (_oversized_timestamp, "more bytes than the signed metadata allows"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_is_refused_and_the_snapshot_is_intact(repo: Repo, dest: pathlib.Path, attack: str) -> None:
    make, words = ATTACKS[attack]
    before = state(dest)
    code, out, err = refresh(make(repo), dest)
    assert code == 3, out + err
    assert words in err and len(err.strip().splitlines()) == 1, err
    assert state(dest) == before
    assert admin(["trust-root", "verify", str(dest)])[0] == 0


@pytest.mark.parametrize("how", ["stall", "die"])
def test_a_server_that_stalls_or_dies_is_refused(repo: Repo, dest: pathlib.Path, how: str) -> None:
    before = state(dest)
    path = "timestamp.json" if how == "stall" else _target_path(repo)
    code, out, err = refresh(repo.published, dest, "--timeout", "2", behave={path: how})
    assert code == 4, out + err
    assert ("stalled" in err if how == "stall" else "broke off" in err) and len(err.strip().splitlines()) == 1, err
    assert state(dest) == before


def test_check_reports_without_writing(repo: Repo, dest: pathlib.Path) -> None:
    before = state(dest)
    code, out, _ = refresh(repo.published, dest, "--check")
    assert code == 0 and "up to date" in out
    repo.add_target("trusted_root.json", STAGING_ROOT)
    code, out, _ = refresh(repo.publish(), dest, "--check")
    assert code == 1 and "a refresh would change the trust material" in out
    assert state(dest) == before


# --- trust-root verify on tampered snapshots (pins re-made, so only the TUF chain can catch it) -------

def repin(dest: pathlib.Path, files: Dict[str, bytes]) -> None:
    info, old = snapshot.read_pinned(dest)
    for name in set(old) - set(files):
        (dest / name).unlink()
    for name, data in files.items():
        (dest / name).write_bytes(data)
    (dest / "manifest.json").write_bytes(snapshot.manifest_bytes(
        files, instance=info.instance, tuf_url=info.tuf_url, source=info.source, refreshed_at=info.refreshed_at,
        tool_version=info.tool_version, tuf_versions=info.tuf_versions,
        tuf_proven=tuple(n for n, p in info.files.items() if p.tuf_proven)))


def _tamper_signature(files: Dict[str, bytes], repo: Repo) -> None:
    doc = json.loads(files["targets.json"])
    sig = doc["signatures"][0]["sig"]
    doc["signatures"][0]["sig"] = sig[:-2] + ("00" if sig[-2:] != "00" else "11")
    files["targets.json"] = json.dumps(doc).encode()


def _swap_trusted_root(files: Dict[str, bytes], repo: Repo) -> None:
    files["trusted_root.json"] = STAGING_ROOT


def _snapshot_mix(files: Dict[str, bytes], repo: Repo) -> None:
    files["snapshot.json"] = repo.sign_snapshot(version=repo.snapshot.signed.version, targets_version=99)


def _root_gap(files: Dict[str, bytes], repo: Repo) -> None:
    del files["2.root.json"]


TAMPER = {
    "targets-signature": (_tamper_signature, "targets v2: signed by 0 (threshold 1 of 1)"),
    "trusted-root-swapped": (_swap_trusted_root, "trusted_root.json: does not match targets"),
    "snapshot-names-other-targets": (_snapshot_mix, "mix-and-match"),
    "root-chain-gap": (_root_gap, "are not consecutive"),
}


@pytest.mark.parametrize("case", sorted(TAMPER))
def test_verify_rejects_a_tampered_chain(repo: Repo, dest: pathlib.Path, case: str) -> None:
    if case == "root-chain-gap":
        repo.rotate_root(1, 1)
        repo.rotate_root(1, 1)
        assert refresh(repo.publish(), dest)[0] == 0
    _, files = snapshot.read_pinned(dest)
    TAMPER[case][0](files, repo)
    repin(dest, files)
    code, out, err = admin(["trust-root", "verify", str(dest)])
    assert code == 1, out + err
    assert TAMPER[case][1] in out and out.rstrip().splitlines()[-1].startswith("FAIL: ")


def test_verify_and_show_refuse_broken_pins(dest: pathlib.Path) -> None:
    (dest / "targets.json").write_bytes(b"{}")
    for command in ("verify", "show"):
        code, _, err = admin(["trust-root", command, str(dest)])
        assert code == 3 and "targets.json has 2 bytes" in err and len(err.strip().splitlines()) == 1
