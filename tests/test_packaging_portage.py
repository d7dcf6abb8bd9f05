# SPDX-License-Identifier: Apache-2.0
"""Gentoo with a real Portage: ``ebuild(1)`` runs packaging/gentoo's eclass and trust-root ebuild.

Portage comes from PyPI (``portage==3.0.83``, a pure-Python wheel carrying ebuild.sh and the
helpers) in ``.venv-portage``, which tests/run-all.sh creates; ``SIGSTORE_OFFLINE_PORTAGE_VENV``
names another. A Portage installed that way takes its own ``sys.prefix`` as the build host's
prefix, ``BROOT``. So the test makes a throwaway prefix per run: a venv of the same interpreter
whose site-packages point at .venv-portage's and whose ``lib/portage`` and ``share/portage`` are
links to it, holding what app-crypt/sigstore-offline and sec-keys/sigstore-trusted-root would
install there -- ``usr/bin/verify-offline`` (a two-line script running the package under test)
and ``usr/share/sigstore-offline/trust-roots/`` (the shipped snapshot). A throwaway
``PORTAGE_CONFIGROOT`` has make.conf, repos.conf and a profile; the repositories are a stub
``gentoo`` (profile and categories only: no eclass of ::gentoo is used), the overlay
packaging/gentoo read in place, and a toy overlay whose ebuild inherits the overlay's
verify-sig.eclass with ``VERIFY_SIG_METHOD=sigstore``. Its distfiles are the conformance suite's
``a.txt`` and its real production bundle (happy-path-v0.3, from ../shared).

FEATURES: ``network-sandbox`` (Portage's own network namespace; the toy ebuild records the
interfaces it sees), and ``-sandbox -usersandbox -userpriv``: sys-apps/sandbox is not on
Debian and the build runs as root without the portage user. Runs as root only.

Asserted: ``ebuild ... manifest`` then ``ebuild ... clean unpack`` unpacks a good distfile (custom
src_unpack and the eclass's default one), and dies in src_unpack with verify-offline's FAIL line
and the eclass's die message for a tampered distfile (its Manifest regenerated, as a maintainer
would from a tampered download) and for a wrong identity. sec-keys/sigstore-trusted-root is built
with ``ebuild ... clean install`` from its own Manifest, and the snapshot it installs verifies a
real bundle.

PyPI provenance (``verify-sig_verify_detached FILE FILE.provenance`` -> ``verify-offline pypi``):
../shared/vectors/pypi holds real provenance but not the distributions, so a second Portage, whose
BROOT snapshot is the test Sigstore instance's (tests/testinstance), builds a toy
dev-python/example-project from an sdist made here and its provenance from that instance, fetched
as PyPI's Integrity API URL renamed to ``FILE.provenance``: it unpacks (custom src_unpack, the
eclass's default one, an explicit identity), and dies with the verifier's line for a tampered
sdist, a wrong repository or workflow, a ref that does not match VERIFY_SIG_REF, a renamed distfile
without VERIFY_SIG_PYPI_FILENAME. The real provenance of
pypi_attestations-0.0.19.tar.gz, under the shipped production snapshot, passes every check up to
the artifact's digest (refused for the stand-in file) and fails at identity for another repository.

app-crypt/sigstore-offline, the tool's own ebuild, is built with ``ebuild ... manifest`` and
``ebuild ... clean install`` (FEATURES=test) from the release sdist made here with ``python -m
build --sdist``, in a copy of the overlay (for its Manifest). It inherits ::gentoo's distutils-r1
and pypi, which are not reachable offline: the stub gentoo repository carries test-local
stand-ins, tests/gentoo-stand-in/eclass/ (its README lists what each substitutes and leaves out),
which build with Debian's /usr/bin/python3, linked into BROOT as python3.X. The ebuild's own
phases run as written: python_test (the smoke test and the suite, in the network sandbox),
python_install (the trust-roots symlink) and python_install_all (the man pages); the image holds
the three commands, every page but dh_sigstore_verify(1), and the relative trust_roots link, and
its verify-offline verifies a real bundle with the trust-root package's snapshot.
Not run: ``emerge`` (dependency resolution against ::gentoo), sys-apps/sandbox, ::gentoo's real
distutils-r1/python-r1/pypi eclasses.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
from typing import Dict, List, Optional

import pytest

from helpers import (CONFORMANCE, EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, PYPI, REPO, SHIPPED, VECTORS,
                     need_shared, package_path, require)

GENTOO = REPO / "packaging" / "gentoo"
TRUST_ROOT_DIR = GENTOO / "sec-keys" / "sigstore-trusted-root"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
SYSTEM_PYTHON = "/usr/bin/python3"
STAND_IN = REPO / "tests" / "gentoo-stand-in"

TOY = """\
# SPDX-License-Identifier: GPL-2.0-only
EAPI=8
VERIFY_SIG_METHOD=sigstore
VERIFY_SIG_CERT_IDENTITY="{identity}"
VERIFY_SIG_CERT_OIDC_ISSUER="{issuer}"
inherit verify-sig
DESCRIPTION="Toy package whose distfile verify-sig.eclass checks"
HOMEPAGE="https://example.org/"
SRC_URI="https://example.org/a.txt verify-sig? ( https://example.org/a.txt.sigstore )"
S=${{WORKDIR}}
LICENSE="Apache-2.0"
SLOT="0"
KEYWORDS="~amd64"
{unpack}
"""
CUSTOM_UNPACK = """\
src_unpack() {
	einfo "interfaces: $(awk -F: 'NR > 2 { gsub(/ /, "", $1); printf "%s ", $1 }' /proc/net/dev)"
	if use verify-sig; then
		verify-sig_verify_detached "${DISTDIR}"/a.txt{,.sigstore}
	fi
	cp "${DISTDIR}"/a.txt "${WORKDIR}"/ || die
	einfo "toy: unpacked a.txt"
}
"""
DEFAULT_UNPACK = "# verify-sig_src_unpack (EXPORT_FUNCTIONS), then Portage's default unpack\n"


def _portage_venv() -> pathlib.Path:
    venv = pathlib.Path(os.environ.get("SIGSTORE_OFFLINE_PORTAGE_VENV", REPO / ".venv-portage"))
    require((venv / "lib" / "portage" / "bin" / "ebuild").is_file(),
            f"Portage is not installed in {venv} (tests/run-all.sh: python3 -m venv {venv.name} && "
            f"{venv.name}/bin/pip install portage==3.0.83)")
    require(os.geteuid() == 0, "ebuild(1) runs as root here (no portage user, FEATURES=-userpriv)")
    return venv


def _network_sandbox() -> bool:
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True) if shutil.which("unshare") else None
    return probe is not None and probe.returncode == 0


class Portage:
    def __init__(self, base: pathlib.Path, trust_roots: pathlib.Path = SHIPPED, overlay: pathlib.Path = GENTOO,
                 stand_in: bool = False) -> None:
        venv = _portage_venv()
        self.base, self.overlay, self.stand_in = base, overlay, stand_in
        self.network_sandbox = _network_sandbox()
        broot = self.broot = base / "broot"
        subprocess.run([str(venv / "bin" / "python3"), "-m", "venv", "--without-pip", str(broot)], check=True)
        site = subprocess.run([str(venv / "bin" / "python3"), "-c", "import os, portage; print(os.path.dirname(os.path.dirname(portage.__file__)))"],
                              capture_output=True, text=True, check=True).stdout.strip()
        own_site = subprocess.run([str(broot / "bin" / "python3"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip()
        pathlib.Path(own_site, "portage-venv.pth").write_text(site + "\n")
        (broot / "lib" / "portage").symlink_to((venv / "lib" / "portage").resolve())
        (broot / "share").mkdir(exist_ok=True)
        (broot / "share" / "portage").symlink_to((venv / "share" / "portage").resolve())
        # What app-crypt/sigstore-offline and sec-keys/sigstore-trusted-root install in BROOT.
        (broot / "usr" / "bin").mkdir(parents=True)
        for command, module in (("verify-offline", "sigstore_offline"),
                                ("sigstoreverify", "sigstore_offline.cli.sigstoreverify")):
            wrapper = broot / "usr" / "bin" / command
            wrapper.write_text(f"#!/bin/sh\nPYTHONPATH={package_path()} exec {sys.executable} -s -m {module} \"$@\"\n")
            wrapper.chmod(0o755)
        # A Prefix Portage unpacks .tar with "gtar" (GNU tar under its Gentoo name).
        (broot / "usr" / "bin" / "gtar").symlink_to(shutil.which("tar") or "/bin/tar")
        shutil.copytree(trust_roots, broot / "usr" / "share" / "sigstore-offline" / "trust-roots")
        if stand_in:  # dev-lang/python in BROOT, for the stand-in python-r1.eclass
            version = "%d.%d" % _system_python_version()
            (broot / "usr" / "bin" / f"python{version}").symlink_to(SYSTEM_PYTHON)
        self._config()

    def _config(self) -> None:
        base = self.base
        gentoo, toy = base / "gentoo", base / "toy"
        (gentoo / "profiles" / "default").mkdir(parents=True)
        (gentoo / "metadata").mkdir()
        (gentoo / "profiles" / "repo_name").write_text("gentoo\n")
        (gentoo / "profiles" / "categories").write_text("app-crypt\napp-misc\ndev-python\nsec-keys\n")
        (gentoo / "metadata" / "layout.conf").write_text("masters =\nthin-manifests = true\n")
        (gentoo / "profiles" / "default" / "eapi").write_text("8\n")
        if self.stand_in:  # the stand-ins for ::gentoo's distutils-r1, python-r1 and pypi eclasses
            (gentoo / "eclass").symlink_to(STAND_IN / "eclass")
        (gentoo / "profiles" / "default" / "make.defaults").write_text(
            'ARCH="amd64"\nACCEPT_KEYWORDS="amd64"\nELIBC="glibc"\nKERNEL="linux"\nUSERLAND="GNU"\n'
            'USE_EXPAND="PYTHON_TARGETS"\nUSE_EXPAND_UNPREFIXED="ARCH"\nUSE_EXPAND_IMPLICIT="ARCH ELIBC KERNEL USERLAND"\n'
            'USE_EXPAND_VALUES_ARCH="amd64"\nUSE_EXPAND_VALUES_ELIBC="glibc"\nUSE_EXPAND_VALUES_KERNEL="linux"\n'
            'USE_EXPAND_VALUES_USERLAND="GNU"\nIUSE_IMPLICIT="prefix prefix-guest prefix-stack"\n')
        (toy / "profiles").mkdir(parents=True)
        (toy / "metadata").mkdir()
        (toy / "profiles" / "repo_name").write_text("sigstore-toy\n")
        (toy / "profiles" / "categories").write_text("app-misc\ndev-python\n")
        (toy / "metadata" / "layout.conf").write_text("masters = gentoo sigstore-offline\nthin-manifests = true\nsign-manifests = false\n")
        etc = base / "config" / "etc" / "portage"
        (etc / "repos.conf").mkdir(parents=True)
        (etc / "make.profile").symlink_to(gentoo / "profiles" / "default")
        (etc / "repos.conf" / "repos.conf").write_text(
            f"[DEFAULT]\nmain-repo = gentoo\n[gentoo]\nlocation = {gentoo}\n"
            f"[sigstore-offline]\nlocation = {self.overlay}\n[sigstore-toy]\nlocation = {toy}\n")
        features = "-sandbox -usersandbox -userpriv -userfetch -ipc-sandbox -pid-sandbox -mount-sandbox -news"
        features += " network-sandbox" if self.network_sandbox else " -network-sandbox"
        for name in ("distfiles", "tmp"):
            (base / name).mkdir()
        (etc / "make.conf").write_text(
            f'FEATURES="{features}"\nPORTAGE_TMPDIR="{base}/tmp"\nDISTDIR="{base}/distfiles"\n'
            f'PKGDIR="{base}/packages"\nPORTAGE_DEPCACHEDIR="{base}/depcache"\nUSE="verify-sig"\n'
            'ACCEPT_KEYWORDS="~amd64"\nPORTAGE_USERNAME=root\nPORTAGE_GRPNAME=root\n'
            # Nothing is ever downloaded: a missing distfile must fail, not fetch.
            'FETCHCOMMAND="false \\${URI} \\${DISTDIR} \\${FILE}"\nRESUMECOMMAND="false \\${URI} \\${DISTDIR} \\${FILE}"\n'
            'GENTOO_MIRRORS=""\n')
        if self.stand_in:  # as Gentoo's profiles set it, for the interpreter linked into BROOT
            with (etc / "make.conf").open("a") as conf:
                conf.write('PYTHON_TARGETS="python%d_%d"\n' % _system_python_version())

    def env(self) -> Dict[str, str]:
        return {"PATH": f"{self.broot}/usr/bin:{SYSTEM_PATH}", "PORTAGE_CONFIGROOT": str(self.base / "config"),
                "HOME": str(self.base / "no-such-home"), "LC_ALL": "C.UTF-8", "NOCOLOR": "true"}

    def ebuild(self, ebuild: pathlib.Path, *phases: str, features: str = "") -> subprocess.CompletedProcess[str]:
        argv = [str(self.broot / "bin" / "python3"), str(self.broot / "lib" / "portage" / "bin" / "ebuild"), str(ebuild), *phases]
        if self.network_sandbox:  # Portage itself has no network either: nothing it tries can leave the machine
            argv = ["unshare", "-n", *argv]
        env = {**self.env(), "FEATURES": features} if features else self.env()  # added to make.conf's (incremental)
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900, cwd=self.base)

    def toy(self, version: str, *, identity: str = BEACON, unpack: str = CUSTOM_UNPACK, tamper: bool = False) -> subprocess.CompletedProcess[str]:
        need_shared(CONFORMANCE)
        data = (CONFORMANCE / "a.txt").read_bytes()
        (self.base / "distfiles" / "a.txt").write_bytes(data + b"tampered\n" if tamper else data)
        shutil.copyfile(CONFORMANCE / "happy-path-v0.3" / "bundle.sigstore.json", self.base / "distfiles" / "a.txt.sigstore")
        package = self.base / "toy" / "app-misc" / "sigstore-toy"
        package.mkdir(parents=True, exist_ok=True)
        for old in [*package.glob("*.ebuild"), package / "Manifest"]:
            old.unlink(missing_ok=True)
        ebuild = package / f"sigstore-toy-{version}.ebuild"
        ebuild.write_text(TOY.format(identity=identity, issuer=GITHUB_ISSUER, unpack=unpack))
        manifest = self.ebuild(ebuild, "manifest")
        assert manifest.returncode == 0, manifest.stdout + manifest.stderr
        return self.ebuild(ebuild, "clean", "unpack")

    def package(self, atom: str, text: str, distfiles: Dict[str, bytes]) -> subprocess.CompletedProcess[str]:
        """Write ``distfiles`` and the ebuild ``text`` of ``atom`` (CATEGORY/PN-PV) into the toy overlay,
        make its Manifest from those distfiles, and run ``ebuild ... clean unpack``."""
        for name, data in distfiles.items():
            (self.base / "distfiles" / name).write_bytes(data)
        category, pf = atom.split("/")
        package = self.base / "toy" / category / pf.rsplit("-", 1)[0]
        package.mkdir(parents=True, exist_ok=True)
        for old in [*package.glob("*.ebuild"), package / "Manifest"]:
            old.unlink(missing_ok=True)
        ebuild = package / f"{pf}.ebuild"
        ebuild.write_text(text)
        manifest = self.ebuild(ebuild, "manifest")
        assert manifest.returncode == 0, manifest.stdout + manifest.stderr
        return self.ebuild(ebuild, "clean", "unpack")


@pytest.fixture(scope="module")
def portage(tmp_path_factory: pytest.TempPathFactory) -> Portage:
    return Portage(tmp_path_factory.mktemp("portage"))


def _fail_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("FAIL: ")]
    assert len(lines) == 1, result.stdout[-3000:] + result.stderr[-3000:]
    return lines[0]


def _died_in_unpack(result: subprocess.CompletedProcess[str]) -> None:
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert "ERROR: app-misc/sigstore-toy-1.0::sigstore-toy failed (unpack phase)" in out, out[-3000:]
    assert "Sigstore verification of a.txt failed (verify-offline says why above)" in out
    assert "toy: unpacked" not in out


def test_good_distfile_unpacks_in_the_network_sandbox(portage: Portage) -> None:
    result = portage.toy("1.0")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert "Verifying a.txt ..." in out and "toy: unpacked a.txt" in out, out[-4000:]
    require(portage.network_sandbox, "the kernel refuses a network namespace: FEATURES=network-sandbox was not used")
    interfaces = [line for line in out.splitlines() if "interfaces:" in line]
    assert interfaces and interfaces[0].split("interfaces:")[1].split() == ["lo"], interfaces


def test_default_src_unpack_verifies_every_distfile(portage: Portage) -> None:
    result = portage.toy("1.0", unpack=DEFAULT_UNPACK)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "Verifying a.txt ..." in result.stdout + result.stderr


def test_tampered_distfile_dies_with_the_verifiers_line(portage: Portage) -> None:
    result = portage.toy("1.0", tamper=True)
    _died_in_unpack(result)
    line = _fail_line(result)
    assert "/distdir/a.txt: signature: artifact digest" in line and "differs from the bundle" in line, line


def test_wrong_identity_dies_with_the_verifiers_line(portage: Portage) -> None:
    result = portage.toy("1.0", identity="hugo@python.org")
    _died_in_unpack(result)
    line = _fail_line(result)
    assert f"/distdir/a.txt: identity: certificate identity is {BEACON}, expected hugo@python.org" in line, line


def test_trusted_root_ebuild_installs_a_snapshot_that_verifies(portage: Portage) -> None:
    """sec-keys/sigstore-trusted-root, built by Portage from its own Manifest (distfiles are
    symlinks in Portage's distdir), installs a snapshot verify-offline accepts."""
    text = next(TRUST_ROOT_DIR.glob("*.ebuild")).read_text()
    if "stat -c %s" in text:
        pytest.xfail("sec-keys/sigstore-trusted-root still pins the distdir symlink's length (stat -c %s): "
                     "fixed on another branch (issue 11, item 2)")
    import runpy

    # The distfile is packaging/refresh-job/snapshot-tarball's reproducible tar of trust-roots/,
    # rebuilt here: the ebuild's Manifest pins its bytes.
    build = runpy.run_path(str(REPO / "packaging" / "refresh-job" / "snapshot-tarball"))["build"]
    name, data = build(SHIPPED)
    (portage.base / "distfiles" / name).write_bytes(data)
    result = portage.ebuild(next(TRUST_ROOT_DIR.glob("*.ebuild")), "clean", "install")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    image = portage.base / "tmp" / "portage" / "sec-keys" / next(TRUST_ROOT_DIR.glob("*.ebuild")).stem / "image"
    # A Portage installed from PyPI is a Prefix one: ED is ${D}${EPREFIX}, EPREFIX the prefix above.
    snapshot = image / str(portage.broot).lstrip("/") / "usr" / "share" / "sigstore-offline" / "trust-roots"
    installed = sorted(p.name for p in (snapshot / "sigstore").iterdir())
    assert installed == sorted(p.name for p in (SHIPPED / "sigstore").iterdir()), installed
    assert {"manifest.json", "root.json", "trusted_root.json", "timestamp.json"} <= set(installed)
    bundle = portage.base / EXAMPLE_BUNDLE.name
    shutil.copyfile(EXAMPLE_BUNDLE, bundle)
    verify = subprocess.run(
        [str(portage.broot / "usr" / "bin" / "verify-offline"), "--bundle", str(bundle), "--cert-identity", EXAMPLE_IDENTITY,
         "--cert-oidc-issuer", GITHUB_ISSUER, EXAMPLE_DIGEST],
        env={**portage.env(), "SIGSTORE_OFFLINE_TRUST_ROOTS": str(snapshot)}, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.startswith(f"OK: {EXAMPLE_DIGEST}"), verify.stdout


# --- PyPI provenance: verify-sig_verify_detached FILE FILE.provenance runs verify-offline pypi ---------------
#
# ../shared/vectors/pypi has real provenance but none of the distributions it is for, so the good
# case is an sdist made here with provenance from the test Sigstore instance (tests/testinstance),
# whose trust root is the snapshot in that Portage's BROOT -- where sec-keys/sigstore-trusted-root
# puts production's. The real provenance of pypi_attestations-0.0.19.tar.gz is checked too, under
# the shipped production snapshot: against a stand-in file it must get as far as the digest.

PYPI_PROJECT = "example-project"
PYPI_SDIST = "example_project-1.0.tar.gz"
PYPI_PUBLISHER = "example/project"
PYPI_TOY = """\
# SPDX-License-Identifier: GPL-2.0-only
EAPI=8
VERIFY_SIG_METHOD=sigstore
{signer}
inherit verify-sig
DESCRIPTION="Toy Python package whose PyPI provenance verify-sig.eclass checks"
HOMEPAGE="https://pypi.org/project/{project}/"
SRC_URI="
\thttps://files.pythonhosted.org/packages/source/{initial}/{project}/{sdist}{rename}
\tverify-sig? ( https://pypi.org/integrity/{project}/${{PV}}/{sdist}/provenance -> {distfile}.provenance )
"
S=${{WORKDIR}}/{top}
LICENSE="Apache-2.0"
SLOT="0"
KEYWORDS="~amd64"
{unpack}
"""
PYPI_UNPACK = """\
src_unpack() {{
\tif use verify-sig; then
\t\tverify-sig_verify_detached "${{DISTDIR}}"/{distfile}{{,.provenance}}
\tfi
\tunpack {distfile}
\teinfo "toy: unpacked $(cat "${{S}}"/PKG-INFO | head -n 1)"
}}
"""
PYPI_DEFAULT_UNPACK = """\
src_unpack() {
\tverify-sig_src_unpack
\teinfo "toy: unpacked $(cat "${S}"/PKG-INFO | head -n 1)"
}
"""
GITHUB_PUBLISHER = f'VERIFY_SIG_REPOSITORY="{PYPI_PUBLISHER}"\nVERIFY_SIG_WORKFLOW="release.yml"'


def _sdist(top: str) -> bytes:
    import io
    import tarfile

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, text in (("PKG-INFO", "Metadata-Version: 2.4\nName: example-project\nVersion: 1.0\n"),
                           ("README", "the toy sdist of tests/test_packaging_portage.py\n")):
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mtime = len(data), 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


class PyPIMaterial:
    """A toy sdist and its provenance from the test instance, and that instance's trust-root snapshot."""

    def __init__(self, base: pathlib.Path) -> None:
        import datetime
        import hashlib
        import json

        from sigstore_offline.trust import snapshot
        from testinstance import TestInstance, pep740

        self.instance = TestInstance(seed="gentoo eclass pypi provenance")
        self.sdist = _sdist("example_project-1.0")
        statement = pep740.statement(PYPI_SDIST, hashlib.sha256(self.sdist).digest())
        record = {"kind": "GitHub", "repository": PYPI_PUBLISHER, "workflow": "release.yml", "environment": None}
        attestation = pep740.attestation(self.instance, statement, leaf=pep740.github_leaf(PYPI_PUBLISHER))
        self.provenance = json.dumps(pep740.provenance((record, [attestation]))).encode()
        self.leaf = pep740.github_leaf(PYPI_PUBLISHER)
        # The instance as sec-keys/sigstore-trusted-root would install production: a snapshot directory
        # whose manifest pins its trusted_root.json (sigstore-offline-snapshot(5)).
        self.roots = base / "trust-roots"
        directory = self.roots / "sigstore"
        directory.mkdir(parents=True)
        (directory / "trusted_root.json").write_text(json.dumps(self.instance.trusted_root_json()))
        (directory / "manifest.json").write_bytes(snapshot.build_manifest(
            directory, instance="sigstore", tuf_url="http://127.0.0.1/", source="tests/test_packaging_portage.py",
            refreshed_at=datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0), tool_version="test"))


@pytest.fixture(scope="module")
def pypi_material(tmp_path_factory: pytest.TempPathFactory) -> PyPIMaterial:
    return PyPIMaterial(tmp_path_factory.mktemp("pypi-material"))


@pytest.fixture(scope="module")
def pypi_portage(pypi_material: PyPIMaterial, tmp_path_factory: pytest.TempPathFactory) -> Portage:
    return Portage(tmp_path_factory.mktemp("portage-pypi"), trust_roots=pypi_material.roots)


def _pypi_toy(portage: Portage, material: PyPIMaterial, *, signer: str = GITHUB_PUBLISHER, unpack: str = "",
              distfile: str = PYPI_SDIST, sdist: Optional[bytes] = None) -> subprocess.CompletedProcess[str]:
    text = PYPI_TOY.format(signer=signer, project=PYPI_PROJECT, initial=PYPI_PROJECT[0], sdist=PYPI_SDIST,
                           rename="" if distfile == PYPI_SDIST else f" -> {distfile}", distfile=distfile,
                           top="example_project-1.0", unpack=unpack or PYPI_UNPACK.format(distfile=distfile))
    data = material.sdist if sdist is None else sdist
    return portage.package(f"dev-python/{PYPI_PROJECT}-1.0", text,
                           {distfile: data, f"{distfile}.provenance": material.provenance})


def _pypi_died(result: subprocess.CompletedProcess[str], distfile: str = PYPI_SDIST) -> str:
    """The run died in src_unpack with the eclass's message; the verifier's FAIL line."""
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert f"ERROR: dev-python/{PYPI_PROJECT}-1.0::sigstore-toy failed (unpack phase)" in out, out[-3000:]
    assert f"PyPI provenance verification of {distfile} failed (verify-offline says why above)" in out, out[-3000:]
    assert "toy: unpacked" not in out
    return _fail_line(result)


def test_pypi_sdist_with_its_provenance_unpacks(pypi_portage: Portage, pypi_material: PyPIMaterial) -> None:
    result = _pypi_toy(pypi_portage, pypi_material)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert f"Verifying {PYPI_SDIST} ..." in out and "toy: unpacked Metadata-Version: 2.4" in out, out[-4000:]
    ok = [line for line in out.splitlines() if line.startswith("OK: ")]
    assert len(ok) == 1 and ok[0].split()[1].endswith(f"/distdir/{PYPI_SDIST}"), out[-4000:]
    assert f"({PYPI_SDIST})  GitHub {PYPI_PUBLISHER} (workflow release.yml)" in ok[0], ok[0]


def test_pypi_default_src_unpack_pairs_the_provenance(pypi_portage: Portage, pypi_material: PyPIMaterial) -> None:
    result = _pypi_toy(pypi_portage, pypi_material, unpack=PYPI_DEFAULT_UNPACK)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert f"Verifying {PYPI_SDIST} ..." in out and "toy: unpacked Metadata-Version: 2.4" in out, out[-4000:]


def test_pypi_explicit_identity_passes(pypi_portage: Portage, pypi_material: PyPIMaterial) -> None:
    signer = (f'VERIFY_SIG_CERT_IDENTITY="{pypi_material.leaf.identity}"\n'
              f'VERIFY_SIG_CERT_OIDC_ISSUER="{pypi_material.leaf.issuer}"')
    result = _pypi_toy(pypi_portage, pypi_material, signer=signer)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_pypi_tampered_sdist_dies_with_the_verifiers_line(pypi_portage: Portage, pypi_material: PyPIMaterial) -> None:
    result = _pypi_toy(pypi_portage, pypi_material, sdist=pypi_material.sdist + b"\0")
    line = _pypi_died(result)
    assert f"/distdir/{PYPI_SDIST}: signature: " in line and "in-toto statement does not name the artifact" in line, line


def test_pypi_wrong_repository_dies_with_the_verifiers_line(pypi_portage: Portage, pypi_material: PyPIMaterial) -> None:
    signer = 'VERIFY_SIG_REPOSITORY="example/other"\nVERIFY_SIG_WORKFLOW="release.yml"'
    line = _pypi_died(_pypi_toy(pypi_portage, pypi_material, signer=signer))
    assert f"/distdir/{PYPI_SDIST}: identity: " in line, line
    assert "is 'https://github.com/example/project', expected 'https://github.com/example/other'" in line, line


def test_pypi_wrong_workflow_dies(pypi_portage: Portage, pypi_material: PyPIMaterial) -> None:
    signer = f'VERIFY_SIG_REPOSITORY="{PYPI_PUBLISHER}"\nVERIFY_SIG_WORKFLOW="other.yml"'
    line = _pypi_died(_pypi_toy(pypi_portage, pypi_material, signer=signer))
    assert f"/distdir/{PYPI_SDIST}: identity: " in line and "Build Config URI" in line, line
    assert "expected https://github.com/example/project/.github/workflows/other.yml@" in line, line


def test_pypi_ref_is_checked(pypi_portage: Portage, pypi_material: PyPIMaterial) -> None:
    """VERIFY_SIG_REF goes to verify-offline pypi --ref: the release tag's glob passes, a branch
    glob dies at identity with the certificate's Source Repository Ref."""
    result = _pypi_toy(pypi_portage, pypi_material, signer=GITHUB_PUBLISHER + '\nVERIFY_SIG_REF="refs/tags/v*"')
    out = result.stdout + result.stderr
    assert result.returncode == 0 and "toy: unpacked" in out, out[-3000:]
    line = _pypi_died(_pypi_toy(pypi_portage, pypi_material, signer=GITHUB_PUBLISHER + '\nVERIFY_SIG_REF="refs/heads/*"'))
    assert f"/distdir/{PYPI_SDIST}: identity: " in line and "Source Repository Ref (1.14)" in line, line


def test_pypi_renamed_distfile_needs_its_pypi_filename(pypi_portage: Portage, pypi_material: PyPIMaterial) -> None:
    """A distfile renamed in SRC_URI (-> pypi-example-project-1.0.tar.gz, another project's name): the
    statement names PyPI's file, so the check fails until VERIFY_SIG_PYPI_FILENAME names it."""
    renamed = f"pypi-{PYPI_PROJECT}-1.0.tar.gz"
    line = _pypi_died(_pypi_toy(pypi_portage, pypi_material, distfile=renamed), renamed)
    assert f"/distdir/{renamed}: statement: " in line and f"subject is '{PYPI_SDIST}'" in line, line
    signer = GITHUB_PUBLISHER + f'\nVERIFY_SIG_PYPI_FILENAME="{PYPI_SDIST}"'
    result = _pypi_toy(pypi_portage, pypi_material, signer=signer, distfile=renamed)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


REAL_PYPI = "pypi_attestations-0.0.19.tar.gz"


def _real_pypi_toy(portage: Portage, repository: str) -> subprocess.CompletedProcess[str]:
    provenance = need_shared(PYPI / f"{REAL_PYPI}.provenance").read_bytes()
    text = PYPI_TOY.format(signer=f'VERIFY_SIG_REPOSITORY="{repository}"\nVERIFY_SIG_WORKFLOW="release.yml"',
                           project="pypi-attestations", initial="p", sdist=REAL_PYPI, rename="", distfile=REAL_PYPI,
                           top="pypi_attestations-0.0.19", unpack=PYPI_UNPACK.format(distfile=REAL_PYPI))
    # Not the real sdist (absent from ../shared): a stand-in under its name.
    return portage.package("dev-python/pypi-attestations-0.0.19", text,
                           {REAL_PYPI: _sdist("pypi_attestations-0.0.19"), f"{REAL_PYPI}.provenance": provenance})


def test_real_pypi_provenance_is_checked_up_to_the_digest(portage: Portage) -> None:
    """PyPI's real provenance of pypi_attestations-0.0.19, under the shipped production snapshot:
    with the right publisher, every check before the artifact's digest passes (the chain, the log
    entry, the SCT, the publisher, the DSSE signature) and the stand-in file is refused at the digest."""
    result = _real_pypi_toy(portage, "trailofbits/pypi-attestations")
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "failed (unpack phase)" in out, out[-3000:]
    assert f"PyPI provenance verification of {REAL_PYPI} failed" in out
    line = _fail_line(result)
    assert f"/distdir/{REAL_PYPI}: signature: " in line and "does not name the artifact" in line, line


def test_real_pypi_provenance_wrong_repository_dies_at_identity(portage: Portage) -> None:
    line = _fail_line(_real_pypi_toy(portage, "trailofbits/sigstore-python"))
    assert f"/distdir/{REAL_PYPI}: identity: " in line, line
    assert "expected 'https://github.com/trailofbits/sigstore-python'" in line, line


# --- app-crypt/sigstore-offline: the tool's own ebuild, built by Portage from the release sdist -------------
#
# The ebuild inherits ::gentoo's distutils-r1 and pypi, which are not reachable offline: the stub
# gentoo repository gets the test-local stand-ins of tests/gentoo-stand-in/ (its README says what
# each substitutes and what it leaves out), running Debian's /usr/bin/python3 with apt's
# python3-hatchling, -installer, -cryptography, -pytest and -hypothesis. The overlay is copied so
# that a Manifest for the sdist built here can be written beside the ebuild. The ebuild's own
# phases run as written: python_test (the suite, from the sdist, in the network sandbox),
# python_install (the trust-roots symlink), python_install_all (the man pages).

TOOL_VERSION = "0.1.0"
TOOL_EBUILD = GENTOO / "app-crypt" / "sigstore-offline" / f"sigstore-offline-{TOOL_VERSION}.ebuild"


def _system_python_version() -> tuple:
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import hatchling, installer, cryptography, pytest, hypothesis, tomllib; "
                            "import sys; print('%d %d' % sys.version_info[:2])"], capture_output=True, text=True)
    require(probe.returncode == 0, "the stand-in distutils-r1.eclass builds with Debian's /usr/bin/python3 and apt-get install "
            f"python3-hatchling python3-installer python3-cryptography python3-pytest python3-hypothesis ({probe.stderr.strip()[-200:]})")
    major, minor = probe.stdout.split()
    return int(major), int(minor)


