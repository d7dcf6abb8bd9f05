#!/usr/bin/env python3
"""Speed and memory of verify-offline side by side with sigstore-python, in one run.

    .venv/bin/python benchmarks/bench.py [--runs N] [--hash-mib MIB] [--write docs/performance.md]

Measures, on the 353 real CPython bundles in ../shared/vectors/cpython (verified by digest):
  * cold single-bundle CLI time: `verify-offline` vs `sigstore verify identity --offline`
    (median of N runs each, a fresh process every time, HOME pointed at an empty directory);
  * in-process batch throughput over all 353 bundles: sigstore_offline's API vs sigstore-python's
    Verifier.verify_artifact loop, each with its trust root parsed once;
  * peak RSS of each CLI run (ru_maxrss of the child), and of verify-offline hashing a small and a
    large artifact (flat in artifact size);
  * SHA-256 hashing throughput of verify-offline's artifact reader vs `sha256sum` on one file.
Nothing here is asserted; the figures go to standard output and, with --write, to a Markdown file.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Tuple

REPO = pathlib.Path(__file__).resolve().parent.parent
CPYTHON = REPO.parent / "shared" / "vectors" / "cpython"
VENV_BIN = pathlib.Path(sys.executable).parent


def _child_run(argv: List[str], env: Dict[str, str]) -> Tuple[float, int, int]:
    """Run argv in a fresh process; return (seconds, exit code, peak RSS in KiB of that child)."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter(); r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "d = time.perf_counter() - t\n"
        "print(d, r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, env=env, check=True)
    seconds, code, rss = out.stdout.split()
    return float(seconds), int(code), int(rss)


def _manifest() -> List[dict]:
    return json.loads((CPYTHON / "manifest.json").read_text())


def cold_cli(runs: int) -> Dict[str, Dict[str, float]]:
    item = next(i for i in _manifest() if i["artifact"] == "Python-3.14.0.tgz")
    home = tempfile.mkdtemp(prefix="bench-home-")
    env = dict(os.environ, HOME=home, XDG_CACHE_HOME=home, XDG_DATA_HOME=home)
    common = ["--bundle", str(CPYTHON / item["bundle"]), "--cert-identity", item["identity"],
              "--cert-oidc-issuer", item["issuer"], item["digest"]]
    tools = {
        "verify-offline": [str(VENV_BIN / "verify-offline"), *common],
        "sigstore-python": [str(VENV_BIN / "sigstore"), "verify", "identity", "--offline", *common],
    }
    results: Dict[str, Dict[str, float]] = {}
    for name, argv in tools.items():
        _child_run(argv, env)  # warm the page cache, not the process
        samples = [_child_run(argv, env) for _ in range(runs)]
        codes = {code for _, code, _ in samples}
        if codes != {0}:
            raise SystemExit(f"{name} did not verify Python-3.14.0.tgz (exit {codes})")
        results[name] = {"median_s": statistics.median(s for s, _, _ in samples),
                         "min_s": min(s for s, _, _ in samples),
                         "rss_mib": max(r for _, _, r in samples) / 1024}
    shutil.rmtree(home, ignore_errors=True)
    return results


def batch() -> Dict[str, Dict[str, float]]:
    items = _manifest()
    results: Dict[str, Dict[str, float]] = {}

    from sigstore_offline.model import parse_bundle
    from sigstore_offline.policy import Identity
    from sigstore_offline.trust import store
    from sigstore_offline.verify.pipeline import Artifact, verify

    root = store.shipped(store.PRODUCTION)
    start = time.perf_counter()
    for item in items:
        bundle = parse_bundle((CPYTHON / item["bundle"]).read_bytes())
        verify(bundle, artifact=Artifact(item["artifact"], bytes.fromhex(item["digest"][7:])), trusted_root=root,
               policy=Identity.build(san=item["identity"], issuer=item["issuer"]))
    elapsed = time.perf_counter() - start
    results["verify-offline"] = {"seconds": elapsed, "per_s": len(items) / elapsed}

    from sigstore.hashes import Hashed
    from sigstore.models import Bundle, TrustedRoot
    from sigstore.verify import Verifier, policy
    from sigstore_models.common.v1 import HashAlgorithm

    verifier = Verifier(trusted_root=TrustedRoot.from_file(str(REPO / "trust-roots" / "sigstore" / "trusted_root.json")))
    start = time.perf_counter()
    for item in items:
        bundle = Bundle.from_json((CPYTHON / item["bundle"]).read_bytes())
        verifier.verify_artifact(
            Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(item["digest"][7:])), bundle,
            policy.Identity(identity=item["identity"], issuer=item["issuer"]),
        )
    elapsed = time.perf_counter() - start
    results["sigstore-python"] = {"seconds": elapsed, "per_s": len(items) / elapsed}
    return results


