# SPDX-License-Identifier: Apache-2.0
"""The shipped snapshots are what ``sigstore-offline trust-root refresh`` writes from the real TUF
repositories (../shared/tuf, served on 127.0.0.1 as a --mirror, clock fixed at 2026-08-27): this
regenerates both with tests/refresh_shipped.py and compares them with trust-roots/.

Every TUF file and target is byte-exact (the repository's own bytes). The manifest is byte-exact too:
``refreshed_at`` is the fixed refresh time and the loopback port never reaches it (``--mirror``);
the one field allowed to differ is ``tool_version``, which names the release that ran the refresh
(a later release regenerating the same snapshot writes its own version) -- compared field by field.

trust-roots/github is what ``sigstore-offline trust-root import`` writes from ../shared/vectors/github
(GitHub's TUF root and line 2 of ``gh attestation trusted-root``'s output, clock fixed at the import
date 2026-11-30): regenerated and compared the same way.
"""

from __future__ import annotations

import json
import pathlib

import pytest

from helpers import SHARED, SHIPPED, need_shared, need_tuf

need_tuf()

import refresh_shipped  # noqa: E402
from sigstore_offline import __version__  # noqa: E402


def _same(fresh: "dict[str, bytes]", shipped: "dict[str, bytes]") -> None:
    assert sorted(fresh) == sorted(shipped)
    for name in sorted(fresh):
        if name != "manifest.json":
            assert fresh[name] == shipped[name], f"{name} differs from the shipped one"
    new, old = json.loads(fresh["manifest.json"]), json.loads(shipped["manifest.json"])
    assert new["tool_version"] == __version__
    assert {k: v for k, v in new.items() if k != "tool_version"} == {k: v for k, v in old.items() if k != "tool_version"}
    if old["tool_version"] == __version__:
        assert fresh["manifest.json"] == shipped["manifest.json"]


def test_the_github_snapshot_is_what_import_writes_from_the_shared_vectors(tmp_path: pathlib.Path) -> None:
    vectors = need_shared(refresh_shipped.GITHUB_VECTORS)
    code, out, err = refresh_shipped.write_github(tmp_path)
    assert code == 0, out + err
    fresh = refresh_shipped.files_of(tmp_path / "github")
    _same(fresh, refresh_shipped.files_of(SHIPPED / "github"))
    # The snapshot carries GitHub's own TUF root (the anchor of `trust-root refresh --instance github`)
    # and GitHub's instance root, byte for byte; nothing is TUF-proven, and the manifest says imported.
    assert fresh["root.json"] == (vectors / refresh_shipped.GITHUB_TUF_ROOT).read_bytes()
    assert fresh["trusted_root.json"] == (vectors / "github_trusted_root.json").read_bytes()
    manifest = json.loads(fresh["manifest.json"])
    assert manifest["imported"] is True and manifest["refreshed_at"] == "2026-11-30T00:00:00Z"
    assert manifest["tuf_url"] == "https://tuf-repo.github.com" and manifest["tuf_versions"] == {"root": 3}
    assert not [name for name, pin in manifest["files"].items() if pin["tuf_proven"]]


@pytest.mark.parametrize("instance", refresh_shipped.INSTANCES, ids=lambda i: i.name)
def test_regenerated_from_shared_tuf_equals_the_shipped_snapshot(tmp_path: pathlib.Path,
                                                                   instance: refresh_shipped.Instance) -> None:
    need_shared(SHARED / "tuf" / instance.folder)
    code, out, err = refresh_shipped.write(tmp_path, instance)
    assert code == 0, out + err
    _same(refresh_shipped.files_of(tmp_path / instance.name), refresh_shipped.files_of(SHIPPED / instance.name))
