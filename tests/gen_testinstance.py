#!/usr/bin/env python3
"""Write the generated test Sigstore corpus (tests/testinstance/catalog.py) to a directory:

    python3 tests/gen_testinstance.py OUT_DIR [--seed SEED]

OUT_DIR gets the instance's ``trusted_root.json``, ``README.md`` (a table of every case and why it
must verify or fail), and one directory per case in the sigstore-conformance layout, so that
suite's harness or ``verify-bundle`` can run them as they are:

    <case>/bundle.sigstore.json   the bundle
    <case>/artifact               the signed artifact (for DSSE: the in-toto subject)
    <case>/trusted_root.json      the root to verify against (the case's own variant where it has one)
    <case>/identity, issuer       the expected certificate identity and OIDC issuer, or
    <case>/key.pub                the managed key, for publicKey bundles
    <case>/README                 one line: what the case exercises, or what is wrong with it

Expected result is in the name, as in sigstore-conformance: ``_fail`` must be rejected (README.md
also gives the exit code and the step verify-offline rejects it at). Keys derive
from the seed; signatures and the TSA's keys are fresh on every run.
"""

from __future__ import annotations

import json
import pathlib
import sys
from typing import Dict, List, Optional

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from testinstance import catalog
from testinstance.bundle import SIGNED_AT
from testinstance.instance import TestInstance


def write_case(out: pathlib.Path, name: str, case: catalog.Case, instance: TestInstance,
               roots: Dict[object, str]) -> None:
    directory = out / name
    directory.mkdir(parents=True, exist_ok=True)
    generated = instance.bundle(catalog.ARTIFACT, case.options)
    (directory / "bundle.sigstore.json").write_text(generated.json() + "\n")
    (directory / "artifact").write_bytes(generated.artifact)
    key = case.root_key()
    if key not in roots:
        roots[key] = json.dumps(instance.trusted_root_json(**dict(key)), indent=2) + "\n"
    (directory / "trusted_root.json").write_text(roots[key])
    if generated.public_key_pem is not None:
        (directory / "key.pub").write_bytes(generated.public_key_pem)
    else:
        (directory / "identity").write_text(f"{case.identity}\n")
        (directory / "issuer").write_text(f"{case.issuer}\n")
    (directory / "README").write_text(f"{case.why}\n")


def main(argv: List[str]) -> int:
    seed: Optional[str] = None
    if len(argv) == 3 and argv[1] == "--seed":
        seed = argv[2]
    elif len(argv) != 1 or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    out = pathlib.Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    instance = TestInstance() if seed is None else TestInstance(seed=seed)
    roots: Dict[object, str] = {}
    (out / "trusted_root.json").write_text(json.dumps(instance.trusted_root_json(), indent=2) + "\n")
    lines = ["# Generated test Sigstore corpus", "",
             "Written by `tests/gen_testinstance.py` from `tests/testinstance/catalog.py`; do not edit.",
             "Each directory is one case in the sigstore-conformance layout; `_fail` cases must be rejected.",
             f"Bundles are signed at {SIGNED_AT.isoformat()}.", "",
             "| case | expect | what it exercises / what is wrong |", "|---|---|---|"]
    for name, case in sorted(catalog.VALID.items()):
        write_case(out, name, case, instance, roots)
        lines.append(f"| `{name}` | verify | {case.why} |")
    for name, case in sorted(catalog.NEGATIVE.items()):
        write_case(out, f"{name}_fail", case, instance, roots)
        lines.append(f"| `{name}_fail` | fail: exit {case.exit_code} at `{case.step}` | {case.why} |")
    (out / "README.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {len(catalog.VALID)} valid and {len(catalog.NEGATIVE)} failing cases to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
