# SPDX-License-Identifier: Apache-2.0
"""PEP 740 subject names versus the distribution's filename (issue 9: "file names as strict as
pypi-attestations: the archive suffix must match and the version is compared as a normalised
string").

verify-offline compares the statement's subject name with the distribution's filename as
pypi-attestations' "ultranormalized" check did: the PEP 503 project name, the version as its
PEP 440 normalised string (``0.0.19`` and ``0.0.19.0`` differ), and the archive suffix. The
pypi-attestations release in the test extra (0.0.30) is laxer: ``_check_dist_filename`` returns
``packaging``'s ``(name, Version)``, with no suffix and PEP 440 equality. Where the two differ,
verify-offline refuses and the oracle accepts; the tests below pin both sides, so a change in
either is seen.
"""

from __future__ import annotations

from typing import Any, Optional

import pytest

from helpers import PYPI, need_module, need_shared
from sigstore_offline.pypi.distname import same_distribution

REAL = "pypi_attestations-0.0.19.tar.gz"
# (a, b, verify-offline's verdict, pypi-attestations 0.0.30's verdict)
PAIRS = [
    (REAL, "pypi_attestations-0.0.19.zip", False, True),  # another archive suffix
    (REAL, "pypi_attestations-0.0.19.0.tar.gz", False, True),  # 0.0.19 == 0.0.19.0 (PEP 440), not as strings
    (REAL, "pypi_attestations-0.0.19.0.zip", False, True),
    (REAL, "PyPI.Attestations-0.0.19.tar.gz", True, True),  # PEP 503 name
    (REAL, "pypi_attestations-00.0.019.tar.gz", True, True),  # normalised string: leading zeros go
    (REAL, "pypi_attestations-0.0.19-py3-none-any.whl", False, False),  # sdist vs wheel
    (REAL, "pypi_attestations-0.0.20.tar.gz", False, False),
    ("foo-1.0-py3-none-any.whl", "foo-1.0.0-py3-none-any.whl", False, True),
    ("foo-1.0-py3-none-any.whl", "Foo-1.0-py3-none-any.whl", True, True),
]


def _oracle(name: str) -> Optional[Any]:
    impl = need_module("pypi_attestations._impl", "the test extra's pypi-attestations oracle",
                       absent_in_lane="debian12")
    try:
        return impl._check_dist_filename(name)
    except ValueError:
        return None


@pytest.mark.oracle
@pytest.mark.parametrize("a, b, ours, theirs", PAIRS)
def test_verdicts_beside_pypi_attestations(a: str, b: str, ours: bool, theirs: bool) -> None:
    assert (_oracle(a) == _oracle(b)) is theirs


@pytest.mark.parametrize("a, b, ours, theirs", PAIRS)
def test_suffix_and_normalised_version_must_match(a: str, b: str, ours: bool, theirs: bool) -> None:
    assert same_distribution(a, b) is ours
    assert same_distribution(b, a) is ours


@pytest.mark.parametrize("name, code", [("pypi_attestations-0.0.19.tar.gz", 0), ("PyPI.Attestations-0.0.19.tar.gz", 0),
                                        ("pypi_attestations-0.0.19.zip", 1), ("pypi_attestations-0.0.19.0.tar.gz", 1),
                                        ("pypi_attestations-0.0.20.tar.gz", 1)])
def test_real_provenance_under_other_spellings(name: str, code: int) -> None:
    import io
    import json

    from sigstore_offline.cli.verify_offline import main

    artifacts = json.loads((need_shared(PYPI) / "artifacts.json").read_text())
    digest = next(item["digest"] for item in artifacts if item["artifact"] == REAL)
    out, err = io.StringIO(), io.StringIO()
    result = main(["pypi", "--json", "--name", name, "--provenance", str(PYPI / f"{REAL}.provenance"),
                   "--repository", "trailofbits/pypi-attestations", "--workflow", "release.yml", digest],
                  out=out, err=err)
    assert result == code, err.getvalue()
    if code:
        assert json.loads(out.getvalue())["step"] == "statement"
