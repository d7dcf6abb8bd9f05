# SPDX-License-Identifier: Apache-2.0
"""RPM: ``%sigstoreverify`` (packaging/rpm/macros.sigstoreverify) with the real ``rpmbuild``.

Every build runs inside ``unshare -n`` (no network) with ``HOME`` pointing nowhere. The sources
are real: the Sigstore conformance suite's ``a.txt`` and its production bundle
(``happy-path-v0.3``), copied from ../shared into a temporary ``_sourcedir`` at run time. The
macro file is loaded with ``rpmbuild --load`` (nothing is installed on the machine), and
``%__sigstoreverify`` points at ``python -m sigstore_offline.cli.sigstoreverify`` of the
package under test instead of ``%{_bindir}/sigstoreverify``.

A good source builds (short form: a full ``-bb`` producing an RPM; long form: ``-bp``); a
tampered source, a wrong signer and a missing bundle each fail in ``%prep`` with a message that
names the file and the reason. Missing ``rpmbuild`` skips, unless
SIGSTORE_OFFLINE_REQUIRE_ALL_LANES=1 (CI), where it fails.
"""

from __future__ import annotations

import os
import pathlib
import shlex
import shutil
import subprocess
import sys
from typing import Dict, List, Tuple

import pytest

from helpers import CONFORMANCE, GITHUB_ISSUER, REPO, VECTORS, need_no_network, need_shared, need_tool, package_path

MACROS = REPO / "packaging" / "rpm" / "macros.sigstoreverify"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)

SHORT = "%sigstoreverify -k2 -s1 -d0"
LONG = "%{sigstoreverify} --keyring='%{SOURCE2}' --signature='%{SOURCE1}' --data='%{SOURCE0}'"

SPEC = """\
Name:           sigstoreverify-check
Version:        1
Release:        1
Summary:        Checks %%sigstoreverify
License:        Apache-2.0
BuildArch:      noarch
Source0:        a.txt
Source1:        a.txt.sigstore
Source2:        sigstoreverify-check-signers

%%description
A package whose only source is verified by %%sigstoreverify in %%prep.

%%prep
{verify_line}
cp -p %{{SOURCE0}} .

%%build

%%install
mkdir -p %{{buildroot}}%{{_datadir}}/sigstoreverify-check
cp -p a.txt %{{buildroot}}%{{_datadir}}/sigstoreverify-check/

%%files
%{{_datadir}}/sigstoreverify-check/a.txt
"""


def _need(tool: str, apt: str) -> str:
    return need_tool(tool, f"apt-get install {apt}")


_no_network = need_no_network  # ``unshare -n`` as root; ``unshare -r -n`` (a user namespace) otherwise


@pytest.fixture(scope="module")
def rpmbuild() -> str:
    return _need("rpmbuild", "rpm")


def _verifier() -> str:
    return f"{shlex.quote(sys.executable)} -m sigstore_offline.cli.sigstoreverify"


def _topdir(tmp_path: pathlib.Path, *, signers: str, tamper: bool = False, bundle: bool = True) -> pathlib.Path:
    need_shared(CONFORMANCE)
    top = tmp_path / "rpmbuild"
    sources = top / "SOURCES"
    sources.mkdir(parents=True)
    data = (CONFORMANCE / "a.txt").read_bytes()
    (sources / "a.txt").write_bytes(data + b"tampered\n" if tamper else data)
    if bundle:
        shutil.copyfile(CONFORMANCE / "happy-path-v0.3" / "bundle.sigstore.json", sources / "a.txt.sigstore")
    (sources / "sigstoreverify-check-signers").write_text(signers)
    return top


def _build(rpmbuild: str, top: pathlib.Path, verify_line: str, stage: str, *, spec_text: str = SPEC,
           name: str = "sigstoreverify-check", verifier: str = "", **fields: str) -> subprocess.CompletedProcess[str]:
    """rpmbuild ``stage`` of ``spec_text`` (formatted with ``verify_line`` and ``fields``) offline,
    with ``%__sigstoreverify`` the package under test (``verifier``: extra options)."""
    spec = top / f"{name}.spec"
    spec.write_text(spec_text.format(verify_line=verify_line, **fields))
    env: Dict[str, str] = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(top / "no-such-home"),
        "PYTHONPATH": package_path(),
        "LC_ALL": "C.UTF-8",
    }
    argv = [
        *_no_network(), rpmbuild, f"--load={MACROS}",
        "--define", f"_topdir {top}",
        "--define", f"__sigstoreverify {_verifier()}{verifier}",
        "--nodeps", stage, str(spec),
    ]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


