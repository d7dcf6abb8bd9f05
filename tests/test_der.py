# SPDX-License-Identifier: Apache-2.0
"""The strict DER reader (src/sigstore_offline/_der.py): what it accepts and what it rejects."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigstore_offline import _der as der
from tests.testinstance import der as w

UTC = datetime.timezone.utc


def test_sequence_fields_raw_bytes_and_offsets() -> None:
    encoded = w.seq(w.integer(5), w.oid("1.2.840.113549.1.7.2"), w.context(0, w.octet_string(b"abc")), w.boolean(True))
    top = der.parse(encoded)
    assert top.raw == encoded and top.start == 0 and top.end == len(encoded)
    fields = der.Cursor(top, "T")
    assert der.integer(fields.take(der.INTEGER, "a")) == 5
    assert der.oid(fields.take(der.OID, "b")) == "1.2.840.113549.1.7.2"
    wrapped = fields.take(der.context(0), "c")
    (inner,) = wrapped.children()
    assert der.octet_string(inner) == b"abc" and inner.raw == w.octet_string(b"abc")
    assert fields.maybe(der.NULL) is None
    assert der.boolean(fields.take(der.BOOLEAN, "d")) is True
    fields.done()
    assert der.walk(top) == 6


@pytest.mark.parametrize("value", [0, 1, 127, 128, 255, 256, -1, -128, -129, 2**159, -(2**64)])
def test_integer_round_trip(value: int) -> None:
    assert der.integer(der.parse(w.integer(value))) == value


@pytest.mark.parametrize("dotted", ["1.2.840.113549.1.9.16.1.4", "2.16.840.1.101.3.4.2.1", "0.9.2342", "2.999.1", "1.3.6.1.4.1.57264.2"])
def test_oid_round_trip(dotted: str) -> None:
    assert der.oid(der.parse(w.oid(dotted))) == dotted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20250612120220Z", datetime.datetime(2025, 6, 12, 12, 2, 20, tzinfo=UTC)),
        ("20250612120220.5Z", datetime.datetime(2025, 6, 12, 12, 2, 20, 500000, tzinfo=UTC)),
        ("20250612120220.123456Z", datetime.datetime(2025, 6, 12, 12, 2, 20, 123456, tzinfo=UTC)),
    ],
)
def test_generalized_time(text: str, expected: datetime.datetime) -> None:
    moment = der.generalized_time(der.parse(w.generalized_time(text)))
    assert moment == expected and moment.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    [
        "20250612120220",  # no Z
        "20250612120220+0000",  # offset instead of Z
        "202506121202Z",  # no seconds
        "20250612120220.50Z",  # trailing zero in the fraction (X.690 11.7.3)
        "20250612120220.Z",  # empty fraction
        "20250612120220,5Z",  # comma
        "20250612120220.1234567Z",  # finer than a microsecond
        "20251312120220Z",  # month 13
        "20250612120260Z",  # second 60
        "20250612120220z",  # lower-case z
        "2025061212022\u0660Z",  # non-ASCII digit
    ],
)
def test_generalized_time_rejects(text: str) -> None:
    element = der.parse(w.tlv(0x18, text.encode("utf-8")))
    with pytest.raises(der.DERError):
        der.generalized_time(element)


@pytest.mark.parametrize(
    ("encoded", "why"),
    [
        (b"", "empty"),
        (b"\x30", "no length"),
        (b"\x30\x80\x00\x00", "indefinite length"),
        (b"\x04\x81\x05abcde", "long form for a short length"),
        (b"\x04\x82\x00\x80" + b"a" * 128, "leading zero length octet"),
        (b"\x04\xff", "reserved length octet"),
        (b"\x04\x85\x01\x00\x00\x00\x00", "5-octet length"),
        (b"\x04\x05abc", "length past the end"),
        (b"\x04\x01ab", "trailing byte"),
        (b"\x05\x00\x05\x00", "two elements"),
        (b"\x1f\x81\x00\x00", "high tag number"),
    ],
)
def test_parse_rejects(encoded: bytes, why: str) -> None:
    with pytest.raises(der.DERError):
        der.parse(encoded)


@pytest.mark.parametrize(
    ("encoded", "decode"),
    [
        (b"\x02\x00", der.integer),  # empty INTEGER
        (b"\x02\x02\x00\x7f", der.integer),  # leading 0x00
        (b"\x02\x02\xff\x80", der.integer),  # leading 0xFF
        (b"\x22\x03\x02\x01\x01", der.integer),  # constructed INTEGER
        (b"\x01\x01\x01", der.boolean),  # BOOLEAN TRUE must be 0xFF
        (b"\x01\x02\xff\xff", der.boolean),
        (b"\x05\x01\x00", der.null),
        (b"\x06\x00", der.oid),  # empty OID
        (b"\x06\x03\x2a\x80\x01", der.oid),  # non-minimal sub-identifier
        (b"\x06\x02\x2a\x86", der.oid),  # ends inside a sub-identifier
        (b"\x24\x03\x04\x01a", der.octet_string),  # constructed OCTET STRING
        (b"\x04\x01a", der.integer),  # wrong tag
    ],
)
def test_primitive_rejects(encoded: bytes, decode: object) -> None:
    element = der.parse(encoded)
    with pytest.raises(der.DERError):
        decode(element)  # type: ignore[operator]


def test_integer_size_limit() -> None:
    with pytest.raises(der.DERError):
        der.integer(der.parse(w.integer(2 ** (8 * der.MAX_INTEGER_BYTES + 8))))


def test_depth_limit() -> None:
    encoded = w.null()
    for _ in range(der.MAX_DEPTH + 1):
        encoded = w.seq(encoded)
    with pytest.raises(der.DERError):
        der.walk(der.parse(encoded))
    shallow = w.null()
    for _ in range(der.MAX_DEPTH):
        shallow = w.seq(shallow)
    assert der.walk(der.parse(shallow)) == der.MAX_DEPTH + 1


def test_size_limit() -> None:
    with pytest.raises(der.DERError):
        der.parse(w.octet_string(b"\x00" * der.MAX_DER_BYTES))


def test_cursor_missing_unexpected_and_primitive_children() -> None:
    fields = der.Cursor(der.parse(w.seq(w.integer(1), w.null())), "T")
    with pytest.raises(der.DERError):
        fields.take(der.OID, "x")
    fields.take(der.INTEGER, "x")
    with pytest.raises(der.DERError):
        fields.done()
    with pytest.raises(der.DERError):
        der.Cursor(der.parse(w.set_of(w.null())), "T")  # SET where SEQUENCE expected
    with pytest.raises(der.DERError):
        der.parse(w.null()).children()
    with pytest.raises(der.DERError):
        der.Cursor(der.parse(w.seq()), "T").take(der.NULL, "x")


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_der_error(data: bytes) -> None:
    """Arbitrary input either parses (and walks) or raises DERError; nothing else escapes."""
    try:
        top = der.walk(der.parse(data))
    except der.DERError:
        return
    assert top >= 1


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(2**256), max_value=2**256))
def test_integer_writer_reader_agree(value: int) -> None:
    """INTEGER: the minimal two's-complement encoding round-trips (X.690 8.3)."""
    assert der.integer(der.parse(w.integer(value))) == value


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=40))
def test_decoders_on_random_content(content: bytes) -> None:
    """Every primitive decoder raises only DERError on arbitrary content."""
    for tag, decode in (
        (der.INTEGER, der.integer),
        (der.OID, der.oid),
        (der.BOOLEAN, der.boolean),
        (der.NULL, der.null),
        (der.GENERALIZED_TIME, der.generalized_time),
    ):
        try:
            decode(der.parse(w.tlv(tag, content)))  # type: ignore[operator]
        except der.DERError:
            pass
