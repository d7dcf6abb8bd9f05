# SPDX-License-Identifier: Apache-2.0
"""Every file of the project's own code, tests, man pages and packaging names its licence in an
SPDX line near its top (issue: the licence explicit and consistent in every file): Apache-2.0,
and GPL-2.0-only for the Gentoo files that Gentoo's own repository requires to be GPL-2."""

from __future__ import annotations

import subprocess

from helpers import REPO

# Files that are data or a licence text themselves, or whose format has no comments.
EXEMPT_SUFFIXES = (".json", ".md", ".txt", ".toml", ".cfg", ".gz", ".tar", ".sigstore", ".pem", ".pub")
EXEMPT_NAMES = {"LICENSE", "LICENSE.MIT", "LICENSE.GPL-2", "Manifest", "repo_name", "categories", "format", "compat", "watch",
                "changelog", "copyright", ".gitignore", "py.typed", "control"}
LICENCE = {"packaging/gentoo/": "GPL-2.0-only"}


def _tracked() -> list:
    out = subprocess.run(["git", "-C", str(REPO), "ls-files", "src", "tests", "man", "packaging", "benchmarks",
                          ".ci", ".github"], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line]


def test_every_source_file_has_its_spdx_line() -> None:
    files = _tracked()
    if not files:  # an unpacked sdist has no git: the sdist carries what was checked here
        files = [str(p.relative_to(REPO)) for d in ("src", "tests", "man", "packaging") for p in (REPO / d).rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts]
    missing = []
    for name in files:
        path = REPO / name
        if path.name in EXEMPT_NAMES or path.name.endswith(EXEMPT_SUFFIXES) or "/trust-roots/" in name:
            continue
        if "tests/testinstance" in name and not name.endswith(".py"):
            continue
        head = path.read_text(errors="replace").splitlines()[:5]
        expected = next((licence for prefix, licence in LICENCE.items() if name.startswith(prefix)), "Apache-2.0")
        if not any(f"SPDX-License-Identifier: {expected}" in line for line in head):
            missing.append(f"{name} (expected {expected})")
    assert not missing, "files without their SPDX line:\n" + "\n".join(missing)