GOOD_SIGNERS = f"""\
# Who may sign a.txt: the conformance suite's GitHub Actions workflow.
hugo@python.org https://github.com/login/oauth
{BEACON} {GITHUB_ISSUER}
"""
WRONG_SIGNERS = "# CPython 3.14's release manager did not sign a.txt\nhugo@python.org https://github.com/login/oauth\n"


def _eval(defines: List[str], line: str) -> subprocess.CompletedProcess[str]:
    """``rpm --eval LINE`` with the macro file loaded and ``defines`` (``--define`` pairs)."""
    return subprocess.run(["rpm", f"--load={MACROS}", *defines, "--eval", line], capture_output=True, text=True)


def _expands_to(defines: List[str], line: str, *options: str) -> None:
    """``line`` expands to the installed verifier run with exactly ``options``."""
    result = _eval(defines, line)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["PYTHONNOUSERSITE=1", "/usr/bin/sigstoreverify", *options]


def _refused(defines: List[str], *cases: Tuple[str, str]) -> None:
    """Each (line, message): the expansion fails, and says ``message``."""
    for line, message in cases:
        result = _eval(defines, line)
        assert result.returncode != 0 and message in result.stderr, (line, result.stderr)


def test_macro_file_expands_like_gpgverify(rpmbuild: str, tmp_path: pathlib.Path) -> None:
    """Both forms expand to the installed verifier with --keyring/--signature/--data, quoted."""
    rpmspec = _need("rpmspec", "rpm")
    spec = tmp_path / "x.spec"
    spec.write_text(SPEC.format(verify_line=f"{SHORT}\n{LONG}"))
    result = subprocess.run(
        [rpmspec, f"--load={MACROS}", "--define", f"_sourcedir {tmp_path}/src", "-P", str(spec)],
        capture_output=True, text=True, check=True,
    )
    lines = [line.split() for line in result.stdout.splitlines()
             if line.startswith("PYTHONNOUSERSITE=1 /usr/bin/sigstoreverify ")]
    expected = ["PYTHONNOUSERSITE=1", "/usr/bin/sigstoreverify", f"--keyring='{tmp_path}/src/sigstoreverify-check-signers'",
                f"--signature='{tmp_path}/src/a.txt.sigstore'", f"--data='{tmp_path}/src/a.txt'"]
    assert lines == [expected, expected], result.stdout


def test_macro_policy_forms(rpmbuild: str) -> None:
    """Lower-case options take Source numbers (-p N: a policy file), -P takes a shipped policy's
    name; exactly one of -k, -p, -P; the old "-p cpython" fails and names -P."""
    defines = ["--define", "SOURCE0 /src/Python-3.14.0.tar.xz", "--define", "SOURCE1 /src/Python-3.14.0.tar.xz.sigstore",
               "--define", "SOURCE3 /src/upstream-policy.json"]
    tail = ["--signature='/src/Python-3.14.0.tar.xz.sigstore'", "--data='/src/Python-3.14.0.tar.xz'"]
    for line, policy in (("%sigstoreverify -P cpython -s1 -d0", "cpython"), ("%sigstoreverify -p3 -s1 -d0", "/src/upstream-policy.json")):
        _expands_to(defines, line, f"--policy='{policy}'", *tail)
    _refused(defines, ("%sigstoreverify -P cpython -k1 -s1 -d0", "give one of -k N (a signers file), -p N (a policy file) or -P NAME"),
                      ("%sigstoreverify -s1 -d0", "give one of -k N"),
                      ("%sigstoreverify -p cpython -s1 -d0", "-p takes a Source number (the policy file), not 'cpython'; "
                                                               "for a policy shipped with sigstore-offline, by name, use -P cpython"),
                      ("%sigstoreverify -p9 -s1 -d0", "-p9: this spec has no Source9 (the policy file)"),
                      ("%sigstoreverify -P 'a;b' -s1 -d0", "-P takes the name of a policy shipped with sigstore-offline"),
                      ("%sigstoreverify -P cpython -A 1x -s1 -d0", "-A takes a number of days, not '1x'"))


