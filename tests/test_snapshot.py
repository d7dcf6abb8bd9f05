# SPDX-License-Identifier: Apache-2.0
"""Trust-root snapshots: manifest pins checked before trusted_root.json is trusted; age policy."""

from __future__ import annotations

import datetime
import json
import pathlib
import shutil

import pytest

from helpers import EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, SHIPPED, run_cli, run_json
from sigstore_offline.errors import TrustRootError
from sigstore_offline.trust import snapshot, store

ARGV = ["--bundle", str(EXAMPLE_BUNDLE), "--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer", GITHUB_ISSUER,
        EXAMPLE_DIGEST]


@pytest.fixture
def copy(tmp_path: pathlib.Path) -> pathlib.Path:
    target = tmp_path / "sigstore"
    shutil.copytree(SHIPPED / "sigstore", target)
    return target


SHIPPED_TRUSTED_ROOTS = {
    "sigstore": "6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66",  # targets v14
    "sigstage": "44deb991d4bbf2150751ccee235d9810bce4434383c26d8898c1bcadbace6ed8",  # targets v28
}
ANCHORS = {"sigstore": "5.root.json", "sigstage": "1.root.json"}


@pytest.mark.parametrize("instance", ["sigstore", "sigstage"])
def test_shipped_snapshots_match_their_manifests(instance: str) -> None:
    """Every shipped file is pinned, TUF-proven except the anchor root the refresh started from,
    and the snapshot's age counts from the refresh (2026-08-27), not from when it was committed."""
    root, info = store.open_shipped(instance)
    assert info.instance == instance and root.sha256 == info.files["trusted_root.json"].sha256
    assert root.sha256 == SHIPPED_TRUSTED_ROOTS[instance] and info.tuf_proven
    on_disk = {p.name for p in (SHIPPED / instance).iterdir()} - {"manifest.json"}
    assert set(info.files) == on_disk
    assert [name for name, pin in info.files.items() if not pin.tuf_proven] == [ANCHORS[instance]]
    assert set(info.tuf_versions) == {"root", "timestamp", "snapshot", "targets"}
    assert snapshot.utc_text(info.refreshed_at) == "2026-08-27T00:00:00Z"
    assert info.timestamp_expires is not None and info.refreshed_at < info.timestamp_expires
    assert info.tuf_url == {"sigstore": "https://tuf-repo-cdn.sigstore.dev",
                            "sigstage": "https://tuf-repo-cdn.sigstage.dev"}[instance]
    assert "as published on 2026-08-21" in info.source


def _expect_trust_root_error(copy: pathlib.Path, match: str) -> None:
    with pytest.raises(TrustRootError, match=match):
        snapshot.load_snapshot(copy)
    code, _, err = run_cli(["--trust-root", str(copy), *ARGV])
    assert code == 3 and len(err.strip().splitlines()) == 1 and match.split(" ")[0] in err


def test_changed_trusted_root_is_refused(copy: pathlib.Path) -> None:
    data = (copy / "trusted_root.json").read_bytes()
    (copy / "trusted_root.json").write_bytes(data.replace(b"https://rekor.sigstore.dev", b"https://rekor.sigstore.xyz"))
    _expect_trust_root_error(copy, "sha256")


def test_truncated_file_is_refused(copy: pathlib.Path) -> None:
    data = (copy / "root.json").read_bytes()
    (copy / "root.json").write_bytes(data[:-10])
    _expect_trust_root_error(copy, "bytes, the manifest pins")


def test_missing_pinned_file_is_refused(copy: pathlib.Path) -> None:
    (copy / "signing_config.v0.2.json").unlink()
    _expect_trust_root_error(copy, "missing")


def test_manifest_without_trusted_root_pin_is_refused(copy: pathlib.Path) -> None:
    doc = json.loads((copy / "manifest.json").read_text())
    del doc["files"]["trusted_root.json"]
    (copy / "manifest.json").write_text(json.dumps(doc))
    _expect_trust_root_error(copy, "not pinned")


