# SPDX-License-Identifier: Apache-2.0
"""The helpers through which tests ask for what the checkout alone does not give (tests/helpers.py):
a missing prerequisite is a skip on a user's machine and a failure under
SIGSTORE_OFFLINE_REQUIRE_ALL_LANES=1 (CI), so a skip cannot hide lost coverage there."""

from __future__ import annotations

import pathlib
import re
import sys

import pytest

import helpers
from helpers import REPO

SKIPPED = pytest.skip.Exception
FAILED = pytest.fail.Exception


@pytest.fixture(params=[False, True], ids=["user", "ci"])
def require_all(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    monkeypatch.setattr(helpers, "REQUIRE_ALL_LANES", request.param)
    monkeypatch.setattr(helpers, "LANE", "")
    return bool(request.param)


def _outcome(require_all: bool) -> type:
    return FAILED if require_all else SKIPPED


def test_require(require_all: bool) -> None:
    helpers.require(True, "never reported")
    with pytest.raises(_outcome(require_all), match="the probe was refused"):
        helpers.require(False, "the probe was refused")


def test_missing_shared_data(require_all: bool, tmp_path: pathlib.Path) -> None:
    assert helpers.need_shared(tmp_path) == tmp_path
    with pytest.raises(_outcome(require_all), match="no-such-vectors is absent"):
        helpers.need_shared(tmp_path / "no-such-vectors")


def test_missing_tool(require_all: bool, tmp_path: pathlib.Path) -> None:
    with pytest.raises(_outcome(require_all), match=r"no-such-tool is not installed \(apt-get install x\)"):
        helpers.need_tool("no-such-tool", "apt-get install x")
    with pytest.raises(_outcome(require_all), match="sh is not installed"):
        helpers.need_tool("sh", "apt-get install dash", path=str(tmp_path))  # an empty search path


def test_refused_network_namespace(require_all: bool, tmp_path: pathlib.Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An ``unshare`` that refuses (as without root or user namespaces) is unavailable, not a pass."""
    fake = tmp_path / "unshare"
    fake.write_text("#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(_outcome(require_all), match="cannot make a network namespace.*Operation not permitted"):
        helpers.need_no_network()


def test_missing_module(require_all: bool) -> None:
    assert helpers.need_module("json", "stdlib") is sys.modules["json"]
    with pytest.raises(_outcome(require_all), match=r"no_such_module\.sub is not installed \(an extra\)"):
        helpers.need_module("no_such_module.sub", "an extra")


def test_module_absent_by_design_in_a_lane(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lane 2 (Debian's Python) has no python-tuf: a skip there even in CI, and only there."""
    monkeypatch.setattr(helpers, "REQUIRE_ALL_LANES", True)
    monkeypatch.setattr(helpers, "LANE", "debian12")
    with pytest.raises(SKIPPED, match="the debian12 lane has no no_such_module by design"):
        helpers.need_module("no_such_module", "an extra", absent_in_lane="debian12")
    monkeypatch.setattr(helpers, "LANE", "")
    with pytest.raises(FAILED):
        helpers.need_module("no_such_module", "an extra", absent_in_lane="debian12")


def test_a_broken_module_is_an_error_not_a_skip(require_all: bool, tmp_path: pathlib.Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the module itself being absent counts: a module that is there but fails to import
    (here: it needs something that is missing) raises, whatever the lane."""
    (tmp_path / "half_installed.py").write_text("import no_such_dependency_of_it\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_of_it"):
        helpers.need_module("half_installed", "an extra")


def test_no_test_skips_on_its_own() -> None:
    """Every skip goes through tests/helpers.py, except the one lane-specific check that states
    its lane (test_sandbox.py::test_lane_uses_what_it_should)."""
    allowed = {("test_sandbox.py", 'pytest.skip("only meaningful in the Debian 12 lane (tests/run-all.sh)")')}
    pattern = re.compile(r"pytest\.skip\(.*|pytest\.importorskip\(.*|pytest\.mark\.skip\w*|except Exception\b.*")
    found = set()
    for path in sorted((REPO / "tests").rglob("*.py")):
        if path.name in ("helpers.py", "test_prerequisites.py"):
            continue
        for line in path.read_text().splitlines():
            match = pattern.search(line)
            if match and not line.lstrip().startswith("#") and '``' not in line:
                found.add((path.name, match.group(0).strip()))
    assert found == allowed, f"skips outside tests/helpers.py: {sorted(found - allowed)}"
