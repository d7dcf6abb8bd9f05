#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Where one in-process pass over the CPython corpus spends its time, as ratios that a busy
machine does not distort much.

    .venv/bin/python benchmarks/profile_pass.py [--runs N] [--top N]

The pass is ``bench.py``'s: every bundle parsed and verified in-process, one core, the trust
root parsed once. Printed:

* the share of wall time inside the signature checks: the pass's own checks (recorded at
  ``certchain.verify_signature``) replayed alone, against the pass, alternating, min and median
  of ``--runs`` (the ratio ``bench.py`` calls "% of our pass");
* the same share under ``cProfile`` (own time of the public keys' ``verify`` methods against the
  whole profiled pass; profiling inflates the Python parts, so this share reads low);
* the top functions by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from typing import Callable, List

import bench


def _pass() -> Callable[[], None]:
    from sigstore_offline.model import parse_bundle
    from sigstore_offline.policy import Identity
    from sigstore_offline.trust import store
    from sigstore_offline.verify.pipeline import Artifact, verify

    items = bench._manifest()
    root = store.shipped(store.PRODUCTION)
    inputs = [((bench.CPYTHON / item["bundle"]).read_bytes(), Artifact(item["artifact"], bytes.fromhex(item["digest"][7:])),
               Identity.build(san=item["identity"], issuer=item["issuer"])) for item in items]

    def run() -> None:
        bench.forget_memos()  # as bench.py's passes: no leaf remembered from an earlier pass
        for data, artifact, identity in inputs:
            verify(parse_bundle(data), artifact=artifact, trusted_root=root, policy=identity)

    return run


def _recorded_checks(run: Callable[[], None]) -> Callable[[], None]:
    """A function that replays, alone, every signature check one pass of ``run`` makes."""
    from sigstore_offline.verify import certchain

    real = certchain.verify_signature
    calls: List[tuple] = []

    def recording(*args: object) -> bool:
        calls.append(args)
        return real(*args)  # type: ignore[arg-type]

    bench.run_patched(run, recording)

    def replay() -> None:
        for call in calls:
            if not real(*call):
                raise SystemExit("a recorded signature check did not verify on replay")

    replay.checks = len(calls)  # type: ignore[attr-defined]
    return replay


def _timed(function: Callable[[], None]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    run = _pass()
    run()  # warm
    replay = _recorded_checks(run)
    passes: List[float] = []
    floors: List[float] = []
    ratios: List[float] = []
    rest: List[float] = []
    for _ in range(args.runs):
        p, f = _timed(run), _timed(replay)
        passes.append(p)
        floors.append(f)
        ratios.append(f / p)
        # The same pass with every signature check answered True at once: what is not public-key work.
        rest.append(_timed(lambda: bench.run_patched(run, lambda *args: True)))
    count = len(bench._manifest())
    print(f"pass without the signature checks: min {min(rest):.3f} s = {min(rest) / count * 1e6:.0f} us a bundle")
    print(f"pass: min {min(passes):.3f} s, median {statistics.median(passes):.3f} s;"
          f" {replay.checks} signature checks alone: min {min(floors):.3f} s, median {statistics.median(floors):.3f} s")  # type: ignore[attr-defined]
    print(f"share in signature checks (replay / pass): min-over-min {min(floors) / min(passes):.1%},"
          f" median of paired ratios {statistics.median(ratios):.1%}")

    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    verify_time = 0.0
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if filename == "~" and name.startswith("<method 'verify' of"):
            verify_time += tottime
    print(f"cProfile: total {total:.3f} s, in the keys' verify methods {verify_time:.3f} s = {verify_time / total:.1%}")
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(args.top)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    print("\n".join(line.replace(str(bench.REPO) + "/", "").replace(sys.prefix, "<venv>") for line in lines[start:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
