# SPDX-License-Identifier: Apache-2.0
"""The build-root lanes of tests/run-all.sh (docs/build-roots.md) run what they name: the
interpreter, the distribution's cryptography (kept by pip's resolver), the installed package."""

from __future__ import annotations

import os
import sys

import pytest

from helpers import skip_by_design

# lane -> (Python major.minor, cryptography version)
LANES = {"rhel9": ((3, 9), "36.0.1"), "ubuntu2204": ((3, 10), "3.4.8")}


def test_build_root_lane_uses_what_it_names() -> None:
    import cryptography

    import sigstore_offline

    lane = os.environ.get("SIGSTORE_OFFLINE_LANE")
    skip_by_design(lane not in LANES and lane != "newest", "only meaningful in lanes 3-5 of tests/run-all.sh")
    if lane == "newest":
        assert sys.version_info >= (3, 13)
        assert int(cryptography.__version__.split(".")[0]) >= 46
    else:
        python, version = LANES[lane]
        assert sys.version_info[:2] == python
        assert cryptography.__version__ == version
    assert os.environ.get("SIGSTORE_OFFLINE_LANE_CRYPTOGRAPHY") in (cryptography.__version__, "newest")
    assert "site-packages" in sigstore_offline.__file__
    with pytest.raises(ImportError):
        import sigstore  # noqa: F401 -- the oracle must not be on the product's path


def test_verify_path_needs_nothing_newer_than_the_floor() -> None:
    """The verify path never asks cryptography for what 3.4.8 lacks (the SCT step reads its own)."""
    import pathlib

    import sigstore_offline

    root = pathlib.Path(sigstore_offline.__file__).parent
    newer = ("tbs_precertificate_bytes", "verify_directly_issued_by", "PolicyBuilder", "extension_bytes",
             "signature_hash_algorithm")
    for path in sorted(root.rglob("*.py")):
        if "refresh" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for name in newer:
            if name == "signature_hash_algorithm":
                text = text.replace("cert.signature_hash_algorithm", "")  # Certificate's: in 3.4.8
            assert f".{name}" not in text, f"{path.relative_to(root)} uses .{name}"
