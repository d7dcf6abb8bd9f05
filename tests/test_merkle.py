# SPDX-License-Identifier: Apache-2.0
"""RFC 6962 / 9162 inclusion proofs against a reference tree built from the RFC's recursive
definitions (tests/testinstance/merkle_ref.py)."""

from __future__ import annotations


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigstore_offline.errors import VerificationError
from sigstore_offline.verify import merkle
from testinstance.merkle_ref import mth as _mth
from testinstance.merkle_ref import path as _path


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 70), data=st.data())
def test_every_valid_proof_verifies(size: int, data: st.DataObject) -> None:
    """RFC 9162 2.1.3.2: a correct audit path recomputes the root for any index < tree size."""
    leaves = [b"leaf %d" % i for i in range(size)]
    index = data.draw(st.integers(0, size - 1))
    merkle.verify_inclusion(
        leaf=merkle.leaf_hash(leaves[index]), index=index, tree_size=size, proof=_path(index, leaves),
        root_hash=_mth(leaves),
    )


@settings(max_examples=150, deadline=None)
@given(size=st.integers(2, 70), data=st.data())
def test_any_change_to_a_proof_is_rejected(size: int, data: st.DataObject) -> None:
    leaves = [b"leaf %d" % i for i in range(size)]
    index = data.draw(st.integers(0, size - 1))
    proof = _path(index, leaves)
    root = _mth(leaves)
    leaf = merkle.leaf_hash(leaves[index])
    # Not "tree size": for some indices the audit path is the same in a neighbouring tree size, so
    # the size is bound by the signed checkpoint instead (tests/test_checkpoint.py).
    mutation = data.draw(st.sampled_from(["flip", "drop", "extra", "index", "leaf"]))
    kwargs = dict(leaf=leaf, index=index, tree_size=size, proof=list(proof), root_hash=root)
    if mutation == "flip" and proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        kwargs["proof"][position] = bytes([proof[position][0] ^ 1]) + proof[position][1:]
    elif mutation == "drop" and proof:
        kwargs["proof"] = proof[:-1]
    elif mutation == "extra":
        kwargs["proof"] = proof + [b"\x00" * 32]
    elif mutation == "index":
        kwargs["index"] = (index + 1) % size
    else:
        kwargs["leaf"] = merkle.leaf_hash(b"other")
    if kwargs == dict(leaf=leaf, index=index, tree_size=size, proof=proof, root_hash=root):
        return  # the drawn mutation was a no-op (e.g. flip on an empty proof)
    with pytest.raises(VerificationError) as info:
        merkle.verify_inclusion(**kwargs)  # type: ignore[arg-type]
    assert info.value.step == "inclusion-proof"


@pytest.mark.parametrize("index,size", [(5, 5), (6, 5), (-1, 5), (0, 0)])
def test_index_outside_the_tree_is_rejected(index: int, size: int) -> None:
    with pytest.raises(VerificationError, match="not inside"):
        merkle.verify_inclusion(leaf=b"\x00" * 32, index=index, tree_size=size, proof=[], root_hash=b"\x00" * 32)


def test_single_leaf_tree() -> None:
    leaf = merkle.leaf_hash(b"only")
    merkle.verify_inclusion(leaf=leaf, index=0, tree_size=1, proof=[], root_hash=leaf)


def test_proof_length_is_checked_on_its_own() -> None:
    """RFC 9162 2.1.3.2 steps 2 and 4: a path longer or shorter than the tree needs is rejected
    as such, not only through the final root comparison."""
    leaves = [b"leaf %d" % i for i in range(6)]
    proof = _path(2, leaves)
    leaf = merkle.leaf_hash(leaves[2])
    with pytest.raises(VerificationError, match="more than a tree"):
        merkle.root_from_inclusion_proof(leaf=leaf, index=2, tree_size=6, proof=proof + [b"\x00" * 32])
    with pytest.raises(VerificationError, match="fewer than a tree"):
        merkle.root_from_inclusion_proof(leaf=leaf, index=2, tree_size=6, proof=proof[:-1])
