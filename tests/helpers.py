# SPDX-License-Identifier: Apache-2.0
"""Shared test helpers: paths to the repository, the shipped trust roots and ../shared (read in
place), the prerequisites (skip, or fail in CI), the in-process CLI runner and a small PKI.
Fixtures live in conftest.py; test modules import from here, never from each other."""

from __future__ import annotations

import datetime
import io
import json
import os
import pathlib
import shutil
import subprocess
from typing import Any, Dict, List, NoReturn, Optional, Tuple

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO = pathlib.Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
VECTORS = SHARED / "vectors"
CONFORMANCE = VECTORS / "conformance" / "bundle-verify"
PRODUCTION_ROOT_FOR_CONFORMANCE = VECTORS / "conformance" / "production_trusted_root.json"
CPYTHON = VECTORS / "cpython"
PYPI = VECTORS / "pypi"
SHIPPED = REPO / "trust-roots"
EXAMPLE_BUNDLE = REPO / "docs" / "examples" / "pypi_attestation_models-0.0.4a2.tar.gz.sigstore"
EXAMPLE_DIGEST = "sha256:c9709ce6fd5b67b59b4a28758cf14d3f411803c4b89b6068b1f1a8e4ee94c8ef"
EXAMPLE_IDENTITY = "https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


def package_path() -> str:
    """The directory to put on PYTHONPATH of a subprocess so it imports the same sigstore_offline."""
    import sigstore_offline

    return str(pathlib.Path(sigstore_offline.__file__).resolve().parent.parent)


# --- what a test needs from its surroundings ----------------------------------------------------
#
# Every test that needs something the checkout alone does not give (../shared, a tool, a network
# namespace, an optional module) asks through these helpers, never with a bare pytest.skip: on a
# user's machine a missing prerequisite is a skip with its reason, but under
# SIGSTORE_OFFLINE_REQUIRE_ALL_LANES=1 (CI, .ci/run) it is a failure, so lost coverage cannot hide
# behind a skip. Only what a lane legitimately lacks by design stays a skip there (``need_module``'s
# ``absent_in_lane``).

REQUIRE_ALL_LANES = os.environ.get("SIGSTORE_OFFLINE_REQUIRE_ALL_LANES") == "1"
LANE = os.environ.get("SIGSTORE_OFFLINE_LANE", "")  # "debian12" in tests/run-all.sh's lane 2
# tests/run-all.sh's lanes 3-5 (docs/build-roots.md): a build root's Python and cryptography with
# pytest and hypothesis only, like lane 2 without the extras (no python-tuf, no oracles).
BUILD_ROOT_LANES = ("rhel9", "ubuntu2204", "newest")


