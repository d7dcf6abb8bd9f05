"""PEP 740 subject names versus the distribution's filename: the issue-9 examples, pinned to the
oracle (issue 9, task 5).

Issue 9 asked for "file names as strict as pypi-attestations: the archive suffix must match and
the version is compared as a normalised string", because the real pypi_attestations-0.0.19.tar.gz
provenance also passes as ``.zip`` and as ``0.0.19.0``. The pypi-attestations this project tests
against (0.0.30, the test extra's oracle) does *not* do that: ``_check_dist_filename`` returns
``packaging``'s parse, ``(name, Version)`` for an sdist -- no suffix, and ``Version`` compares by
PEP 440 equality -- and ``Attestation.verify`` compares those parses. Comparing normalised
strings with the suffix was pypi-attestations' older "ultranormalized" check, which it dropped
(its code comment cites pypi/warehouse#18128 and pypi/pypi-attestations#123).

So verify-offline keeps the oracle's rule (``distname.same_distribution``), and these tests fail
the day the oracle (or we) change it: the example pairs below, and the real provenance under
both spellings, must get the same verdict from both.
"""

from __future__ import annotations

from typing import Any, Optional

import pytest

from conftest import PYPI, need_shared
from sigstore_offline.pypi.distname import same_distribution

REAL = "pypi_attestations-0.0.19.tar.gz"
PAIRS = [
    (REAL, "pypi_attestations-0.0.19.zip"),  # another archive suffix
    (REAL, "pypi_attestations-0.0.19.0.tar.gz"),  # 0.0.19 == 0.0.19.0 (PEP 440)
    (REAL, "pypi_attestations-0.0.19.0.zip"),
    (REAL, "PyPI.Attestations-0.0.19.tar.gz"),  # PEP 503 name
    (REAL, "pypi_attestations-0.0.19-py3-none-any.whl"),  # sdist vs wheel: different
    (REAL, "pypi_attestations-0.0.20.tar.gz"),
    ("foo-1.0-py3-none-any.whl", "foo-1.0.0-py3-none-any.whl"),
]


def _oracle(name: str) -> Optional[Any]:
    impl = pytest.importorskip("pypi_attestations._impl")
    try:
        return impl._check_dist_filename(name)
    except ValueError:
        return None


@pytest.mark.oracle
@pytest.mark.parametrize("a, b", PAIRS)
def test_same_verdict_as_pypi_attestations(a: str, b: str) -> None:
    assert same_distribution(a, b) == (_oracle(a) == _oracle(b))


def test_the_oracle_rule_without_the_oracle() -> None:
    """The same verdicts, stated (lane 2 has no oracle)."""
    assert [same_distribution(a, b) for a, b in PAIRS] == [True, True, True, True, False, False, True]


@pytest.mark.parametrize("name, code", [("pypi_attestations-0.0.19.zip", 0), ("pypi_attestations-0.0.19.0.tar.gz", 0),
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
        assert "statement" in out.getvalue() + err.getvalue()
