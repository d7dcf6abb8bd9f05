# SPDX-License-Identifier: Apache-2.0
"""Manifest times are parsed totally: any ``refreshed_at`` at the edges of the calendar, or out of
it, is a TrustRootError (exit 3), never an overflow (exit 5); and the age policy of check_age."""

from __future__ import annotations

import datetime
import json
import pathlib
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, SHIPPED, run_cli
from sigstore_offline.errors import TrustRootError
from sigstore_offline.trust import snapshot

UTC = datetime.timezone.utc
ARGV = ["--bundle", str(EXAMPLE_BUNDLE), "--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer", GITHUB_ISSUER,
        EXAMPLE_DIGEST]


def _hand_made(tmp_path: pathlib.Path, refreshed_at: object) -> pathlib.Path:
    """A snapshot without TUF metadata (only trusted_root.json), its refreshed_at set verbatim."""
    directory = tmp_path / "snap"
    directory.mkdir(exist_ok=True)
    data = (SHIPPED / "sigstore" / "trusted_root.json").read_bytes()
    (directory / "trusted_root.json").write_bytes(data)
    manifest = json.loads(snapshot.manifest_bytes({"trusted_root.json": data}, instance="sigstore", tuf_url="",
                                                  source="test", refreshed_at=datetime.datetime(2026, 1, 1, tzinfo=UTC),
                                                  tool_version="0", tuf_versions={}))
    manifest["refreshed_at"] = refreshed_at
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


EDGES = [
    "0001-01-01T00:00:00+01:00",   # before datetime.min once in UTC: OverflowError inside the parser
    "9999-12-31T23:59:59-01:00",   # after datetime.max once in UTC
    "9999-12-31T23:59:59Z",        # representable, but no arithmetic room: refused
    "0001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "1999-12-31T23:59:59Z",        # before Sigstore, before the window
    "2026-02-30T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00+99:99",
    "2026-01-01T00:00:00",         # no offset
    "2026-01-01",
    "",
    12,
    None,
    ["2026-01-01T00:00:00Z"],
]


@pytest.mark.parametrize("value", EDGES, ids=repr)
def test_calendar_edges_in_refreshed_at_are_exit_3(tmp_path: pathlib.Path, value: object) -> None:
    directory = _hand_made(tmp_path, value)
    with pytest.raises(TrustRootError, match="manifest"):
        snapshot.load_snapshot(directory)
    code, _, err = run_cli(["--trust-root", str(directory), *ARGV])
    assert code == 3 and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("value,expected", [
    ("2000-01-01T00:00:00Z", "2000-01-01T00:00:00Z"),
    ("2026-08-27T02:00:00+02:00", "2026-08-27T00:00:00Z"),
    ("2026-12-31T23:59:60Z", "2026-12-31T23:59:59Z"),       # a leap second is clamped
    ("2026-08-27T00:00:00.999999999Z", "2026-08-27T00:00:00Z"),
    ("9998-12-31T23:59:59Z", "9998-12-31T23:59:59Z"),
])
def test_times_inside_the_window_are_accepted(tmp_path: pathlib.Path, value: str, expected: str) -> None:
    _, info = snapshot.load_snapshot(_hand_made(tmp_path, value))
    assert snapshot.utc_text(info.refreshed_at) == expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(year=st.integers(0, 9999), month=st.integers(0, 13), day=st.integers(0, 32), hour=st.integers(0, 25),
       minute=st.integers(0, 61), second=st.integers(0, 61), sign=st.sampled_from("+-"),
       off_h=st.integers(0, 99), off_m=st.integers(0, 99))
def test_any_refreshed_at_is_accepted_or_exit_3(tmp_path: pathlib.Path, year: int, month: int, day: int, hour: int,
                                                minute: int, second: int, sign: str, off_h: int, off_m: int) -> None:
    value = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{sign}{off_h:02d}:{off_m:02d}"
    directory = _hand_made(tmp_path, value)
    try:
        _, info = snapshot.load_snapshot(directory)
    except TrustRootError:
        return
    assert snapshot.EARLIEST_REFRESH <= info.refreshed_at < snapshot.LATEST_REFRESH
    now = datetime.datetime(2026, 11, 30, tzinfo=UTC)
    info.as_json(now)
    try:
        snapshot.check_age(info, now, max_age_days=30)
    except TrustRootError:
        pass


@pytest.mark.parametrize("expires", ["2026-08-28T19:25:56+99:00", "9999-12-31T23:59:59-01:00", "soon", 5])
def test_calendar_edges_in_the_pinned_timestamp_are_exit_3(tmp_path: pathlib.Path, expires: object) -> None:
    copy = tmp_path / "sigstore"
    shutil.copytree(SHIPPED / "sigstore", copy)
    doc = json.loads((copy / "timestamp.json").read_bytes())
    doc["signed"]["expires"] = expires
    data = json.dumps(doc).encode()
    (copy / "timestamp.json").write_bytes(data)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["timestamp.json"].update(sha256=__import__("hashlib").sha256(data).hexdigest(), length=len(data))
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(TrustRootError, match="timestamp.json is not TUF timestamp metadata"):
        snapshot.load_snapshot(copy)


def _info(refreshed: datetime.datetime) -> snapshot.SnapshotInfo:
    pin = snapshot.PinnedFile("0" * 64, 1, True)
    return snapshot.SnapshotInfo(pathlib.Path("/x/sigstore"), "sigstore", "", "", refreshed, "0", {},
                                 {"trusted_root.json": pin})


NOW = datetime.datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_check_age_policy() -> None:
    young = _info(NOW - datetime.timedelta(days=95))
    assert snapshot.check_age(young, NOW) == []
    assert snapshot.check_age(young, NOW, max_age_days=400) == []
    with pytest.raises(TrustRootError, match="95 days ago, older than the limit of 60 days") as caught:
        snapshot.check_age(young, NOW, max_age_days=60)
    assert caught.value.exit_code == 3 and caught.value.step == "trust-root" and "refresh" in (caught.value.hint or "")
    old = _info(NOW - datetime.timedelta(days=200))
    [warning] = snapshot.check_age(old, NOW)
    assert warning.startswith("trust-root snapshot /x/sigstore is 200 days old (refreshed 2026-05-14T12:00:00Z)")
    assert "trust-root package" in warning
    assert snapshot.check_age(old, NOW, stale_after_days=365) == []
    future = _info(NOW + datetime.timedelta(days=3))
    [warning] = snapshot.check_age(future, NOW)
    assert "the clock or the manifest is wrong" in warning
    with pytest.raises(TrustRootError, match="its age is unknown"):
        snapshot.check_age(future, NOW, max_age_days=1000)
    assert snapshot.check_age(_info(NOW + datetime.timedelta(hours=2)), NOW, max_age_days=1) == []  # clock skew
    assert young.as_json(NOW)["stale"] is False and old.as_json(NOW)["stale"] is True