class ToolBuild:
    def __init__(self, portage: Portage, result: subprocess.CompletedProcess[str], sdist: str) -> None:
        self.portage, self.result, self.sdist = portage, result, sdist
        self.log = result.stdout + result.stderr
        self.image = portage.base / "tmp" / "portage" / "app-crypt" / f"sigstore-offline-{TOOL_VERSION}" / "image"
        # A Portage installed from PyPI is a Prefix one: ED is ${D}${EPREFIX}, EPREFIX its BROOT.
        self.ed = self.image / str(portage.broot).lstrip("/")


@pytest.fixture(scope="module")
def tool_build(tmp_path_factory: pytest.TempPathFactory) -> ToolBuild:
    _system_python_version()
    base = tmp_path_factory.mktemp("portage-tool")
    overlay = base / "overlay"
    shutil.copytree(GENTOO, overlay, symlinks=True)
    portage = Portage(base / "portage", overlay=overlay, stand_in=True)
    sdist = subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--skip-dependency-check",
                            "--outdir", str(base / "sdist"), str(REPO)], capture_output=True, text=True,
                           env={**os.environ, "SOURCE_DATE_EPOCH": "1764460800"})
    require(sdist.returncode == 0, f"python -m build --sdist failed (build and hatchling: the test extra): {sdist.stderr[-500:]}")
    [built] = (base / "sdist").glob("*.tar.gz")
    assert built.name == f"sigstore_offline-{TOOL_VERSION}.tar.gz", built.name
    shutil.copyfile(built, portage.base / "distfiles" / built.name)
    ebuild = overlay / "app-crypt" / "sigstore-offline" / TOOL_EBUILD.name
    manifest = portage.ebuild(ebuild, "manifest")
    assert manifest.returncode == 0, manifest.stdout + manifest.stderr
    result = portage.ebuild(ebuild, "clean", "install", features="test")
    return ToolBuild(portage, result, built.name)


