# SPDX-License-Identifier: Apache-2.0
"""The one way in (``sigstore_offline.inputs`` and ``request``): every file is a regular file read
with a limit, names print in any locale, operator mistakes are usage errors, and nothing after a
verdict can fail. Each case runs the real command (in-process, or as a subprocess where the
locale, a FIFO or a namespace matters)."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from typing import Dict, List

import pytest

from helpers import EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, package_path, run_cli
from testinstance import TestInstance

IDENTITY = ["--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer", GITHUB_ISSUER]


@pytest.fixture(scope="module")
def inst() -> TestInstance:
    return TestInstance(seed="inputs")


@pytest.fixture(scope="module")
def signed(inst: TestInstance, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, pathlib.Path]:
    """A generated artifact with its bundle and trusted root, in a directory of its own."""
    directory = tmp_path_factory.mktemp("signed")
    generated = inst.sign_artifact(b"release tarball")
    (directory / "trusted_root.json").write_text(json.dumps(inst.trusted_root_json()))
    (directory / "artifact.tgz").write_bytes(generated.artifact)
    (directory / "artifact.tgz.sigstore").write_text(json.dumps(generated.bundle))
    return {"dir": directory, "root": directory / "trusted_root.json", "artifact": directory / "artifact.tgz",
            "bundle": directory / "artifact.tgz.sigstore", "identity": generated.identity,
            "issuer": generated.issuer}  # type: ignore[dict-item]


def _who(signed: Dict[str, pathlib.Path]) -> List[str]:
    return ["--trusted-root", str(signed["root"]), "--cert-identity", str(signed["identity"]),
            "--cert-oidc-issuer", str(signed["issuer"])]


def _subprocess(argv: List[str], *, env: Dict[str, str], cwd: pathlib.Path,
                timeout: float = 60) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": package_path(), **env}
    return subprocess.run([sys.executable, "-m", "sigstore_offline", *argv], env=full, cwd=cwd,
                          capture_output=True, timeout=timeout)


# --- regular files only -----------------------------------------------------------------------

@pytest.mark.parametrize("role", ["bundle", "artifact", "key", "manifest", "policy", "trust-root"])
def test_a_fifo_is_refused_at_once(signed: Dict[str, pathlib.Path], tmp_path: pathlib.Path, role: str) -> None:
    """A FIFO never hangs the verifier: it is refused before a byte is read (a timeout fails the test)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    argv = {
        "bundle": [*_who(signed), "--bundle", str(fifo), str(signed["artifact"])],
        "artifact": [*_who(signed), "--bundle", str(signed["bundle"]), str(fifo)],
        "key": ["--trusted-root", str(signed["root"]), "--key", str(fifo), str(signed["artifact"])],
        "manifest": [*_who(signed), "--manifest", str(fifo)],
        "policy": ["--trusted-root", str(signed["root"]), "--policy", str(fifo), str(signed["artifact"])],
        "trust-root": ["--trusted-root", str(fifo), "--cert-identity", "a@b.c", "--cert-oidc-issuer", "https://x",
                       str(signed["artifact"])],
    }[role]
    result = _subprocess(argv, env={}, cwd=tmp_path, timeout=30)
    lines = result.stderr.decode().splitlines()
    expected = {"policy": 2, "trust-root": 3}.get(role, 4)
    assert result.returncode == expected, result.stderr
    assert len(lines) == 1 and "not a regular file" in lines[0] and "Traceback" not in result.stderr.decode()


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_not_an_artifact_or_bundle(signed: Dict[str, pathlib.Path], device: str) -> None:
    for argv in ([*_who(signed), "--bundle", str(signed["bundle"]), device],
                 [*_who(signed), "--bundle", device, str(signed["artifact"])]):
        code, out, err = run_cli(argv)
        assert code == 4 and out == "" and f"{device} is not a regular file" in err


