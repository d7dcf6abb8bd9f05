# SPDX-License-Identifier: Apache-2.0
"""A small, strict DER reader (ITU-T X.690 section 10, on top of the BER rules of section 8).

Enough to read RFC 3161 time-stamp tokens (CMS SignedData, TSTInfo) and X.509 certificates
(``_x509.py``), and to write back the one structure the verifier rebuilds (RFC 6962's
precertificate TBSCertificate, :func:`tlv`). It accepts only DER:

* identifier octets in the low-tag-number form (tag numbers 0..30, X.690 8.1.2.2);
* definite lengths in the minimal form (X.690 10.1); no indefinite length, no reserved 0xFF;
* every element exactly as long as its length says, no trailing bytes after the outermost one;
* INTEGER in the minimal two's-complement form (8.3.2), BOOLEAN as 0x00/0xFF (11.1),
  OBJECT IDENTIFIER with minimal base-128 sub-identifiers (8.19), NULL empty (8.8),
  GeneralizedTime as ``YYYYMMDDHHMMSS[.f]Z`` without trailing zeros in the fraction (11.7);
* primitive encodings for the primitive types it decodes (10.2: no constructed strings).

Parsing is lazy and iterative: :func:`parse` reads one header, :meth:`Element.children` reads
one level, and the nesting depth is bounded by :data:`MAX_DEPTH`. SET OF ordering (11.6) is
not checked: the reader never re-encodes, and signatures cover the bytes as they are.
Every problem raises :class:`DERError` (a :class:`ValueError`) with a short message.
"""

from __future__ import annotations

import datetime
import re
from typing import List, Optional, Tuple

MAX_DEPTH = 32
MAX_DER_BYTES = 1024 * 1024
MAX_INTEGER_BYTES = 128
MAX_OID_BYTES = 64

# Identifier octets (class | constructed | number) of the universal types we read.
BOOLEAN = 0x01
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
UTF8_STRING = 0x0C
UTC_TIME = 0x17
GENERALIZED_TIME = 0x18
SEQUENCE = 0x30
SET = 0x31

_NAMES = {
    BOOLEAN: "BOOLEAN",
    INTEGER: "INTEGER",
    BIT_STRING: "BIT STRING",
    OCTET_STRING: "OCTET STRING",
    NULL: "NULL",
    OID: "OBJECT IDENTIFIER",
    UTF8_STRING: "UTF8String",
    UTC_TIME: "UTCTime",
    GENERALIZED_TIME: "GeneralizedTime",
    SEQUENCE: "SEQUENCE",
    SET: "SET",
}
_GENERALIZED_TIME = re.compile(rb"([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})(?:\.([0-9]*[1-9]))?Z")


class DERError(ValueError):
    """The bytes are not the strict DER this reader accepts."""


def context(number: int, *, constructed: bool = True) -> int:
    """The identifier octet of context-specific tag ``[number]``."""
    return 0x80 | (0x20 if constructed else 0) | number


def tag_name(tag: int) -> str:
    if tag in _NAMES:
        return _NAMES[tag]
    kind = ("UNIVERSAL ", "APPLICATION ", "", "PRIVATE ")[tag >> 6]
    form = "" if tag & 0x20 else " (primitive)"
    return f"[{kind}{tag & 0x1F}]{form}"


class Element:
    """One TLV: its identifier octet, where it sits in the buffer and how deep it is nested."""

    __slots__ = ("_data", "tag", "start", "content_start", "end", "depth", "_children")

    def __init__(self, data: bytes, tag: int, start: int, content_start: int, end: int, depth: int) -> None:
        self._data = data
        self.tag = tag
        self.start = start
        self.content_start = content_start
        self.end = end
        self.depth = depth
        self._children: Optional[List["Element"]] = None

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    @property
    def raw(self) -> bytes:
        """The whole encoding: identifier, length and content octets."""
        return self._data[self.start : self.end]

    @property
    def content(self) -> bytes:
        return self._data[self.content_start : self.end]

    def __repr__(self) -> str:
        return f"<{tag_name(self.tag)} at {self.start}, {self.end - self.content_start} content bytes>"

    def expect(self, tag: int, what: str) -> "Element":
        if self.tag != tag:
            raise DERError(f"{what}: expected {tag_name(tag)}, found {tag_name(self.tag)}")
        return self

    def children(self) -> List["Element"]:
        """The elements inside a constructed element, in order (one level). Read once, then
        remembered: callers must not modify the list."""
        if self._children is not None:
            return self._children
        if not self.constructed:
            raise DERError(f"{tag_name(self.tag)} at offset {self.start} is primitive, not constructed")
        if self.depth + 1 > MAX_DEPTH:
            raise DERError(f"nested deeper than {MAX_DEPTH} levels")
        items = []
        position = self.content_start
        while position < self.end:
            item = _header(self._data, position, self.end, self.depth + 1)
            items.append(item)
            position = item.end
        self._children = items
        return items


