# SPDX-License-Identifier: Apache-2.0
"""packaging/refresh-job: ``systemd-analyze verify`` lints the service and timer (both lanes; with
SIGSTORE_OFFLINE_REQUIRE_ALL_LANES=1 a missing systemd-analyze is a failure), and the job script
parses as POSIX sh. The job itself runs end to end in test_refresh_job.py."""

from __future__ import annotations

import pathlib
import shutil
import subprocess


from helpers import REPO, need_tool

JOB = REPO / "packaging" / "refresh-job"


def test_systemd_units_pass_systemd_analyze_verify(tmp_path: pathlib.Path) -> None:
    analyze = need_tool("systemd-analyze", "apt-get install systemd")
    # The service names the installed path of the script; point a copy at this checkout's script.
    script = tmp_path / "refresh-and-verify"
    shutil.copyfile(JOB / "refresh-and-verify", script)
    script.chmod(0o755)
    service = (JOB / "sigstore-offline-refresh.service").read_text()
    assert "ExecStart=/usr/libexec/sigstore-offline/refresh-and-verify " in service
    (tmp_path / "sigstore-offline-refresh.service").write_text(
        service.replace("/usr/libexec/sigstore-offline/refresh-and-verify", str(script)))
    shutil.copyfile(JOB / "sigstore-offline-refresh.timer", tmp_path / "sigstore-offline-refresh.timer")
    result = subprocess.run([analyze, "verify", "--man=no", "--generators=no",
                             str(tmp_path / "sigstore-offline-refresh.service"),
                             str(tmp_path / "sigstore-offline-refresh.timer")],
                            capture_output=True, text=True, timeout=120)
    # Any complaint (an unknown key, a bad value, a missing command) is printed even when the exit is 0.
    assert result.returncode == 0 and result.stderr.strip() == "" and result.stdout.strip() == "", result.stderr


def test_the_job_script_is_posix_sh() -> None:
    for shell in ("sh", "dash", "bash"):
        if shutil.which(shell):
            assert subprocess.run([shell, "-n", str(JOB / "refresh-and-verify")], timeout=30).returncode == 0
