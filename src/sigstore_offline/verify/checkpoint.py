# SPDX-License-Identifier: Apache-2.0
"""Checkpoints: C2SP signed notes (c2sp.org/signed-note) carrying a tlog-checkpoint body.

Note text (signed): ``<origin>\\n<tree size>\\n<base64 root hash>\\n[extension lines\\n]``, then a
blank line, then signature lines ``\\u2014 <name> <base64(4-byte key hint || signature)>\\n``.
Key hints: ECDSA/RSA log keys use the first 4 bytes of SHA-256(DER SPKI) (Rekor v1);
Ed25519 keys use the first 4 bytes of SHA-256(name || "\\n" || 0x01 || raw key) (Rekor v2).
Signature lines from other keys (witness cosignatures) are ignored. At least one line must
carry a valid signature by the log key under the log's name, and no such line may carry an
invalid one. The name must be the checkpoint's origin, or, as Rekor v1 writes them, the origin
must be ``<name> - <tree id>``.

Parse, then compare: :func:`parse_checkpoint` turns the note into a :class:`Checkpoint` and raises
only :class:`InputError` (a note that cannot be read as a checkpoint is malformed input, exit 4);
:func:`verify_checkpoint` compares its typed fields with the log key and the inclusion proof and
raises only :class:`VerificationError` (exit 1), both at ``Step.CHECKPOINT``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import List, NamedTuple, Tuple

from cryptography.hazmat.primitives import hashes

from ..errors import InputError, Step, VerificationError
from ..limits import MAX_CHECKPOINT_SIGNATURES
from ..trust.trusted_root import LogKey
from .certchain import verify_signature

__all__ = ["STEP", "Checkpoint", "parse_checkpoint", "key_hint", "verify_checkpoint"]

STEP = Step.CHECKPOINT
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_DASH = "\u2014 "


class Checkpoint(NamedTuple):
    """A parsed signed note (C2SP tlog-checkpoint): ``origin`` (never empty), ``tree_size``,
    ``root_hash`` (32 bytes), ``body`` (the signed text), and every signature line as (key name,
    4-byte key hint, signature), witnesses included; ``signatures`` is empty when the note has
    none (which :func:`verify_checkpoint` rejects)."""

    origin: str
    tree_size: int
    root_hash: bytes
    body: bytes
    signatures: Tuple[Tuple[str, bytes, bytes], ...]  # (name, key hint, signature)


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"checkpoint {what} is not valid base64", step=STEP) from None


def parse_checkpoint(note: str) -> Checkpoint:
    """Split and decode a signed note.

    Raises:
        InputError: ``Step.CHECKPOINT``: the text is not a signed note carrying a checkpoint
            (missing lines, a size that is not a number, bad base64, a malformed signature line).
    """
    separator = note.find("\n\n")
    if separator < 0:
        raise InputError("checkpoint has no blank line before its signatures", step=STEP)
    body, tail = note[: separator + 1], note[separator + 2 :]
    lines = body.split("\n")[:-1]
    if len(lines) < 3:
        raise InputError(
            f"checkpoint body has {len(lines)} line(s), expected origin, tree size and root hash", step=STEP
        )
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not origin:
        raise InputError("checkpoint origin line is empty", step=STEP)
    if not _SIZE.fullmatch(size_text):
        raise InputError(f"checkpoint tree size line {size_text[:40]!r} is not a decimal number", step=STEP)
    root_hash = _b64(root_text, "root hash")
    if len(root_hash) != 32:
        raise InputError(f"checkpoint root hash has {len(root_hash)} bytes, expected 32", step=STEP)
    if not tail.strip("\n"):
        return Checkpoint(origin, int(size_text), root_hash, body.encode("utf-8"), ())
    if not tail.endswith("\n"):
        raise InputError("checkpoint signature block does not end with a newline", step=STEP)
    sig_lines = tail[:-1].split("\n")
    if len(sig_lines) > MAX_CHECKPOINT_SIGNATURES:
        raise InputError(f"checkpoint has more than {MAX_CHECKPOINT_SIGNATURES} signatures", step=STEP)
    signatures: List[Tuple[str, bytes, bytes]] = []
    for line in sig_lines:
        if not line.startswith(_DASH):
            raise InputError(f"checkpoint signature line {line[:40]!r} does not start with an em dash", step=STEP)
        name, _, encoded = line[len(_DASH) :].rpartition(" ")
        if not name or " " in name:
            raise InputError(f"checkpoint signature line {line[:40]!r} has no valid key name", step=STEP)
        blob = _b64(encoded, "signature")
        if len(blob) < 5:
            raise InputError("checkpoint signature is too short to carry a key hint", step=STEP)
        signatures.append((name, blob[:4], blob[4:]))
    return Checkpoint(origin, int(size_text), root_hash, body.encode("utf-8"), tuple(signatures))


def key_hint(log: LogKey, name: str) -> bytes:
    if log.is_ed25519:
        raw = log.spki_der[-32:]  # an Ed25519 SubjectPublicKeyInfo ends with the 32-byte key (RFC 8410 4)
        return hashlib.sha256(name.encode("utf-8") + b"\n\x01" + raw).digest()[:4]
    return hashlib.sha256(log.spki_der).digest()[:4]


def _names_origin(name: str, origin: str) -> bool:
    """The signer is the log the checkpoint is for: its name is the origin, or (Rekor v1) the
    origin is ``<name> - <tree id>``."""
    if name == origin:
        return True
    prefix, _, tree_id = origin.rpartition(" - ")
    return prefix == name and tree_id.isdigit()


def _hash_for(log: LogKey) -> hashes.HashAlgorithm:
    if log.key_details.endswith("SHA_384"):
        return hashes.SHA384()
    if log.key_details.endswith("SHA_512"):
        return hashes.SHA512()
    return hashes.SHA256()


def verify_checkpoint(note: str, *, log: LogKey, tree_size: int, root_hash: bytes) -> Checkpoint:
    """Verify the log's signature on ``note`` and that it commits to ``tree_size`` / ``root_hash``.

    Raises:
        InputError: the note is malformed (``Step.CHECKPOINT``).
        VerificationError: no signature by the log's key verifies, or the note commits to another
            tree size or root hash (``Step.CHECKPOINT``).
    """
    checkpoint = parse_checkpoint(note)
    if not checkpoint.signatures:
        raise VerificationError("checkpoint carries no signature", step=STEP)
    verified = False
    for name, hint, signature in checkpoint.signatures:
        if hint != key_hint(log, name) or not _names_origin(name, checkpoint.origin):
            continue  # a witness or another key: ignored
        if not verify_signature(log.public_key, signature, checkpoint.body, _hash_for(log)):
            raise VerificationError(
                f"checkpoint signature by {name} (key hint {hint.hex()}) does not verify", step=STEP
            )
        verified = True
    if not verified:
        names = ", ".join(sorted({name for name, _, _ in checkpoint.signatures}))
        raise VerificationError(
            f"checkpoint for origin {checkpoint.origin!r} has no signature by the log key"
            f" {log.base_url or log.log_id.hex()} (signers: {names})",
            step=STEP,
        )
    if checkpoint.tree_size != tree_size:
        raise VerificationError(
            f"checkpoint is for tree size {checkpoint.tree_size}, the inclusion proof for {tree_size}", step=STEP
        )
    if checkpoint.root_hash != root_hash:
        raise VerificationError(
            f"checkpoint root hash {checkpoint.root_hash.hex()} differs from the inclusion proof's {root_hash.hex()}",
            step=STEP,
        )
    return checkpoint