SIGSTORE_LOOP = """
import json, pathlib, sys
from sigstore.hashes import Hashed
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier, policy
from sigstore_models.common.v1 import HashAlgorithm
corpus, root = pathlib.Path(sys.argv[1]), sys.argv[2]
verifier = Verifier(trusted_root=TrustedRoot.from_file(root))
for item in json.loads((corpus / "manifest.json").read_text()):
    verifier.verify_artifact(
        Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(item["digest"][7:])),
        Bundle.from_json((corpus / item["bundle"]).read_bytes()),
        policy.Identity(identity=item["identity"], issuer=item["issuer"]))
"""


def manifest_run(runs: int = 3) -> Dict[str, Dict[str, float]]:
    """Whole processes, start-up included: ``verify-offline --manifest`` (all cores) against a
    sigstore-python script that loops over the same corpus with one Verifier."""
    tools = {
        "verify-offline": [str(VENV_BIN / "verify-offline"), "-q", "--manifest", str(CPYTHON / "manifest.json")],
        "sigstore-python": [sys.executable, "-c", SIGSTORE_LOOP, str(CPYTHON),
                            str(REPO / "trust-roots" / "sigstore" / "trusted_root.json")],
    }
    results: Dict[str, Dict[str, float]] = {}
    for name, argv in tools.items():
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True)
            samples.append(time.perf_counter() - start)
        seconds = statistics.median(samples)
        results[name] = {"seconds": seconds, "per_s": 353 / seconds}
    return results


def hashing(mib: int) -> Dict[str, float]:
    from sigstore_offline.inputs import hash_file

    with tempfile.TemporaryDirectory(prefix="bench-hash-") as tmp:
        big = pathlib.Path(tmp) / "big.bin"
        chunk = os.urandom(1024 * 1024)
        with open(big, "wb") as handle:
            for _ in range(mib):
                handle.write(chunk)
        small = pathlib.Path(tmp) / "small.bin"
        small.write_bytes(chunk)
        subprocess.run(["sha256sum", str(big)], capture_output=True, check=True)  # page cache
        start = time.perf_counter()
        subprocess.run(["sha256sum", str(big)], capture_output=True, check=True)
        coreutils = time.perf_counter() - start
        start = time.perf_counter()
        hash_file(big)
        ours = time.perf_counter() - start
        # Peak RSS of the CLI on a small and on the large artifact (the signature check then fails,
        # after the whole file has been hashed: what is measured is memory, not the verdict).
        example = REPO / "docs" / "examples" / "pypi_attestation_models-0.0.4a2.tar.gz.sigstore"
        rss = {}
        for label, path in (("small", small), ("large", big)):
            argv = [str(VENV_BIN / "verify-offline"), "--bundle", str(example), "--cert-identity", "x",
                    "--cert-oidc-issuer", "y", str(path)]
            rss[label] = _child_run(argv, dict(os.environ))[2] / 1024
    return {"mib": mib, "sha256sum_mib_s": mib / coreutils, "ours_mib_s": mib / ours,
            "ratio": coreutils / ours, "rss_small_mib": rss["small"], "rss_large_mib": rss["large"]}