def test_a_directory_is_named_as_one(signed: Dict[str, pathlib.Path]) -> None:
    code, _, err = run_cli([*_who(signed), "--bundle", str(signed["dir"]), str(signed["artifact"])])
    assert code == 4 and "is a directory" in err


# --- names that print in every locale ------------------------------------------------------------

def test_undecodable_file_name_verifies_under_a_strict_ascii_stdout(signed: Dict[str, pathlib.Path],
                                                                     tmp_path: pathlib.Path) -> None:
    """An artifact whose name is not UTF-8 verifies, and its OK line prints (escaped) under a
    strict ASCII stdout: printing after the verdict cannot fail."""
    raw_name = b"release-\xff\xfe.tgz"
    directory = os.fsencode(tmp_path)
    artifact = os.path.join(directory, raw_name)
    with open(artifact, "wb") as handle:
        handle.write(signed["artifact"].read_bytes())
    with open(artifact + b".sigstore", "wb") as handle:
        handle.write(signed["bundle"].read_bytes())
    argv = [*_who(signed), os.fsdecode(raw_name)]
    for env in ({"LC_ALL": "C", "PYTHONIOENCODING": "ascii:strict"}, {"LC_ALL": "C.UTF-8", "PYTHONUTF8": "1"}):
        result = subprocess.run([sys.executable, "-m", "sigstore_offline", *[os.fsencode(a) for a in argv]],
                                env={"PATH": os.environ["PATH"], "PYTHONPATH": package_path(), **env},
                                cwd=tmp_path, capture_output=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(b"OK: release-\\xff\\xfe.tgz  "), result.stdout
        assert result.stderr == b""


def test_non_ascii_printable_names_survive_an_ascii_locale(signed: Dict[str, pathlib.Path],
                                                          tmp_path: pathlib.Path) -> None:
    name = "versión-ü.tgz"
    (tmp_path / name).write_bytes(signed["artifact"].read_bytes())
    (tmp_path / (name + ".sigstore")).write_bytes(signed["bundle"].read_bytes())
    result = _subprocess([*_who(signed), name], env={"LC_ALL": "C", "PYTHONIOENCODING": "ascii:strict"},
                         cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith(b"OK: versi\\xf3n-\\xfc.tgz"), result


def test_a_failure_names_an_undecodable_file_safely(signed: Dict[str, pathlib.Path]) -> None:
    code, _, err = run_cli([*_who(signed), "--bundle", str(signed["bundle"]), "missing-\udcff.tgz"])
    assert code == 4 and "missing-\\xff.tgz does not exist" in err


# --- manifests ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,problem", [
    ("a\u0000b.tgz", "NUL"),
    ("a\ud800b.tgz", "unpaired surrogate"),
])
def test_manifest_paths_with_nul_or_lone_surrogates_are_malformed(tmp_path: pathlib.Path, value: str,
                                                                  problem: str) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps([{"artifact": value, "identity": "a@b.c", "issuer": "https://x"}]))
    code, out, err = run_cli(["--manifest", str(manifest)])
    assert code == 4 and out == "" and problem in err and "entry 0.artifact" in err


