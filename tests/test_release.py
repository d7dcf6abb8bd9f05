# SPDX-License-Identifier: Apache-2.0
"""The release (docs/release.md): ``python -m build`` twice with SOURCE_DATE_EPOCH gives the same
bytes; the sdist carries what packagers build from (man/, packaging/, trust-roots/, docs/, tests/
with tests/conformance/, LICENSE) and nothing of a working tree; the wheel carries the PEP 639
licence metadata and the trust roots; the test suite passes from the unpacked sdist, away from the
repository and without ../shared; and .github/workflows/release.yml passes zizmor.

``build`` runs ``--no-isolation`` with the lane's own backend: lane 1 the pinned ``build`` and
``hatchling`` of the test extra (the versions release.yml pins), lane 2 Debian 12's python3-build
and python3-hatchling 1.12 (what Debian's own build uses).
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from typing import List, Tuple

import pytest

from helpers import REPO, require, skip_by_design

EPOCH = "1764460800"  # 2025-11-30T00:00:00Z
WORKFLOW = REPO / ".github" / "workflows" / "release.yml"
LANE2 = os.environ.get("SIGSTORE_OFFLINE_LANE") == "debian12"


def _build(out: pathlib.Path) -> Tuple[pathlib.Path, pathlib.Path]:
    """sdist, then the wheel built from that sdist (build's default), into ``out``."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    env.pop("SIGSTORE_OFFLINE_REQUIRE_ALL_LANES", None)
    result = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--skip-dependency-check",
                             "--outdir", str(out), str(REPO)], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return sdist, wheel


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Tuple[pathlib.Path, pathlib.Path]:
    try:
        import build  # noqa: F401
        import hatchling  # noqa: F401
    except ImportError as error:
        require(False, f"python -m build needs build and hatchling ({error}): the test extra, or apt's python3-build python3-hatchling")
    return _build(tmp_path_factory.mktemp("dist"))


def test_build_is_reproducible(dists: Tuple[pathlib.Path, pathlib.Path], tmp_path: pathlib.Path) -> None:
    again = _build(tmp_path)
    for first, second in zip(dists, again):
        assert first.name == second.name
        assert first.read_bytes() == second.read_bytes(), f"{first.name} differs between two builds"


def test_sdist_carries_what_packagers_build_from(dists: Tuple[pathlib.Path, pathlib.Path]) -> None:
    sdist, _ = dists
    with tarfile.open(sdist) as tar:
        members = {m.name: m for m in tar.getmembers()}
    top = sdist.name[: -len(".tar.gz")]
    names = {name[len(top) + 1:] for name in members if name.startswith(top + "/")}
    for required in ("LICENSE", "PKG-INFO", "pyproject.toml", "README.md", "man/verify-offline.1", "man/sigstoreverify.1",
                     "packaging/debian/rules", "packaging/rpm/macros.sigstoreverify", "packaging/gentoo/LICENSE.GPL-2",
                     "packaging/gentoo/eclass/verify-sig.eclass", "trust-roots/sigstore/trusted_root.json",
                     "docs/release.md", "docs/packagers.md", "docs/examples/pypi_attestation_models-0.0.4a2.tar.gz.sigstore",
                     "tests/helpers.py", "tests/run-all.sh", "tests/conformance/verify-bundle",
                     "tests/testinstance/__init__.py", ".github/workflows/release.yml", "src/sigstore_offline/__init__.py"):
        assert required in names, required
    junk = [n for n in names if re.search(r"(^|/)(__pycache__|\.venv[^/]*|\.hypothesis|\.git)(/|$)|\.pyc$", n)]
    assert not junk, junk
    for executable in ("packaging/debian/rules", "tests/conformance/verify-bundle", "tests/run-all.sh"):
        assert members[f"{top}/{executable}"].mode & 0o111, executable
    assert {m.mtime for m in members.values()} == {int(EPOCH)}


def test_wheel_has_pep639_metadata_and_the_trust_roots(dists: Tuple[pathlib.Path, pathlib.Path]) -> None:
    _, wheel = dists
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        headers = zf.read(metadata).decode().split("\n\n", 1)[0].splitlines()
        (licence,) = [n for n in names if n.endswith("LICENSE")]
        text = zf.read(licence).decode()
    assert "License-Expression: Apache-2.0 AND MIT" in headers
    assert "License-File: LICENSE" in headers and "License-File: LICENSE.MIT" in headers
    assert not [h for h in headers if h.startswith("License: ")], headers
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "sigstore_offline/trust_roots/sigstore/trusted_root.json" in names
    assert not [n for n in names if "gentoo" in n or n.startswith("tests/")], "the wheel is the module only"


