# SPDX-License-Identifier: Apache-2.0
"""C2SP signed notes and checkpoints (https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint).

A checkpoint body is ``<origin>\\n<size>\\n<base64 root hash>\\n`` (plus optional extension lines);
the note is the body, a blank line, and one ``\u2014 <name> <base64(4-byte key hint || signature)>\\n``
line per signature, each signature over the body bytes.

Key hints: Rekor v1 signs with ECDSA P-256 and uses the first 4 bytes of SHA-256(DER SPKI);
Ed25519 note keys (Rekor v2) use the first 4 bytes of SHA-256(name || "\\n" || 0x01 || raw key).
Witness cosignatures (https://c2sp.org/tlog-cosignature) use type byte 0x04 and sign
``cosignature/v1\\ntime <t>\\n`` + body; the signature is timestamp (8 bytes) || Ed25519 signature.

Test helper, not product code.
"""

from __future__ import annotations

import base64
import struct
from typing import Any, Iterable, Optional, Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from . import _enc

EM_DASH = "\u2014"


def ed25519_key_id(name: str, key: Any, type_byte: int = 0x01) -> bytes:
    """C2SP signed-note key ID: SHA-256(name || "\\n" || type || raw public key)."""
    if hasattr(key, "public_key"):
        key = key.public_key()
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _enc.sha256(name.encode("utf-8") + b"\n" + bytes([type_byte]) + raw)


class NoteSigner:
    """A named note key. ``hint`` is the 4-byte key hint written before each signature."""

    def __init__(self, name: str, key: Any, *, hint: Optional[bytes] = None) -> None:
        self.name = name
        self.key = key
        if hint is None:
            if isinstance(key, ed25519.Ed25519PrivateKey):
                hint = ed25519_key_id(name, key)[:4]
            else:
                hint = _enc.sha256(_enc.spki_der(key))[:4]
        self.hint = hint

    def signature(self, body: bytes) -> bytes:
        if isinstance(self.key, ed25519.Ed25519PrivateKey):
            return self.key.sign(body)
        return bytes(self.key.sign(body, ec.ECDSA(hashes.SHA256())))

    def line(self, body: bytes) -> str:
        return f"{EM_DASH} {self.name} {_enc.b64(self.hint + self.signature(body))}\n"


class WitnessCosigner:
    """A witness that cosigns checkpoints (tlog-cosignature/v1, Ed25519)."""

    def __init__(self, name: str, key: ed25519.Ed25519PrivateKey, *, timestamp: int = 1748779200) -> None:
        self.name = name
        self.key = key
        self.timestamp = timestamp
        self.hint = ed25519_key_id(name, key, 0x04)[:4]

    def line(self, body: bytes) -> str:
        signed = b"cosignature/v1\ntime %d\n" % self.timestamp + body
        blob = self.hint + struct.pack(">Q", self.timestamp) + self.key.sign(signed)
        return f"{EM_DASH} {self.name} {_enc.b64(blob)}\n"


def checkpoint_body(origin: Optional[str], size: int, root_hash: bytes, extra_lines: Sequence[str] = ()) -> bytes:
    """The checkpoint text; ``origin=None`` leaves the origin line out (a malformed checkpoint)."""
    lines = ([] if origin is None else [origin]) + [str(size), base64.b64encode(root_hash).decode()] + list(extra_lines)
    return "".join(line + "\n" for line in lines).encode("utf-8")


def signed_note(body: bytes, signers: Iterable[Any]) -> str:
    """``body``, a blank line, then one signature line per signer (``NoteSigner`` or ``WitnessCosigner``)."""
    return body.decode("utf-8") + "\n" + "".join(signer.line(body) for signer in signers)
