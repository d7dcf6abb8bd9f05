# SPDX-License-Identifier: Apache-2.0
"""Gentoo: packaging/gentoo/eclass/verify-sig.eclass, sourced in bash (Portage is not available).

What runs for real: bash sources the eclass with minimal stand-ins for Portage's helpers (``die``,
``einfo``, ``eerror``, ``has``, ``use``, ``EXPORT_FUNCTIONS``, ``default_src_unpack``), with
``VERIFY_SIG_METHOD=sigstore``, inside ``unshare -n`` and with ``HOME`` pointing nowhere, and calls
``verify-sig_verify_detached FILE FILE.sigstore`` and ``verify-sig_src_unpack`` on a real
artifact and its real production bundle (the conformance suite's ``a.txt``, happy-path-v0.3,
copied from ../shared into a temporary DISTDIR). ``verify-offline`` on PATH is a two-line
script running this checkout's ``python -m sigstore_offline``; the trust root is read from
``${BROOT}/usr/share/sigstore-offline/trust-roots`` -- the layout sec-keys/sigstore-trusted-root
installs -- holding a copy of the shipped production snapshot (trusted_root.json and its manifest).

What does not run: Portage itself (emerge, ebuild(1), the real sandbox), the ebuilds of
app-crypt/sigstore-offline and sec-keys/sigstore-trusted-root (only their Manifest and pins are
checked against the repository's files), and the openpgp/signify branches of the eclass.
"""

from __future__ import annotations

import hashlib
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
from typing import Dict

import pytest

from helpers import CONFORMANCE, GITHUB_ISSUER, REPO, SHIPPED, need_no_network, need_shared, package_path, run_cli

GENTOO = REPO / "packaging" / "gentoo"
ECLASS = GENTOO / "eclass" / "verify-sig.eclass"
TRUSTED_ROOT_EBUILD = GENTOO / "sec-keys" / "sigstore-trusted-root" / "sigstore-trusted-root-0_p20261130.ebuild"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)

STUBS = r"""
die() { echo "die: $*" >&2; exit 1; }
einfo() { echo " * $*"; }
eerror() { echo " * ERROR: $*" >&2; }
has() { local needle=$1 item; shift; for item; do [[ ${item} == "${needle}" ]] && return 0; done; return 1; }
use() { [[ $1 == verify-sig ]]; }
addpredict() { :; }
EXPORT_FUNCTIONS() { :; }
default_src_unpack() { echo "unpacked: ${A}"; }
"""


_no_network = need_no_network


@pytest.fixture
def shim_present() -> None:
    """The eclass runs the sigstore-python spelling ``verify-offline verify identity --offline ...``."""
    code, _, err = run_cli(["verify", "identity", "--offline", "--version"])
    assert code == 0, f"verify-offline no longer accepts 'verify identity --offline': {err.strip()}"


class Sandbox:
    def __init__(self, base: pathlib.Path) -> None:
        need_shared(CONFORMANCE)
        self.base = base
        self.distdir = base / "distfiles"
        self.distdir.mkdir()
        shutil.copyfile(CONFORMANCE / "a.txt", self.distdir / "a.txt")
        shutil.copyfile(CONFORMANCE / "happy-path-v0.3" / "bundle.sigstore.json", self.distdir / "a.txt.sigstore")
        self.broot = base / "broot"
        snapshot = self.broot / "usr/share/sigstore-offline/trust-roots/sigstore"
        snapshot.parent.mkdir(parents=True)
        shutil.copytree(SHIPPED / "sigstore", snapshot)
        bindir = base / "bin"
        bindir.mkdir()
        shim = bindir / "verify-offline"
        shim.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m sigstore_offline \"$@\"\n")
        shim.chmod(0o755)
        self.env: Dict[str, str] = {
            "PATH": f"{bindir}:/usr/bin:/bin",
            "HOME": str(base / "no-such-home"),
            "PYTHONPATH": package_path(),
            "LC_ALL": "C.UTF-8",
        }

    def run(self, body: str, *, identity: str = BEACON, issuer: str = GITHUB_ISSUER,
            a: str = "a.txt a.txt.sigstore", extra: str = "") -> subprocess.CompletedProcess[str]:
        script = "\n".join([
            STUBS,
            "EAPI=8",
            f"BROOT={shlex.quote(str(self.broot))}",
            f"DISTDIR={shlex.quote(str(self.distdir))}",
            f"A={shlex.quote(a)}",
            "VERIFY_SIG_METHOD=sigstore",
            f"VERIFY_SIG_CERT_IDENTITY={shlex.quote(identity)}",
            f"VERIFY_SIG_CERT_OIDC_ISSUER={shlex.quote(issuer)}",
            extra,
            f"source {shlex.quote(str(ECLASS))}",
            body,
        ])
        return subprocess.run([*_no_network(), "bash", "-c", script], env=self.env, capture_output=True,
                              text=True, timeout=60)


