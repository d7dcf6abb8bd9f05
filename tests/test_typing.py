# SPDX-License-Identifier: Apache-2.0
"""``mypy --strict src/`` ends clean (issue 14). mypy comes with the test extra (lane 1); the lanes
without extras (Debian 12's and the build roots') skip this by design."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys
from typing import List

from helpers import need_module

ROOT = pathlib.Path(__file__).resolve().parent.parent

_ERROR = re.compile(r"(?P<path>[^:\s]+\.py):(?P<line>\d+): (?P<rest>error: .*)")


def test_mypy_strict_on_src_is_clean(tmp_path: pathlib.Path) -> None:
    need_module("mypy", "the [test] extra: pip install -e '.[test]'", absent_in_lane="debian12")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), "src/"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 2: mypy itself failed
    errors: List[str] = [line for line in result.stdout.splitlines() if _ERROR.fullmatch(line)]
    assert not errors, "\n".join(errors)
    assert result.returncode == 0, result.stdout
