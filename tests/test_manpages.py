# SPDX-License-Identifier: Apache-2.0
"""Man pages: mandoc -Tlint reports nothing, and every CLI option is documented (they must not drift)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from helpers import REPO, need_tool

MAN = REPO / "man"


@pytest.mark.parametrize("page", sorted(p.name for p in MAN.glob("*.[1-8]")))
def test_mandoc_lint_is_clean(page: str) -> None:
    mandoc = need_tool("mandoc", "apt-get install mandoc")
    result = subprocess.run([mandoc, "-Tlint", str(MAN / page)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == "", result.stdout + result.stderr


def test_every_verify_offline_option_is_in_its_man_page() -> None:
    from sigstore_offline.cli.verify_offline import build_parser

    page = (MAN / "verify-offline.1").read_text()
    documented = set(re.findall(r"\.It Fl (-?[\w-]+)", page)) | set(re.findall(r"Fl (-[\w-]+)", page))
    options = {opt for action in build_parser()._actions for opt in action.option_strings}
    missing = {opt for opt in options if opt.lstrip("-") not in {d.lstrip("-") for d in documented}}
    assert not missing, f"options missing from man/verify-offline.1: {sorted(missing)}"
    for code in range(6):
        assert re.search(rf"^\.It {code}$", page, re.M), f"exit status {code} is not documented"


def _unbalanced_quotes(text: str) -> list:
    """Paragraphs whose single or double curly quotes do not pair up (a Ql/Sq/Dq enclosure that
    swallowed the rest of a line, or nested inside another)."""
    bad = []
    for paragraph in re.split(r"\n\s*\n", text):
        flat = " ".join(paragraph.split())
        depth = 0
        for char in flat:
            depth += {"‘": 1, "“": 1, "’": -1, "”": -1}.get(char, 0)
            if depth < 0 or depth > 1:
                break
        if depth != 0:
            bad.append(flat)
    return bad


@pytest.mark.parametrize("renderer", ["mandoc", "groff"])
@pytest.mark.parametrize("page", sorted(p.name for p in MAN.glob("*.[1-8]")))
def test_quotes_pair_up_when_rendered(page: str, renderer: str) -> None:
    """mandoc and groff (what man(1) uses on Debian) both render every quoted word as one pair."""
    tool = need_tool(renderer, f"apt-get install {renderer if renderer == 'mandoc' else 'groff-base'}")
    argv = [tool, "-Tutf8"] if renderer == "mandoc" else [tool, "-mandoc", "-Tutf8", "-P-cbou"]
    result = subprocess.run([*argv, str(MAN / page)], capture_output=True, text=True,
                            env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert result.returncode == 0, result.stderr
    assert not _unbalanced_quotes(result.stdout), _unbalanced_quotes(result.stdout)


def test_commands_are_in_section_1() -> None:
    """Every installed command has its page in section 1 (sigstoreverify was section 7)."""
    for command in ("verify-offline", "sigstoreverify", "sigstore-offline", "dh_sigstore_verify"):
        assert (MAN / f"{command}.1").is_file(), command
    assert not list(MAN.glob("*.7"))