@pytest.fixture
def sandbox(tmp_path: pathlib.Path) -> Sandbox:
    return Sandbox(tmp_path)


def test_sigstore_method_depends_on_the_tool_and_the_snapshot(sandbox: Sandbox) -> None:
    result = sandbox.run('echo "BDEPEND=${BDEPEND}"; echo "IUSE=${IUSE}"')
    assert result.returncode == 0, result.stderr
    bdepend = result.stdout.split()
    assert "app-crypt/sigstore-offline" in bdepend and "sec-keys/sigstore-trusted-root" in bdepend
    assert "dev-python/sigstore" not in result.stdout
    assert "IUSE=verify-sig" in result.stdout


def test_verify_detached_accepts_the_good_file(sandbox: Sandbox, shim_present: None) -> None:
    result = sandbox.run('verify-sig_verify_detached "${DISTDIR}/a.txt" "${DISTDIR}/a.txt.sigstore"; echo VERIFIED')
    assert result.returncode == 0, result.stdout + result.stderr
    assert " * Verifying a.txt ..." in result.stdout
    assert f"OK: {sandbox.distdir}/a.txt  {BEACON} ({GITHUB_ISSUER})" in result.stdout
    assert result.stdout.rstrip().endswith("VERIFIED")


def test_verify_detached_dies_on_a_tampered_file(sandbox: Sandbox, shim_present: None) -> None:
    with open(sandbox.distdir / "a.txt", "ab") as handle:
        handle.write(b"tampered\n")
    result = sandbox.run('verify-sig_verify_detached "${DISTDIR}/a.txt" "${DISTDIR}/a.txt.sigstore"; echo VERIFIED')
    assert result.returncode == 1 and "VERIFIED" not in result.stdout
    assert f"FAIL: {sandbox.distdir}/a.txt: signature: artifact digest" in result.stderr, result.stderr
    assert "die: Sigstore verification of a.txt failed" in result.stderr


def test_verify_detached_dies_on_a_wrong_identity(sandbox: Sandbox, shim_present: None) -> None:
    result = sandbox.run('verify-sig_verify_detached "${DISTDIR}/a.txt" "${DISTDIR}/a.txt.sigstore"; echo VERIFIED',
                         identity="hugo@python.org")
    assert result.returncode == 1 and "VERIFIED" not in result.stdout
    assert "identity: certificate identity is" in result.stderr and "expected hugo@python.org" in result.stderr
    assert "die: Sigstore verification of a.txt failed" in result.stderr


def test_trust_root_comes_from_broot(sandbox: Sandbox, shim_present: None) -> None:
    shutil.rmtree(sandbox.broot / "usr")
    result = sandbox.run('verify-sig_verify_detached "${DISTDIR}/a.txt" "${DISTDIR}/a.txt.sigstore"; echo VERIFIED')
    assert result.returncode == 1 and "VERIFIED" not in result.stdout
    assert f"{sandbox.broot}/usr/share/sigstore-offline/trust-roots/sigstore" in result.stderr
    assert "not installed" in result.stderr, result.stderr


def test_identity_variables_are_required(sandbox: Sandbox) -> None:
    result = sandbox.run('verify-sig_verify_detached "${DISTDIR}/a.txt" "${DISTDIR}/a.txt.sigstore"', identity="")
    assert result.returncode == 1
    assert "needs VERIFY_SIG_CERT_IDENTITY and VERIFY_SIG_CERT_OIDC_ISSUER" in result.stderr


BEACON_REPOSITORY = "sigstore-conformance/extremely-dangerous-public-oidc-beacon"
VERIFY_A = 'verify-sig_verify_detached "${DISTDIR}/a.txt" "${DISTDIR}/a.txt.sigstore"; echo VERIFIED'


