# SPDX-License-Identifier: Apache-2.0
"""RPM: the tool's own spec (packaging/rpm/sigstore-offline.spec) with the real ``rpmbuild -ba``,
then ``rpmlint`` on the spec and the packages.

The source is the release sdist, built here with ``python -m build --sdist`` (as Source0). The
build runs inside ``unshare -n`` (no network) with ``HOME`` pointing nowhere, ``--nodeps`` (the
BuildRequires are Fedora packages), and ``--without sigstore``: no release of this project has
been signed yet, so there is no real bundle for its sdist (the bootstrap build, as the spec
says); %sigstoreverify itself is tested by tests/test_packaging_rpm.py.

Debian's rpm 4.18 has rpm's own macros (``%autosetup``, ``%bcond_without``, ``%_rpmmacrodir``,
``%generate_buildrequires``, python.attr and pythondistdeps.py for the automatic
``python3dist()`` dependencies) but none of Fedora's python-rpm-macros / pyproject-rpm-macros.
The test loads, with ``--load``, a file of minimal substitutes that do the same job with Debian's
/usr/bin/python3 (apt's python3-build, python3-installer, python3-hatchling,
python3-cryptography, python3-pytest, python3-hypothesis):

- ``%python3``, ``%python3_version``, ``%python3_sitelib`` (Fedora's layout:
  /usr/lib/python3.X/site-packages), ``%pypi_source NAME`` (the files.pythonhosted.org URL);
- ``%pyproject_buildrequires``: prints ``python3dist(hatchling)`` (Fedora asks the backend);
- ``%pyproject_wheel``: ``python3 -m build --wheel --no-isolation`` (Fedora: ``pip wheel``);
- ``%pyproject_install``: installs the wheel with ``installer`` into %{python3_sitelib} and
  %{_bindir} with a ``#!/usr/bin/python3 -sP`` shebang (Fedora: pip, then %py3_shebang_fix with
  the default ``-sP`` flags);
- ``%pyproject_save_files -l NAME``: writes %{pyproject_files} with the package directory, the
  dist-info files and its License-File as ``%license`` (Fedora's script reads RECORD the same way);
- ``%pyproject_check_import -t``: imports the top-level module from the buildroot;
- ``%pytest``: pytest with the buildroot's site-packages on PYTHONPATH and its bin on PATH;
- ``%__os_install_post``: only brp-compress (man pages), run by bash: Debian's list runs it with
  dash, which lacks ``read -d``, and leaves the pages uncompressed; Fedora's also byte-compiles
  (brp-python-bytecompile), which is left out here.

%check runs the smoke test (the installed verify-offline verifies a real bundle by digest) and
the suite against the buildroot (about 25 s here; SIGSTORE_OFFLINE_RPM_SUITE=0 builds
``--without tests``). The packages are unpacked with rpm2cpio (nothing is
installed) and the unpacked verify-offline runs under /usr/bin/python3.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
from typing import Dict, List

import pytest

from helpers import EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, REPO, require

SPEC = REPO / "packaging" / "rpm" / "sigstore-offline.spec"
SYSTEM_PYTHON = "/usr/bin/python3"
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
VERSION = "0.1.0"
NVR = f"{VERSION}-1"

INSTALL = r'''
import glob, os, sys
from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile
wheeldir, buildroot, sitelib, bindir, prefix = sys.argv[1:6]
scheme = {"purelib": sitelib, "platlib": sitelib, "scripts": bindir, "data": prefix, "headers": prefix + "/include"}
destination = SchemeDictionaryDestination(scheme, interpreter="/usr/bin/python3", script_kind="posix",
                                          destdir=buildroot, bytecode_optimization_levels=())
for wheel in glob.glob(os.path.join(wheeldir, "*.whl")):
    with WheelFile.open(wheel) as source:
        install(source, destination, {"INSTALLER": b"rpm\n"})
# %py3_shebang_fix with Fedora's default %py3_shebang_flags (sP).
for script in glob.glob(buildroot + bindir + "/*"):
    with open(script, "rb") as stream:
        first, rest = stream.read().split(b"\n", 1)
    if first.startswith(b"#!") and b"python" in first:
        with open(script, "wb") as stream:
            stream.write(b"#!/usr/bin/python3 -sP\n" + rest)
'''
SAVE_FILES = r'''
import glob, os, sys
buildroot, sitelib, out, *args = sys.argv[1:]
licence = "-l" in args
names = [a for a in args if a != "-l"]
lines = []
for name in names:
    assert os.path.isdir(buildroot + sitelib + "/" + name), name
    lines.append(f"{sitelib}/{name}/")
for info in glob.glob(buildroot + sitelib + "/*.dist-info"):
    lines.append("%dir " + info[len(buildroot):])
    for root, dirs, files in os.walk(info):
        for d in dirs:
            lines.append("%dir " + os.path.join(root, d)[len(buildroot):])
        for f in files:
            path = os.path.join(root, f)[len(buildroot):]
            lines.append(("%license " if "/licenses/" in path else "") + path)
if licence and not any(line.startswith("%license ") for line in lines):
    sys.exit("pyproject_save_files: -l given but no License-File in the dist-info")
with open(out, "w") as stream:
    stream.write("\n".join(lines) + "\n")
'''


def _substitutes(scripts: pathlib.Path, python_version: str) -> str:
    (scripts / "pyproject_install.py").write_text(INSTALL)
    (scripts / "pyproject_save_files.py").write_text(SAVE_FILES)
    return f"""\