def test_tool_ebuild_builds_tests_and_installs(tool_build: ToolBuild) -> None:
    log = tool_build.log
    assert tool_build.result.returncode == 0, log[-6000:]
    assert f"{tool_build.sdist} BLAKE2B SHA512 size ;-)" in log, log[-4000:]  # the Manifest pins the sdist
    assert ">>> Test phase: app-crypt/sigstore-offline-0.1.0" in log, log[-4000:]
    summary = [line for line in log.splitlines() if re.search(r"=+ .*\d+ passed", line)]
    assert summary and "failed" not in summary[-1] and "error" not in summary[-1], log[-4000:]
    assert f"OK: {EXAMPLE_DIGEST}  {EXAMPLE_IDENTITY}" in log, "python_test's smoke test did not run"
    assert ">>> Completed installing app-crypt/sigstore-offline-0.1.0 into" in log, log[-4000:]


def test_tool_image_holds_commands_pages_and_the_trust_root_link(tool_build: ToolBuild) -> None:
    assert tool_build.result.returncode == 0, tool_build.log[-4000:]
    ed = tool_build.ed
    python = "python%d.%d" % _system_python_version()
    for command in ("verify-offline", "sigstoreverify", "sigstore-offline"):
        script = ed / "usr" / "bin" / command
        assert script.is_file(), command
        first = script.read_bytes().split(b"\n", 1)[0].decode()
        assert first == f"#!{tool_build.portage.broot}/usr/bin/{python}", (command, first)
    pages = {p.relative_to(ed / "usr" / "share" / "man").as_posix() for p in (ed / "usr" / "share" / "man").rglob("*.*")}
    expected = {f"man{p.suffix[1:]}/{p.name}" for p in (REPO / "man").glob("*.[1-8]") if p.name != "dh_sigstore_verify.1"}
    # Portage compresses man pages (ecompress, bzip2 by default): compare the names without it.
    assert {re.sub(r"\.(bz2|gz|xz|zst)$", "", p) for p in pages} == expected, pages
    site = ed / "usr" / "lib" / python / "site-packages"
    assert (site / "sigstore_offline" / "__init__.py").is_file()
    assert [p.name for p in site.glob("sigstore_offline-*.dist-info")] == [f"sigstore_offline-{TOOL_VERSION}.dist-info"]
    # python_install: the wheel's trust roots are gone, a relative link to sec-keys/sigstore-trusted-root's
    # snapshot stands in their place.
    link = site / "sigstore_offline" / "trust_roots"
    assert link.is_symlink(), sorted(p.name for p in (site / "sigstore_offline").iterdir())
    target = (link.parent / os.readlink(link)).resolve()
    assert not os.readlink(link).startswith("/"), os.readlink(link)
    assert target == (ed / "usr" / "share" / "sigstore-offline" / "trust-roots").resolve(), os.readlink(link)
    assert not (ed / "usr" / "share" / "sigstore-offline").exists()  # owned by sec-keys/sigstore-trusted-root


