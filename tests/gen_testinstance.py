#!/usr/bin/env python3
"""Write a generated test Sigstore corpus to a directory, for people and other tools to inspect:

    python3 tests/gen_testinstance.py OUT_DIR

OUT_DIR gets trusted_root.json, artifact, and one bundle per shape and per negative variant of
tests/test_generated.py (named like its cases, ``_fail`` for the negatives), plus README.md
listing the step each negative must fail at. The tests build the same material afresh on every run.
"""

from __future__ import annotations

import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from test_generated import ARTIFACT, NEGATIVE, VALID, _make  # noqa: E402
from testinstance.world import IDENTITY, ISSUER, TestSigstore  # noqa: E402


def main(argv: list) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = pathlib.Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    world = TestSigstore()
    (out / "trusted_root.json").write_text(json.dumps(world.trusted_root(), indent=2))
    (out / "artifact").write_bytes(ARTIFACT)
    lines = ["# Generated test Sigstore corpus", "", f"Identity `{IDENTITY}`, issuer `{ISSUER}` unless the case says otherwise.", "",
             "| bundle | expected |", "|---|---|"]
    for name, options in sorted(VALID.items()):
        (out / f"{name}.sigstore.json").write_text(json.dumps(_make(world, options), indent=2))
        lines.append(f"| {name}.sigstore.json | verifies |")
    for name, (options, step, _) in sorted(NEGATIVE.items()):
        (out / f"{name}_fail.sigstore.json").write_text(json.dumps(_make(world, options), indent=2))
        lines.append(f"| {name}_fail.sigstore.json | fails at `{step}` |")
    (out / "README.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {len(VALID) + len(NEGATIVE)} bundles to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
