# SPDX-License-Identifier: Apache-2.0
"""The official sigstore-conformance harness, run in place against tests/conformance/verify-bundle.

../shared/conformance-harness is sigstore-conformance's own pytest suite (see its README.md). It runs as a
subprocess in its own venv -- ``.venv-conformance``, which tests/run-all.sh makes from the harness's pinned
requirements.txt, or the Python named by SIGSTORE_OFFLINE_CONFORMANCE_PYTHON -- with ``--skip-signing``. The
ENTRYPOINT is the adapter itself, run as a program by the ``python3`` of the lane under test (its directory
first on PATH), so lane 2 checks Debian's python3-cryptography too.

Checked, from the harness's JSON report and from the adapter's call log: all 140 verification tests pass
(70 cases by path and by digest) and nothing fails; every happy path exited 0 and every ``_fail`` case was
rejected for cause (exit 1, 3 or 4: never a usage error, never a bug), so the ``_fail`` cases do not pass
merely because every call fails; only the signing tests (and the networked CPython release test) are
skipped; and the run writes nothing into ../shared (read-only in CI: no cache, no bytecode, temporary
workspaces and basetemp under pytest's tmp_path). A missing harness or venv skips, except under
SIGSTORE_OFFLINE_REQUIRE_ALL_LANES=1 (CI), where it fails.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
from typing import Any, Dict, List, Tuple

import pytest

from helpers import REPO, SHARED, unavailable

pytestmark = pytest.mark.conformance

ADAPTER = REPO / "tests" / "conformance" / "verify-bundle"
HARNESS = SHARED / "conformance-harness"
CASES_DIR = HARNESS / "test" / "assets" / "bundle-verify"
CASES = 70  # sigstore-conformance a73de49: 21 happy paths, 49 _fail cases
HARNESS_MODULES = ("pytest", "pytest_jsonreport", "pytest_subtests", "sigstore_protobuf_specs", "platformdirs",
                   "urllib3", "cryptography")
LOG_ENV = "SIGSTORE_OFFLINE_CONFORMANCE_LOG"
# Variables of ours or of a CI that would change what the harness runs or where it writes.
DROPPED_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS",
               "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "GITHUB_WORKSPACE", "GHA_SIGSTORE_CONFORMANCE_XFAIL", LOG_ENV)
VERIFY_TEST = re.compile(r"test/test_bundle\.py::test_verify\[(PATH|DIGEST)-(.+)\]")


def _harness_python() -> pathlib.Path:
    configured = os.environ.get("SIGSTORE_OFFLINE_CONFORMANCE_PYTHON")
    return pathlib.Path(configured) if configured else REPO / ".venv-conformance" / "bin" / "python"


def _snapshot(root: pathlib.Path) -> Dict[str, Tuple[int, int]]:
    """Every path under root with its size and mtime: the run must not change ../shared."""
    seen = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            st = os.lstat(os.path.join(folder, name))
            seen[os.path.relpath(os.path.join(folder, name), root)] = (st.st_size, st.st_mtime_ns)
    return seen


def _preflight(env: Dict[str, str]) -> pathlib.Path:
    if not (HARNESS / "test" / "conftest.py").is_file():
        unavailable(f"the official conformance harness is absent ({HARNESS}; it lives in ../shared beside the"
                     " repository)")
    python = _harness_python()
    if not python.exists():
        unavailable(f"the harness's venv is absent ({python}): tests/run-all.sh makes it with"
                     f" 'python3 -m venv .venv-conformance && .venv-conformance/bin/pip install -r"
                     f" {HARNESS / 'requirements.txt'}'")
    probe = subprocess.run([str(python), "-c", f"import {', '.join(HARNESS_MODULES)}"], env=env,
                           capture_output=True, text=True)
    if probe.returncode != 0:
        unavailable(f"{python} lacks the harness's requirements ({HARNESS / 'requirements.txt'}):"
                     f" {probe.stderr.strip().splitlines()[-1:]}")
    # The adapter's "#!/usr/bin/env python3" must reach this lane's Python and its sigstore_offline.
    import sigstore_offline

    python3 = shutil.which("python3", path=env["PATH"])
    where = subprocess.run([python3 or "python3", "-c", "import sigstore_offline; print(sigstore_offline.__file__)"],
                           env=env, capture_output=True, text=True)
    if where.returncode != 0 or os.path.realpath(where.stdout.strip()) != os.path.realpath(sigstore_offline.__file__):
        pytest.fail(f"the adapter would run {python3}, which does not import this lane's sigstore_offline"
                    f" ({sigstore_offline.__file__}): {where.stdout.strip() or where.stderr.strip()}")
    return python


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """One run of the harness for the whole module: its report, the adapter's calls, time, ../shared before/after."""
    work = tmp_path_factory.mktemp("conformance")
    (work / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env.update({
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", os.defpath),
        "PYTHONDONTWRITEBYTECODE": "1",  # nothing into ../shared's __pycache__
        "TMPDIR": str(work / "tmp"),  # the harness's per-test workspaces
        "GHA_SIGSTORE_CONFORMANCE_SKIP_CPYTHON_RELEASE_TESTS": "true",  # needs a CI checkout of release data
    })
    python = _preflight(env)
    report, log = work / "report.json", work / "calls.jsonl"
    env[LOG_ENV] = str(log)
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--rootdir={HARNESS}",
               f"--basetemp={work / 'basetemp'}", f"--entrypoint={ADAPTER}", "--skip-signing",
               "--json-report", f"--json-report-file={report}", "test"]
    before = _snapshot(SHARED)
    started = time.monotonic()
    result = subprocess.run(command, cwd=HARNESS, env=env, capture_output=True, text=True, timeout=1500)
    seconds = time.monotonic() - started
    after = _snapshot(SHARED)
    output = result.stdout[-6000:] + result.stderr[-3000:]
    assert report.exists(), f"the harness wrote no report (exit {result.returncode}):\n{output}"
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return {"result": result, "output": output, "report": json.loads(report.read_text()), "calls": calls,
            "seconds": seconds, "before": before, "after": after}