def test_manifest_entry_count_is_checked_before_parsing(tmp_path: pathlib.Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from sigstore_offline import batch

    monkeypatch.setattr(batch, "MAX_MANIFEST_ENTRIES", 3)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("not json at all\n" * 4)  # would fail to parse: the count is refused first
    code, _, err = run_cli(["--cert-identity", "a@b.c", "--cert-oidc-issuer", "https://x", "--manifest",
                            str(manifest)])
    assert code == 4 and "4 entries, more than the limit of 3" in err


# --- operator input -------------------------------------------------------------------------------

@pytest.mark.parametrize("option", ["--trust-root", "--trusted-root"])
def test_an_empty_trust_root_is_a_usage_error(option: str) -> None:
    """An unset recipe variable (``--trust-root "$ROOT"``) must not fall back to anything."""
    code, out, err = run_cli([option, "", *IDENTITY, "--bundle", str(EXAMPLE_BUNDLE), EXAMPLE_DIGEST])
    assert code == 2 and out == "" and f"{option} is empty" in err


def test_an_empty_artifact_is_a_usage_error() -> None:
    code, _, err = run_cli([*IDENTITY, "--bundle", str(EXAMPLE_BUNDLE), ""])
    assert code == 2 and "the artifact is empty" in err


@pytest.mark.parametrize("digest,message", [
    ("sha512:" + "ab" * 63, "a sha512 digest has 128 hex digits, found 126"),  # sha512: in-toto subjects only
    ("sha384:" + "ab" * 48, "unsupported digest algorithm 'sha384'"),
    ("sha256:" + "ab" * 31, "a sha256 digest has 64 hex digits, found 62"),
])
def test_unsupported_digests_are_named(digest: str, message: str) -> None:
    code, out, err = run_cli([*IDENTITY, "--bundle", str(EXAMPLE_BUNDLE), digest])
    assert code == 4 and out == "" and message in err and "does not exist" not in err


def test_a_lone_rekor_fragment_says_how_to_use_it(tmp_path: pathlib.Path) -> None:
    artifact = tmp_path / "tool.tar.gz"
    artifact.write_bytes(b"x")
    (tmp_path / "tool.tar.gz.rekor").write_text("{}")
    code, _, err = run_cli([*IDENTITY, str(artifact)])
    assert code == 4 and ".rekor is a Rekor entry fragment, not a bundle" in err
    assert "--signature" in err and "--certificate" in err


# --- memory: parse once, bounded values ------------------------------------------------------------

def test_json_with_too_many_values_is_refused_before_parsing(tmp_path: pathlib.Path) -> None:
    from sigstore_offline.limits import MAX_JSON_VALUES

    bundle = tmp_path / "b.sigstore"
    bundle.write_bytes(b'{"mediaType": "x", "pad": [' + b"1," * MAX_JSON_VALUES + b"1]}")
    code, _, err = run_cli([*IDENTITY, "--bundle", str(bundle), EXAMPLE_DIGEST])
    assert code == 4 and f"more than {MAX_JSON_VALUES} JSON values" in err


def test_a_legacy_shaped_bundle_is_decoded_once(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    """A bundle mentioning ``base64Signature`` used to be parsed twice."""
    from sigstore_offline import _encoding

    calls: List[int] = []
    real = _encoding.load_json

    def counting(data: bytes, **kwargs: int) -> object:
        calls.append(len(data))
        return real(data, **kwargs)

    monkeypatch.setattr(_encoding, "load_json", counting)
    document = json.loads(EXAMPLE_BUNDLE.read_text())
    document["base64Signature"] = "unused"  # a Sigstore bundle (it has a mediaType) that mentions the name
    bundle = tmp_path / "b.sigstore"
    bundle.write_text(json.dumps(document))
    code, out, err = run_cli([*IDENTITY, "--bundle", str(bundle), EXAMPLE_DIGEST])
    assert code == 0, err
    assert calls.count(bundle.stat().st_size) == 1


# --- batch in a locked-down sandbox --------------------------------------------------------------

def test_manifest_runs_with_a_read_only_dev_shm(tmp_path: pathlib.Path) -> None:
    """``--manifest`` with two workers writes nothing: it verifies with /dev/shm read-only (a
    private mount namespace, no network) as in a locked-down build sandbox."""
    from helpers import CPYTHON, need_shared, require

    manifest = need_shared(CPYTHON) / "manifest.json"
    probe = subprocess.run(["unshare", "-rmn", "true"], capture_output=True)
    require(probe.returncode == 0, f"unshare -rmn is refused here: {probe.stderr.decode().strip()}")
    script = (f"mount -t tmpfs -o ro,size=1m tmpfs /dev/shm && "
              f"PYTHONPATH={package_path()} {sys.executable} -m sigstore_offline -q --jobs 2 --manifest {manifest}"
              f" && echo shm-read-only-ok")
    result = subprocess.run(["unshare", "-rmn", "sh", "-c", script], capture_output=True, timeout=300,
                            env={"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip().endswith("shm-read-only-ok")
    from sigstore_offline import batch

    assert "multiprocessing" not in pathlib.Path(batch.__file__).read_text()


# --- a failure that an old snapshot explains says so -----------------------------------------------

def _snapshot(directory: pathlib.Path, root: Dict[str, object], refreshed: str) -> pathlib.Path:
    import datetime

    from sigstore_offline.trust import snapshot

    directory.mkdir()
    (directory / "trusted_root.json").write_text(json.dumps(root))
    moment = datetime.datetime.fromisoformat(refreshed).replace(tzinfo=datetime.timezone.utc)
    (directory / "manifest.json").write_bytes(snapshot.build_manifest(
        directory, instance="test", tuf_url="http://127.0.0.1/", source="tests", refreshed_at=moment,
        tool_version="test"))
    return directory


def test_a_bundle_newer_than_the_snapshot_names_its_date(signed: Dict[str, pathlib.Path],
                                                         tmp_path: pathlib.Path) -> None:
    other = TestInstance(seed="another instance, not in the snapshot").trusted_root_json()
    older = _snapshot(tmp_path / "older", other, "2025-05-01T00:00:00")
    argv = ["--cert-identity", str(signed["identity"]), "--cert-oidc-issuer", str(signed["issuer"]),
            str(signed["artifact"])]
    code, _, err = run_cli(["--trust-root", str(older), *argv])
    assert code == 1 and "after this trust-root snapshot was refreshed (2025-05-01T00:00:00Z)" in err
    assert "trust-root package" in err and "refresh job" in err
    newer = _snapshot(tmp_path / "newer", other, "2025-07-01T00:00:00")
    code, _, err = run_cli(["--trust-root", str(newer), *argv])
    assert code == 1 and "is not in this trust-root snapshot (refreshed 2025-07-01T00:00:00Z)" in err
    # A plain trusted_root.json has no refresh date: no such hint.
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(other))
    code, _, err = run_cli(["--trusted-root", str(plain), *argv])
    assert code == 1 and "snapshot" not in err
    # Nor does a failure that is not about trust material.
    good = _snapshot(tmp_path / "good", json.loads(signed["root"].read_text()), "2025-05-01T00:00:00")
    code, _, err = run_cli(["--trust-root", str(good), "--cert-identity", "someone@example.org",
                            "--cert-oidc-issuer", str(signed["issuer"]), str(signed["artifact"])])
    fail = [line for line in err.splitlines() if line.startswith("FAIL: ")]
    assert code == 1 and len(fail) == 1 and "identity" in fail[0] and "snapshot" not in fail[0]


@pytest.mark.parametrize("kind", ["\x85", "a\u2028b", "x\ny", "\x1c", "\u2029"])
def test_a_failure_is_one_line_whatever_the_bundle_holds(kind: str, tmp_path: pathlib.Path) -> None:
    """Text from the bundle (here a log entry's kind) is escaped in the FAIL line: no character
    that ``str.splitlines`` takes as a line break gets through (found by the fuzzer: U+0085)."""
    document = json.loads(EXAMPLE_BUNDLE.read_text())
    document["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["kind"] = kind
    bundle = tmp_path / "b.sigstore"
    bundle.write_text(json.dumps(document))
    for argv in ([*IDENTITY, "--bundle", str(bundle), EXAMPLE_DIGEST],
                 ["--json", *IDENTITY, "--bundle", str(bundle), EXAMPLE_DIGEST]):
        code, out, err = run_cli(argv)
        # A kind the verifier does not support is a well-formed value that fails a check: exit 1.
        assert code == 1 and len(err.splitlines()) == 1 and err.startswith("FAIL: "), repr(err)