def test_tool_image_verifies_with_the_trust_root_package(tool_build: ToolBuild, portage: Portage) -> None:
    """The image's verify-offline, run by its own #! line, with the snapshot sec-keys/sigstore-trusted-root
    installs (its wheel copy removed): a real bundle verifies, a wrong identity fails."""
    assert tool_build.result.returncode == 0, tool_build.log[-4000:]
    ed = tool_build.ed
    site = next((ed / "usr" / "lib").glob("python3.*/site-packages"))
    env = {"PATH": SYSTEM_PATH, "HOME": str(tool_build.portage.base / "no-such-home"), "LC_ALL": "C.UTF-8",
           "PYTHONPATH": str(site), "SIGSTORE_OFFLINE_TRUST_ROOTS": str(SHIPPED)}
    for identity, code in ((EXAMPLE_IDENTITY, 0), ("hugo@python.org", 1)):
        result = subprocess.run([str(ed / "usr" / "bin" / "verify-offline"), "--bundle", str(EXAMPLE_BUNDLE),
                                 "--cert-identity", identity, "--cert-oidc-issuer", GITHUB_ISSUER, EXAMPLE_DIGEST],
                                env=env, capture_output=True, text=True)
        assert result.returncode == code, result.stderr
    where = subprocess.run([SYSTEM_PYTHON, "-c", "import sigstore_offline; print(sigstore_offline.__file__)"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(str(site)), where


# --- GitHub artifact attestations: verify-sig_verify_detached FILE FILE.jsonl runs sigstoreverify -----------

ATTEST_WHEEL = "github_provenance_demo-0.0.12-py3-none-any.whl"
ATTEST_TOY = """\
# SPDX-License-Identifier: GPL-2.0-only
EAPI=8
VERIFY_SIG_METHOD=sigstore
{signer}
inherit verify-sig
DESCRIPTION="Toy package whose GitHub artifact attestations verify-sig.eclass checks"
HOMEPAGE="https://github.com/actions/attest-demo"
SRC_URI="
\thttps://example.org/{wheel}
\tverify-sig? ( https://example.org/{wheel}.jsonl )
"
S=${{WORKDIR}}
LICENSE="MIT"
SLOT="0"
KEYWORDS="~amd64"
src_unpack() {{
\tverify-sig_src_unpack
\teinfo "toy: unpacked"
}}
"""
ATTEST_SIGNER = ('VERIFY_SIG_REPOSITORY="actions/attest-demo"\nVERIFY_SIG_WORKFLOW="build-python.yml"\n'
                 'VERIFY_SIG_REF="refs/heads/main"')


def _attest_toy(portage: Portage, signer: str = ATTEST_SIGNER, *, tamper: bool = False) -> subprocess.CompletedProcess[str]:
    github = need_shared(VECTORS / "github")
    wheel = (github / ATTEST_WHEEL).read_bytes()
    attestations = (github / "github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl").read_bytes()
    return portage.package("app-misc/attest-demo-0.0.12", ATTEST_TOY.format(signer=signer, wheel=ATTEST_WHEEL),
                           {ATTEST_WHEEL: wheel + (b"\0" if tamper else b""), f"{ATTEST_WHEEL}.jsonl": attestations})


def _attest_died(result: subprocess.CompletedProcess[str]) -> str:
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert "ERROR: app-misc/attest-demo-0.0.12::sigstore-toy failed (unpack phase)" in out, out[-3000:]
    assert f"GitHub attestation verification of {ATTEST_WHEEL} failed (sigstoreverify says why above)" in out
    assert "toy: unpacked" not in out
    lines = [line for line in out.splitlines() if line.startswith("sigstoreverify: FAIL: ")]
    assert len(lines) == 1, out[-3000:]
    return lines[0]


def test_github_attestations_unpack(portage: Portage) -> None:
    """The default src_unpack pairs FILE with FILE.jsonl; sigstoreverify checks it against the
    BROOT's production and github snapshots (GitHub's own instance: RFC 3161 time, no log)."""
    result = _attest_toy(portage)
    out = result.stdout + result.stderr
    assert result.returncode == 0 and "toy: unpacked" in out, out[-4000:]
    assert f"Verifying {ATTEST_WHEEL} ..." in out


def test_github_attestations_tampered_or_wrong_signer_die(portage: Portage) -> None:
    line = _attest_died(_attest_toy(portage, tamper=True))
    assert f"/distdir/{ATTEST_WHEEL}: " in line and "does not name the artifact" in line, line
    line = _attest_died(_attest_toy(portage, ATTEST_SIGNER.replace("refs/heads/main", "refs/tags/v*")))
    assert "identity: " in line and "but the signers file" in line, line
    line = _attest_died(_attest_toy(portage, 'VERIFY_SIG_CERT_IDENTITY="hugo@python.org"\n'
                                             'VERIFY_SIG_CERT_OIDC_ISSUER="https://github.com/login/oauth"'))
    assert "identity: " in line, line

