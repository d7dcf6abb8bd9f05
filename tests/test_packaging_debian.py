# SPDX-License-Identifier: Apache-2.0
"""Debian: the tool's own packaging (packaging/debian/) and the dh_sigstore_verify addon, with the
real ``dpkg-buildpackage``.

1. The tool, by the documented path from a clone: ``packaging/debian/orig-from-sdist`` builds the
   release sdist (Debian's python3-build and hatchling), copies it as the orig tarball and
   unpacks it with packaging/debian/ as ``debian/``; ``dpkg-buildpackage -us -uc`` (source and
   binary packages) runs inside ``unshare -n`` (pybuild, the pyproject plugin, hatchling; its
   dh_auto_test verifies a real production bundle), and ``lintian`` checks the upload: no error,
   and only the warnings docs/packagers.md justifies. The three .debs are
   unpacked with ``dpkg-deb -x`` into a temporary root -- nothing is installed on the machine --
   and that root's ``/usr/bin/verify-offline`` runs under ``/usr/bin/python3`` (Debian's, with
   apt's python3-cryptography) on a real bundle, its module and trust root resolved inside the
   unpacked root.
2. A toy source package with ``Build-Depends: dh-sequence-sigstore-verify`` is built with
   ``dpkg-buildpackage -b -d`` inside ``unshare -n``, ``dh`` finding the addon and the commands in
   the unpacked root (PERL5LIB, PATH, PYTHONPATH). Its "orig tarball" carries the bytes of the
   conformance suite's ``a.txt`` and its bundle is that file's real production bundle
   (happy-path-v0.3, from ../shared): no real signed tarball with its bundle is available
   offline, and ``dpkg-buildpackage -b`` never unpacks the orig tarball, while
   dh_sigstore_verify only hashes it. It builds with the good file and fails with a tampered one
   or a wrong signer.

Missing Debian tools skip, unless SIGSTORE_OFFLINE_REQUIRE_ALL_LANES=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
from typing import Dict, List, Optional

import pytest

from helpers import (
    CONFORMANCE,
    EXAMPLE_BUNDLE,
    EXAMPLE_DIGEST,
    EXAMPLE_IDENTITY,
    GITHUB_ISSUER,
    REPO,
    VECTORS,
    need_no_network,
    need_shared,
    need_tool,
    unavailable,
)

SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
VERSION = "0.1.0"
DIST = "usr/lib/python3/dist-packages"
APT = "apt-get install dpkg-dev debhelper dh-python pybuild-plugin-pyproject python3-all python3-hatchling python3-cryptography"


_unavailable = unavailable


def _need(tool: str, apt: str) -> None:
    need_tool(tool, apt, path=SYSTEM_PATH)


_no_network = need_no_network


def _env(home: pathlib.Path, root: Optional[pathlib.Path] = None) -> Dict[str, str]:
    """A clean build environment: the system PATH (no virtualenv or pyenv python3), no HOME."""
    env = {"PATH": SYSTEM_PATH, "HOME": str(home / "no-such-home"), "LC_ALL": "C.UTF-8"}
    if root is not None:
        env["PATH"] = f"{root}/usr/bin:{SYSTEM_PATH}"
        env["PERL5LIB"] = f"{root}/usr/share/perl5"
        env["PYTHONPATH"] = f"{root}/{DIST}"
    return env


def _run(argv: List[str], cwd: pathlib.Path, env: Dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_no_network(), *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


class Built:
    def __init__(self, out: pathlib.Path, root: pathlib.Path, log: str) -> None:
        self.out = out
        self.root = root
        self.log = log

    def deb(self, package: str) -> pathlib.Path:
        return self.out / f"{package}_{VERSION}-1_all.deb"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build the tool's .debs once, and unpack them into a temporary root."""
    for tool in ("dpkg-buildpackage", "dpkg-checkbuilddeps", "dpkg-deb", "dh"):
        _need(tool, APT)
    _need("python3", "apt-get install python3")
    out = tmp_path_factory.mktemp("deb")
    env = _env(out)
    # The documented path from a clone: the release sdist becomes the orig tarball, unpacked
    # with packaging/debian as debian/ (packaging/debian/orig-from-sdist, docs/packagers.md).
    made = subprocess.run([str(REPO / "packaging" / "debian" / "orig-from-sdist"), str(out)], cwd=REPO,
                          env={**env, "SOURCE_DATE_EPOCH": "1764460800"}, capture_output=True, text=True)
    if made.returncode != 0 and "No module named build" in made.stderr:
        _unavailable("packaging/debian/orig-from-sdist needs apt-get install python3-build")
    assert made.returncode == 0, made.stderr[-3000:]
    tree = out / f"sigstore-offline-{VERSION}"
    assert made.stdout.split() == [str(out / f"sigstore-offline_{VERSION}.orig.tar.gz"), str(tree)], made.stdout
    deps = subprocess.run(["dpkg-checkbuilddeps"], cwd=tree, env=env, capture_output=True, text=True)
    if deps.returncode != 0:
        _unavailable(f"build dependencies of packaging/debian are missing: {deps.stderr.strip()}")
    # Source and binary packages, as an upload would be built.
    result = _run(["dpkg-buildpackage", "-us", "-uc"], tree, env)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-4000:]
    root = out / "root"
    root.mkdir()
    for package in ("python3-sigstore-offline", "sigstore-offline", "dh-sigstore-verify"):
        subprocess.run(["dpkg-deb", "-x", str(out / f"{package}_{VERSION}-1_all.deb"), str(root)], check=True)
    return Built(out, root, result.stdout)


