# SPDX-License-Identifier: Apache-2.0
"""Strict decoders: base64, JSON, int64 and RFC 3339 times."""

from __future__ import annotations

import base64
import datetime

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
