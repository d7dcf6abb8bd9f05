# SPDX-License-Identifier: Apache-2.0
"""Merkle inclusion proofs, RFC 6962 section 2.1 / RFC 9162 section 2.1.3.2.

Leaf hash = SHA-256(0x00 || entry); interior node = SHA-256(0x01 || left || right).
"""

from __future__ import annotations

import hashlib
from typing import Sequence

from ..errors import Step, VerificationError

__all__ = ["STEP", "leaf_hash", "root_from_inclusion_proof", "verify_inclusion"]

STEP = Step.INCLUSION_PROOF


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion_proof(*, leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes]) -> bytes:
    """Recompute the tree root from a leaf hash and its audit path (RFC 9162 2.1.3.2)."""
    if tree_size < 1 or not 0 <= index < tree_size:
        raise VerificationError(f"leaf index {index} is not inside a tree of size {tree_size}", step=STEP)
    fn, sn, node = index, tree_size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise VerificationError(
                f"proof has {len(proof)} hashes, more than a tree of size {tree_size} needs for leaf {index}",
                step=STEP,
            )
        if fn & 1 or fn == sn:
            node = _node(sibling, node)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            node = _node(node, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError(
            f"proof has {len(proof)} hashes, fewer than a tree of size {tree_size} needs for leaf {index}",
            step=STEP,
        )
    return node


def verify_inclusion(*, leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root_hash: bytes) -> None:
    """Check that ``proof`` places ``leaf`` at ``index`` under ``root_hash`` (RFC 9162 2.1.3.2).

    Raises:
        VerificationError: ``Step.INCLUSION_PROOF``, when it does not (or ``index`` is outside the tree).
    """
    computed = root_from_inclusion_proof(leaf=leaf, index=index, tree_size=tree_size, proof=proof)
    if computed != root_hash:
        raise VerificationError(
            f"inclusion proof does not reach the root hash: computed {computed.hex()}, expected {root_hash.hex()}",
            step=STEP,
        )
