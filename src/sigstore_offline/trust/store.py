# SPDX-License-Identifier: Apache-2.0
"""Where trust roots come from: the shipped snapshots, a user's file or directory.

Shipped snapshots live in ``trust-roots/<instance>/`` of the source tree and are installed as
``sigstore_offline/trust_roots/<instance>/`` in the wheel. A distribution that installs them
elsewhere (e.g. ``/usr/share/sigstore-offline/trust-roots``) sets ``SIGSTORE_OFFLINE_TRUST_ROOTS``.
Instances: ``sigstore`` (production public-good), ``sigstage`` (staging), ``github`` (GitHub's own
instance: no transparency log; ``verify-offline github`` uses it beside production).
"""

from __future__ import annotations

import os
import pathlib
from typing import Optional, Tuple

from ..errors import Step, TrustRootError
from ..inputs import read_input
from ..limits import MAX_TRUSTED_ROOT_BYTES
from .trustconfig import parse_trust_file
from .snapshot import SnapshotInfo, load_snapshot
from .trusted_root import TrustedRoot

__all__ = [
    "ENV_DIR", "PRODUCTION", "STAGING", "GITHUB", "shipped_dir", "read_limited", "open_trust_root", "load", "open_shipped",
    "shipped",
]

ENV_DIR = "SIGSTORE_OFFLINE_TRUST_ROOTS"
PRODUCTION = "sigstore"
STAGING = "sigstage"
GITHUB = "github"


def shipped_dir() -> pathlib.Path:
    """The directory holding the shipped instance snapshots."""
    override = os.environ.get(ENV_DIR)
    if override:
        return pathlib.Path(override)
    package = pathlib.Path(__file__).resolve().parent.parent
    installed = package / "trust_roots"
    if installed.is_dir():
        return installed
    return package.parent.parent / "trust-roots"  # a source checkout (src/ layout)


def read_limited(path: pathlib.Path, limit: int, *, what: str = "trust root") -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit``), or a :class:`TrustRootError`."""
    return read_input(str(path), limit=limit, what=what, step=Step.TRUST_ROOT, error=TrustRootError)


def open_trust_root(path: pathlib.Path, *, allow_no_logs: bool = False) -> Tuple[TrustedRoot, Optional[SnapshotInfo]]:
    """A ``trusted_root.json`` file, sigstore-python's ClientTrustConfig file (its ``trustedRoot``;
    see :mod:`.trustconfig`), or a snapshot directory whose manifest pins are checked first.
    ``allow_no_logs``: a snapshot's or file's trusted root may list no transparency log."""
    if path.is_dir():
        return load_snapshot(path, allow_no_logs=allow_no_logs)
    data = read_limited(path, MAX_TRUSTED_ROOT_BYTES)
    return parse_trust_file(data, source=str(path), allow_no_logs=allow_no_logs), None


def load(path: pathlib.Path) -> TrustedRoot:
    return open_trust_root(path)[0]


def open_shipped(instance: str, *, allow_no_logs: bool = False) -> Tuple[TrustedRoot, SnapshotInfo]:
    directory = shipped_dir() / instance
    if not directory.is_dir():
        raise TrustRootError(
            f"the shipped {instance} trust-root snapshot is not installed ({directory}); set {ENV_DIR}"
            " or name a trust root explicitly",
            step=Step.TRUST_ROOT,
        )
    return load_snapshot(directory, allow_no_logs=allow_no_logs)


def shipped(instance: str) -> TrustedRoot:
    return open_shipped(instance)[0]
