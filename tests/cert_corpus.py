# SPDX-License-Identifier: Apache-2.0
"""Every X.509 certificate in the repository's trust roots and in ../shared (read in place).

Certificates are found wherever they sit: ``rawBytes`` and other base64 strings in JSON (bundles,
trusted roots, attestations, Rekor entry bodies, which are base64 JSON themselves), PEM blocks in
any text, DER files. Used by the cross-checks of the strict X.509 and SCT readers against
``cryptography`` (tests/test_x509_strict.py, tests/test_sct_der.py).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import pathlib
import re
from typing import Any, Dict, Iterator, List, Tuple

from helpers import REPO, SHARED

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----")
_ROOTS = [REPO / "trust-roots", REPO / "docs" / "examples", SHARED / "vectors", SHARED / "tuf"]
_MAX_FILE = 4 * 1024 * 1024


def _looks_like_certificate(der: bytes) -> bool:
    # SEQUENCE with a long-form length, then the TBSCertificate SEQUENCE.
    return len(der) > 64 and der[0] == 0x30 and der[1] in (0x81, 0x82, 0x83) and 0x30 in der[2:6]


def _from_text(data: bytes) -> Iterator[bytes]:
    for match in _PEM.finditer(data):
        try:
            yield base64.b64decode(b"".join(match.group(1).split()), validate=True)
        except (binascii.Error, ValueError):
            continue


def _from_json(value: Any, depth: int = 0) -> Iterator[bytes]:
    if depth > 12:
        return
    if isinstance(value, dict):
        for item in value.values():
            yield from _from_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _from_json(item, depth + 1)
    elif isinstance(value, str):
        encoded = value.encode("utf-8", "replace")
        if b"-----BEGIN CERTIFICATE" in encoded:
            yield from _from_text(encoded)
            return
        if len(value) < 64 or not re.fullmatch(r"[A-Za-z0-9+/=_-]+", value):
            return
        try:
            decoded = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_" if "-" in value or "_" in value else None)
        except (binascii.Error, ValueError):
            return
        if _looks_like_certificate(decoded):
            yield decoded
        elif b"-----BEGIN CERTIFICATE" in decoded:
            yield from _from_text(decoded)
        elif decoded[:1] == b"{":
            try:
                yield from _from_json(json.loads(decoded), depth + 1)
            except ValueError:
                return


def _from_file(path: pathlib.Path) -> Iterator[bytes]:
    if path.stat().st_size > _MAX_FILE:
        return
    data = path.read_bytes()
    if _looks_like_certificate(data):
        yield data
        return
    if b"-----BEGIN CERTIFICATE" in data:
        yield from _from_text(data)
    stripped = data.lstrip()
    lines = [stripped] if stripped[:1] in (b"{", b"[") else data.splitlines() if path.suffix == ".jsonl" else []
    for line in lines:
        try:
            document = json.loads(line)
        except ValueError:
            continue
        yield from _from_json(document)


@functools.lru_cache(maxsize=None)
def certificates() -> Tuple[Tuple[str, bytes], ...]:
    """``(where, der)`` for every distinct certificate found, in a stable order."""
    seen: Dict[bytes, str] = {}
    for root in _ROOTS:
        if not root.exists():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            for der in _from_file(path):
                seen.setdefault(der, str(path.relative_to(root.parent)))
    return tuple((where, der) for der, where in seen.items())


def with_sct_list() -> List[Tuple[str, bytes]]:
    """The certificates that carry an embedded SCT list (RFC 6962 3.3), found by its OID's DER."""
    oid = bytes.fromhex("060a2b06010401d679020402")
    return [(where, der) for where, der in certificates() if oid in der]