def test_publisher_variables_survive_release_tags(sandbox: Sandbox, shim_present: None) -> None:
    """VERIFY_SIG_REPOSITORY (+ _WORKFLOW, _REF) instead of an identity: matched on the certificate's
    claims; a wrong repository or ref dies; the two signer forms do not mix."""
    good = (f"VERIFY_SIG_REPOSITORY={BEACON_REPOSITORY} VERIFY_SIG_WORKFLOW=extremely-dangerous-oidc-beacon.yml"
            " VERIFY_SIG_REF='refs/heads/*'")
    result = sandbox.run(VERIFY_A, identity="", issuer="", extra=good)
    assert result.returncode == 0 and result.stdout.rstrip().endswith("VERIFIED"), result.stderr
    for wrong in ("VERIFY_SIG_REPOSITORY=sigstore-conformance/another-repository",
                  f"VERIFY_SIG_REPOSITORY={BEACON_REPOSITORY} VERIFY_SIG_REF=refs/tags/v1.0"):
        result = sandbox.run(VERIFY_A, identity="", issuer="", extra=wrong)
        assert result.returncode == 1 and "VERIFIED" not in result.stdout, result.stdout
        assert "FAIL: " in result.stderr and "identity" in result.stderr, result.stderr
    both = sandbox.run(VERIFY_A, extra=f"VERIFY_SIG_REPOSITORY={BEACON_REPOSITORY}")
    assert both.returncode == 1 and "not both" in both.stderr


def test_snapshot_age_limit_variable(sandbox: Sandbox, shim_present: None) -> None:
    """VERIFY_SIG_SIGSTORE_MAX_AGE: the shipped snapshot (refreshed 2026-08-27) passes 400 days and
    dies at 1 day, with verify-offline's reason."""
    result = sandbox.run(VERIFY_A, extra="VERIFY_SIG_SIGSTORE_MAX_AGE=400")
    assert result.returncode == 0 and result.stdout.rstrip().endswith("VERIFIED"), result.stderr
    result = sandbox.run(VERIFY_A, extra="VERIFY_SIG_SIGSTORE_MAX_AGE=1")
    assert result.returncode == 1 and "older than the limit of 1 days" in result.stderr, result.stderr


def test_src_unpack_verifies_then_unpacks(sandbox: Sandbox, shim_present: None) -> None:
    result = sandbox.run("verify-sig_src_unpack")
    assert result.returncode == 0, result.stderr
    assert result.stdout.index("OK: ") < result.stdout.index("unpacked: a.txt a.txt.sigstore")


def test_src_unpack_refuses_unsigned_and_stray_files(sandbox: Sandbox) -> None:
    unsigned = sandbox.run("verify-sig_src_unpack", a="a.txt")
    assert unsigned.returncode == 1 and "die: Unsigned distfiles found" in unsigned.stderr
    stray = sandbox.run("verify-sig_src_unpack", a="a.txt.sigstore")
    assert stray.returncode == 1 and "die: Unused signatures found" in stray.stderr


def test_trust_root_ebuild_pins_the_shipped_snapshot() -> None:
    """sec-keys/sigstore-trusted-root's distfile is packaging/refresh-job/snapshot-tarball's tar of
    trust-roots/ (rebuilt here, byte for byte, and checked against the Manifest); its version is the
    refresh date and its TUF target pins match trust-roots/sigstore/."""
    ebuild = TRUSTED_ROOT_EBUILD.read_text()
    trusted_root = (SHIPPED / "sigstore" / "trusted_root.json").read_bytes()
    pinned = re.search(r"^TRUSTED_ROOT_SHA256=([0-9a-f]{64})$", ebuild, re.M)
    assert pinned and pinned.group(1) == hashlib.sha256(trusted_root).hexdigest()
    assert f"\nTRUSTED_ROOT_SIZE={len(trusted_root)}\n" in ebuild
    assert "stat -L -c %s" in ebuild and "stat -c" not in ebuild  # DISTDIR holds symlinks (issue 11)
    import runpy

    build = runpy.run_path(str(REPO / "packaging" / "refresh-job" / "snapshot-tarball"))["build"]
    name, data = build(SHIPPED)
    stamp = TRUSTED_ROOT_EBUILD.name[len("sigstore-trusted-root-0_p"): -len(".ebuild")]
    assert name == f"sigstore-offline-trust-roots-{stamp}.tar"
    manifest = (TRUSTED_ROOT_EBUILD.parent / "Manifest").read_text().splitlines()
    assert manifest == [f"DIST {name} {len(data)} BLAKE2B {hashlib.blake2b(data).hexdigest()}"
                        f" SHA512 {hashlib.sha512(data).hexdigest()}"]
