# SPDX-License-Identifier: Apache-2.0
"""Every file the tools read, read one way: regular files only, size-limited, one error shape.

A bundle, a key, a signature, a certificate, a policy, a signers file, a manifest, an
attestation: each is read with :func:`read_input`; an artifact is hashed with :func:`hash_file`.
Both open the path without blocking (a FIFO cannot stall them) and refuse anything that is not a
regular file (``/dev/zero``, a FIFO, a socket, a directory) before reading a byte. Every problem
is one exception of the class the caller names (``InputError`` by default, exit 4) with the
caller's step, and a message ``<what> <path>: <problem>``.

:func:`shown` makes a path or name safe to print in any locale: an undecodable file name (its
bytes smuggled through ``surrogateescape``), a lone surrogate or a control character is escaped,
so that printing a verdict can never fail.
"""

from __future__ import annotations

import hashlib
import os
import stat
from typing import Optional, Tuple, Type, Union

StrPath = Union[str, "os.PathLike[str]"]

from .errors import InputError, SigstoreOfflineError
from .limits import HASH_CHUNK_BYTES

__all__ = ["hash_file", "read_input", "shown"]

_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def shown(text: str) -> str:
    """``text`` with every unprintable character escaped (``\\xNN`` for an undecodable byte)."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable():
            out.append(char)
        elif 0xDC80 <= ord(char) <= 0xDCFF:  # a byte os.fsdecode could not decode
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        else:
            out.append(char.encode("unicode_escape").decode("ascii") if ord(char) < 0xD800 or ord(char) > 0xDFFF
                       else f"\\u{ord(char):04x}")
    return "".join(out)


def _open(given: "StrPath", what: str, step: str, error: Type[SigstoreOfflineError]) -> Tuple[int, os.stat_result]:
    """Open ``path`` for reading without blocking; return the descriptor of a regular file."""
    path = os.fspath(given)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    name = shown(path)
    if not path:
        raise error(f"{what}: the path is empty", step=step)
    try:
        fd = os.open(path, _FLAGS)
    except FileNotFoundError:
        raise error(f"{what} {name} does not exist", step=step) from None
    except (ValueError, UnicodeError):  # NUL in the path; an unpaired surrogate cannot be a file name
        raise error(f"{what} {name}: not a valid file name", step=step) from None
    except OSError as exc:
        raise error(f"cannot read {what} {name}: {exc.strerror or exc}", step=step) from None
    try:
        status = os.fstat(fd)
        if stat.S_ISDIR(status.st_mode):
            raise error(f"{what} {name} is a directory", step=step)
        if not stat.S_ISREG(status.st_mode):
            raise error(f"{what} {name} is not a regular file", step=step)
    except BaseException:
        os.close(fd)
        raise
    return fd, status


def read_input(path: "StrPath", *, limit: int, what: str, step: str,
               error: Type[SigstoreOfflineError] = InputError) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them, or ``error``."""
    fd, status = _open(path, what, step, error)
    try:
        if status.st_size > limit:
            raise error(f"{what} {shown(os.fspath(path))} is larger than {limit} bytes", step=step)
        chunks = []
        total = 0
        while True:
            try:
                chunk = os.read(fd, min(limit + 1 - total, HASH_CHUNK_BYTES))
            except OSError as exc:
                raise error(f"cannot read {what} {shown(os.fspath(path))}: {exc.strerror or exc}", step=step) from None
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # the file grew while being read
                raise error(f"{what} {shown(os.fspath(path))} is larger than {limit} bytes", step=step)
        return b"".join(chunks)
    finally:
        os.close(fd)


def hash_file(path: "StrPath", *, keep: bool = False, what: str = "artifact",
              step: str = "artifact", algorithm: str = "sha256") -> Tuple[bytes, Optional[bytes]]:
    """SHA-256 (or ``algorithm``: ``sha512``) of the regular file ``path`` in fixed-size chunks
    (memory flat in its size), and its bytes when ``keep`` (only a managed Ed25519 key signs the
    bytes themselves)."""
    if algorithm not in ("sha256", "sha512"):
        raise ValueError(f"unsupported digest algorithm {algorithm!r}")
    fd, _ = _open(path, what, step, InputError)
    digest = hashlib.new(algorithm)
    kept = bytearray() if keep else None
    buffer = bytearray(HASH_CHUNK_BYTES)
    view = memoryview(buffer)
    try:
        with open(fd, "rb", buffering=0, closefd=False) as handle:
            while True:
                count = handle.readinto(buffer)
                if not count:
                    break
                digest.update(view[:count])
                if kept is not None:
                    kept += view[:count]
    except OSError as exc:
        raise InputError(f"cannot read {what} {shown(os.fspath(path))}: {exc.strerror or exc}", step=step) from None
    finally:
        os.close(fd)
    return digest.digest(), bytes(kept) if kept is not None else None