def _field(deb: pathlib.Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True).stdout.strip()


# lintian findings that remain (tag: why), justified in docs/packagers.md ("lintian").
LINTIAN_ACCEPTED = {
    "initial-upload-closes-no-bugs": "no ITP bug has been filed yet; the maintainer who uploads files one",
    "package-does-not-install-examples": "docs/examples/ holds a test vector (a real bundle) for the smoke test and autopkgtest, not an example",
    "package-contains-documentation-outside-usr-share-doc": "trust-roots/README.md records the provenance of the snapshot beside it",
    "no-homepage-field": "no web site beyond PyPI, which lintian refuses as Homepage (pypi-homepage): set the repository's URL once public",
}


def test_lintian_has_no_error_and_only_justified_warnings(built: Built) -> None:
    _need("lintian", "apt-get install lintian")
    changes = built.out / f"sigstore-offline_{VERSION}-1_{_host_arch()}.changes"
    result = subprocess.run(["lintian", "--pedantic", "--display-info", str(changes)], capture_output=True, text=True,
                            env=_env(built.out), timeout=600)
    findings = [line for line in result.stdout.splitlines() if re.match(r"^[EWIPX]: ", line)]
    assert (built.out / f"sigstore-offline_{VERSION}-1.dsc").is_file() and findings is not None
    assert not [f for f in findings if f.startswith("E: ")], result.stdout
    unexplained = [f for f in findings if f.split(": ", 2)[2].split()[0] not in LINTIAN_ACCEPTED]
    assert not unexplained, "\n".join(unexplained)


def _host_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


def test_the_build_ran_the_smoke_test_on_a_real_bundle(built: Built) -> None:
    assert f"OK: {EXAMPLE_DIGEST}  {EXAMPLE_IDENTITY} ({GITHUB_ISSUER})" in built.log


def test_the_verifier_depends_only_on_python3_cryptography(built: Built) -> None:
    depends = [d.strip() for d in _field(built.deb("python3-sigstore-offline"), "Depends").split(",")]
    assert sorted(d.split()[0] for d in depends) == ["python3-cryptography", "python3:any"], depends
    assert "python3-cryptography (>= 3.4.8)" in depends
    tool = [d.strip().split()[0] for d in _field(built.deb("sigstore-offline"), "Depends").split(",")]
    assert sorted(tool) == ["python3-sigstore-offline", "python3:any"], tool


