"""Man pages: mandoc -Tlint reports nothing, and every CLI option is documented (they must not drift)."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import REPO, need_tool

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
