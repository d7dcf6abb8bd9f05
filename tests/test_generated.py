# SPDX-License-Identifier: Apache-2.0
"""verify-offline on every case of the generated test Sigstore instance (tests/testinstance/catalog.py).

* Every valid shape in ``catalog.VALID`` verifies, by artifact file and by digest, and the JSON
  record names the case's identity.
* Every negative in ``catalog.NEGATIVE`` is rejected with its expected exit code at its expected
  step (``Case.exit_code``, ``Case.step``): a case that starts failing for some other reason fails
  here, not only one that starts verifying.
* ``tests/gen_testinstance.py`` writes the same catalog as a corpus the CLI takes as it is.

sigstore-python's verdict on the same cases is in tests/test_testinstance_oracle.py.
"""

from __future__ import annotations

import hashlib
import pathlib
import subprocess
import sys
from typing import Any, Dict, List, Tuple

import cryptography
import pytest

from helpers import run_json, skip_by_design
from testinstance import catalog
from testinstance.bundle import Generated
from testinstance.instance import TestInstance

# Every step a negative may name: what verify-offline reports (sigstore_offline.verify).
STEPS = {"certificate-chain", "sct", "identity", "signature", "tlog", "tlog-entry", "set", "inclusion-proof",
         "checkpoint", "timestamp", "time"}




def _verify(generated: Generated, case: catalog.Case, root: pathlib.Path, tmp_path: pathlib.Path, *,
            by_digest: bool = False) -> Tuple[int, List[Dict[str, Any]], str]:
    (tmp_path / "bundle.json").write_text(generated.json())
    argv = ["--bundle", str(tmp_path / "bundle.json"), "--trusted-root", str(root)]
    if generated.public_key_pem is not None:
        (tmp_path / "key.pub").write_bytes(generated.public_key_pem)
        argv += ["--key", str(tmp_path / "key.pub")]
    else:
        assert case.identity is not None and case.issuer is not None
        argv += ["--cert-identity", case.identity, "--cert-oidc-issuer", case.issuer]
    if by_digest:
        target = "sha256:" + hashlib.sha256(generated.artifact).hexdigest()
    else:
        (tmp_path / "artifact").write_bytes(generated.artifact)
        target = str(tmp_path / "artifact")
    return run_json(argv + [target])


@pytest.mark.parametrize("name", sorted(catalog.VALID))
def test_valid_case_verifies(catalog_instance: TestInstance, catalog_roots: Dict[Any, pathlib.Path], tmp_path: pathlib.Path,
                             name: str) -> None:
    case = catalog.VALID[name]
    generated = catalog_instance.bundle(catalog.ARTIFACT, case.options)
    for by_digest in (False, True):
        code, records, err = _verify(generated, case, catalog_roots[case.root_key()], tmp_path, by_digest=by_digest)
        assert code == 0, err
        (record,) = records
        assert record["verified"] is True
        if case.identity is not None:
            assert record["identity"] == case.identity


@pytest.mark.parametrize("name", sorted(catalog.NEGATIVE))
def test_negative_case_fails_at_its_step(catalog_instance: TestInstance, catalog_roots: Dict[Any, pathlib.Path],
                                         tmp_path: pathlib.Path, name: str) -> None:
    case = catalog.NEGATIVE[name]
    skip_by_design(name.startswith("leaf-without-digital-signature") and cryptography.__version__.split(".")[0] in ("35", "36"),
                   "cryptography 35/36's builder encodes an all-zero KeyUsage as an empty extnValue: this leaf cannot be made there")
    code, records, err = _verify(catalog_instance.bundle(catalog.ARTIFACT, case.options), case, catalog_roots[case.root_key()],
                                 tmp_path)
    assert "Traceback" not in err
    (record,) = records
    assert record["verified"] is False
    assert (code, record["step"]) == (case.exit_code, case.step), f"{name} ({case.why}): {err.strip()}"


def test_every_negative_names_a_real_step_and_exit_code() -> None:
    """The catalog's expectations are from the verifier's vocabulary, and every negative has one."""
    for name, case in catalog.NEGATIVE.items():
        assert case.step in STEPS and case.exit_code in (1, 4), name
    for name, case in catalog.VALID.items():
        assert case.step is None and case.exit_code == 0, name
    assert set(catalog.TAMPER_STEPS) == set(catalog.TAMPERS)


def test_checkpoint_without_origin_is_malformed_input(catalog_instance: TestInstance, catalog_roots: Dict[Any, pathlib.Path],
                                                      tmp_path: pathlib.Path) -> None:
    """Decided (issue 9): a signed note whose body lacks the origin line cannot be parsed as a
    checkpoint at all, so it is malformed nested input (exit 4, InputError at step checkpoint), like
    any other unparsable field of a bundle, not a checkpoint that fails to verify (exit 1)."""
    case = catalog.NEGATIVE["checkpoint-origin-missing.rekor1"]
    code, records, err = _verify(catalog_instance.bundle(catalog.ARTIFACT, case.options), case, catalog_roots[()], tmp_path)
    assert code == 4 and records[0]["step"] == "checkpoint", err
    assert "expected origin, tree size and root hash" in err


def test_ca_validity_end_is_exact_to_the_second(catalog_instance: TestInstance, catalog_roots: Dict[Any, pathlib.Path],
                                                tmp_path: pathlib.Path) -> None:
    """The pair around the CA window's end: signing at the end verifies, a second later does not."""
    at_end = catalog.VALID["ca-validity-end-inclusive"]
    after_end = catalog.NEGATIVE["ca-validity-ended-a-second-before"]
    assert at_end.options == after_end.options
    generated = catalog_instance.bundle(catalog.ARTIFACT, at_end.options)
    assert _verify(generated, at_end, catalog_roots[at_end.root_key()], tmp_path)[0] == 0
    code, records, _ = _verify(generated, after_end, catalog_roots[after_end.root_key()], tmp_path)
    assert (code, records[0]["step"]) == (1, "certificate-chain")


def test_generated_corpus_through_the_cli(tmp_path: pathlib.Path) -> None:
    """Every case tests/gen_testinstance.py writes (conformance-suite layout): valid ones verify,
    ``_fail`` ones are rejected with their case's exit code, never with a bug."""
    script = pathlib.Path(__file__).with_name("gen_testinstance.py")
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, capture_output=True)
    cases = sorted(p for p in tmp_path.iterdir() if (p / "bundle.sigstore.json").exists())
    assert len(cases) == len(catalog.VALID) + len(catalog.NEGATIVE)
    wrong = []
    for case in cases:
        argv = ["--bundle", str(case / "bundle.sigstore.json"), "--trusted-root", str(case / "trusted_root.json")]
        if (case / "key.pub").exists():
            argv += ["--key", str(case / "key.pub")]
        else:
            argv += ["--cert-identity", (case / "identity").read_text().strip(),
                     "--cert-oidc-issuer", (case / "issuer").read_text().strip()]
        code, records, err = run_json(argv + [str(case / "artifact")])
        if case.name.endswith("_fail"):
            expected = catalog.NEGATIVE[case.name[:-len("_fail")]]
            got = (code, records[0]["step"] if records else None)
            if got != (expected.exit_code, expected.step):
                wrong.append(f"{case.name}: exit {code} {err.strip()[:200]}")
        elif code != 0:
            wrong.append(f"{case.name}: exit {code} {err.strip()[:200]}")
    assert not wrong, "\n".join(wrong)