def read_header(data: bytes, position: int, limit: int, base: int = 0) -> Tuple[int, int, int]:
    """The identifier octet of the element at ``position`` (which must end by ``limit``), and where
    its content starts and ends; :class:`DERError` names offsets counted from ``base``. X.690's
    DER rules for the header: low tag numbers, definite minimal lengths."""
    if position >= limit:
        raise DERError(f"truncated: no identifier octet at offset {position - base}")
    tag = data[position]
    if tag & 0x1F == 0x1F:
        raise DERError(f"high tag numbers are not supported (offset {position - base})")
    at = position + 1
    if at >= limit:
        raise DERError(f"truncated: no length octet at offset {at - base}")
    first = data[at]
    at += 1
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise DERError(f"indefinite length at offset {at - 1 - base} (not DER)")
    elif first == 0xFF:
        raise DERError(f"reserved length octet 0xFF at offset {at - 1 - base}")
    else:
        count = first & 0x7F
        if count > 4:
            raise DERError(f"length of {count} octets at offset {at - 1 - base} is too large")
        if at + count > limit:
            raise DERError(f"truncated length at offset {at - 1 - base}")
        if data[at] == 0:
            raise DERError(f"length at offset {at - 1 - base} has a leading zero octet (not minimal)")
        length = int.from_bytes(data[at : at + count], "big")
        if length < 0x80:
            raise DERError(f"length {length} at offset {at - 1 - base} uses the long form (not minimal)")
        at += count
    if length > limit - at:
        raise DERError(f"{tag_name(tag)} at offset {position - base}: length {length} runs past the end"
                       f" ({limit - at} left)")
    return tag, at, at + length


def _header(data: bytes, position: int, limit: int, depth: int) -> Element:
    tag, content, end = read_header(data, position, limit)
    return Element(data, tag, position, content, end, depth)


def parse(data: bytes, *, what: str = "DER") -> Element:
    """Read exactly one element spanning all of ``data`` (no trailing bytes)."""
    if not isinstance(data, (bytes, bytearray)):
        raise DERError(f"{what}: expected bytes")
    data = bytes(data)
    if len(data) > MAX_DER_BYTES:
        raise DERError(f"{what}: {len(data)} bytes, more than the limit of {MAX_DER_BYTES}")
    element = _header(data, 0, len(data), 0)
    if element.end != len(data):
        raise DERError(f"{what}: {len(data) - element.end} trailing byte(s) after the element")
    return element


class Cursor:
    """Walk the fields of a SEQUENCE (or SET) in order; optional fields are matched by tag."""

    def __init__(self, element: Element, what: str, *, tag: Optional[int] = SEQUENCE) -> None:
        if tag is not None:
            element.expect(tag, what)
        self.what = what
        self._items = element.children()
        self._position = 0

    def take(self, tag: int, field: str) -> Element:
        if self._position >= len(self._items):
            raise DERError(f"{self.what}: missing {field}")
        item = self._items[self._position]
        item.expect(tag, f"{self.what}.{field}")
        self._position += 1
        return item

    def maybe(self, tag: int) -> Optional[Element]:
        if self._position < len(self._items) and self._items[self._position].tag == tag:
            self._position += 1
            return self._items[self._position - 1]
        return None

    def take_any(self, field: str) -> Element:
        """The next field, whatever its tag (a CHOICE or an ANY)."""
        if self._position >= len(self._items):
            raise DERError(f"{self.what}: missing {field}")
        self._position += 1
        return self._items[self._position - 1]

    @property
    def fields(self) -> List[Element]:
        """All the fields, read or not, in order."""
        return list(self._items)

    def done(self) -> None:
        if self._position < len(self._items):
            extra = self._items[self._position]
            raise DERError(f"{self.what}: unexpected {tag_name(extra.tag)} after the last field")


