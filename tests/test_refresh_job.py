# SPDX-License-Identifier: Apache-2.0
"""packaging/refresh-job end to end: ``refresh-and-verify`` runs the real ``sigstore-offline`` (clock
fixed at 2026-08-27 by a wrapper, as a job run that day) against the real TUF repositories in
../shared/tuf served on 127.0.0.1 as the mirror (the units are linted in test_refresh_job_units.py).

* an unchanged run is quiet: nothing on stdout/stderr, no NEEDS-REVIEW, exit 0, snapshot verified;
* a change is flagged: the sigstore 4.5.1 wheel's older staging trusted root moves to targets v28,
  the job says so on stderr, creates NEEDS-REVIEW, and the report holds the diff;
* a tampered repository (one target's bytes changed) leaves the snapshot byte for byte as it was
  and the job fails with the refresh's exit status 3.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
from typing import Dict, Tuple

import pytest

from helpers import REPO, SHARED, SHIPPED, need_module, need_shared, need_tuf, package_path

need_tuf()

from sigstore_offline.trust import snapshot  # noqa: E402
from tuf_helpers import Server  # noqa: E402

JOB = REPO / "packaging" / "refresh-job"
TUF = SHARED / "tuf"
TESTS = pathlib.Path(__file__).resolve().parent
PROD_TRUSTED_ROOT = "6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66"

WRAPPER = """#!{python}
# sigstore-offline as the refresh job runs it, on 2026-08-27 (test only: python-tuf's reference time
# and the admin command's clock are fixed here, never in the product).
import datetime, sys
sys.path.insert(0, {tests!r})
from tuf_helpers import fixed_clock
from sigstore_offline.cli.admin import main
with fixed_clock(datetime.datetime(2026, 8, 27, tzinfo=datetime.timezone.utc)):
    code = main()
