# SPDX-License-Identifier: Apache-2.0
"""Times at the edges of the calendar in a trusted root (issue 9, task 2).

Every ``validFor`` time of a trusted root is either a time in 0001-01-01 .. 9999-12-31 UTC or a
TrustRootError (exit 3, step ``trust-root``) naming the field: never a crash (OverflowError from
an offset that leaves the calendar, for instance) and never a silently different time.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Callable, Dict

import pytest

from helpers import CONFORMANCE, PRODUCTION_ROOT_FOR_CONFORMANCE, SHIPPED, need_shared, run_json
from sigstore_offline import _encoding as enc
from sigstore_offline.errors import TrustRootError
from sigstore_offline.trust.trusted_root import parse_trusted_root

UTC = datetime.timezone.utc

LOCATIONS: Dict[str, Callable[[Dict[str, Any]], Dict[str, Any]]] = {
    "tlogs[0].publicKey.validFor": lambda root: root["tlogs"][0]["publicKey"]["validFor"],
    "ctlogs[0].publicKey.validFor": lambda root: root["ctlogs"][0]["publicKey"]["validFor"],
    "certificateAuthorities[0].validFor": lambda root: root["certificateAuthorities"][0]["validFor"],
    "timestampAuthorities[0].validFor": lambda root: root["timestampAuthorities"][0]["validFor"],
}

REJECTED = {
    "year-0000": "0000-01-01T00:00:00Z",
    "offset-before-year-1": "0001-01-01T00:00:00+00:01",
    "offset-after-year-9999": "9999-12-31T23:59:59-00:01",
    "five-digit-year": "10000-01-01T00:00:00Z",
    "negative-year": "-0001-01-01T00:00:00Z",
    "february-30": "2024-02-30T00:00:00Z",
    "february-29-no-leap-year": "2023-02-29T00:00:00Z",
    "month-00": "2024-00-10T00:00:00Z",
    "hour-24": "2024-01-01T24:00:00Z",
    "minute-60": "2024-01-01T00:60:00Z",
    "second-61": "2024-01-01T00:00:61Z",
    "offset-hours-24": "2024-01-01T00:00:00+24:00",
    "offset-minutes-60": "2024-01-01T00:00:00+00:60",
    "offset-99-99": "2024-01-01T00:00:00-99:99",
    "offset-without-colon": "2024-01-01T00:00:00+0100",
    "13-fractional-digits": "2024-01-01T00:00:00." + "1" * 13 + "Z",
    "huge-fraction": "2024-01-01T00:00:00." + "9" * 100_000 + "Z",
    "empty-fraction": "2024-01-01T00:00:00.Z",
    "arabic-indic-digits": "\u0662\u0660\u0662\u0664-01-01T00:00:00Z",
    "fullwidth-digits": "\uff12\uff10\uff12\uff14-01-01T00:00:00Z",
    "leading-space": " 2024-01-01T00:00:00Z",
    "no-zone": "2024-01-01T00:00:00",
    "date-only": "2024-01-01",
    "number": 1704067200,
    "object": {"seconds": 1704067200},
}


def _root(source: str = "sigstore") -> Dict[str, Any]:
    return json.loads((SHIPPED / source / "trusted_root.json").read_text())


def _parse(root: Dict[str, Any]) -> Any:
    return parse_trusted_root(json.dumps(root).encode())


@pytest.mark.parametrize("field", ["start", "end"])
@pytest.mark.parametrize("location", sorted(LOCATIONS))
@pytest.mark.parametrize("case", sorted(REJECTED))
def test_edge_times_are_trust_root_errors(case: str, location: str, field: str) -> None:
    root = _root()
    LOCATIONS[location](root)[field] = REJECTED[case]
    with pytest.raises(TrustRootError) as caught:
        _parse(root)
    assert (caught.value.exit_code, caught.value.step) == (3, "trust-root")
    assert f"{location}.{field}:" in caught.value.message
    assert len(caught.value.message) < 400  # a huge value is not echoed in full


ACCEPTED = {
    "first-instant": ("0001-01-01T00:00:00Z", datetime.datetime(1, 1, 1, tzinfo=UTC)),
    "first-instant-by-negative-offset": ("0001-01-01T00:00:00-01:00", datetime.datetime(1, 1, 1, 1, tzinfo=UTC)),
    "last-instant": ("9999-12-31T23:59:59.999999999Z", datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    "last-hour-by-positive-offset": ("9999-12-31T23:59:59+01:00", datetime.datetime(9999, 12, 31, 22, 59, 59, tzinfo=UTC)),
    "leap-second": ("2016-12-31T23:59:60Z", datetime.datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    "leap-second-with-offset": ("2016-12-31T18:59:60-05:00",
                                datetime.datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    "february-29": ("2024-02-29T00:00:00Z", datetime.datetime(2024, 2, 29, tzinfo=UTC)),
    "12-fractional-digits": ("2024-01-01T00:00:00.123456789012Z", datetime.datetime(2024, 1, 1, 0, 0, 0, 123456,
                                                                                    tzinfo=UTC)),
    "lower-case-t-and-z": ("2024-01-01t00:00:00z", datetime.datetime(2024, 1, 1, tzinfo=UTC)),
    "largest-offset": ("2024-01-01T23:59:00+23:59", datetime.datetime(2024, 1, 1, 0, 0, tzinfo=UTC)),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_edge_times_that_are_valid(case: str) -> None:
    text, expected = ACCEPTED[case]
    parsed = enc.rfc3339(text, "t")
    assert parsed == expected and parsed.tzinfo is not None and parsed.utcoffset() == datetime.timedelta(0)


def test_the_leap_second_stays_in_its_minute() -> None:
    """Read as the last instant of 23:59, not rolled into the next day: after 23:59:59, before 00:00:00."""
    leap = enc.rfc3339("2016-12-31T23:59:60Z", "t")
    assert enc.rfc3339("2016-12-31T23:59:59Z", "t") < leap < enc.rfc3339("2017-01-01T00:00:00Z", "t")


def test_a_window_spanning_the_whole_calendar() -> None:
    root = _root()
    LOCATIONS["tlogs[0].publicKey.validFor"](root).update(start="0001-01-01T00:00:00Z", end="9999-12-31T23:59:59.999999Z")
    window = _parse(root).tlogs[0].valid_for
    assert window.describe() == "0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z"
    assert window.contains(datetime.datetime(1, 1, 1, tzinfo=UTC))
    assert window.contains(datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))


def test_utc_pads_early_years() -> None:
    assert enc.utc(datetime.datetime(1, 2, 3, 4, 5, 6, tzinfo=UTC)) == "0001-02-03T04:05:06Z"
    assert enc.utc(datetime.datetime(999, 12, 31, tzinfo=UTC)) == "0999-12-31T00:00:00Z"


def test_a_whole_calendar_trusted_root_verifies_a_real_bundle(tmp_path: Any) -> None:
    """Extreme but valid windows change nothing: the happy path still verifies end to end."""
    root = json.loads(need_shared(PRODUCTION_ROOT_FOR_CONFORMANCE).read_text())
    for section in ("tlogs", "ctlogs"):
        for log in root[section]:
            log["publicKey"]["validFor"] = {"start": "0001-01-01T00:00:00Z", "end": "9999-12-31T23:59:59Z"}
    for section in ("certificateAuthorities", "timestampAuthorities"):
        for authority in root[section]:
            authority["validFor"] = {"start": "0001-01-01T00:00:00+00:00", "end": "9999-12-31T23:59:60Z"}
    path = tmp_path / "trusted_root.json"
    path.write_text(json.dumps(root))
    code, records, err = run_json(_happy_path_argv(path))
    assert code == 0 and records[0]["verified"] is True, err


def _happy_path_argv(root_path: Any) -> list:
    import hashlib

    digest = "sha256:" + hashlib.sha256((CONFORMANCE / "a.txt").read_bytes()).hexdigest()
    identity = ("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
                ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main")
    return ["--bundle", str(CONFORMANCE / "happy-path-v0.3" / "bundle.sigstore.json"), "--trusted-root", str(root_path),
            "--cert-identity", identity, "--cert-oidc-issuer", "https://token.actions.githubusercontent.com", digest]


@pytest.mark.parametrize("case", ["offset-before-year-1", "offset-after-year-9999", "arabic-indic-digits"])
def test_on_the_command_line_it_is_exit_3(case: str, tmp_path: Any) -> None:
    root = json.loads(need_shared(PRODUCTION_ROOT_FOR_CONFORMANCE).read_text())
    root["tlogs"][0]["publicKey"]["validFor"]["start"] = REJECTED[case]
    path = tmp_path / "trusted_root.json"
    path.write_text(json.dumps(root))
    code, records, err = run_json(_happy_path_argv(path))
    assert code == 3 and records[0]["step"] == "trust-root", err
    assert "Traceback" not in err
