# SPDX-License-Identifier: Apache-2.0
"""Strict decoding of the wire formats: JSON, base64, integers and RFC 3339 times.

Every decoder raises :class:`ValueError` with a short message naming the problem; the
callers turn it into the error class that fits (bundle -> InputError, trusted root ->
TrustRootError). Nothing here is lenient by accident:

* JSON: duplicate keys, NaN/Infinity and nesting deeper than the recursion limit are rejected.
* base64: the protobuf-JSON rules (standard or URL-safe alphabet, padding optional); line
  breaks are skipped, as Go's decoder (sigstore-go, Rekor) does; any other character fails.
* integers: protobuf-JSON int64 (a JSON number or a decimal string), range-checked.
* times: RFC 3339 with ``Z`` or an offset and up to 12 fractional digits, years 0001-9999 in
  UTC; always timezone-aware UTC.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .limits import MAX_INTEGER, MAX_JSON_VALUES

_B64_CHARS = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_B64_PADDED = re.compile(r"[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})|")
# SHA-256 hashes (32 bytes: 43 base64 characters and one "="), one a line.
_B64_HASH_LINES = re.compile(r"[A-Za-z0-9+/]{43}=(?:\n[A-Za-z0-9+/]{43}=)*")
# ASCII digits only (``\d`` would take any Unicode digit); at most 12 fractional digits.
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,12}))?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]{0,19})")


def _reject_duplicates(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):  # a key came twice: name the first one that did
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate JSON key {key!r}")
            seen.add(key)
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not allowed")


def load_json(data: bytes, *, max_values: int = MAX_JSON_VALUES) -> Any:
    """Parse UTF-8 JSON strictly, refusing more than ``max_values`` arrays, objects and members:
    the parsed value then costs a small multiple of the input's size, whatever its shape."""
    values = data.count(b",") + data.count(b"[") + data.count(b"{")  # an upper bound (strings may hold them)
    if values > max_values:
        raise ValueError(f"more than {max_values} JSON values")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):
        raise ValueError("JSON starts with a byte-order mark")
    try:
        value = json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except RecursionError:
        # Nesting is bounded by the interpreter's recursion limit; the decoder stops there.
        raise ValueError("JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    return value


def b64decode(value: Any, what: str) -> bytes:
    """Decode protobuf-JSON ``bytes``: standard or URL-safe base64, padding optional."""
    if not isinstance(value, str):
        raise ValueError(f"{what}: expected a base64 string, found {type_name(value)}")
    if len(value) % 4 == 0 and _B64_PADDED.fullmatch(value):
        return binascii.a2b_base64(value)  # the common case: standard alphabet, padded, no line breaks
    text = value.replace("\r", "").replace("\n", "")
    if "-" in text or "_" in text:
        text = text.replace("-", "+").replace("_", "/")
    if not _B64_CHARS.fullmatch(text):
        raise ValueError(f"{what}: not valid base64")
    stripped = text.rstrip("=")
    if len(stripped) % 4 == 1:
        raise ValueError(f"{what}: not valid base64 (bad length)")
    if "=" in text and len(text) % 4 != 0:
        raise ValueError(f"{what}: not valid base64 (bad padding)")
    try:
        return base64.b64decode(stripped + "=" * (-len(stripped) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what}: not valid base64") from None


def b64decode_hashes(values: List[Any], what: str) -> Tuple[bytes, ...]:
    """Decode a list of protobuf-JSON ``bytes`` that must each be 32 bytes long (SHA-256 hashes),
    as :func:`b64decode` would one by one; ValueError names the first one that is not."""
    if values:
        try:
            lines = "\n".join(values)
        except TypeError:
            lines = ""
        # The common case, checked at once: each one 44 characters of standard, padded base64.
        if len(lines) == 45 * len(values) - 1 and _B64_HASH_LINES.fullmatch(lines):
            return tuple(binascii.a2b_base64(value) for value in values)
    decoded = tuple(b64decode(value, f"{what}[{index}]") for index, value in enumerate(values))
    for index, item in enumerate(decoded):
        if len(item) != 32:
            raise ValueError(f"{what}[{index}]: {len(item)} bytes, expected 32")
    return decoded


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def int64(value: Any, what: str, *, minimum: int = 0) -> int:
    """Decode a protobuf-JSON int64 (number or decimal string) within [minimum, 2**63-1]."""
    if isinstance(value, bool):
        raise ValueError(f"{what}: expected an integer, found a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DECIMAL.fullmatch(value):
        number = int(value)
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        raise ValueError(f"{what}: expected an integer, found {type_name(value)}")
    if number < minimum or number > MAX_INTEGER:
        raise ValueError(f"{what}: {number} is out of range")
    return number


def rfc3339(value: Any, what: str) -> datetime.datetime:
    """Parse an RFC 3339 timestamp into an aware UTC datetime (sub-microsecond digits dropped).

    Total: every string is either a time in 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z
    or a ValueError -- also a date that does not exist, an offset beyond +-23:59, and a time
    whose offset moves it out of that range (``0001-01-01T00:00:00+01:00``). A leap second
    (``:60``, RFC 3339 section 5.7) is read as ``:59.999999`` of the same minute: never rolled
    into the next minute, and still after every other instant of that minute.
    """
    if not isinstance(value, str):
        raise ValueError(f"{what}: expected an RFC 3339 time string, found {type_name(value)}")
    match = _RFC3339.fullmatch(value)
    if not match:
        shown = value if len(value) <= 64 else value[:64] + "..."
        raise ValueError(f"{what}: {shown!r} is not an RFC 3339 time")
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction = match.group(7) or ""
    micro = int((fraction + "000000")[:6])
    offset = datetime.timedelta(0)
    if not match.group(8):
        offset_hours, offset_minutes = int(match.group(10)), int(match.group(11))
        if offset_hours > 23 or offset_minutes > 59:
            raise ValueError(f"{what}: {value!r} has an invalid UTC offset")
        sign = 1 if match.group(9) == "+" else -1
        offset = sign * datetime.timedelta(hours=offset_hours, minutes=offset_minutes)
    if second == 60:
        second, micro = 59, 999999  # leap second: the end of its minute, not the next one
    try:
        moment = datetime.datetime(
            year, month, day, hour, minute, second, micro, tzinfo=datetime.timezone(offset)
        )
    except ValueError:
        raise ValueError(f"{what}: {value!r} is not a valid date and time") from None
    try:
        return moment.astimezone(datetime.timezone.utc)
    except (OverflowError, ValueError):
        raise ValueError(f"{what}: {value!r} is outside the years 0001 to 9999 in UTC") from None


def obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what}: expected an object, found {type_name(value)}")
    return value


def opt(mapping: Mapping[str, Any], key: str) -> Optional[Any]:
    """A protobuf-JSON field: absent and ``null`` both mean 'not set'."""
    value = mapping.get(key)
    return None if value is None else value


def req(mapping: Mapping[str, Any], key: str, what: str) -> Any:
    value = mapping.get(key)
    if value is None:
        raise ValueError(f"{what}: missing required field {key!r}")
    return value


def string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what}: expected a string, found {type_name(value)}")
    return value


def array(value: Any, what: str, *, limit: int) -> List[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{what}: expected a list, found {type_name(value)}")
    if len(value) > limit:
        raise ValueError(f"{what}: {len(value)} items, more than the limit of {limit}")
    return value


def utc(moment: datetime.datetime) -> str:
    """Format an aware datetime as RFC 3339 UTC with second precision (``...Z``)."""
    moment = moment.astimezone(datetime.timezone.utc)
    # Not strftime: "%Y" is not zero-padded for years before 1000 on every platform.
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
            f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z")
