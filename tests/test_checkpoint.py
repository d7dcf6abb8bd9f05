# SPDX-License-Identifier: Apache-2.0
"""Checkpoints as C2SP signed notes, for ECDSA (Rekor v1) and Ed25519 (Rekor v2) log keys."""

from __future__ import annotations

import base64
import datetime
import hashlib
from typing import Any, Callable

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sigstore_offline.errors import InputError, VerificationError
from sigstore_offline.trust.trusted_root import LogKey, ValidityWindow
from sigstore_offline.verify.checkpoint import Checkpoint, parse_checkpoint, verify_checkpoint

ROOT = hashlib.sha256(b"root").digest()
START = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)


def _log(private: Any, details: str) -> LogKey:
    public = private.public_key()
    spki = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return LogKey("https://log.test", hashlib.sha256(spki).digest(), details, public, spki, ValidityWindow(START, None))


def _line(name: str, private: Any, body: bytes) -> str:
    public = private.public_key()
    if isinstance(private, ed25519.Ed25519PrivateKey):
        raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        hint = hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4]
        signature = private.sign(body)
    else:
        hint = hashlib.sha256(public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).digest()[:4]
        signature = private.sign(body, ec.ECDSA(hashes.SHA256()))
    return f"\u2014 {name} {base64.b64encode(hint + signature).decode()}\n"


def _note(origin: str, size: int, root: bytes, *signers: Callable[[bytes], str]) -> str:
    body = f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"
    return body + "\n" + "".join(sign(body.encode()) for sign in signers)


@pytest.fixture(params=["ecdsa", "ed25519"])
def key(request: pytest.FixtureRequest) -> Any:
    if request.param == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1()), "PKIX_ECDSA_P256_SHA_256"
    return ed25519.Ed25519PrivateKey.generate(), "PKIX_ED25519"


def test_valid_checkpoint_with_witnesses_in_any_order(key: Any) -> None:
    private, details = key
    log = _log(private, details)
    witness = ec.generate_private_key(ec.SECP256R1())
    origin = "log.test - 42" if details.startswith("PKIX_ECDSA") else "log.test"
    signer = origin.split(" ")[0]
    note = _note(origin, 10, ROOT, lambda b: _line("witness.example", witness, b), lambda b: _line(signer, private, b))
    checkpoint = verify_checkpoint(note, log=log, tree_size=10, root_hash=ROOT)
    assert checkpoint.tree_size == 10 and checkpoint.origin == origin


@pytest.mark.parametrize("size,root", [(11, ROOT), (10, hashlib.sha256(b"other").digest())])
def test_checkpoint_must_commit_to_the_proof(key: Any, size: int, root: bytes) -> None:
    private, details = key
    note = _note("log.test", 10, ROOT, lambda b: _line("log.test", private, b))
    with pytest.raises(VerificationError) as info:
        verify_checkpoint(note, log=_log(private, details), tree_size=size, root_hash=root)
    assert info.value.step == "checkpoint"


def test_signature_by_another_key_is_not_enough(key: Any) -> None:
    private, details = key
    other = ec.generate_private_key(ec.SECP256R1())
    note = _note("log.test", 10, ROOT, lambda b: _line("log.test", other, b))
    with pytest.raises(VerificationError, match="no signature by the log key"):
        verify_checkpoint(note, log=_log(private, details), tree_size=10, root_hash=ROOT)


def test_bad_signature_under_the_log_key_hint_fails(key: Any) -> None:
    private, details = key
    good = _note("log.test", 10, ROOT, lambda b: _line("log.test", private, b))
    tampered = good.replace("\n10\n", "\n11\n")  # body changed after signing
    with pytest.raises(VerificationError, match="does not verify"):
        verify_checkpoint(tampered, log=_log(private, details), tree_size=11, root_hash=ROOT)


def test_ed25519_hint_binds_the_signer_name() -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    note = _note("log.test", 10, ROOT, lambda b: _line("impostor.test", private, b))
    with pytest.raises(VerificationError, match="no signature by the log key"):
        verify_checkpoint(note, log=_log(private, "PKIX_ED25519"), tree_size=10, root_hash=ROOT)


@pytest.mark.parametrize(
    "text",
    [
        "log.test\n10\n" + base64.b64encode(ROOT).decode() + "\n",  # no blank line
        "log.test\n10\n\n\u2014 log.test AAAAAAAA\n",  # no root hash
        "log.test\nten\n" + base64.b64encode(ROOT).decode() + "\n\n\u2014 log.test AAAAAAAA\n",
        "log.test\n10\n!!\n\n\u2014 log.test AAAAAAAA\n",
        "log.test\n10\n" + base64.b64encode(ROOT).decode() + "\n\n- log.test AAAAAAAA\n",
        "log.test\n10\n" + base64.b64encode(ROOT).decode() + "\n\n\u2014 log.test AAAAAAAA",
        "log.test\n10\n" + base64.b64encode(ROOT).decode() + "\n\n\u2014 log.test AAA=\n",
    ],
    ids=["no-blank-line", "missing-root", "size-not-number", "root-not-base64", "hyphen", "no-final-newline", "short-sig"],
)
def test_malformed_notes_are_input_errors(text: str) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InputError) as info:
        verify_checkpoint(text, log=_log(private, "PKIX_ECDSA_P256_SHA_256"), tree_size=10, root_hash=ROOT)
    assert info.value.step == "checkpoint"


def test_note_without_signatures_parses_and_fails() -> None:
    """Parse, then compare: a note without signature lines is well formed (parse_checkpoint gives
    no signatures); that the log's signature is missing is a failed check (exit 1)."""
    private = ec.generate_private_key(ec.SECP256R1())
    text = "log.test\n10\n" + base64.b64encode(ROOT).decode() + "\n\n"
    assert parse_checkpoint(text) == Checkpoint("log.test", 10, ROOT, text[:-1].encode(), ())
    with pytest.raises(VerificationError, match="no signature"):
        verify_checkpoint(text, log=_log(private, "PKIX_ECDSA_P256_SHA_256"), tree_size=10, root_hash=ROOT)