%python3 {SYSTEM_PYTHON}
%python3_version {python_version}
%python3_sitelib /usr/lib/python%{{python3_version}}/site-packages
%pypi_source() %{{lua: local n = rpm.expand("%1"); print("https://files.pythonhosted.org/packages/source/" .. n:sub(1, 1) .. "/" .. n .. "/" .. n .. "-" .. rpm.expand("%{{version}}") .. ".tar.gz")}}
%_pyproject_wheeldir %{{_builddir}}/pyproject-wheeldir
%pyproject_files %{{_builddir}}/pyproject-files
%pyproject_buildrequires echo 'python3dist(hatchling)'
%pyproject_wheel %{{python3}} -m build --wheel --no-isolation --skip-dependency-check --outdir %{{_pyproject_wheeldir}} .
%pyproject_install %{{python3}} {scripts}/pyproject_install.py %{{_pyproject_wheeldir}} %{{buildroot}} %{{python3_sitelib}} %{{_bindir}} %{{_prefix}}
%pyproject_save_files(l) %{{python3}} {scripts}/pyproject_save_files.py %{{buildroot}} %{{python3_sitelib}} %{{pyproject_files}} %{{-l}} %*
%pyproject_check_import(e:t) PYTHONPATH=%{{buildroot}}%{{python3_sitelib}} %{{python3}} -s -c 'import sigstore_offline'
%__os_install_post bash /usr/lib/rpm/brp-compress %{{_prefix}}
%pytest PYTHONPATH="%{{buildroot}}%{{python3_sitelib}}" PATH="%{{buildroot}}%{{_bindir}}:$PATH" PYTHONDONTWRITEBYTECODE=1 %{{python3}} -m pytest
"""


def _need(tool: str, apt: str) -> str:
    path = shutil.which(tool, path=SYSTEM_PATH)
    require(path is not None, f"{tool} is not installed (apt-get install {apt})")
    return str(path)


class Built:
    def __init__(self, top: pathlib.Path, root: pathlib.Path, log: str) -> None:
        self.top, self.root, self.log = top, root, log
        self.suite = False

    def rpm(self, name: str) -> pathlib.Path:
        return self.top / "RPMS" / "noarch" / f"{name}-{NVR}.noarch.rpm"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    rpmbuild = _need("rpmbuild", "rpm")
    _need("unshare", "util-linux")
    modules = subprocess.run([SYSTEM_PYTHON, "-c", "import build, installer, hatchling, cryptography, pytest, hypothesis; "
                              "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True)
    require(modules.returncode == 0, "the RPM build uses Debian's /usr/bin/python3 with apt-get install python3-build "
            f"python3-installer python3-hatchling python3-cryptography python3-pytest python3-hypothesis ({modules.stderr.strip()[-200:]})")
    python_version = modules.stdout.strip()
    top = tmp_path_factory.mktemp("rpm")
    for sub in ("SOURCES", "SPECS", "subst"):
        (top / sub).mkdir()
    env = {"PATH": SYSTEM_PATH, "HOME": str(top / "no-such-home"), "LC_ALL": "C.UTF-8", "SOURCE_DATE_EPOCH": "1764460800"}
    sdist = subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--skip-dependency-check",
                            "--outdir", str(top / "SOURCES"), str(REPO)], capture_output=True, text=True,
                           env={**os.environ, "SOURCE_DATE_EPOCH": "1764460800"})
    if sdist.returncode != 0:
        require(False, f"python -m build --sdist failed (build and hatchling: the test extra): {sdist.stderr[-500:]}")
    for source in (top / "SOURCES").iterdir():
        source.chmod(0o644)  # as downloaded (Debian's python3-build leaves its tempfile's 0600)
    shutil.copyfile(SPEC, top / "SPECS" / SPEC.name)
    macros = top / "subst" / "macros.fedora-substitutes"
    macros.write_text(_substitutes(top / "subst", python_version))
    prefix = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-r", "-n"]
    suite = os.environ.get("SIGSTORE_OFFLINE_RPM_SUITE", "1") != "0"
    argv = [*prefix, rpmbuild, f"--load={macros}", "--define", f"_topdir {top}", "--nodeps",
            "--without", "sigstore", "--with" if suite else "--without", "tests", "-ba", str(top / "SPECS" / SPEC.name)]
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-4000:]
    root = top / "root"
    root.mkdir()
    for rpm in (top / "RPMS" / "noarch").glob("*.rpm"):
        subprocess.run(f"rpm2cpio {rpm} | cpio -idm --quiet", shell=True, cwd=root, check=True)
    built = Built(top, root, result.stdout + result.stderr)
    built.suite = suite
    return built


def _query(rpm: pathlib.Path, *options: str) -> List[str]:
    return subprocess.run(["rpm", "-qp", *options, str(rpm)], capture_output=True, text=True, check=True).stdout.splitlines()


def test_spec_builds_three_packages_and_the_source_rpm(built: Built) -> None:
    for name in ("sigstore-offline", "python3-sigstore-offline", "sigstore-offline-rpm-macros"):
        assert built.rpm(name).is_file(), name
    assert (built.top / "SRPMS" / f"sigstore-offline-{NVR}.src.rpm").is_file()
    assert f"OK: {EXAMPLE_DIGEST}  {EXAMPLE_IDENTITY}" in built.log, "the %check smoke test did not run"
    if built.suite:
        summary = [line for line in built.log.splitlines() if re.search(r"\d+ passed", line)]
        assert summary and "failed" not in summary[-1] and "error" not in summary[-1], summary


def test_packages_hold_what_the_spec_says(built: Built) -> None:
    tool = set(_query(built.rpm("sigstore-offline"), "-l"))
    for command in ("verify-offline", "sigstoreverify", "sigstore-offline"):
        assert f"/usr/bin/{command}" in tool, command
    for page in ("man1/verify-offline.1.gz", "man1/sigstoreverify.1.gz", "man5/sigstore-signers.5.gz",
                 "man5/sigstore-offline-policy.5.gz"):
        assert f"/usr/share/man/{page}" in tool, page
    assert not [f for f in tool if "dh_sigstore_verify" in f]
    assert _query(built.rpm("sigstore-offline-rpm-macros"), "-l") == ["/usr/lib/rpm/macros.d/macros.sigstoreverify"]
    module = set(_query(built.rpm("python3-sigstore-offline"), "-l"))
    assert "/usr/share/sigstore-offline/trust-roots/sigstore/trusted_root.json" in module
    licences = _query(built.rpm("python3-sigstore-offline"), "-L")
    assert [f for f in licences if f.endswith("/licenses/LICENSE")], licences
    link = next(built.root.glob("usr/lib/python3.*/site-packages/sigstore_offline/trust_roots"))
    assert link.is_symlink() and os.readlink(link) == "../../../../share/sigstore-offline/trust-roots"
    for command in ("verify-offline", "sigstoreverify", "sigstore-offline"):
        first = (built.root / "usr" / "bin" / command).read_bytes().split(b"\n", 1)[0]
        assert first == b"#!/usr/bin/python3 -sP", (command, first)
    # rpm's own python dependency generator (pythondistdeps.py, on Debian too) reads the metadata.
    module_requires = _query(built.rpm("python3-sigstore-offline"), "--requires")
    assert [r for r in module_requires if re.fullmatch(r"python3\.\d+dist\(cryptography\) >= 3\.4\.8", r)], module_requires
    requires = _query(built.rpm("sigstore-offline-rpm-macros"), "--requires")
    assert f"sigstore-offline = {NVR}" in requires, requires
    assert any(r.startswith("python3-sigstore-offline = ") for r in _query(built.rpm("sigstore-offline"), "--requires"))


def test_unpacked_verify_offline_runs_with_the_packaged_trust_root(built: Built, tmp_path: pathlib.Path) -> None:
    site = next(built.root.glob("usr/lib/python3.*/site-packages"))
    env = {"PATH": SYSTEM_PATH, "HOME": str(tmp_path / "none"), "PYTHONPATH": str(site), "LC_ALL": "C.UTF-8"}
    for identity, code in ((EXAMPLE_IDENTITY, 0), ("hugo@python.org", 1)):
        result = subprocess.run([SYSTEM_PYTHON, str(built.root / "usr" / "bin" / "verify-offline"), "--bundle", str(EXAMPLE_BUNDLE),
                                 "--cert-identity", identity, "--cert-oidc-issuer", GITHUB_ISSUER, EXAMPLE_DIGEST],
                                env=env, capture_output=True, text=True)
        assert result.returncode == code, result.stderr
    where = subprocess.run([SYSTEM_PYTHON, "-c", "import sigstore_offline.trust.store as s; print(s.shipped_dir().resolve())"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert where == str(built.root / "usr" / "share" / "sigstore-offline" / "trust-roots")


# rpmlint findings that remain, each justified in docs/packagers.md ("rpmlint"): the name of the
# check, and the packages it may concern.
RPMLINT_ACCEPTED: Dict[str, str] = {
    "requires-on-release": "Fedora's guidelines require subpackages to depend on the exact version-release",
    "no-documentation": "sigstore-offline-rpm-macros: one macro file; its page, sigstoreverify(1), is in the package it requires",
    "only-non-binary-in-usr-lib": "sigstore-offline-rpm-macros: %{_rpmmacrodir} is /usr/lib/rpm/macros.d by definition",
    "no-buildroot-tag": "BuildRoot has been ignored since rpm 4.6; Fedora's guidelines say not to write it",
    # rpmlint 2.4.0 (Debian 12) records a page's section ("1") instead of its name, so every
    # command gets this; test_packages_hold_what_the_spec_says checks the pages are there.
    "no-manual-page-for-binary": "rpmlint 2.4.0 bug: man_base_regex's 'category' group is the section",
    # A TUF-proven snapshot keeps its root chain (N.root.json for every version) and the newest
    # root again as root.json, the name TUF clients read; the manifest pins both files.
    "files-duplicate": "trust-roots/<instance>/root.json is the newest N.root.json of the snapshot's TUF root chain",
}
# What Fedora's rpmlint configuration (fedora.toml and rpmlint-fedora-license-data) sets and
# Debian's rpmlint 2.4 does not: the unsigned local build (Koji signs), the tags Fedora forbids
# (Packager, Group), gzip for man pages (Fedora's brp-compress), SPDX licence names.
FEDORA_LIKE_RPMLINT = """\
Filters = ["no-signature", "no-packager-tag", "no-group-tag"]
CompressExtension = "gz"
ValidLicenses = ["Apache-2.0", "MIT"]
"""


def test_rpmlint(built: Built) -> None:
    rpmlint = _need("rpmlint", "rpmlint")
    rpms = sorted(str(p) for p in (built.top / "RPMS" / "noarch").glob("*.rpm"))
    srpm = str(next((built.top / "SRPMS").glob("*.src.rpm")))
    config = built.top / "subst" / "fedora-like.toml"
    config.write_text(FEDORA_LIKE_RPMLINT)
    result = subprocess.run([rpmlint, "-c", str(config), str(SPEC), srpm, *rpms], capture_output=True, text=True,
                            env={"PATH": SYSTEM_PATH, "HOME": str(built.top / "no-such-home"), "LC_ALL": "C.UTF-8"})
    findings = [line for line in result.stdout.splitlines() if re.match(r"^\S+: [EW]: ", line)]
    errors = [line for line in findings if ": E: " in line]
    assert not errors, result.stdout
    unexplained = [line for line in findings if line.split(": W: ")[1].split()[0] not in RPMLINT_ACCEPTED]
    assert not unexplained, "\n".join(unexplained)