def test_licence_files_are_the_standard_texts() -> None:
    apache = (REPO / "LICENSE").read_text()
    assert apache.lstrip().startswith("Apache License\n") and "END OF TERMS AND CONDITIONS" in apache
    gpl = (REPO / "packaging" / "gentoo" / "LICENSE.GPL-2").read_text()
    assert "GNU GENERAL PUBLIC LICENSE" in gpl and "Version 2, June 1991" in gpl
    for path in [*(REPO / "packaging" / "gentoo").rglob("*.ebuild"), *(REPO / "packaging" / "gentoo").rglob("*.eclass")]:
        assert "Distributed under the terms of the GNU General Public License v2" in path.read_text(), path
    copyright = (REPO / "packaging" / "debian" / "copyright").read_text()
    assert "Files: packaging/gentoo/*\n" in copyright and "License: GPL-2\n" in copyright


def _summary(output: str) -> str:
    lines = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    return lines[-1] if lines else output[-2000:]


def test_suite_passes_from_the_unpacked_sdist(dists: Tuple[pathlib.Path, pathlib.Path], tmp_path: pathlib.Path) -> None:
    """Away from the repository (no ../shared beside it): what needs the shared vectors skips
    with its reason. Left out here, to keep CI short, and run from the repository in the same
    CI: the packaging tests (they build .debs and RPMs and run Portage: minutes), this module,
    the two property/crash suites that take half a minute each without depending on where the
    tree is (test_distname, test_refresh_crash), and the random-input fuzz tests (what they find
    belongs to test_fuzz_bundles itself, not to the sdist). The release workflow's test job runs
    all of it from the sdist."""
    if LANE2:
        skip_by_design(True, "lane 1 runs the suite from the sdist; lane 2 builds the sdist with Debian's hatchling above")
    with tarfile.open(dists[0]) as tar:
        tar.extractall(tmp_path, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(tmp_path)
    (tree,) = tmp_path.iterdir()
    assert not (tree.parent / "shared").exists()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGSTORE_OFFLINE_", "PYTEST_"))}
    env["PYTHONPATH"] = str(tree / "src")  # the sdist's module, ahead of the lane's editable install
    left_out = [*(tree / "tests").glob("test_packaging_*.py"), *(tree / "tests").glob("test_release.py"),
                tree / "tests" / "test_distname.py", tree / "tests" / "test_refresh_crash.py",
                tree / "tests" / "test_fuzz_bundles.py"]
    ignore: List[str] = [f"--ignore=tests/{p.name}" for p in left_out]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "-m", "not slow",
                             *ignore, "tests"],
                            cwd=tree, env=env, capture_output=True, text=True, timeout=900)
    summary = _summary(result.stdout)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "failed" not in summary and "error" not in summary, summary
    assert "the shared test vectors live beside the repository" in result.stdout, summary
    imported = subprocess.run([sys.executable, "-c", "import sigstore_offline; print(sigstore_offline.__file__)"],
                              cwd=tree, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert imported.startswith(str(tree)), imported


def test_release_workflow_passes_zizmor() -> None:
    if LANE2:
        skip_by_design(True, "zizmor comes from PyPI (the test extra): lane 1 runs it")
    zizmor = shutil.which("zizmor", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("zizmor")
    require(zizmor is not None, "zizmor is not installed (pip install zizmor; it is in the test extra)")
    result = subprocess.run([zizmor, "--offline", "--persona=pedantic", "--no-progress", str(WORKFLOW)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_release_workflow_does_what_docs_release_md_says() -> None:
    text = WORKFLOW.read_text()
    assert re.search(r"^permissions: \{\}$", text, re.M), "no default token permissions"
    jobs = dict(re.findall(r"^  ([\w-]+):\n((?:    .*\n|\n)+)", text.split("\njobs:\n", 1)[1], re.M))
    assert set(jobs) == {"build", "test", "publish", "github-release"}, sorted(jobs)
    assert [name for name, body in jobs.items() if "id-token: write" in body] == ["publish", "github-release"]
    assert "SOURCE_DATE_EPOCH" in jobs["build"] and "cmp " in jobs["build"]
    assert "pypa/gh-action-pypi-publish@" in jobs["publish"] and "attestations: true" in jobs["publish"]
    assert "environment:" in jobs["publish"] and "password" not in jobs["publish"], "Trusted Publishing, no token"
    assert 'sigstore sign --bundle "${sdist}.sigstore"' in jobs["github-release"]
    assert "verify-offline\" --bundle" in jobs["github-release"]
    for uses in re.findall(r"uses: (\S+)", text):
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses), f"not pinned to a commit: {uses}"