def unavailable(reason: str) -> NoReturn:
    """A prerequisite is missing: skip with ``reason``, or fail under SIGSTORE_OFFLINE_REQUIRE_ALL_LANES=1."""
    if REQUIRE_ALL_LANES:
        pytest.fail(f"{reason} (required: SIGSTORE_OFFLINE_REQUIRE_ALL_LANES=1)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def skip_by_design(condition: bool, reason: str) -> None:
    """Skip, in CI too, when ``condition`` holds because of what this lane *is*, not because
    something is missing: test code needing an API the lane's cryptography predates, a builder
    bug of that version, a check meaningful in other lanes only. ``reason`` names the version and
    which lane runs the test instead."""
    if condition:
        pytest.skip(reason, allow_module_level=True)


def require(condition: bool, reason: str) -> None:
    """``unavailable(reason)`` unless ``condition``: for prerequisites the helpers below do not cover."""
    if not condition:
        unavailable(reason)


def need_shared(path: pathlib.Path) -> pathlib.Path:
    """``path`` under ../shared, which lives beside the checkout (not in a user's clone)."""
    if not path.exists():
        unavailable(f"{path} is absent: the shared test vectors live beside the repository")
    return path


def need_tool(tool: str, install: str, *, path: Optional[str] = None) -> str:
    """The full path of ``tool`` (searched on ``path``, default $PATH); ``install`` says how to get
    it ("apt-get install util-linux")."""
    found = shutil.which(tool, path=path)
    if found is None:
        unavailable(f"{tool} is not installed ({install})")
    return found


def need_no_network(*, as_user: bool = True) -> List[str]:
    """The command prefix that runs a command with no network: ``unshare -n``, as root; elsewhere
    ``unshare -r -n`` (a user namespace) when ``as_user``. Checked by running ``true`` in it."""
    need_tool("unshare", "apt-get install util-linux")
    prefix = ["unshare", "-n"] if os.geteuid() == 0 or not as_user else ["unshare", "-r", "-n"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        unavailable(f"cannot make a network namespace ({' '.join(prefix)}): {probe.stderr.strip()}")
    return prefix


def need_module(name: str, why: str, *, absent_in_lane: Optional[str] = None) -> Any:
    """Import ``name`` (an optional dependency: ``why`` says which extra brings it). A lane that
    lacks it by design (``absent_in_lane``, e.g. "debian12": apt has no python-tuf; the extras-free
    build-root lanes 3-5, BUILD_ROOT_LANES, count as "debian12" here) skips there
    even under SIGSTORE_OFFLINE_REQUIRE_ALL_LANES=1; anywhere else a missing module is
    ``unavailable``. Only ModuleNotFoundError for the module itself counts as missing: any other
    import error is a bug and propagates."""
    import importlib

    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not (name == exc.name or name.startswith(exc.name + ".")):
            raise
        reason = f"{name} is not installed ({why})"
        if absent_in_lane is not None and (LANE == absent_in_lane or (absent_in_lane == "debian12" and LANE in BUILD_ROOT_LANES)):
            pytest.skip(f"{reason}: the {LANE} lane has no {name} by design", allow_module_level=True)
        unavailable(reason)


def need_tuf() -> Any:
    """python-tuf, from the [refresh] extra. Debian 12 has no python3-tuf, so lane 2 of
    tests/run-all.sh runs without it by design; everywhere else it is required in CI."""
    return need_module("tuf", "the [refresh] extra: pip install -e '.[refresh]'", absent_in_lane="debian12")


def run_cli(argv: List[str]) -> Tuple[int, str, str]:
    """Run verify-offline in-process; return (exit code, stdout, stderr)."""
    from sigstore_offline.cli.verify_offline import main

    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def run_json(argv: List[str]) -> Tuple[int, List[Dict[str, Any]], str]:
    code, out, err = run_cli(["--json", *argv])
    return code, [json.loads(line) for line in out.splitlines()], err


def step_of(records: List[Dict[str, Any]]) -> Optional[str]:
    failed = [r for r in records if not r["verified"]]
    return failed[0]["step"] if failed else None


# --- a small PKI for the chain checks (test_certchain, test_steps) ------------------------------

UTC = datetime.timezone.utc
T0 = datetime.datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
AT = T0 + datetime.timedelta(minutes=5)


def edit_bytes(data: Any, value: bytearray) -> None:
    """One random edit of ``value`` for a fuzz test (``data``: hypothesis's ``st.data()``): a byte
    flipped, inserted or deleted."""
    from hypothesis import strategies as st

    kind = data.draw(st.sampled_from(["flip", "insert", "delete"]))
    position = data.draw(st.integers(0, len(value) - 1))
    if kind == "flip":
        value[position] ^= data.draw(st.integers(1, 255))
    elif kind == "insert":
        value[position:position] = bytes([data.draw(st.integers(0, 255))])
    else:
        del value[position]


_OURS: Dict[bytes, Any] = {}


def ours(cert: x509.Certificate) -> Any:
    """A certificate built with cryptography's builders, as the verifier reads it
    (``model.load_certificate``: the project's own reader); the same object for the same bytes."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from sigstore_offline.model import load_certificate

    data = cert.public_bytes(Encoding.DER)
    if data not in _OURS:
        _OURS[data] = load_certificate(data, "test certificate")
    return _OURS[data]


def cert_name(cn: str) -> x509.Name:
    """A Name with just this common name."""
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_cert(
    subject: str,
    key: Any,
    issuer: Optional[x509.Certificate],
    issuer_key: Any,
    *,
    ca: Optional[bool],
    path_length: Optional[int] = None,
    key_cert_sign: bool = True,
    digital_signature: bool = True,
    eku: Optional[List[x509.ObjectIdentifier]] = None,
    not_before: datetime.datetime = T0 - datetime.timedelta(days=1),
    not_after: datetime.datetime = T0 + datetime.timedelta(days=1),
    extra_critical: bool = False,
    include_key_usage: bool = True,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(cert_name(subject))
        .issuer_name(issuer.subject if issuer is not None else cert_name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    if include_key_usage:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=digital_signature, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=key_cert_sign and bool(ca),
                          crl_sign=bool(ca), encipher_only=False, decipher_only=False),
            critical=True,
        )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if extra_critical:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"), critical=True
        )
    return builder.sign(issuer_key, hashes.SHA256())


class PKI:
    """A root, an intermediate and a code-signing leaf (certchain tests); ``leaf`` options change one property."""

    def __init__(self, **leaf: Any) -> None:
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.inter_key = ec.generate_private_key(ec.SECP256R1())
        self.leaf_key = ec.generate_private_key(ec.SECP256R1())
        self.root = make_cert("root", self.root_key, None, self.root_key, ca=True, path_length=1)
        self.inter = make_cert("inter", self.inter_key, self.root, self.root_key, ca=True, path_length=0)
        options = {"ca": False, "eku": [ExtendedKeyUsageOID.CODE_SIGNING]}
        options.update(leaf)
        self.leaf = make_cert("leaf", self.leaf_key, self.inter, self.inter_key, **options)

    @property
    def chain(self) -> List[x509.Certificate]:
        return [self.inter, self.root]
