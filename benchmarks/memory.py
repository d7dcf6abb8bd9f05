# SPDX-License-Identifier: Apache-2.0
"""Peak memory of ``verify-offline`` on hostile bundles at the size limit, against a real bundle.

Each bundle is as large as ``limits.MAX_BUNDLE_BYTES`` allows and shaped to make a JSON parser
allocate: one huge base64 string, as many small values as the value limit allows, long keys,
astral-plane text (four bytes per character in memory). Each is verified in a fresh process
(``python -m sigstore_offline``), whose peak RSS comes from ``wait4``; the figure that matters is
the peak over the baseline (the same command on the small real bundle), against the input's size.

    python benchmarks/memory.py [--write docs/memory.md]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import pathlib
import subprocess
import sys
import tempfile
from typing import Callable, Dict, List, Tuple

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from sigstore_offline.limits import MAX_BUNDLE_BYTES, MAX_JSON_VALUES  # noqa: E402

EXAMPLE = REPO / "docs" / "examples" / "pypi_attestation_models-0.0.4a2.tar.gz.sigstore"
DIGEST = "sha256:c9709ce6fd5b67b59b4a28758cf14d3f411803c4b89b6068b1f1a8e4ee94c8ef"
ARGV = ["--cert-identity", "https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml"
        "@refs/tags/v0.0.4a2", "--cert-oidc-issuer", "https://token.actions.githubusercontent.com"]
LIMIT = MAX_BUNDLE_BYTES - 1024


def _fill(prefix: bytes, unit: bytes, suffix: bytes, count: int) -> bytes:
    return prefix + unit * count + suffix


def huge_base64() -> bytes:
    """A v0.3 bundle whose DSSE payload is one base64 string filling the limit."""
    document = json.loads(EXAMPLE.read_text())
    head = json.dumps(document).encode()
    room = (LIMIT - len(head)) // 4 * 3
    document["dsseEnvelope"]["payload"] = base64.b64encode(b"\0" * room).decode()
    return json.dumps(document).encode()[:MAX_BUNDLE_BYTES]


def many_values() -> bytes:
    """Just under the value limit of small strings, padded to the size limit with white space."""
    body = _fill(b'{"mediaType": "x", "pad": [', b'"abcdefghijklmnop",', b'"z"]}', MAX_JSON_VALUES - 10)
    return body + b" " * (LIMIT - len(body))


def long_keys() -> bytes:
    """Objects with long distinct keys, as many as the value limit allows."""
    count = min(MAX_JSON_VALUES // 2 - 10, LIMIT // 40)
    key_len = max(8, LIMIT // max(count, 1) - 8)
    members = b",".join(b'"%0*d": 0' % (key_len, i) for i in range(count))
    return b'{"mediaType": "x", "pad": {' + members + b"}}"


def astral_text() -> bytes:
    """A string of four-byte characters: 4 bytes in the file, 4 bytes each in memory."""
    return _fill(b'{"mediaType": "x", "pad": "', "\U0001F600".encode(), b'"}', LIMIT // 4)


def real_bundle() -> bytes:
    return EXAMPLE.read_bytes()


SHAPES: Dict[str, Callable[[], bytes]] = {
    "real bundle (baseline)": real_bundle,
    "one huge base64 payload": huge_base64,
    "many small values": many_values,
    "long distinct keys": long_keys,
    "astral-plane text": astral_text,
}


def peak_rss_kib(bundle: pathlib.Path) -> Tuple[int, int]:
    """(exit status, peak RSS in KiB) of one verify-offline process."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO / "src")}
    process = subprocess.Popen([sys.executable, "-m", "sigstore_offline", "-q", *ARGV, "--bundle", str(bundle),
                                DIGEST], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss


def measure(runs: int) -> List[Tuple[str, int, int, int]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in SHAPES.items():
            path = pathlib.Path(tmp) / "bundle.sigstore"
            data = make()
            path.write_bytes(data)
            peaks = []
            for _ in range(runs):
                code, peak = peak_rss_kib(path)
                peaks.append(peak)
            rows.append((name, len(data), code, sorted(peaks)[len(peaks) // 2]))
    return rows


def table(rows: List[Tuple[str, int, int, int]]) -> str:
    base = rows[0][3]
    lines = ["| bundle | size | exit | peak RSS | over baseline | over baseline / size |",
             "|---|---|---|---|---|---|"]
    for name, size, code, peak in rows:
        over = max(0, peak - base)
        lines.append(f"| {name} | {size / 1024:.0f} KiB | {code} | {peak / 1024:.1f} MiB | {over / 1024:.1f} MiB |"
                     f" {over * 1024 / size:.1f}× |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", metavar="FILE", help="write the figures as a Markdown page")
    args = parser.parse_args()
    rows = measure(args.runs)
    text = table(rows)
    print(text)
    if args.write:
        pathlib.Path(args.write).write_text(
            "# Memory on hostile bundles\n\n"
            f"Generated by `python benchmarks/memory.py --write {args.write}` (median of {args.runs} runs, one process"
            f" each; Python {sys.version.split()[0]}). Bundles are at the size limit"
            f" ({MAX_BUNDLE_BYTES // (1024 * 1024)} MiB) and shaped to make the JSON parser allocate; at most"
            f" {MAX_JSON_VALUES} JSON values are accepted. The last column is the peak over the baseline,"
            " divided by the bundle's size.\n\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
