# SPDX-License-Identifier: Apache-2.0
"""RFC 6962 section 2.1 Merkle tree hash and audit path, written from the recursive definitions.

A reference independent of the product's iterative verifier (src/sigstore_offline/verify/merkle.py).
"""

from __future__ import annotations

import hashlib
from typing import List


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: List[bytes]) -> bytes:
    """MTH(D[n])."""
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = _split(len(leaves))
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def path(m: int, leaves: List[bytes]) -> List[bytes]:
    """PATH(m, D[n])."""
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]
