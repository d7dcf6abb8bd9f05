# SPDX-License-Identifier: Apache-2.0
"""pytest fixtures, and nothing else: shared constants and helpers are in tests/helpers.py."""

from __future__ import annotations

import json
import pathlib
from typing import Any, Dict, Tuple

import pytest


@pytest.fixture(scope="session")
def catalog_instance() -> Any:
    """The generated test Sigstore instance the catalog's cases are made with (default seed)."""
    from testinstance import TestInstance

    return TestInstance()


@pytest.fixture(scope="session")
def catalog_roots(catalog_instance: Any, tmp_path_factory: pytest.TempPathFactory) -> Dict[Tuple[Any, ...], pathlib.Path]:
    """trusted_root.json files of ``catalog_instance``, one per distinct root a case asks for,
    written on demand."""
    directory = tmp_path_factory.mktemp("roots")

    class Roots(dict):  # type: ignore[type-arg]
        def __missing__(self, key: Tuple[Any, ...]) -> pathlib.Path:
            path = directory / f"trusted_root_{len(self)}.json"
            path.write_text(json.dumps(catalog_instance.trusted_root_json(**dict(key))))
            self[key] = path
            return path

    return Roots()
