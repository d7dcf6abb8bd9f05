# SPDX-License-Identifier: Apache-2.0
"""Crash safety of ``trust-root refresh``: fail it at every filesystem step -- an injected error, and
a real ``kill -9`` of a refresh process -- and the snapshot directory still verifies (the previous
snapshot, or the whole new one once the swap happened); the next refresh cleans up and succeeds."""

from __future__ import annotations

import errno
import io
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import textwrap
from typing import Dict, List, Tuple

import pytest

from helpers import SHIPPED, need_tuf, package_path

need_tuf()

from sigstore_offline.cli.admin import main  # noqa: E402
from sigstore_offline.refresh import update  # noqa: E402
from sigstore_offline.trust import snapshot  # noqa: E402
from tuf_helpers import Repo, Server  # noqa: E402


def admin(argv: List[str]) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def files_of(directory: pathlib.Path) -> Dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Repo, pathlib.Path, Dict[str, bytes]]:
    """A repository, a pristine snapshot of its first state, and the files of its next state."""
    repo = Repo()
    repo.add_target("trusted_root.json", (SHIPPED / "sigstore" / "trusted_root.json").read_bytes())
    repo.publish()
    base = tmp_path_factory.mktemp("crash")
    (base / "bootstrap.json").write_bytes(repo.root_bytes)
    pristine = base / "pristine" / "private"
    with Server(repo.published) as server:
        code, out, err = admin(["trust-root", "refresh", "--dest", str(pristine), "--tuf-url", server.url,
                                "--bootstrap-root", str(base / "bootstrap.json")])
    assert code == 0, out + err
    repo.rotate_root(2, 2)
    repo.add_target("trusted_root.json", (SHIPPED / "sigstage" / "trusted_root.json").read_bytes())
    return repo, pristine, repo.publish()


def _fresh_copy(pristine: pathlib.Path, tmp_path: pathlib.Path) -> pathlib.Path:
    dest = tmp_path / "roots" / "private"
    shutil.copytree(pristine, dest)
    return dest


def _steps(world: Tuple[Repo, pathlib.Path, Dict[str, bytes]], tmp_path: pathlib.Path,
           monkeypatch: pytest.MonkeyPatch) -> List[str]:
    repo, pristine, served = world
    dest = _fresh_copy(pristine, tmp_path / "probe")
    labels: List[str] = []
    monkeypatch.setattr(update, "_STEP_HOOK", labels.append)
    with Server(served) as server:
        assert admin(["trust-root", "refresh", "--dest", str(dest), "--tuf-url", server.url])[0] == 0
    monkeypatch.setattr(update, "_STEP_HOOK", None)
    return labels


def _settled(dest: pathlib.Path, old: Dict[str, bytes], new_root: bytes, served: Dict[str, bytes],
             ) -> None:
    """dest verifies and is the old or the whole new snapshot; the next refresh cleans up."""
    assert dest.is_dir()
    files = files_of(dest)
    assert files == old or files["trusted_root.json"] == new_root
    snapshot.load_snapshot(dest)
    code, out, err = admin(["trust-root", "verify", str(dest)])
    assert code == 0, out + err
    with Server(served) as server:
        code, out, err = admin(["trust-root", "refresh", "--dest", str(dest), "--tuf-url", server.url])
    assert code == 0, out + err
    assert sorted(p.name for p in dest.parent.iterdir()) == ["private"]


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two-renames"])
def test_injected_error_at_every_step(world: Tuple[Repo, pathlib.Path, Dict[str, bytes]], tmp_path: pathlib.Path,
                                      monkeypatch: pytest.MonkeyPatch, exchange: bool) -> None:
    repo, pristine, served = world
    if not exchange:
        monkeypatch.setattr(update, "_exchange", lambda a, b: False)
    steps = _steps(world, tmp_path, monkeypatch)
    assert "exchange" in steps and any(s.startswith("write ") for s in steps)
    assert ("rename old" in steps) == (not exchange)  # renameat2 really is used where it exists
    new_root = (SHIPPED / "sigstage" / "trusted_root.json").read_bytes()
    for index, label in enumerate(steps):
        dest = _fresh_copy(pristine, tmp_path / str(index))
        old = files_of(dest)
        calls = iter(range(len(steps) + 1))

        def fail(step: str, index: int = index) -> None:
            if next(calls) == index:
                raise OSError(errno.ENOSPC, f"injected at {step}")

        monkeypatch.setattr(update, "_STEP_HOOK", fail)
        with Server(served) as server:
            code, _, err = admin(["trust-root", "refresh", "--dest", str(dest), "--tuf-url", server.url])
        monkeypatch.setattr(update, "_STEP_HOOK", None)
        assert code in (0, 3), f"{label}: {err}"
        assert code == 0 or "injected" in err
        _settled(dest, old, new_root, served)


KILLER = textwrap.dedent("""
    import os, signal, sys
    from sigstore_offline.cli.admin import main
    from sigstore_offline.refresh import update
    target, count = int(sys.argv[1]), [0]
    def hook(step):
        if count[0] == target:
            os.kill(os.getpid(), signal.SIGKILL)
        count[0] += 1
    update._STEP_HOOK = hook
    if sys.argv[2] == "two-renames":
        update._exchange = lambda a, b: False
    sys.exit(main(["trust-root", "refresh", "--dest", sys.argv[3], "--tuf-url", sys.argv[4]]))
""")


@pytest.mark.parametrize("mode", ["renameat2", "two-renames"])
def test_kill_9_at_every_step(world: Tuple[Repo, pathlib.Path, Dict[str, bytes]], tmp_path: pathlib.Path,
                              monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    repo, pristine, served = world
    if mode == "two-renames":
        monkeypatch.setattr(update, "_exchange", lambda a, b: False)
    steps = _steps(world, tmp_path, monkeypatch)
    monkeypatch.undo()
    new_root = (SHIPPED / "sigstage" / "trusted_root.json").read_bytes()
    env = {**os.environ, "PYTHONPATH": package_path()}
    for index, label in enumerate(steps):
        dest = _fresh_copy(pristine, tmp_path / str(index))
        old = files_of(dest)
        with Server(served) as server:
            proc = subprocess.run([sys.executable, "-c", KILLER, str(index), mode, str(dest), server.url],
                                  env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == -signal.SIGKILL, f"{label}: {proc.returncode} {proc.stderr}"
        if not dest.exists():
            # Only between the two renames of the fallback: the next refresh restores the old one first.
            assert mode == "two-renames" and label == "rename new"
            update.recover(dest)
            assert files_of(dest) == old
        _settled(dest, old, new_root, served)
