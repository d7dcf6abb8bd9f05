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
real bundle. Not run: app-crypt/sigstore-offline's ebuild (it needs ::gentoo's distutils-r1 and
pypi eclasses), ``emerge`` (dependency resolution against ::gentoo), sys-apps/sandbox.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
from typing import Dict, List

import pytest

from helpers import CONFORMANCE, EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, REPO, SHIPPED, need_shared, package_path, require

GENTOO = REPO / "packaging" / "gentoo"
TRUST_ROOT_DIR = GENTOO / "sec-keys" / "sigstore-trusted-root"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"

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
    def __init__(self, base: pathlib.Path) -> None:
        venv = _portage_venv()
        self.base = base
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
        wrapper = broot / "usr" / "bin" / "verify-offline"
        wrapper.write_text(f"#!/bin/sh\nPYTHONPATH={package_path()} exec {sys.executable} -s -m sigstore_offline \"$@\"\n")
        wrapper.chmod(0o755)
        # A Prefix Portage unpacks .tar with "gtar" (GNU tar under its Gentoo name).
        (broot / "usr" / "bin" / "gtar").symlink_to(shutil.which("tar") or "/bin/tar")
        shutil.copytree(SHIPPED, broot / "usr" / "share" / "sigstore-offline" / "trust-roots")
        self._config()

    def _config(self) -> None:
        base = self.base
        gentoo, toy = base / "gentoo", base / "toy"
        (gentoo / "profiles" / "default").mkdir(parents=True)
        (gentoo / "metadata").mkdir()
        (gentoo / "profiles" / "repo_name").write_text("gentoo\n")
        (gentoo / "profiles" / "categories").write_text("app-crypt\napp-misc\nsec-keys\n")
        (gentoo / "metadata" / "layout.conf").write_text("masters =\nthin-manifests = true\n")
        (gentoo / "profiles" / "default" / "eapi").write_text("8\n")
        (gentoo / "profiles" / "default" / "make.defaults").write_text(
            'ARCH="amd64"\nACCEPT_KEYWORDS="amd64"\nELIBC="glibc"\nKERNEL="linux"\nUSERLAND="GNU"\n'
            'USE_EXPAND_UNPREFIXED="ARCH"\nUSE_EXPAND_IMPLICIT="ARCH ELIBC KERNEL USERLAND"\n'
            'USE_EXPAND_VALUES_ARCH="amd64"\nUSE_EXPAND_VALUES_ELIBC="glibc"\nUSE_EXPAND_VALUES_KERNEL="linux"\n'
            'USE_EXPAND_VALUES_USERLAND="GNU"\nIUSE_IMPLICIT="prefix prefix-guest prefix-stack"\n')
        (toy / "profiles").mkdir(parents=True)
        (toy / "metadata").mkdir()
        (toy / "profiles" / "repo_name").write_text("sigstore-toy\n")
        (toy / "profiles" / "categories").write_text("app-misc\n")
        (toy / "metadata" / "layout.conf").write_text("masters = gentoo sigstore-offline\nthin-manifests = true\nsign-manifests = false\n")
        etc = base / "config" / "etc" / "portage"
        (etc / "repos.conf").mkdir(parents=True)
        (etc / "make.profile").symlink_to(gentoo / "profiles" / "default")
        (etc / "repos.conf" / "repos.conf").write_text(
            f"[DEFAULT]\nmain-repo = gentoo\n[gentoo]\nlocation = {gentoo}\n"
            f"[sigstore-offline]\nlocation = {GENTOO}\n[sigstore-toy]\nlocation = {toy}\n")
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

    def env(self) -> Dict[str, str]:
        return {"PATH": f"{self.broot}/usr/bin:{SYSTEM_PATH}", "PORTAGE_CONFIGROOT": str(self.base / "config"),
                "HOME": str(self.base / "no-such-home"), "LC_ALL": "C.UTF-8", "NOCOLOR": "true"}

    def ebuild(self, ebuild: pathlib.Path, *phases: str) -> subprocess.CompletedProcess[str]:
        argv = [str(self.broot / "bin" / "python3"), str(self.broot / "lib" / "portage" / "bin" / "ebuild"), str(ebuild), *phases]
        if self.network_sandbox:  # Portage itself has no network either: nothing it tries can leave the machine
            argv = ["unshare", "-n", *argv]
        return subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=300, cwd=self.base)

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
