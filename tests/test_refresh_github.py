# SPDX-License-Identifier: Apache-2.0
"""GitHub's instance in the trust-root tooling (issue 13, item 3): ``trust-root refresh --instance
github`` and ``trust-root import``, against TUF repositories built here (python-tuf's Metadata API,
test keys) and served on 127.0.0.1 -- the way test_refresh_attacks.py builds them.

* ``refresh --instance github`` from a bootstrap root records the built-in repository
  (https://tuf-repo.github.com) while a ``--mirror`` serves the files; a log-less trusted root is
  carried through TUF and ``verify-offline github`` verifies against the result;
* ``import`` writes a snapshot marked imported, nothing TUF-proven (``verify`` says so), and the
  next ``refresh`` proves it, or replaces it and says what changed;
* the shipped trust-roots/github refreshes from the GitHub root it carries: a repository its keys
  did not sign is refused, the snapshot untouched;
* every check of ``import`` has its negative.
"""

from __future__ import annotations

import datetime
import io
import json
import pathlib
import shutil
import subprocess
import sys
from typing import Any, Dict, List, Tuple

import pytest

from helpers import GITHUB_ISSUER, SHIPPED, need_tuf, package_path

need_tuf()

from sigstore_offline.cli.admin import main  # noqa: E402
from sigstore_offline.errors import TrustRootError  # noqa: E402
from sigstore_offline.trust import snapshot  # noqa: E402
from testinstance.ca import FULCIO_OID, LeafSpec, github_claims  # noqa: E402
from testinstance.instance import TestInstance  # noqa: E402
from tuf.api.metadata import Metadata  # noqa: E402
from tuf_helpers import Repo, Server  # noqa: E402

GITHUB_TUF = "https://tuf-repo.github.com"
NO_LOGS = ("rekor_v1", "rekor_v2", "ct_log")
ARTIFACT = b"private-tool-1.0.tar.gz\n"
REPOSITORY = "example/private"