def test_macro_age_limit(rpmbuild: str) -> None:
    """-A DAYS passes the snapshot age limit to sigstoreverify (the build stops past it)."""
    defines = ["--define", "SOURCE0 /src/a.txt", "--define", "SOURCE1 /src/a.txt.sigstore",
               "--define", "SOURCE2 /src/signers"]
    _expands_to(defines, "%sigstoreverify -A 90 -k2 -s1 -d0", "--max-trust-root-age=90", "--keyring='/src/signers'",
                "--signature='/src/a.txt.sigstore'", "--data='/src/a.txt'")


def test_macro_rejects_a_bad_source_number(rpmbuild: str) -> None:
    result = _eval([], "%sigstoreverify -k9 -s1 -d0")
    assert result.returncode != 0
    assert "%sigstoreverify: -k9: this spec has no Source9 (the signers file)" in result.stderr


def test_short_form_good_source_builds(rpmbuild: str, tmp_path: pathlib.Path) -> None:
    top = _topdir(tmp_path, signers=GOOD_SIGNERS)
    result = _build(rpmbuild, top, SHORT, "-bb")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"sigstoreverify: OK: {top}/SOURCES/a.txt signed by {BEACON} ({GITHUB_ISSUER})" in result.stdout
    assert list((top / "RPMS" / "noarch").glob("sigstoreverify-check-1-1.noarch.rpm"))


def test_long_form_good_source_passes_prep(rpmbuild: str, tmp_path: pathlib.Path) -> None:
    top = _topdir(tmp_path, signers=GOOD_SIGNERS)
    result = _build(rpmbuild, top, LONG, "-bp")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sigstoreverify: OK:" in result.stdout