def test_the_packages_ship_the_snapshot_commands_and_addon(built: Built) -> None:
    snapshot = built.root / "usr/share/sigstore-offline/trust-roots"
    assert (snapshot / "sigstore" / "trusted_root.json").read_bytes() == (
        REPO / "trust-roots" / "sigstore" / "trusted_root.json"
    ).read_bytes()
    assert (snapshot / "sigstage" / "trusted_root.json").is_file()
    link = built.root / DIST / "sigstore_offline" / "trust_roots"
    assert link.is_symlink() and os.readlink(link) == "../../../../share/sigstore-offline/trust-roots"
    assert (built.root / DIST / "sigstore_offline" / "policies" / "cpython.json").is_file()
    for command in ("verify-offline", "sigstoreverify", "dh_sigstore_verify"):
        assert (built.root / "usr/bin" / command).is_file(), command
    for command in ("verify-offline", "sigstoreverify", "sigstore-offline"):
        # No user site-packages: nothing under the build user's $HOME is imported.
        first = (built.root / "usr/bin" / command).read_bytes().split(b"\n", 1)[0]
        assert first in (b"#!/usr/bin/python3 -s", b"#! /usr/bin/python3 -s"), (command, first)
    assert (built.root / "usr/share/perl5/Debian/Debhelper/Sequence/sigstore_verify.pm").is_file()
    assert _field(built.deb("dh-sigstore-verify"), "Provides") == "dh-sequence-sigstore-verify"
    for page in ("man1/verify-offline.1.gz", "man1/dh_sigstore_verify.1.gz", "man5/sigstore-signers.5.gz",
                 "man1/sigstoreverify.1.gz", "man1/verify-offline-pypi.1.gz", "man5/sigstore-offline-policy.5.gz"):
        assert (built.root / "usr/share/man" / page).is_file(), page