def admin(argv: List[str]) -> Tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def github_verb(argv: List[str]) -> Tuple[int, List[Dict[str, Any]], str]:
    from sigstore_offline.cli.verify_offline import main as verify_main

    out, err = io.StringIO(), io.StringIO()
    code = verify_main(["github", "--json", *argv], out=out, err=err)
    return code, [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def tree(directory: pathlib.Path) -> Dict[str, bytes]:
    """Every entry of the snapshot's parent, so a leftover temporary directory shows."""
    return {str(p.relative_to(directory.parent)): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(directory.parent.rglob("*"))}


@pytest.fixture(scope="module")
def inst() -> TestInstance:
    return TestInstance(seed="github instance, log-less")


@pytest.fixture
def logless_root(inst: TestInstance) -> bytes:
    return (json.dumps(inst.trusted_root_json(omit=NO_LOGS), indent=1) + "\n").encode()


@pytest.fixture
def repo(logless_root: bytes) -> Repo:
    repo = Repo()
    repo.add_target("trusted_root.json", logless_root)
    repo.publish()
    return repo


def _private_bundle(inst: TestInstance, directory: pathlib.Path) -> str:
    """A GitHub-instance-style attestation: RFC 3161 timestamp, no tlog entry."""
    claims = github_claims(repository=REPOSITORY)
    leaf = LeafSpec(identity=dict(claims)[FULCIO_OID + "9"], issuer=GITHUB_ISSUER, claims=claims)
    document = inst.sign_dsse(ARTIFACT, leaf=leaf, timestamp=True).bundle
    document["verificationMaterial"]["tlogEntries"] = []
    (directory / "private.tar.gz").write_bytes(ARTIFACT)
    (directory / "private.tar.gz.sigstore.json").write_text(json.dumps(document))
    return str(directory / "private.tar.gz")


# --- refresh --instance github ------------------------------------------------------------------

def test_refresh_instance_github_from_a_bootstrap_root(repo: Repo, inst: TestInstance, tmp_path: pathlib.Path,
                                                      logless_root: bytes) -> None:
    (tmp_path / "root.json").write_bytes(repo.root_bytes)
    dest = tmp_path / "roots" / "github"
    with Server(repo.published) as server:
        code, out, err = admin(["trust-root", "refresh", "--instance", "github", "--mirror", server.url,
                                "--bootstrap-root", str(tmp_path / "root.json"), "--dest", str(dest)])
    assert code == 0, out + err
    assert "+ TSA added:" in out and "Rekor log" not in out and "wrote" in out
    _, info = snapshot.load_snapshot(dest, allow_no_logs=True)
    assert info.instance == "github" and info.tuf_url == GITHUB_TUF  # the built-in URL, not the mirror
    assert info.tuf_proven and not info.imported
    assert (dest / "trusted_root.json").read_bytes() == logless_root
    manifest = json.loads((dest / "manifest.json").read_text())
    assert "imported" not in manifest and manifest["source"].endswith(f"through the mirror {server.url}")
    code, out, err = admin(["trust-root", "verify", "--require-fresh", str(dest)])
    assert code == 0, out + err
    # The log-less root verifies only under the github verb, and then needs the RFC 3161 timestamp.
    with pytest.raises(TrustRootError, match="transparency log"):
        snapshot.load_snapshot(dest)
    artifact = _private_bundle(inst, tmp_path)
    code, records, err = github_verb([artifact, "--repo", REPOSITORY, "--source-ref", "refs/tags/v1.0",
                                      "--trust-root", str(dest)])
    assert code == 0 and records[0]["tlog"] is False, err
    assert records[0]["trust_root"]["snapshot"]["instance"] == "github"


def test_the_default_github_snapshot_is_the_installed_one(repo: Repo, inst: TestInstance, tmp_path: pathlib.Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """``refresh --instance github`` without --dest refreshes $SIGSTORE_OFFLINE_TRUST_ROOTS/github, and
    ``verify-offline github`` then uses it beside production without being told."""
    roots = tmp_path / "roots"
    roots.mkdir()
    shutil.copytree(SHIPPED / "sigstore", roots / "sigstore")
    (tmp_path / "root.json").write_bytes(repo.root_bytes)
    monkeypatch.setenv("SIGSTORE_OFFLINE_TRUST_ROOTS", str(roots))
    with Server(repo.published) as server:
        code, out, err = admin(["trust-root", "refresh", "--instance", "github", "--mirror", server.url,
                                "--bootstrap-root", str(tmp_path / "root.json")])
    assert code == 0 and f"wrote {roots / 'github'}" in out, out + err
    artifact = _private_bundle(inst, tmp_path)
    code, records, err = github_verb([artifact, "--repo", REPOSITORY])
    assert code == 0 and records[0]["trust_root"]["snapshot"]["directory"] == str(roots / "github"), err
    code, records, _ = github_verb([artifact, "--repo", REPOSITORY, "--trust-root", str(roots / "sigstore")])
    assert code == 1 and records[0]["step"] in ("certificate-chain", "tlog", "timestamp")


def test_the_shipped_github_snapshot_refreshes_from_the_root_it_carries(repo: Repo, tmp_path: pathlib.Path) -> None:
    """The anchor is trust-roots/github/root.json (GitHub's TUF root v3): a repository signed by other
    keys -- even one serving a root v4 -- is refused, and the snapshot stays as it was."""
    dest = tmp_path / "github"
    shutil.copytree(SHIPPED / "github", dest)
    before = tree(dest)
    files = repo.publish()
    rotated = Metadata.from_bytes(repo.root_bytes)
    rotated.signed.version = 4
    files["4.root.json"] = repo._sign(rotated, repo.signers["root"])
    with Server(files) as server:
        code, _, err = admin(["trust-root", "refresh", "--instance", "github", "--dest", str(dest),
                              "--mirror", server.url])
        assert code == 3 and "signature threshold not met" in err and len(err.strip().splitlines()) == 1, err
        assert server.requests[0] == "4.root.json"  # python-tuf started from root v3
    assert tree(dest) == before
    code, _, err = admin(["trust-root", "refresh", "--instance", "sigstore", "--dest", str(dest)])
    assert code == 2 and "holds instance 'github'" in err


# --- import ---------------------------------------------------------------------------------------

def test_import_then_refresh_proves_it(repo: Repo, tmp_path: pathlib.Path, logless_root: bytes) -> None:
    (tmp_path / "root.json").write_bytes(repo.root_bytes)
    (tmp_path / "trusted_root.json").write_bytes(logless_root)
    dest = tmp_path / "github"
    code, out, err = admin(["trust-root", "import", "--instance", "github", "--dest", str(dest),
                            "--bootstrap-root", str(tmp_path / "root.json"),
                            "--trusted-root", str(tmp_path / "trusted_root.json"), "--source-note", "from a test"])
    assert code == 0, err
    assert "root.json: TUF root v1, signed by 1 (threshold 1 of 1)" in out and "not TUF-proven" in out
    _, info = snapshot.load_snapshot(dest, allow_no_logs=True)
    assert info.imported and not info.tuf_proven and info.tuf_url == GITHUB_TUF
    assert not any(pin.tuf_proven for pin in info.files.values()) and sorted(info.files) == ["root.json",
                                                                                               "trusted_root.json"]
    assert info.source.startswith("sigstore-offline trust-root import: trusted_root.json obtained out of band")
    assert info.source.endswith("; from a test") and dict(info.tuf_versions) == {"root": 1}
    code, out, _ = admin(["trust-root", "verify", str(dest)])
    assert code == 1 and "FAIL: trusted_root.json is not TUF-proven" in out and "it was imported" in out
    code, out, _ = admin(["trust-root", "verify", "--allow-unproven", "--require-fresh", str(dest)])
    assert code == 0, out
    code, out, _ = admin(["trust-root", "show", str(dest)])
    assert "imported at: " in out and "not proven through TUF" in out

    with Server(repo.published) as server:
        code, out, err = admin(["trust-root", "refresh", "--dest", str(dest), "--mirror", server.url])
    assert code == 0, out + err
    assert "no change to the trust material (TUF metadata moves forward)" in out
    _, info = snapshot.load_snapshot(dest, allow_no_logs=True)
    assert info.tuf_proven and not info.imported and info.files["timestamp.json"].tuf_proven
    assert not info.files["root.json"].tuf_proven  # the anchor, trusted as pinned
    assert "imported" not in json.loads((dest / "manifest.json").read_text())
    code, out, err = admin(["trust-root", "verify", "--require-fresh", str(dest)])
    assert code == 0, out + err


def test_a_refresh_replaces_an_imported_root_the_repository_does_not_serve(repo: Repo, tmp_path: pathlib.Path,
                                                                           logless_root: bytes) -> None:
    other = (json.dumps(TestInstance(seed="what the out-of-band copy said").trusted_root_json(omit=NO_LOGS))
             + "\n").encode()
    (tmp_path / "root.json").write_bytes(repo.root_bytes)
    (tmp_path / "other.json").write_bytes(other)
    dest = tmp_path / "github"
    code, _, err = admin(["trust-root", "import", "--dest", str(dest), "--bootstrap-root", str(tmp_path / "root.json"),
                          "--trusted-root", str(tmp_path / "other.json")])
    assert code == 0, err
    with Server(repo.published) as server:
        code, out, err = admin(["trust-root", "refresh", "--dest", str(dest), "--mirror", server.url, "--check"])
        assert code == 1 and "+ Fulcio CA added" in out and "- Fulcio CA removed" in out, out + err
        code, out, err = admin(["trust-root", "refresh", "--dest", str(dest), "--mirror", server.url])
    assert code == 0 and "the trust material changed: review" in out, out + err
    assert (dest / "trusted_root.json").read_bytes() == logless_root


def test_import_a_line_of_json_lines(repo: Repo, tmp_path: pathlib.Path, logless_root: bytes) -> None:
    """gh attestation trusted-root prints one root a line: --line picks one, stored with a final newline."""
    public = json.dumps(TestInstance(seed="public good").trusted_root_json())
    compact = json.dumps(json.loads(logless_root))
    (tmp_path / "roots.jsonl").write_text(public + "\n" + compact + "\n")
    (tmp_path / "root.json").write_bytes(repo.root_bytes)
    base = ["trust-root", "import", "--bootstrap-root", str(tmp_path / "root.json"),
            "--trusted-root", str(tmp_path / "roots.jsonl")]
    code, _, err = admin([*base, "--dest", str(tmp_path / "github")])
    assert code == 2 and "holds 2 JSON lines; pick the trusted root with --line N" in err
    for line in ("3", "0", "-1"):
        code, _, err = admin([*base, "--dest", str(tmp_path / "github"), "--line", line])
        assert code == 2 and f"has no trusted root on line {line}" in err
    assert not (tmp_path / "github").exists()
    code, _, err = admin([*base, "--dest", str(tmp_path / "github"), "--line", "2"])
    assert code == 0, err
    assert (tmp_path / "github" / "trusted_root.json").read_text() == compact + "\n"
    assert "(roots.jsonl:2)" in snapshot.read_pinned(tmp_path / "github")[0].source


def _import(tmp_path: pathlib.Path, root: bytes, trusted: bytes, *extra: str) -> Tuple[int, str, str]:
    (tmp_path / "in-root.json").write_bytes(root)
    (tmp_path / "in-trusted.json").write_bytes(trusted)
    return admin(["trust-root", "import", "--bootstrap-root", str(tmp_path / "in-root.json"),
                  "--trusted-root", str(tmp_path / "in-trusted.json"), *extra])


def _resigned(repo: Repo, change: Any) -> bytes:
    md = Metadata.from_bytes(repo.root_bytes)
    change(md)
    return repo._sign(md, repo.signers["root"])


@pytest.mark.parametrize("case,message", [
    ("unsigned", "threshold not met"),
    ("other keys", "threshold not met"),
    ("timestamp", "not a TUF root"),
    ("not tuf", "not TUF metadata"),
    ("no CA", "needs at least one transparency log and one certificate authority"),
    ("not json", "malformed JSON"),
])
def test_import_refuses_what_it_cannot_check(repo: Repo, tmp_path: pathlib.Path, logless_root: bytes,
                                             case: str, message: str) -> None:
    root, trusted = repo.root_bytes, logless_root
    if case == "unsigned":  # a root whose signed part changed after signing
        doc = json.loads(root)
        doc["signed"]["version"] = 2
        root = json.dumps(doc).encode()
    elif case == "other keys":  # signed, but by a key the root does not list for its own role
        stranger = Repo()
        md = Metadata.from_bytes(root)
        root = stranger._sign(md, stranger.signers["root"])
    elif case == "timestamp":
        root = repo.published["timestamp.json"]
    elif case == "not tuf":
        root = logless_root
    elif case == "no CA":
        doc = json.loads(logless_root)
        doc["certificateAuthorities"] = []
        trusted = json.dumps(doc).encode()
    else:
        trusted = b"{not json"
    dest = tmp_path / "github"
    code, out, err = _import(tmp_path, root, trusted, "--dest", str(dest))
    assert code == 3 and message in err and len(err.strip().splitlines()) == 1, err
    assert not dest.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["in-root.json", "in-trusted.json"]


def test_import_usage(repo: Repo, tmp_path: pathlib.Path, logless_root: bytes) -> None:
    code, _, err = _import(tmp_path, repo.root_bytes, logless_root)
    assert code == 2 and "give --instance NAME or --dest DIR" in err
    code, _, err = _import(tmp_path, repo.root_bytes, logless_root, "--dest", str(tmp_path / "private"))
    assert code == 2 and "instance 'private' is not built in: give its TUF repository's URL" in err
    code, _, err = _import(tmp_path, repo.root_bytes, logless_root, "--dest", str(tmp_path / "private"),
                           "--tuf-url", "https://tuf.example.org")
    assert code == 0, err
    assert snapshot.read_pinned(tmp_path / "private")[0].tuf_url == "https://tuf.example.org"
    before = tree(tmp_path / "private")
    code, _, err = _import(tmp_path, repo.root_bytes, logless_root, "--dest", str(tmp_path / "private"),
                           "--tuf-url", "https://tuf.example.org")
    assert code == 2 and "already holds a snapshot" in err and tree(tmp_path / "private") == before
    code, _, err = admin(["trust-root", "import", "--dest", str(tmp_path / "x")])
    assert code == 2 and "required" in err
    code, _, err = _import(tmp_path, repo.root_bytes, logless_root, "--dest", str(tmp_path / "x"), "--line", "two")
    assert code == 2 and "invalid int value" in err


def test_import_needs_the_refresh_extra(tmp_path: pathlib.Path) -> None:
    script = (
        "import sys, io\n"
        "sys.modules['tuf'] = None\n"  # as if the [refresh] extra were not installed
        "from sigstore_offline.cli.admin import main\n"
        "err = io.StringIO()\n"
        f"code = main(['trust-root', 'import', '--dest', {str(tmp_path / 'github')!r}, '--bootstrap-root',"
        f" {str(SHIPPED / 'github' / 'root.json')!r}, '--trusted-root',"
        f" {str(SHIPPED / 'github' / 'trusted_root.json')!r}], out=io.StringIO(), err=err)\n"
        "print(code, err.getvalue())\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            env={"PYTHONPATH": package_path()})
    assert result.stdout.startswith("2 sigstore-offline: error: trust-root import needs the [refresh] extra")
    assert not (tmp_path / "github").exists()


# --- the manifest of an imported snapshot -----------------------------------------------------------

@pytest.mark.parametrize("change,message", [
    (lambda doc: doc.update(imported="yes"), "imported must be true or false"),
    (lambda doc: doc["files"]["trusted_root.json"].update(tuf_proven=True), "an imported snapshot marks a file"),
])
def test_an_imported_manifest_is_checked(tmp_path: pathlib.Path, change: Any, message: str) -> None:
    copy = tmp_path / "github"
    shutil.copytree(SHIPPED / "github", copy)
    doc = json.loads((copy / "manifest.json").read_text())
    change(doc)
    (copy / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(TrustRootError, match=message):
        snapshot.load_snapshot(copy, allow_no_logs=True)


def test_the_age_of_an_imported_snapshot_counts_from_the_import() -> None:
    now = datetime.datetime(2027, 6, 1, tzinfo=datetime.timezone.utc)
    _, info = snapshot.load_snapshot(SHIPPED / "github", allow_no_logs=True)
    assert info.imported and info.dated == "imported"
    assert info.refreshed_at == datetime.datetime(2026, 11, 30, tzinfo=datetime.timezone.utc)
    [warning] = snapshot.check_age(info, now, stale_after_days=100)
    assert "is 183 days old (imported 2026-11-30T00:00:00Z, not proven through TUF)" in warning
    with pytest.raises(TrustRootError, match="was imported 2026-11-30T00:00:00Z, 183 days ago, older than the"
                                             " limit of 30 days"):
        snapshot.check_age(info, now, max_age_days=30)
    assert info.as_json(now)["imported"] is True and info.as_json(now)["trusted_root_tuf_proven"] is False
    _, production = snapshot.load_snapshot(SHIPPED / "sigstore")
    assert production.dated == "refreshed" and production.as_json(now)["imported"] is False
    with pytest.raises(ValueError, match="no TUF-proven file"):
        snapshot.manifest_bytes({"trusted_root.json": b"{}"}, instance="x", tuf_url="", source="", refreshed_at=now,
                                tool_version="0", tuf_versions={}, tuf_proven=("trusted_root.json",), imported=True)