def _assert_failed_in_prep(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0, result.stdout + result.stderr
    assert "(%prep)" in result.stderr, result.stderr
    assert "sigstoreverify: OK" not in result.stdout
    failure = [line for line in result.stderr.splitlines() if line.startswith("sigstoreverify: FAIL: ")]
    assert len(failure) == 1, result.stderr
    for fragment in fragments:
        assert fragment in failure[0], failure[0]


def test_short_form_tampered_source_fails_in_prep(rpmbuild: str, tmp_path: pathlib.Path) -> None:
    top = _topdir(tmp_path, signers=GOOD_SIGNERS, tamper=True)
    result = _build(rpmbuild, top, SHORT, "-bp")
    _assert_failed_in_prep(result, f"{top}/SOURCES/a.txt: signature: artifact digest", "differs from the bundle")


def test_long_form_wrong_signer_fails_in_prep(rpmbuild: str, tmp_path: pathlib.Path) -> None:
    top = _topdir(tmp_path, signers=WRONG_SIGNERS)
    result = _build(rpmbuild, top, LONG, "-bp")
    _assert_failed_in_prep(
        result, f"{top}/SOURCES/a.txt: identity: signed by {BEACON}",
        f"not one of the 1 signer(s) listed in {top}/SOURCES/sigstoreverify-check-signers",
    )


def test_short_form_missing_bundle_fails_in_prep(rpmbuild: str, tmp_path: pathlib.Path) -> None:
    top = _topdir(tmp_path, signers=GOOD_SIGNERS, bundle=False)
    result = _build(rpmbuild, top, SHORT, "-bp")
    _assert_failed_in_prep(result, f"bundle {top}/SOURCES/a.txt.sigstore does not exist")


# --- PyPI provenance: -a N (and -N FILENAME) --------------------------------------------------------

PYPI_SPEC = """\
Name:           python-example-project
Version:        1.0
Release:        1
Summary:        Checks %%sigstoreverify -a against a PyPI provenance
License:        Apache-2.0
BuildArch:      noarch
Source0:        https://files.pythonhosted.org/packages/source/e/example_project/{sdist}
Source1:        https://pypi.org/integrity/example-project/%{{version}}/example_project-%{{version}}.tar.gz/provenance#/example_project-%{{version}}.tar.gz.provenance
Source2:        python-example-project-sigstore-signers

%%description
A package whose sdist is verified against its PyPI provenance in %%prep.

%%prep
{verify_line}
cp -p %{{SOURCE0}} .

%%build

%%install
mkdir -p %{{buildroot}}%{{_datadir}}/example-project
cp -p {sdist} %{{buildroot}}%{{_datadir}}/example-project/

%%files
%{{_datadir}}/example-project/{sdist}
"""
PYPI_SDIST = "example_project-1.0.tar.gz"
PYPI_SIGNERS = "# The Trusted Publisher of example-project on PyPI\ngithub example/project workflow=release.yml ref=refs/tags/v*\n"


def _pypi_topdir(tmp_path: pathlib.Path, *, sdist: str = PYPI_SDIST, tamper: bool = False,
                 signers: str = PYPI_SIGNERS, **release: str) -> pathlib.Path:
    """An rpmbuild tree whose SOURCES hold an sdist, the provenance PyPI's Integrity API serves for
    it (from the generated test instance, whose trusted root is written beside them), and the
    signers file."""
    import json

    from testinstance import TestInstance, pep740

    instance = TestInstance(seed="rpm pypi provenance")
    top = tmp_path / "rpmbuild"
    sources = top / "SOURCES"
    sources.mkdir(parents=True)
    data = b"example_project 1.0, as uploaded to PyPI\n"
    (sources / sdist).write_bytes(data + b"tampered\n" if tamper else data)
    document = pep740.pypi_release(instance, PYPI_SDIST, data, **release)
    (sources / f"{PYPI_SDIST}.provenance").write_text(json.dumps(document))
    (sources / "python-example-project-sigstore-signers").write_text(signers)
    (top / "trusted_root.json").write_text(json.dumps(instance.trusted_root_json()))
    return top


def _build_pypi(rpmbuild: str, top: pathlib.Path, verify_line: str, *, sdist: str = PYPI_SDIST,
                stage: str = "-bp") -> subprocess.CompletedProcess[str]:
    root = shlex.quote(str(top / "trusted_root.json"))
    return _build(rpmbuild, top, verify_line, stage, spec_text=PYPI_SPEC, name="python-example-project",
                  verifier=f" --trust-root={root}", sdist=sdist)


def test_provenance_macro_expansion(rpmbuild: str) -> None:
    """-a N expands to --provenance, -N to --name; -a needs -k and excludes -s; -N needs -a."""
    defines = ["--define", "SOURCE0 /src/foo-1.0.tar.gz", "--define", "SOURCE1 /src/foo-1.0.tar.gz.provenance",
               "--define", "SOURCE2 /src/signers"]
    _expands_to(defines, "%sigstoreverify -k2 -a1 -N foo-1.0.tar.gz -d0", "--keyring='/src/signers'",
                "--provenance='/src/foo-1.0.tar.gz.provenance'", "--name='foo-1.0.tar.gz'", "--data='/src/foo-1.0.tar.gz'")
    _refused(defines, ("%sigstoreverify -k2 -s1 -a1 -d0", "give -s N (a Sigstore bundle) or -a N (a PyPI provenance), not both"),
                      ("%sigstoreverify -P cpython -a1 -d0", "-a N (a PyPI provenance) needs -k N"),
                      ("%sigstoreverify -k2 -s1 -N foo-1.0.tar.gz -d0", "-N names the file on PyPI"),
                      ("%sigstoreverify -k2 -a1 -N 'a b' -d0", "-N takes a distribution's file name on PyPI"),
                      ("%sigstoreverify -k2 -a7 -d0", "-a7: this spec has no Source7 (the PyPI provenance)"))


def test_provenance_good_sdist_builds(rpmbuild: str, tmp_path: pathlib.Path) -> None:
    """The Source1 URL of PyPI's Integrity API, saved under the sdist's name with #/, is the
    provenance; the build (a full -bb, offline) verifies the sdist against it."""
    top = _pypi_topdir(tmp_path)
    result = _build_pypi(rpmbuild, top, "%sigstoreverify -k2 -a1 -d0", stage="-bb")
    assert result.returncode == 0, result.stdout + result.stderr
    identity = "https://github.com/example/project/.github/workflows/release.yml@refs/tags/v1.0"
    assert f"sigstoreverify: OK: {top}/SOURCES/{PYPI_SDIST} signed by {identity}" in result.stdout
    assert list((top / "RPMS" / "noarch").glob("python-example-project-1.0-1.noarch.rpm"))


def test_provenance_tampered_sdist_fails_in_prep(rpmbuild: str, tmp_path: pathlib.Path) -> None:
    top = _pypi_topdir(tmp_path, tamper=True)
    result = _build_pypi(rpmbuild, top, "%sigstoreverify -k2 -a1 -d0")
    _assert_failed_in_prep(result, f"{top}/SOURCES/{PYPI_SDIST}: signature: ", "does not name the artifact")


def test_provenance_other_publisher_fails_in_prep(rpmbuild: str, tmp_path: pathlib.Path) -> None:
    top = _pypi_topdir(tmp_path, repository="example/fork")
    result = _build_pypi(rpmbuild, top, "%sigstoreverify -k2 -a1 -d0")
    _assert_failed_in_prep(result, f"{top}/SOURCES/{PYPI_SDIST}: identity: signed by https://github.com/example/fork/",
                           "not one of the 1 signer(s) listed in")


def test_provenance_renamed_source_needs_its_pypi_name(rpmbuild: str, tmp_path: pathlib.Path) -> None:
    """A Source0 saved under another name (here by #/) is named with -N; the statement must name it."""
    renamed = "example-project-1.0-pypi.tar.gz"
    top = _pypi_topdir(tmp_path, sdist=renamed)
    result = _build_pypi(rpmbuild, top, f"%sigstoreverify -k2 -a1 -N {PYPI_SDIST} -d0", sdist=renamed)
    assert result.returncode == 0, result.stdout + result.stderr
    result = _build_pypi(rpmbuild, top, "%sigstoreverify -k2 -a1 -N example_project-0.9.tar.gz -d0", sdist=renamed)
    _assert_failed_in_prep(result, "statement:")


# --- GitHub artifact attestations: -s N naming the .jsonl gh attestation download writes ----------------

GH_SPEC = """\
Name:           attest-demo
Version:        0.0.12
Release:        1
Summary:        Checks %%sigstoreverify against GitHub artifact attestations
License:        Apache-2.0
BuildArch:      noarch
Source0:        github_provenance_demo-0.0.12-py3-none-any.whl
Source1:        github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl
Source2:        attest-demo-sigstore-signers

%%description
A package whose source is verified against its GitHub attestations in %%prep.

%%prep
{verify_line}
"""
GH_SIGNERS = "# the workflow that builds the wheel\ngithub actions/attest-demo workflow=build-python.yml ref=refs/heads/main\n"


def _gh_topdir(tmp_path: pathlib.Path, *, tamper: bool = False, signers: str = GH_SIGNERS) -> pathlib.Path:
    github = need_shared(VECTORS / "github")
    top = tmp_path / "rpmbuild"
    sources = top / "SOURCES"
    sources.mkdir(parents=True)
    wheel = (github / "github_provenance_demo-0.0.12-py3-none-any.whl").read_bytes()
    (sources / "github_provenance_demo-0.0.12-py3-none-any.whl").write_bytes(wheel + b"\0" if tamper else wheel)
    shutil.copyfile(github / "github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl",
                    sources / "github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl")
    (sources / "attest-demo-sigstore-signers").write_text(signers)
    return top


def test_github_attestations_pass_prep(rpmbuild: str, tmp_path: pathlib.Path) -> None:
    """A wheel attested by GitHub's own instance (no log entry, RFC 3161 time): the .jsonl as -s,
    verified offline against the shipped production and github snapshots."""
    top = _gh_topdir(tmp_path)
    result = _build(rpmbuild, top, "%sigstoreverify -k2 -s1 -d0", "-bp", spec_text=GH_SPEC, name="attest-demo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not logged (GitHub instance; time from RFC 3161)" in result.stdout, result.stdout


def test_github_attestations_tampered_or_wrong_signer_fail_in_prep(rpmbuild: str, tmp_path: pathlib.Path) -> None:
    top = _gh_topdir(tmp_path / "a", tamper=True)
    result = _build(rpmbuild, top, "%sigstoreverify -k2 -s1 -d0", "-bp", spec_text=GH_SPEC, name="attest-demo")
    _assert_failed_in_prep(result, "does not name the artifact")
    top = _gh_topdir(tmp_path / "b", signers="github actions/other\n")
    result = _build(rpmbuild, top, "%sigstoreverify -k2 -s1 -d0", "-bp", spec_text=GH_SPEC, name="attest-demo")
    _assert_failed_in_prep(result, "identity: ", "but the signers file")
