# SPDX-License-Identifier: Apache-2.0
"""An append-only RFC 6962 / RFC 9162 Merkle tree that serves roots and inclusion proofs for any
earlier tree size.

Leaf hash ``SHA-256(0x00 || entry)``, node hash ``SHA-256(0x01 || left || right)``. Hashes of
complete, aligned power-of-two subtrees never change once the tree has grown past them, so they are
cached: a root or a proof costs O(log n) hashes after the first pass over the log.

Test helper, not product code (``merkle_ref.py`` is the slow textbook version the verifier's own
Merkle tests compare against).
"""

from __future__ import annotations

import hashlib
from typing import Dict, Iterable, List, Optional, Tuple


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (RFC 6962 section 2.1), for n >= 2."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    def __init__(self) -> None:
        self._leaves: List[bytes] = []
        self._cache: Dict[Tuple[int, int], bytes] = {}

    @property
    def size(self) -> int:
        return len(self._leaves)

    def append(self, entry: bytes) -> int:
        """Add an entry; return its index."""
        self._leaves.append(leaf_hash(entry))
        return len(self._leaves) - 1

    def extend_leaf_hashes(self, hashes: Iterable[bytes]) -> None:
        """Add leaves given by their leaf hashes (filler entries nobody will ask about)."""
        self._leaves.extend(hashes)

    def leaf_hash(self, index: int) -> bytes:
        return self._leaves[index]

    def _hash(self, start: int, size: int) -> bytes:
        """MTH of leaves[start:start+size]."""
        if size == 1:
            return self._leaves[start]
        key = (start, size)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        k = _split(size)
        value = node_hash(self._hash(start, k), self._hash(start + k, size - k))
        if (size & (size - 1)) == 0:  # a complete, aligned subtree: cheap to keep
            self._cache[key] = value
        return value

    def root(self, size: Optional[int] = None) -> bytes:
        size = self.size if size is None else size
        if not 0 < size <= self.size:
            raise ValueError(f"no tree of size {size} (log has {self.size} entries)")
        return self._hash(0, size)

    def inclusion_proof(self, index: int, size: Optional[int] = None) -> List[bytes]:
        """RFC 6962 section 2.1.1 PATH(index, D[0:size]), leaf-side first."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no proof for index {index} in a tree of size {size} (log has {self.size})")
        proof: List[bytes] = []
        start, n, m = 0, size, index
        while n > 1:
            k = _split(n)
            if m < k:
                proof.append(self._hash(start + k, n - k))
                n = k
            else:
                proof.append(self._hash(start, k))
                start, n, m = start + k, n - k, m - k
        proof.reverse()
        return proof