def _primitive(element: Element, tag: int, what: str) -> bytes:
    element.expect(tag, what)
    return element.content


def integer(element: Element, what: str = "INTEGER") -> int:
    content = _primitive(element, INTEGER, what)
    if not content:
        raise DERError(f"{what}: empty INTEGER")
    if len(content) > MAX_INTEGER_BYTES:
        raise DERError(f"{what}: INTEGER of {len(content)} bytes is too large")
    if len(content) > 1 and (
        (content[0] == 0x00 and content[1] < 0x80) or (content[0] == 0xFF and content[1] >= 0x80)
    ):
        raise DERError(f"{what}: INTEGER is not minimally encoded")
    return int.from_bytes(content, "big", signed=True)


def boolean(element: Element, what: str = "BOOLEAN") -> bool:
    content = _primitive(element, BOOLEAN, what)
    if content not in (b"\x00", b"\xff"):
        raise DERError(f"{what}: BOOLEAN must be one octet 0x00 or 0xFF")
    return content == b"\xff"


def null(element: Element, what: str = "NULL") -> None:
    if _primitive(element, NULL, what):
        raise DERError(f"{what}: NULL with content")


def octet_string(element: Element, what: str = "OCTET STRING") -> bytes:
    return _primitive(element, OCTET_STRING, what)


def utf8_string(element: Element, what: str = "UTF8String") -> str:
    try:
        return _primitive(element, UTF8_STRING, what).decode("utf-8")
    except UnicodeDecodeError:
        raise DERError(f"{what}: not valid UTF-8") from None


def oid(element: Element, what: str = "OBJECT IDENTIFIER") -> str:
    """Dotted-decimal form of an OBJECT IDENTIFIER."""
    return oid_text(_primitive(element, OID, what), what)


def oid_text(content: bytes, what: str = "OBJECT IDENTIFIER") -> str:
    """Dotted-decimal form of an OBJECT IDENTIFIER's content octets (X.690 8.19, minimal)."""
    if not content or len(content) > MAX_OID_BYTES:
        raise DERError(f"{what}: OBJECT IDENTIFIER of {len(content)} bytes")
    if content[-1] & 0x80:
        raise DERError(f"{what}: OBJECT IDENTIFIER ends inside a sub-identifier")
    arcs: List[int] = []
    value = 0
    fresh = True
    for octet in content:
        if fresh and octet == 0x80:
            raise DERError(f"{what}: OBJECT IDENTIFIER sub-identifier is not minimally encoded")
        value = (value << 7) | (octet & 0x7F)
        fresh = not octet & 0x80
        if fresh:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(arc) for arc in head + arcs[1:])


def generalized_time(element: Element, what: str = "GeneralizedTime") -> datetime.datetime:
    """``YYYYMMDDHHMMSS[.f]Z`` (X.690 11.7), up to microseconds, as an aware UTC datetime."""
    content = _primitive(element, GENERALIZED_TIME, what)
    match = _GENERALIZED_TIME.fullmatch(content)
    if not match:
        raise DERError(f"{what}: {content[:32]!r} is not a DER GeneralizedTime (YYYYMMDDHHMMSS[.f]Z)")
    fraction = match.group(7) or b""
    if len(fraction) > 6:
        raise DERError(f"{what}: more than 6 fractional digits")
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    try:
        return datetime.datetime(
            year, month, day, hour, minute, second, int((fraction + b"000000")[:6]), tzinfo=datetime.timezone.utc
        )
    except ValueError:
        raise DERError(f"{what}: {content.decode('ascii')} is not a valid date and time") from None


def tlv(tag: int, content: bytes) -> bytes:
    """The DER encoding of one element: identifier, minimal definite length, content (X.690 10.1)."""
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(octets))) + octets + content


def walk(element: Element) -> int:
    """Check that every constructed element below ``element`` is well formed; return the element count.

    Iterative (an explicit stack), bounded by :data:`MAX_DEPTH`. Primitive contents are not decoded.
    """
    count = 0
    stack = [element]
    while stack:
        item = stack.pop()
        count += 1
        if item.constructed:
            stack.extend(item.children())
    return count