def render(cold: dict, bat: dict, hsh: dict, runs: int, man: dict) -> str:
    import cryptography

    vo, sp = cold["verify-offline"], cold["sigstore-python"]
    bvo, bsp = bat["verify-offline"], bat["sigstore-python"]
    mvo, msp = man["verify-offline"], man["sigstore-python"]
    return f"""# Performance

Measured by `benchmarks/bench.py` (`.venv/bin/python benchmarks/bench.py --write docs/performance.md`),
both tools in the same run, on this machine: {platform.machine()}, {os.cpu_count()} cores,
Python {platform.python_version()}, cryptography {cryptography.__version__}, sigstore-python 4.5.1.
Corpus: the 353 real CPython release bundles in `../shared/vectors/cpython/`, verified by digest.
These are measurements, not test assertions.

| measure | verify-offline | sigstore-python | ratio | target |
|---|---|---|---|---|
| cold CLI, one bundle (median of {runs}) | {vo['median_s']*1000:.0f} ms | {sp['median_s']*1000:.0f} ms | {vo['median_s']/sp['median_s']:.3f} | ≤ 1/8 (0.125) |
| peak RSS of that CLI run | {vo['rss_mib']:.1f} MiB | {sp['rss_mib']:.1f} MiB | {vo['rss_mib']/sp['rss_mib']:.2f} | |
| in-process batch, 353 bundles, one core | {bvo['seconds']:.2f} s ({bvo['per_s']:.0f}/s) | {bsp['seconds']:.2f} s ({bsp['per_s']:.0f}/s) | {bvo['per_s']/bsp['per_s']:.1f}× | |
| `--manifest` vs an API-loop script, whole processes (median of 3) | {mvo['seconds']:.2f} s ({mvo['per_s']:.0f}/s) | {msp['seconds']:.2f} s ({msp['per_s']:.0f}/s) | {mvo['per_s']/msp['per_s']:.1f}× | ≥ 5× |

| hashing a {hsh['mib']} MiB file | MiB/s |
|---|---|
| `sha256sum` | {hsh['sha256sum_mib_s']:.0f} |
| verify-offline's artifact reader | {hsh['ours_mib_s']:.0f} ({hsh['ratio']*100:.0f}% of sha256sum; target ≥ 90%) |

Peak RSS of `verify-offline` on a 1 MiB artifact: {hsh['rss_small_mib']:.1f} MiB; on the {hsh['mib']} MiB artifact:
{hsh['rss_large_mib']:.1f} MiB (flat: the artifact is read in 1 MiB chunks).

## Reading the figures

* **Cold CLI: target missed.** A `verify-offline` run is mostly import time: the interpreter
  (~20 ms) and `import cryptography.x509` (~100 ms on this machine; it pulls in `serialization`
  and its SSH module). Our own modules and the verification itself take the rest. The verify path
  already avoids `dataclasses`/`inspect` (worth ~40 ms). Reaching 1/8 of sigstore-python would mean
  not importing `cryptography.x509` at all (parsing certificates with our own DER reader), which we
  have not done: it would move X.509 parsing, a security-critical piece, out of `cryptography`.
* **Batch: target missed.** Both tools make the same public-key operations per bundle (leaf
  certificate, SCT, SET, checkpoint, artifact signature); in our profile those are about a third of
  the time (`python -m cProfile`), so single-threaded no verifier can be 5x faster than another that
  does the same checks with the same library. What is left is Python overhead we have trimmed
  (base64 fast path, cached issuer hashes, memoised CA signatures). The lever that remains is
  parallelism across cores: `verify-offline --manifest` forks one worker per usable CPU after
  parsing the trust root. On this 2-core machine that gives under 2× its own single-core rate;
  the 5× target needs about 4 cores more than we have here, or fewer public-key operations per
  bundle, which no check may be dropped for.
* **Hashing: target met** (`hashlib` uses OpenSSL's SHA-256; Debian's `sha256sum` does not).
* **RSS: flat** in artifact size.
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--hash-mib", type=int, default=1024)
    parser.add_argument("--write", metavar="FILE")
    args = parser.parse_args()
    if not (CPYTHON / "manifest.json").exists():
        print(f"benchmark corpus {CPYTHON} is absent", file=sys.stderr)
        return 2
    cold = cold_cli(args.runs)
    print("cold", json.dumps(cold))
    bat = batch()
    print("batch", json.dumps(bat))
    man = manifest_run()
    print("manifest", json.dumps(man))
    hsh = hashing(args.hash_mib)
    print("hash", json.dumps(hsh))
    text = render(cold, bat, hsh, args.runs, man)
    print(text)
    if args.write:
        pathlib.Path(args.write).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
