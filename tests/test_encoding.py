# SPDX-License-Identifier: Apache-2.0
"""Strict decoders: base64, JSON, int64 and RFC 3339 times."""

from __future__ import annotations

import base64
import datetime
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigstore_offline import _encoding as enc


@given(st.binary(max_size=200))
def test_base64_round_trip_in_every_accepted_spelling(data: bytes) -> None:
    """protobuf JSON bytes: standard or URL-safe alphabet, with or without padding."""
    standard = base64.b64encode(data).decode()
    assert enc.b64decode(standard, "x") == data
    assert enc.b64decode(standard.rstrip("="), "x") == data
    assert enc.b64decode(base64.urlsafe_b64encode(data).decode(), "x") == data
    assert enc.b64decode("\n".join(standard[i : i + 4] for i in range(0, len(standard), 4)), "x") == data


@pytest.mark.parametrize("text", ["A", "AB=C", "A===", "ab cd", "ab*d", "AAAA====", 5, None])
def test_bad_base64_is_rejected(text: object) -> None:
    with pytest.raises(ValueError):
        enc.b64decode(text, "field")


@pytest.mark.parametrize(
    "raw", [b'{"a":1,"a":2}', b'{"a": NaN}', b'{"a": Infinity}', b"\xff", b"\xef\xbb\xbf{}", b"[" * 100000 + b"]" * 100000]
)
def test_json_rejections(raw: bytes) -> None:
    with pytest.raises(ValueError):
        enc.load_json(raw)


@pytest.mark.parametrize("value,expected", [("12", 12), (12, 12), ("0", 0), (3.0, 3)])
def test_int64_accepts(value: object, expected: int) -> None:
    assert enc.int64(value, "n") == expected


@pytest.mark.parametrize("value", ["-1", "01", "1e3", True, 1.5, str(2**63), "", " 1", None])
def test_int64_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        enc.int64(value, "n")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2023-07-12T15:56:36Z", datetime.datetime(2023, 7, 12, 15, 56, 36, tzinfo=datetime.timezone.utc)),
        ("2022-12-31T23:59:59.999Z", datetime.datetime(2022, 12, 31, 23, 59, 59, 999000, tzinfo=datetime.timezone.utc)),
        ("2022-12-31T23:59:59.999000000Z", datetime.datetime(2022, 12, 31, 23, 59, 59, 999000, tzinfo=datetime.timezone.utc)),
        ("2021-12-18T13:28:12.99008-06:00", datetime.datetime(2021, 12, 18, 19, 28, 12, 990080, tzinfo=datetime.timezone.utc)),
    ],
)
def test_rfc3339(text: str, expected: datetime.datetime) -> None:
    assert enc.rfc3339(text, "t") == expected


@pytest.mark.parametrize("text", ["2023-07-12", "2023-07-12T15:56:36", "2023-13-01T00:00:00Z", "yesterday", 5])
def test_rfc3339_rejects(text: object) -> None:
    with pytest.raises(ValueError):
        enc.rfc3339(text, "t")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_load_json_never_raises_anything_but_value_error(raw: bytes) -> None:
    try:
        enc.load_json(raw)
    except ValueError:
        pass


# --- the fast paths: each must accept exactly what the general rules accept -------------------

_BASE64_TEXT = st.text(alphabet="ABCXYZabcxyz0189+/-_=\n \u00e9", max_size=24)


def _reference_b64decode(value: str) -> bytes:
    """The protobuf-JSON rules spelled out slowly (module docstring of _encoding)."""
    text = value.replace("\r", "").replace("\n", "").replace("-", "+").replace("_", "/")
    stripped = text.rstrip("=")
    if (not text.isascii() or not all(c.isalnum() or c in "+/" for c in stripped) or len(stripped) % 4 == 1
            or len(text) - len(stripped) > 2 or ("=" in text and len(text) % 4)):
        raise ValueError("not base64")
    return base64.b64decode(stripped + "=" * (-len(stripped) % 4), validate=True)


@settings(max_examples=500, deadline=None)
@given(_BASE64_TEXT)
def test_base64_fast_path_agrees_with_the_rules(text: str) -> None:
    try:
        expected = _reference_b64decode(text)
    except ValueError:
        with pytest.raises(ValueError):
            enc.b64decode(text, "x")
        return
    assert enc.b64decode(text, "x") == expected


def _hash_text(seed: int) -> str:
    return base64.b64encode(bytes((seed + i) % 256 for i in range(32))).decode()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 255).map(_hash_text), _BASE64_TEXT, st.integers(), st.none()), max_size=5))
def test_hash_list_decoding_agrees_with_one_by_one(values: list) -> None:
    """b64decode_hashes decodes a whole proof at once; it must accept, return and refuse (with the
    same message) exactly as b64decode and a 32-byte length check would, item by item."""
    try:
        expected = []
        for index, value in enumerate(values):
            item = enc.b64decode(value, f"h[{index}]")
            expected.append(item)
        for index, item in enumerate(expected):
            if len(item) != 32:
                raise ValueError(f"h[{index}]: {len(item)} bytes, expected 32")
    except ValueError as exc:
        with pytest.raises(ValueError) as caught:
            enc.b64decode_hashes(values, "h")
        assert str(caught.value) == str(exc)
        return
    assert enc.b64decode_hashes(values, "h") == tuple(expected)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([_hash_text(1), _hash_text(2)[:-1] + "\n" + _hash_text(3)[:-1]], "h[1]: 64 bytes, expected 32"),  # a line break inside one
        ([_hash_text(1)[:24], _hash_text(1)[24:]], "h[0]: 18 bytes, expected 32"),  # one hash split in two
        ([_hash_text(1), _hash_text(2)[:-2] + "*="], "h[1]: not valid base64"),
        ([_hash_text(1), 7], "h[1]: expected a base64 string, found a number"),
        ([_hash_text(1)[:-1] + "=="], "h[0]: not valid base64"),
    ],
)
def test_hash_list_refusals(values: list, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        enc.b64decode_hashes(values, "h")


def test_hash_list_in_other_spellings_still_decodes() -> None:
    raw = bytes(range(32))
    spellings = [base64.b64encode(raw).decode(), base64.b64encode(raw).decode().rstrip("="),
                 base64.urlsafe_b64encode(raw).decode()]
    assert enc.b64decode_hashes(spellings, "h") == (raw, raw, raw)


def test_duplicate_key_is_named() -> None:
    with pytest.raises(ValueError, match="duplicate JSON key 'c'"):  # the inner object is decoded first
        enc.load_json(b'{"a": 1, "b": {"c": 2, "c": 2}, "b": 3}')
    with pytest.raises(ValueError, match="duplicate JSON key 'b'"):
        enc.load_json(b'{"a": 1, "b": 2, "a2": 3, "b": 2}')