sys.exit(code)
"""


@pytest.fixture
def mirror(tmp_path: pathlib.Path) -> pathlib.Path:
    """A directory whose <instance> entries are symlinks to ../shared/tuf (served in place)."""
    need_shared(TUF / "prod")
    root = tmp_path / "mirror"
    root.mkdir()
    (root / "sigstore").symlink_to(TUF / "prod")
    (root / "sigstage").symlink_to(TUF / "staging")
    return root


def _tool(tmp_path: pathlib.Path) -> pathlib.Path:
    tool = tmp_path / "bin" / "sigstore-offline"
    tool.parent.mkdir(exist_ok=True)
    tool.write_text(WRAPPER.format(python=sys.executable, tests=str(TESTS)))
    tool.chmod(0o755)
    return tool


def _job(tmp_path: pathlib.Path, roots: pathlib.Path, url: str, *instances: str) -> Tuple[int, str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": package_path(), "LC_ALL": "C",
           "SIGSTORE_OFFLINE_TRUST_ROOTS": str(roots), "REVIEW": str(tmp_path / "review"),
           "SIGSTORE_OFFLINE": str(_tool(tmp_path)), "SIGSTORE_OFFLINE_TUF_MIRROR": url}
    result = subprocess.run(["sh", str(JOB / "refresh-and-verify"), *instances], capture_output=True, text=True,
                            env=env, timeout=300)
    return result.returncode, result.stdout, result.stderr


def _tree(directory: pathlib.Path) -> Dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _reports(tmp_path: pathlib.Path, instance: str) -> str:
    [report] = sorted((tmp_path / "review").glob(f"*-{instance}.txt"))
    return report.read_text()


def test_an_unchanged_run_is_quiet(tmp_path: pathlib.Path, mirror: pathlib.Path) -> None:
    roots = tmp_path / "roots"
    for instance in ("sigstore", "sigstage"):
        shutil.copytree(SHIPPED / instance, roots / instance)
    with Server(directory=str(mirror)) as server:
        code, out, err = _job(tmp_path, roots, server.url, "sigstore", "sigstage")
    assert (code, out, err) == (0, "", "")
    assert not (tmp_path / "review" / "NEEDS-REVIEW").exists()
    for instance in ("sigstore", "sigstage"):
        report = _reports(tmp_path, instance)
        assert "no change to the trust material or the TUF metadata" in report
        assert f"OK: {roots / instance}" in report and "== exit 0" in report
        for name in ("trusted_root.json", "signing_config.v0.2.json", "root.json", "timestamp.json"):
            assert (roots / instance / name).read_bytes() == (SHIPPED / instance / name).read_bytes()


def test_a_change_is_flagged_for_review(tmp_path: pathlib.Path, mirror: pathlib.Path) -> None:
    """The staging snapshot the project shipped before (the sigstore 4.5.1 wheel's files) moves to
    what staging serves: flagged, with the added CA, log, CT log and TSA in the report."""
    sigstore = need_module("sigstore", "the test extra: the sigstore 4.5.1 wheel holds the older staging trust root")
    wheel = pathlib.Path(sigstore.__file__).parent / "_store" / "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev"
    old = tmp_path / "roots" / "sigstage"
    old.mkdir(parents=True)
    for name in ("trusted_root.json", "root.json", "signing_config.v0.2.json"):
        shutil.copyfile(wheel / name, old / name)
    (old / "manifest.json").write_bytes(snapshot.build_manifest(
        old, instance="sigstage", tuf_url="https://tuf-repo-cdn.sigstage.dev", source="sigstore 4.5.1 wheel",
        refreshed_at=datetime.datetime(2026, 8, 1, tzinfo=datetime.timezone.utc), tool_version="0"))
    with Server(directory=str(mirror)) as server:
        code, out, err = _job(tmp_path, tmp_path / "roots", server.url, "sigstage")
    assert code == 0 and out == "", err
    assert err.startswith("sigstage: trust material changed; review ") and len(err.splitlines()) == 1
    assert (tmp_path / "review" / "NEEDS-REVIEW").exists()
    report = _reports(tmp_path, "sigstage")
    for line in ("+ Fulcio CA added: https://fulcio.sigstage.dev", "+ Rekor log added: https://log2026-1.us-east4",
                 "+ CT log added: https://log2026-1.us-east4.ctfe.sigstage.dev", "+ TSA added:",
                 "the trust material changed: review the lines above"):
        assert line in report
    assert (old / "trusted_root.json").read_bytes() == (SHIPPED / "sigstage" / "trusted_root.json").read_bytes()
    assert "trusted_root.json" in report and f"OK: {old}" in report


def test_a_tampered_repository_leaves_the_snapshot_and_fails(tmp_path: pathlib.Path, mirror: pathlib.Path) -> None:
    roots = tmp_path / "roots"
    shutil.copytree(SHIPPED / "sigstore", roots / "sigstore")
    before = _tree(roots / "sigstore")
    target = f"targets/{PROD_TRUSTED_ROOT}.trusted_root.json"
    served = (TUF / "prod" / target).read_bytes()
    tampered = served.replace(b"https://rekor.sigstore.dev", b"https://rekor.sigstore.xyz")
    assert len(tampered) == len(served) and hashlib.sha256(tampered).hexdigest() != PROD_TRUSTED_ROOT
    with Server({f"sigstore/{target}": tampered}, directory=str(mirror)) as server:
        code, out, err = _job(tmp_path, roots, server.url, "sigstore")
    assert code == 3 and out == ""
    assert "sigstore: exit 3, the snapshot was left as it was" in err
    assert not (tmp_path / "review" / "NEEDS-REVIEW").exists()
    report = _reports(tmp_path, "sigstore")
    assert "length or hash mismatch" in report and "== verify" not in report
    assert _tree(roots / "sigstore") == before
    assert sorted(p.name for p in roots.iterdir()) == ["sigstore"]  # no temporary directory left
