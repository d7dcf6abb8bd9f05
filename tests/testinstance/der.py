# SPDX-License-Identifier: Apache-2.0
"""A small DER *writer* for tests (X.690 section 10): builds the structures the verifier reads.

Test helper, not product code: it trusts its caller and does no validation beyond what keeps
the output DER (minimal lengths and integers, sorted SET OF where asked).
"""

from __future__ import annotations

import datetime
from typing import Iterable, Union

Item = Union[bytes, bytearray]


def length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, content: Item) -> bytes:
    return bytes([tag]) + length(len(content)) + bytes(content)


def seq(*items: Item) -> bytes:
    return tlv(0x30, b"".join(items))


def set_of(*items: Item, sort: bool = True) -> bytes:
    """SET OF: DER sorts the encodings (X.690 11.6)."""
    return tlv(0x31, b"".join(sorted(items) if sort else items))


def integer(value: int) -> bytes:
    size = max(1, (value + (value < 0)).bit_length() // 8 + 1)
    return tlv(0x02, value.to_bytes(size, "big", signed=True))


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    values = [arcs[0] * 40 + arcs[1], *arcs[2:]]
    body = bytearray()
    for value in values:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        body.extend(reversed(chunk))
    return tlv(0x06, body)


def octet_string(value: Item) -> bytes:
    return tlv(0x04, value)


def null() -> bytes:
    return b"\x05\x00"


def boolean(value: bool) -> bytes:
    return tlv(0x01, b"\xff" if value else b"\x00")


def generalized_time(moment: Union[datetime.datetime, str]) -> bytes:
    """``YYYYMMDDHHMMSS[.f]Z`` with no trailing zeros; a str is written as given (for bad encodings)."""
    if isinstance(moment, str):
        return tlv(0x18, moment.encode("ascii"))
    moment = moment.astimezone(datetime.timezone.utc)
    text = moment.strftime("%Y%m%d%H%M%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return tlv(0x18, (text + "Z").encode("ascii"))


def utc_time(moment: datetime.datetime) -> bytes:
    return tlv(0x17, moment.astimezone(datetime.timezone.utc).strftime("%y%m%d%H%M%SZ").encode("ascii"))


def context(number: int, content: Item, *, constructed: bool = True) -> bytes:
    """``[number]``: EXPLICIT when ``content`` is a whole element, IMPLICIT when it is bare content."""
    return tlv(0x80 | (0x20 if constructed else 0) | number, content)


def algorithm(dotted: str, *, parameters: bool = False) -> bytes:
    return seq(oid(dotted), null()) if parameters else seq(oid(dotted))


def concat(items: Iterable[Item]) -> bytes:
    return b"".join(items)