@pytest.mark.parametrize("edit", ["format", "path", "sha", "length"])
def test_malformed_manifest_is_refused(copy: pathlib.Path, edit: str) -> None:
    doc = json.loads((copy / "manifest.json").read_text())
    if edit == "format":
        doc["format"] = "something/9"
    elif edit == "path":
        doc["files"]["../trusted_root.json"] = doc["files"]["trusted_root.json"]
    elif edit == "sha":
        doc["files"]["root.json"]["sha256"] = "XYZ"
    else:
        doc["files"]["root.json"]["length"] = -1
    (copy / "manifest.json").write_text(json.dumps(doc))
    _expect_trust_root_error(copy, "malformed")


def test_missing_manifest_is_refused(copy: pathlib.Path) -> None:
    (copy / "manifest.json").unlink()
    _expect_trust_root_error(copy, "manifest.json")


def _age(copy: pathlib.Path, days: float) -> None:
    """Move the refresh ``days`` back from now: the TUF metadata then is no longer the one that
    proved it (a refresh that day saw other metadata), so drop the TUF files from the manifest."""
    doc = json.loads((copy / "manifest.json").read_text())
    refreshed = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days)
    doc["refreshed_at"] = refreshed.strftime("%Y-%m-%dT%H:%M:%SZ")
    if refreshed > datetime.datetime(2026, 8, 28, tzinfo=datetime.timezone.utc):
        doc["files"]["timestamp.json"]["tuf_proven"] = False
    (copy / "manifest.json").write_text(json.dumps(doc))


def _shipped_age() -> float:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (now - datetime.datetime(2026, 8, 27, tzinfo=datetime.timezone.utc)).total_seconds() / 86400


def test_max_trust_root_age_of_the_shipped_snapshot() -> None:
    """The shipped snapshot's age is that of its refresh (2026-08-27): a 60-day limit refuses it
    today, a 400-day one accepts it."""
    age = _shipped_age()
    assert age > 60
    code, records, err = run_json(["--max-trust-root-age", "60", *ARGV])
    assert code == 3 and records[0]["step"] == "trust-root" and "older than the limit of 60 days" in err
    assert "refreshed 2026-08-27T00:00:00Z" in err
    code, records, err = run_json(["--max-trust-root-age", "400", *ARGV])
    assert code == 0, err
    described = records[0]["trust_root"]["snapshot"]
    assert described["refreshed_at"] == "2026-08-27T00:00:00Z" and abs(described["age_days"] - age) < 0.2
    assert described["trusted_root_tuf_proven"] is True


def test_max_trust_root_age(copy: pathlib.Path) -> None:
    _age(copy, 40)
    code, records, err = run_json(["--trust-root", str(copy), "--max-trust-root-age", "30", *ARGV])
    assert code == 3 and records[0]["step"] == "trust-root" and "older than the limit of 30 days" in err
    code, records, err = run_json(["--trust-root", str(copy), "--max-trust-root-age", "60", *ARGV])
    assert code == 0, err
    assert 39 < records[0]["trust_root"]["snapshot"]["age_days"] < 41


def test_stale_snapshot_warns_but_verifies(copy: pathlib.Path) -> None:
    _age(copy, 400)
    code, out, err = run_cli(["--trust-root", str(copy), *ARGV])
    assert code == 0 and out.startswith("OK: ")
    assert "warning: trust-root snapshot" in err and "400 days old" in err
    code, out, err = run_cli(["-q", "--trust-root", str(copy), *ARGV])
    assert code == 0 and out == "" and err == ""


def test_max_age_needs_a_snapshot() -> None:
    code, _, err = run_cli(["--trusted-root", str(SHIPPED / "sigstore" / "trusted_root.json"),
                            "--max-trust-root-age", "30", *ARGV])
    assert code == 2


def test_relocated_snapshots_via_environment(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(SHIPPED, tmp_path / "roots")
    monkeypatch.setenv(store.ENV_DIR, str(tmp_path / "roots"))
    assert run_cli(ARGV)[0] == 0
    monkeypatch.setenv(store.ENV_DIR, str(tmp_path / "nowhere"))
    code, _, err = run_cli(ARGV)
    assert code == 3 and "not installed" in err
