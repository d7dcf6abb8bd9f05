# SPDX-License-Identifier: Apache-2.0
"""Test-side TUF tooling: a repository built with python-tuf's Metadata API and securesystemslib
signers, a loopback HTTP server that can misbehave, and the fixed TUF reference time.

Only tests import this (it needs the [refresh] extra: callers first call ``helpers.need_tuf()``).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import http.server
import threading
import types
from typing import Dict, Iterator, List, Optional, Tuple
from unittest import mock

from securesystemslib.signer import CryptoSigner, Signer
from tuf.api.metadata import (
    MetaFile,
    Metadata,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer
from tuf.ngclient._internal import trusted_metadata_set

UTC = datetime.timezone.utc
TOP_ROLES = ("root", "timestamp", "snapshot", "targets")


@contextlib.contextmanager
def tuf_clock(moment: datetime.datetime) -> Iterator[None]:
    """Fix python-tuf 7.0.1's reference time (read once in TrustedMetadataSet.__init__) -- tests only.

    python-tuf has no public option for it (see ../shared/tuf/NOTES.md); the product never does this.
    """

    class _Frozen(datetime.datetime):
        @classmethod
        def now(cls, tz: Optional[datetime.tzinfo] = None) -> "_Frozen":  # type: ignore[override]
            return moment.astimezone(tz) if tz is not None else moment  # type: ignore[return-value]

    shim = types.SimpleNamespace(datetime=_Frozen, timezone=datetime.timezone, timedelta=datetime.timedelta)
    with mock.patch.object(trusted_metadata_set, "datetime", shim):
        yield


@contextlib.contextmanager
def fixed_clock(moment: datetime.datetime) -> Iterator[None]:
    """:func:`tuf_clock` plus the admin command's one clock read (``refreshed_at``, ``verify``'s
    default ``--at``) -- tests only: a refresh run "on" ``moment``, as a job run that day would."""
    from sigstore_offline.cli import admin

    class _Frozen(datetime.datetime):
        @classmethod
        def now(cls, tz: Optional[datetime.tzinfo] = None) -> "_Frozen":  # type: ignore[override]
            return moment.astimezone(tz) if tz is not None else moment  # type: ignore[return-value]

    shim = types.SimpleNamespace(datetime=_Frozen, timezone=datetime.timezone, timedelta=datetime.timedelta)
    with tuf_clock(moment), mock.patch.object(admin, "datetime", shim):
        yield


# --- a TUF repository ---------------------------------------------------------------------------

class Repo:
    """A consistent-snapshot TUF repository held in memory; ``files()`` is what the server serves."""

    def __init__(self, *, expires_in: datetime.timedelta = datetime.timedelta(days=30)) -> None:
        self.expiry = datetime.datetime.now(UTC).replace(microsecond=0) + expires_in
        self.signers: Dict[str, List[Signer]] = {role: [CryptoSigner.generate_ecdsa()] for role in TOP_ROLES}
        root = Root(expires=self.expiry, consistent_snapshot=True)
        for role in TOP_ROLES:
            for signer in self.signers[role]:
                root.add_key(signer.public_key, role)
        self.root = Metadata(root)
        self.roots: List[bytes] = []
        self.targets = Metadata(Targets(expires=self.expiry))
        self.snapshot = Metadata(Snapshot(expires=self.expiry))
        self.timestamp = Metadata(Timestamp(expires=self.expiry))
        self.target_files: Dict[str, bytes] = {}
        self.published: Dict[str, bytes] = {}
        self._sign_root(self.signers["root"])
        self.publish()

    @staticmethod
    def _bytes(md: Metadata) -> bytes:  # type: ignore[type-arg]
        return md.to_bytes(JSONSerializer(compact=False))

    def _sign(self, md: Metadata, signers: List[Signer]) -> bytes:  # type: ignore[type-arg]
        md.signatures.clear()
        for signer in signers:
            md.sign(signer, append=True)
        return self._bytes(md)

    def _sign_root(self, signers: List[Signer]) -> None:
        self.roots.append(self._sign(self.root, signers))

    def rotate_root(self, keys: int, threshold: int, *, sign_with_old: Optional[int] = None,
                    sign_with_new: Optional[int] = None) -> None:
        """A new root version with ``keys`` fresh root keys and ``threshold``, signed by the first
        ``sign_with_old`` old root keys (default: all) and ``sign_with_new`` new ones (default: all)."""
        old = list(self.signers["root"])
        new = [CryptoSigner.generate_ecdsa() for _ in range(keys)]
        signed = self.root.signed
        for signer in old:
            signed.revoke_key(signer.public_key.keyid, "root")
        for signer in new:
            signed.add_key(signer.public_key, "root")
        signed.roles["root"].threshold = threshold
        signed.version += 1
        self.signers["root"] = new
        use_old = old[: len(old) if sign_with_old is None else sign_with_old]
        use_new = new[: len(new) if sign_with_new is None else sign_with_new]
        self._sign_root(use_old + [s for s in use_new if s not in use_old])

    def add_target(self, name: str, data: bytes) -> None:
        self.target_files[name] = data
        self.targets.signed.targets[name] = TargetFile.from_data(name, data, ["sha256"])

    def publish(self, *, bump: Tuple[str, ...] = ("targets", "snapshot", "timestamp")) -> Dict[str, bytes]:
        """Re-sign the roles in ``bump`` (new versions) and return the served files."""
        if "targets" in bump:
            self.targets.signed.version += 1 if self.published else 0
            self.targets.signed.expires = self.expiry
        targets_bytes = self._sign(self.targets, self.signers["targets"])
        if "snapshot" in bump:
            self.snapshot.signed.version += 1 if self.published else 0
            self.snapshot.signed.meta["targets.json"] = MetaFile(version=self.targets.signed.version)
        snapshot_bytes = self._sign(self.snapshot, self.signers["snapshot"])
        if "timestamp" in bump:
            self.timestamp.signed.version += 1 if self.published else 0
            self.timestamp.signed.snapshot_meta = MetaFile(version=self.snapshot.signed.version)
        timestamp_bytes = self._sign(self.timestamp, self.signers["timestamp"])
        files = {f"{i + 1}.root.json": data for i, data in enumerate(self.roots)}
        files[f"{self.snapshot.signed.version}.snapshot.json"] = snapshot_bytes
        files[f"{self.targets.signed.version}.targets.json"] = targets_bytes
        files["timestamp.json"] = timestamp_bytes
        for name, data in self.target_files.items():
            files[f"targets/{hashlib.sha256(data).hexdigest()}.{name}"] = data
        self.published = files
        return dict(files)

    def sign_timestamp(self, *, version: int, expires: datetime.datetime, snapshot_version: int) -> bytes:
        md = Metadata(Timestamp(version=version, expires=expires,
                                snapshot_meta=MetaFile(version=snapshot_version)))
        return self._sign(md, self.signers["timestamp"])

    def sign_snapshot(self, *, version: int, targets_version: int) -> bytes:
        md = Metadata(Snapshot(version=version, expires=self.expiry,
                               meta={"targets.json": MetaFile(version=targets_version)}))
        return self._sign(md, self.signers["snapshot"])

    @property
    def root_bytes(self) -> bytes:
        return self.roots[0]


# --- a loopback HTTP server ---------------------------------------------------------------------

class Server:
    """A ThreadingHTTPServer on 127.0.0.1 (free port) serving ``files`` (path -> bytes) or a directory
    (then ``files`` overrides single paths of it, e.g. a tampered copy of one file, held in memory).

    ``behave[path]`` makes one path misbehave: ``"stall"`` (headers, then nothing), ``"die"`` (half
    the promised body, then close), ``"404"``. Always used as a context manager; stops its thread.
    """

    def __init__(self, files: Optional[Dict[str, bytes]] = None, *, directory: Optional[str] = None) -> None:
        self.files: Dict[str, bytes] = dict(files or {})
        self.behave: Dict[str, str] = {}
        self.requests: List[str] = []
        self._release = threading.Event()
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.lstrip("/")
                server.requests.append(path)
                how = server.behave.get(path)
                if directory is not None and how is None and path not in server.files:
                    super().do_GET()
                    return
                data = server.files.get(path)
                if data is None or how == "404":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if how == "stall":
                    self.wfile.flush()
                    server._release.wait(30)
                    return
                if how == "die":
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(data)

        handler = functools.partial(Handler, directory=directory) if directory else Handler
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> "Server":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)