def test_unpacked_verify_offline_runs_on_system_python(built: Built, tmp_path: pathlib.Path) -> None:
    """/usr/bin/python3 runs the packaged verify-offline; module and trust root come from the package."""
    env = _env(tmp_path, built.root)
    where = subprocess.run(
        ["/usr/bin/python3", "-c", "import cryptography, sigstore_offline.trust.store as s;"
         " print(s.__file__); print(s.shipped_dir().resolve()); print(cryptography.__version__)"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.split()
    assert where[0].startswith(f"{built.root}/{DIST}/sigstore_offline/"), where
    assert where[1] == str(built.root / "usr/share/sigstore-offline/trust-roots"), where
    bundle = tmp_path / EXAMPLE_BUNDLE.name
    shutil.copyfile(EXAMPLE_BUNDLE, bundle)
    result = _run(["/usr/bin/python3", str(built.root / "usr/bin/verify-offline"), "--bundle", str(bundle),
                   "--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer", GITHUB_ISSUER, EXAMPLE_DIGEST],
                  tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK: {EXAMPLE_DIGEST}  {EXAMPLE_IDENTITY}"), result.stdout
    wrong = _run(["/usr/bin/python3", str(built.root / "usr/bin/verify-offline"), "--bundle", str(bundle),
                  "--cert-identity", "hugo@python.org", "--cert-oidc-issuer", GITHUB_ISSUER, EXAMPLE_DIGEST],
                 tmp_path, env)
    assert wrong.returncode == 1 and "identity" in wrong.stderr, wrong.stderr


# --- the addon, on a toy source package -------------------------------------------------------

TOY_CONTROL = """\
Source: sigstore-toy
Section: misc
Priority: optional
Maintainer: Toy Maintainer <toy@example.org>
Build-Depends: debhelper-compat (= 13), dh-sequence-sigstore-verify
Standards-Version: 4.6.2
Rules-Requires-Root: no

Package: sigstore-toy
Architecture: all
Depends: ${misc:Depends}
Description: toy package whose orig tarball dh_sigstore_verify checks
 Built by tests/test_packaging_debian.py.
"""
TOY_CHANGELOG = """\
sigstore-toy (1.0-1) unstable; urgency=medium

  * Toy release.

 -- Toy Maintainer <toy@example.org>  Sun, 22 Nov 2026 11:42:00 +0000
"""
GOOD_SIGNERS = f"# who signs the toy's upstream release\n{BEACON} {GITHUB_ISSUER}\n"
WRONG_SIGNERS = "# not who signed it\nhugo@python.org https://github.com/login/oauth\n"
ORIG = "sigstore-toy_1.0.orig.tar.gz"


def _toy(tmp_path: pathlib.Path, *, signers: str = GOOD_SIGNERS, tamper: bool = False) -> pathlib.Path:
    need_shared(CONFORMANCE)
    data = (CONFORMANCE / "a.txt").read_bytes()
    (tmp_path / ORIG).write_bytes(data + b"tampered\n" if tamper else data)
    tree = tmp_path / "sigstore-toy-1.0"
    (tree / "debian" / "upstream").mkdir(parents=True)
    (tree / "debian" / "source").mkdir()
    (tree / "a.txt").write_bytes(data)
    (tree / "debian" / "control").write_text(TOY_CONTROL)
    (tree / "debian" / "changelog").write_text(TOY_CHANGELOG)
    (tree / "debian" / "rules").write_text("#!/usr/bin/make -f\n%:\n\tdh $@\n")
    (tree / "debian" / "rules").chmod(0o755)
    (tree / "debian" / "source" / "format").write_text("3.0 (quilt)\n")
    (tree / "debian" / "install").write_text("a.txt usr/share/sigstore-toy\n")
    (tree / "debian" / "upstream" / "sigstore-signers").write_text(signers)
    shutil.copyfile(CONFORMANCE / "happy-path-v0.3" / "bundle.sigstore.json",
                    tree / "debian" / "upstream" / f"{ORIG}.sigstore")
    return tree


def _build_toy(built: Built, tree: pathlib.Path) -> subprocess.CompletedProcess[str]:
    # -d: dh-sequence-sigstore-verify is not installed; dh finds the addon through PERL5LIB.
    return _run(["dpkg-buildpackage", "-b", "-us", "-uc", "-d"], tree, _env(tree.parent, built.root))


def test_toy_package_builds_with_the_good_orig_tarball(built: Built, tmp_path: pathlib.Path) -> None:
    tree = _toy(tmp_path)
    result = _build_toy(built, tree)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    steps = [line.strip() for line in result.stdout.splitlines() if line.startswith("   dh_")]
    assert steps.index("dh_sigstore_verify") < steps.index("dh_update_autotools_config"), steps
    assert "sigstoreverify" not in result.stdout.replace("dh_sigstore_verify", "") + result.stderr  # silent
    assert (tmp_path / "sigstore-toy_1.0-1_all.deb").is_file()


def _assert_build_stopped(result: subprocess.CompletedProcess[str], tmp_path: pathlib.Path, reason: str) -> None:
    assert result.returncode != 0, result.stdout[-3000:]
    failure = [line for line in result.stderr.splitlines() if line.startswith("sigstoreverify: FAIL: ")]
    assert failure == [failure[0]] and failure[0].startswith(f"sigstoreverify: FAIL: ../{ORIG}: "), result.stderr
    assert reason in failure[0], failure[0]
    assert "dh_sigstore_verify: error: sigstoreverify" in result.stderr
    assert "dh_update_autotools_config" not in result.stdout
    assert not (tmp_path / "sigstore-toy_1.0-1_all.deb").exists()


def test_toy_package_fails_with_a_tampered_orig_tarball(built: Built, tmp_path: pathlib.Path) -> None:
    result = _build_toy(built, _toy(tmp_path, tamper=True))
    _assert_build_stopped(result, tmp_path, "signature: artifact digest")


def test_toy_package_fails_with_a_wrong_signer(built: Built, tmp_path: pathlib.Path) -> None:
    result = _build_toy(built, _toy(tmp_path, signers=WRONG_SIGNERS))
    _assert_build_stopped(result, tmp_path, f"identity: signed by {BEACON}")


def _helper(built: Built, tree: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run(["dh_sigstore_verify", *args], tree, _env(tree.parent, built.root))


def test_helper_is_verbose_only_with_v(built: Built, tmp_path: pathlib.Path) -> None:
    result = _helper(built, _toy(tmp_path), "-v")
    assert result.returncode == 0, result.stderr
    assert f"sigstoreverify: OK: ../{ORIG} signed by {BEACON}" in result.stdout


def test_helper_names_what_is_missing(built: Built, tmp_path: pathlib.Path) -> None:
    tree = _toy(tmp_path)
    (tree / "debian" / "upstream" / f"{ORIG}.sigstore").unlink()
    result = _helper(built, tree)
    assert result.returncode != 0
    assert f"no Sigstore bundle for ../{ORIG}: expected debian/upstream/{ORIG}.sigstore" in result.stderr
    (tree / "debian" / "upstream" / "sigstore-signers").unlink()
    result = _helper(built, tree)
    assert result.returncode != 0 and "debian/upstream/sigstore-signers is missing" in result.stderr
    (tmp_path / ORIG).unlink()
    (tree / "debian" / "upstream" / "sigstore-signers").write_text(GOOD_SIGNERS)
    result = _helper(built, tree)
    assert result.returncode != 0 and "no orig tarball ../sigstore-toy_1.0.orig.tar.*" in result.stderr


def test_helper_age_limit(built: Built, tmp_path: pathlib.Path) -> None:
    """--max-trust-root-age DAYS is passed to sigstoreverify: the installed snapshot (refreshed
    2026-08-27) passes a 400-day limit and stops the build at a 1-day one."""
    tree = _toy(tmp_path)
    result = _helper(built, tree, "-v", "--max-trust-root-age=400")
    assert result.returncode == 0, result.stderr
    assert "--max-trust-root-age=400" in result.stdout and "sigstoreverify: OK: " in result.stdout
    result = _helper(built, tree, "--max-trust-root-age=1")
    assert result.returncode != 0 and "older than the limit of 1 days" in result.stderr, result.stderr
    result = _helper(built, tree, "--max-trust-root-age=soon")
    assert result.returncode != 0 and "--max-trust-root-age takes a number of days, not 'soon'" in result.stderr


# --- the addon on a Python source package whose orig tarball is an sdist from PyPI --------------------

PYPI_SOURCE = "python-example-project"
PYPI_SIGNERS = "# example-project's Trusted Publisher on PyPI\ngithub example/project workflow=release.yml ref=refs/tags/v*\n"
PYPI_RULES = """\
#!/usr/bin/make -f
%:
\tdh $@

# The generated test instance's trusted root stands in for the installed production snapshot.
override_dh_sigstore_verify:
\tdh_sigstore_verify --trust-root=debian/upstream/test-trusted-root.json {options}
"""


def _pypi_toy(tmp_path: pathlib.Path, *, version: str = "1.0", tamper: bool = False, options: str = "",
              **release: str) -> pathlib.Path:
    """A source package of an sdist released on PyPI as example_project-1.0.tar.gz: the orig
    tarball is that sdist renamed, and debian/upstream/ORIG.provenance is what PyPI's Integrity
    API serves for it (made by the generated test instance, whose trusted root sits beside it)."""
    import json

    from testinstance import TestInstance, pep740

    instance = TestInstance(seed="debian pypi provenance")
    tmp_path.mkdir(parents=True, exist_ok=True)
    data = b"example_project 1.0, the sdist on PyPI\n"
    orig = f"{PYPI_SOURCE}_{version}.orig.tar.gz"
    (tmp_path / orig).write_bytes(data + b"tampered\n" if tamper else data)
    tree = tmp_path / f"{PYPI_SOURCE}-{version}"
    upstream = tree / "debian" / "upstream"
    upstream.mkdir(parents=True)
    (tree / "debian" / "source").mkdir()
    (tree / "README").write_text("example-project\n")
    (tree / "debian" / "control").write_text(TOY_CONTROL.replace("sigstore-toy", PYPI_SOURCE))
    (tree / "debian" / "changelog").write_text(TOY_CHANGELOG.replace("sigstore-toy (1.0-1)",
                                                                     f"{PYPI_SOURCE} ({version}-1)"))
    (tree / "debian" / "rules").write_text(PYPI_RULES.format(options=options))
    (tree / "debian" / "rules").chmod(0o755)
    (tree / "debian" / "source" / "format").write_text("3.0 (quilt)\n")
    (tree / "debian" / "install").write_text(f"README usr/share/{PYPI_SOURCE}\n")
    (upstream / "sigstore-signers").write_text(PYPI_SIGNERS)
    (upstream / f"{orig}.provenance").write_text(
        json.dumps(pep740.pypi_release(instance, "example_project-1.0.tar.gz", data, **release)))
    (upstream / "test-trusted-root.json").write_text(json.dumps(instance.trusted_root_json()))
    return tree


def _assert_pypi_stopped(result: subprocess.CompletedProcess[str], orig: str, reason: str) -> None:
    assert result.returncode != 0, result.stdout[-3000:]
    failure = [line for line in result.stderr.splitlines() if line.startswith("sigstoreverify: FAIL: ")]
    assert len(failure) == 1 and failure[0].startswith(f"sigstoreverify: FAIL: ../{orig}: "), result.stderr
    assert reason in failure[0], failure[0]
    assert "dh_update_autotools_config" not in result.stdout


def test_pypi_sdist_builds_against_its_provenance(built: Built, tmp_path: pathlib.Path) -> None:
    """The orig tarball (the sdist, renamed) verifies against debian/upstream/ORIG.provenance: the
    PyPI file name is derived from the source and upstream version (python-example-project 1.0 ->
    example-project-1.0.tar.gz, equal to example_project-1.0.tar.gz after normalisation)."""
    result = _build_toy(built, _pypi_toy(tmp_path, options="-v"))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert (f"--provenance=debian/upstream/{PYPI_SOURCE}_1.0.orig.tar.gz.provenance"
            " --name=example-project-1.0.tar.gz") in result.stdout
    assert f"sigstoreverify: OK: ../{PYPI_SOURCE}_1.0.orig.tar.gz signed by https://github.com/example/project/" \
        in result.stdout
    assert (tmp_path / f"{PYPI_SOURCE}_1.0-1_all.deb").is_file()


def test_pypi_tampered_sdist_stops_the_build(built: Built, tmp_path: pathlib.Path) -> None:
    result = _build_toy(built, _pypi_toy(tmp_path, tamper=True))
    _assert_pypi_stopped(result, f"{PYPI_SOURCE}_1.0.orig.tar.gz", "does not name the artifact")


def test_pypi_other_publisher_stops_the_build(built: Built, tmp_path: pathlib.Path) -> None:
    result = _build_toy(built, _pypi_toy(tmp_path, repository="example/fork"))
    _assert_pypi_stopped(result, f"{PYPI_SOURCE}_1.0.orig.tar.gz", "identity: signed by https://github.com/example/fork/")


def test_pypi_version_is_bound(built: Built, tmp_path: pathlib.Path) -> None:
    """Release 1.0's genuine sdist passed off as 1.1 (changelog 1.1-1) stops at the statement, which
    names 1.0; --pypi-filename overrides the derived name, --pypi-project the project."""
    result = _build_toy(built, _pypi_toy(tmp_path / "a", version="1.1"))
    _assert_pypi_stopped(result, f"{PYPI_SOURCE}_1.1.orig.tar.gz", "statement:")
    result = _build_toy(built, _pypi_toy(tmp_path / "b", options="--pypi-project=Example.Project"))
    assert result.returncode == 0, result.stderr[-3000:]
    result = _build_toy(built, _pypi_toy(tmp_path / "c", options="--pypi-project=other-project"))
    _assert_pypi_stopped(result, f"{PYPI_SOURCE}_1.0.orig.tar.gz", "statement:")
    result = _build_toy(built, _pypi_toy(tmp_path / "d", options="-v --pypi-filename=example_project-1.0.tar.gz"))
    assert result.returncode == 0 and "--name=example_project-1.0.tar.gz" in result.stdout, result.stderr[-3000:]


def test_pypi_repack_is_refused_with_a_reason(built: Built, tmp_path: pathlib.Path) -> None:
    result = _build_toy(built, _pypi_toy(tmp_path, version="1.0+dfsg"))
    assert result.returncode != 0
    assert "upstream version 1.0+dfsg is a repack (+...), not the file PyPI serves" in result.stderr, result.stderr


def test_github_attestations_of_the_orig_tarball(built: Built, tmp_path: pathlib.Path) -> None:
    """debian/upstream/ORIG.jsonl, what gh attestation download writes, renamed like the orig tarball:
    the installed sigstoreverify checks it against the installed production and github snapshots
    (here GitHub's own instance: no log entry, RFC 3161 time); a tampered tarball stops the build."""
    github = need_shared(VECTORS / "github")
    wheel = (github / "github_provenance_demo-0.0.12-py3-none-any.whl").read_bytes()
    signers = "github actions/attest-demo workflow=build-python.yml ref=refs/heads/main\n"
    for tamper, directory in ((False, tmp_path / "good"), (True, tmp_path / "tampered")):
        directory.mkdir()
        tree = _toy(directory, signers=signers)
        (directory / ORIG).write_bytes(wheel + (b"\0" if tamper else b""))
        (tree / "debian" / "upstream" / f"{ORIG}.sigstore").unlink()
        shutil.copyfile(github / "github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl",
                        tree / "debian" / "upstream" / f"{ORIG}.jsonl")
        result = _helper(built, tree, "-v")
        if tamper:
            assert result.returncode != 0 and "does not name the artifact" in result.stderr, result.stderr
        else:
            assert result.returncode == 0, result.stderr
            assert f"--signature=debian/upstream/{ORIG}.jsonl" in result.stdout
            assert "not logged (GitHub instance; time from RFC 3161)" in result.stdout, result.stdout
