# SPDX-License-Identifier: Apache-2.0
"""Write the shipped trust-root snapshots the way a refresh job run on 2026-08-27 would have, and
GitHub's the way ``trust-root import`` wrote it on 2026-11-30.

``python3 tests/refresh_shipped.py [DIR]`` (default: trust-roots/) runs ``sigstore-offline trust-root
refresh`` for ``sigstore`` and ``sigstage`` against ../shared/tuf/prod and ../shared/tuf/staging (the
real repositories as served on 2026-08-21), each served on 127.0.0.1 and given as ``--mirror``, with
python-tuf's reference time and the admin command's clock fixed at 2026-08-27T00:00:00Z -- in this
script, never in the product. For ``github`` (no copy of its TUF repository exists) it runs
``sigstore-offline trust-root import`` on GitHub's TUF root and the GitHub-instance line of ``gh
attestation trusted-root``'s output, both from ../shared/vectors/github (SOURCE.md), with the admin
command's clock fixed at the import date, 2026-11-30T00:00:00Z: a snapshot marked imported, nothing
TUF-proven. ``tests/test_snapshot_shipped.py`` calls :func:`write` / :func:`write_github` and
compares the result with what is committed. Needs the [refresh] extra.
"""

from __future__ import annotations

import datetime
import io
import pathlib
import sys
import tempfile
from typing import Dict, NamedTuple, Tuple

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from tuf_helpers import Server, fixed_clock  # noqa: E402

from sigstore_offline.cli.admin import main  # noqa: E402

TUF = HERE.parent.parent / "shared" / "tuf"
GITHUB_VECTORS = HERE.parent.parent / "shared" / "vectors" / "github"
REFRESHED_AT = datetime.datetime(2026, 8, 27, tzinfo=datetime.timezone.utc)
IMPORTED_AT = datetime.datetime(2026, 11, 30, tzinfo=datetime.timezone.utc)
GITHUB_TUF_ROOT = "tuf-repo.github.com.root.json"
GITHUB_TRUSTED_ROOTS = "gh-attestation-trusted-root.jsonl"  # line 2: GitHub's instance
GITHUB_NOTE = ("line 2 of `gh attestation trusted-root` as captured in sigstore-java's test fixtures"
               " (github-private-no-tlog); root.json is the tuf-repo.github.com root v3 the GitHub CLI embeds"
               " (cli/cli pkg/cmd/attestation/verification/embed); imported on 2026-11-30")


class Instance(NamedTuple):
    name: str
    folder: str          # under ../shared/tuf
    tuf_url: str
    bootstrap: str       # the anchor: the earliest root python-tuf can start from
    commit: str          # root-signing commit of ../shared/tuf/<folder> (SOURCE.txt)
    versions: str        # what the repository served then


INSTANCES: Tuple[Instance, ...] = (
    Instance("sigstore", "prod", "https://tuf-repo-cdn.sigstore.dev", "5.root.json",
             "sigstore/root-signing 60cf2ce8b2e45d600dc17c4421e8c751e75772be",
             "timestamp v762, snapshot v165, targets v14, root v15"),
    Instance("sigstage", "staging", "https://tuf-repo-cdn.sigstage.dev", "1.root.json",
             "sigstore/root-signing-staging ed88d5dc6c56bfdbf1a78219364e6d3e4ecfe0c9",
             "timestamp v703, snapshot v25, targets v28, root v14"),
)


def note(instance: Instance) -> str:
    return (f"the mirror served the repository as published on 2026-08-21 ({instance.versions};"
            f" {instance.commit}), refreshed on {REFRESHED_AT:%Y-%m-%d} from {instance.bootstrap}")


def write(dest_dir: pathlib.Path, instance: Instance, tuf: pathlib.Path = TUF) -> Tuple[int, str, str]:
    """Refresh ``dest_dir/<instance>`` (which must not hold a snapshot yet); (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with Server(directory=str(tuf / instance.folder)) as server, fixed_clock(REFRESHED_AT):
        code = main(["trust-root", "refresh", "--instance", instance.name, "--tuf-url", instance.tuf_url,
                     "--mirror", server.url, "--source-note", note(instance),
                     "--dest", str(dest_dir / instance.name),
                     "--bootstrap-root", str(tuf / instance.folder / instance.bootstrap)], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def write_github(dest_dir: pathlib.Path, vectors: pathlib.Path = GITHUB_VECTORS) -> Tuple[int, str, str]:
    """Import ``dest_dir/github`` (which must not hold a snapshot yet); (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with fixed_clock(IMPORTED_AT):
        code = main(["trust-root", "import", "--instance", "github", "--dest", str(dest_dir / "github"),
                     "--bootstrap-root", str(vectors / GITHUB_TUF_ROOT),
                     "--trusted-root", str(vectors / GITHUB_TRUSTED_ROOTS), "--line", "2",
                     "--source-note", GITHUB_NOTE], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def files_of(directory: pathlib.Path) -> Dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def replace_shipped(target: pathlib.Path) -> int:
    """Refresh into a temporary directory, then replace ``target/<instance>`` file by file."""
    import shutil

    jobs = [(instance.name, lambda work, i=instance: write(work, i)) for instance in INSTANCES]
    for name, job in jobs + [("github", write_github)]:
        with tempfile.TemporaryDirectory() as work:
            code, out, err = job(pathlib.Path(work))
            sys.stdout.write(out)
            sys.stderr.write(err)
            if code != 0:
                return code
            final = target / name
            if final.exists():
                shutil.rmtree(final)
            shutil.copytree(pathlib.Path(work, name), final)
    return 0


if __name__ == "__main__":
    raise SystemExit(replace_shipped(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1
                                     else HERE.parent / "trust-roots"))
