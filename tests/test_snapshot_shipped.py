# SPDX-License-Identifier: Apache-2.0
"""The shipped snapshots are what ``sigstore-offline trust-root refresh`` writes from the real TUF
repositories (../shared/tuf, served on 127.0.0.1 as a --mirror, clock fixed at 2026-08-27): this
regenerates both with tests/refresh_shipped.py and compares them with trust-roots/.

Every TUF file and target is byte-exact (the repository's own bytes). The manifest is byte-exact too:
``refreshed_at`` is the fixed refresh time and the loopback port never reaches it (``--mirror``);
the one field allowed to differ is ``tool_version``, which names the release that ran the refresh
(a later release regenerating the same snapshot writes its own version) -- compared field by field.
"""

from __future__ import annotations

import json
import pathlib

import pytest

from helpers import SHARED, SHIPPED, need_shared, need_tuf

need_tuf()

import refresh_shipped  # noqa: E402
from sigstore_offline import __version__  # noqa: E402


@pytest.mark.parametrize("instance", refresh_shipped.INSTANCES, ids=lambda i: i.name)
def test_regenerated_from_shared_tuf_equals_the_shipped_snapshot(tmp_path: pathlib.Path,
                                                                   instance: refresh_shipped.Instance) -> None:
    need_shared(SHARED / "tuf" / instance.folder)
    code, out, err = refresh_shipped.write(tmp_path, instance)
    assert code == 0, out + err
    fresh = refresh_shipped.files_of(tmp_path / instance.name)
    shipped = refresh_shipped.files_of(SHIPPED / instance.name)
    assert sorted(fresh) == sorted(shipped)
    for name in sorted(fresh):
        if name != "manifest.json":
            assert fresh[name] == shipped[name], f"{name} differs from the shipped one"
    new, old = json.loads(fresh["manifest.json"]), json.loads(shipped["manifest.json"])
    assert new["tool_version"] == __version__
    assert {k: v for k, v in new.items() if k != "tool_version"} == {k: v for k, v in old.items() if k != "tool_version"}
    if old["tool_version"] == __version__:
        assert fresh["manifest.json"] == shipped["manifest.json"]