def _cases() -> List[str]:
    return sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())


def test_all_verification_tests_pass(harness: Dict[str, Any]) -> None:
    report, output = harness["report"], harness["output"]
    outcomes = {t["nodeid"]: t["outcome"] for t in report["tests"]}
    verify = {node: outcome for node, outcome in outcomes.items() if VERIFY_TEST.fullmatch(node)}
    failed = sorted(node for node, outcome in verify.items() if outcome != "passed")
    assert not failed, f"{len(failed)} verification tests did not pass: {failed}\n{output}"
    cases = _cases()
    assert len(cases) == CASES
    assert sorted(verify) == sorted(f"test/test_bundle.py::test_verify[{mode}-{case}]"
                                    for case in cases for mode in ("PATH", "DIGEST"))
    assert len(verify) == 2 * CASES == 140
    summary = report["summary"]
    assert summary.get("passed") == 140, summary
    assert not summary.get("failed") and not summary.get("error") and not summary.get("xpassed"), summary
    assert report["exitcode"] == 0 and harness["result"].returncode == 0, output
    # Everything else is a signing test skipped by --skip-signing, or the release-data test.
    others = {node: outcome for node, outcome in outcomes.items() if node not in verify}
    assert others and all(outcome == "skipped" for outcome in others.values()), others
    assert any("test_sign" in node or "test_simple" in node for node in others)


def test_happy_paths_verify_and_fail_cases_are_rejected_for_cause(harness: Dict[str, Any]) -> None:
    calls = harness["calls"]
    assert len(calls) == 2 * CASES, f"{len(calls)} adapter calls logged\n{harness['output']}"
    seen: Dict[str, List[str]] = {}
    wrong = []
    for call in calls:
        argv, code = call["argv"], call["exit"]
        assert argv[0] == "verify-bundle" and "--bundle" in argv, argv
        case = pathlib.Path(argv[argv.index("--bundle") + 1]).parent.name
        seen.setdefault(case, []).append("DIGEST" if argv[-1].startswith("sha256:") else "PATH")
        expected = (1, 3, 4) if case.endswith("_fail") else (0,)
        if code not in expected:
            wrong.append((case, argv[-1], code))
    assert not wrong, f"calls with the wrong exit code (case, artifact, exit): {wrong}"
    assert {case: sorted(modes) for case, modes in seen.items()} == {c: ["DIGEST", "PATH"] for c in _cases()}
    happy = sum(1 for call in calls if call["exit"] == 0)
    assert happy == 2 * sum(1 for c in _cases() if not c.endswith("_fail")) == 42


def test_harness_writes_nothing_into_shared(harness: Dict[str, Any]) -> None:
    before, after = harness["before"], harness["after"]
    assert sorted(set(after) - set(before)) == [] and sorted(set(before) - set(after)) == []
    assert [path for path in before if before[path] != after[path]] == []


def test_harness_run_time(harness: Dict[str, Any], record_property: Any) -> None:
    """Recorded for the report (pytest --junitxml); CI must stay well under its budget."""
    record_property("conformance_harness_seconds", round(harness["seconds"], 1))
    assert harness["seconds"] < 900, f"the conformance harness took {harness['seconds']:.0f} s"
