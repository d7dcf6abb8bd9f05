# SPDX-License-Identifier: Apache-2.0
"""Distribution filenames (sigstore_offline.pypi.distname) against PyPA's rules.

Unit cases state the rules; property tests compare with ``packaging`` (the oracle, through
pypi-attestations' own filename check) over many generated names, versions and pairs.
"""

from __future__ import annotations

from typing import Any, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import need_module
from sigstore_offline.pypi.distname import (
    InvalidFilename,
    Sdist,
    Wheel,
    normalize_name,
    parse_filename,
    same_distribution,
    version_key,
)

# --- the rules, case by case ---------------------------------------------------------------------


@pytest.mark.parametrize("a, b", [
    ("1.0", "1"), ("1.0.0", "1.0"), ("0!1.0", "1.0"), ("v1.0", "1.0"), ("V1.0", "1.0"), (" 1.0 ", "1.0"),
    ("1.0a1", "1.0alpha1"), ("1.0a", "1.0a0"), ("1.0-a-1", "1.0a1"), ("1.0b2", "1.0beta2"), ("1.0c1", "1.0rc1"),
    ("1.0pre1", "1.0rc1"), ("1.0preview1", "1.0rc1"), ("1.0RC1", "1.0rc1"), ("1.0-1", "1.0.post1"),
    ("1.0r1", "1.0.post1"), ("1.0rev1", "1.0.post1"), ("1.0.post", "1.0.post0"), ("1.0_post_1", "1.0.post1"),
    ("1.0dev", "1.0.dev0"), ("1.0-dev-1", "1.0.dev1"), ("01.02", "1.2"), ("1.0+ABC.01", "1.0+abc.1"),
    ("1.0+abc-1_2", "1.0+abc.1.2"), ("1.0.0.dev0", "1.dev0"),
])
def test_equal_versions(a: str, b: str) -> None:
    """PEP 440: these spellings are the same version."""
    assert version_key(a) == version_key(b)


@pytest.mark.parametrize("a, b", [
    ("1.0", "1.0.1"), ("1.0a1", "1.0b1"), ("1.0", "1.0.post0"), ("1.0", "1.0.dev0"), ("1.0", "1.0+local"),
    ("1.0+1", "1.0+a"), ("1!1.0", "1.0"), ("1.0rc1", "1.0.post1"), ("1.0.dev1", "1.0a1.dev1"), ("1.0+1.0", "1.0+1"),
])
def test_different_versions(a: str, b: str) -> None:
    assert version_key(a) != version_key(b)


@pytest.mark.parametrize("text", ["", "1.", ".1", "1..2", "1.0-", "a1", "1.0+", "1.0+a..b", "1.0ab", "1,0", "１.0",
                                  "1.0+ü", "1.0 beta", "1.0.post.dev.x", "v", "1!", "!1"])
def test_invalid_versions(text: str) -> None:
    with pytest.raises(InvalidFilename):
        version_key(text)


def test_long_numbers_need_no_int_conversion() -> None:
    assert version_key("1." + "0" * 5000 + "1") == version_key("1.1")


@pytest.mark.parametrize("name, normal", [("Django", "django"), ("oslo.concurrency", "oslo-concurrency"),
                                          ("a__b--c..d", "a-b-c-d"), ("A_-.B", "a-b")])
def test_pep503_names(name: str, normal: str) -> None:
    assert normalize_name(name) == normal


def test_sdist_and_wheel_parses() -> None:
    assert parse_filename("pypi_attestations-0.0.19.tar.gz") == Sdist("pypi-attestations", version_key("0.0.19"),
                                                                       ".tar.gz", ("0", "0", "19"))
    wheel = parse_filename("Foo.Bar-1.0-1abc-py2.py3-none-any.whl")
    assert isinstance(wheel, Wheel)
    assert wheel.name == "foo-bar" and wheel.build == ("1", "abc")
    assert wheel.tags == (frozenset({"py2", "py3"}), frozenset({"none"}), frozenset({"any"}))


@pytest.mark.parametrize("a, b", [
    ("foo-1.0.tar.gz", "Foo-1.0.tar.gz"), ("foo_bar-1.0.zip", "foo.bar-1.0.zip"), ("foo-01.0.tar.gz", "foo-1.0.tar.gz"),
    ("foo-1.0-py3-none-any.whl", "FOO-1.0-py3-none-any.whl"), ("foo-1.0a1.tar.gz", "foo-1.0.alpha1.tar.gz"),
    ("foo-1.0-py2.py3-none-any.whl", "foo-1.0-py3.py2-none-any.whl"),
    ("foo-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
     "foo-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"),
    ("foo-1.0-01-py3-none-any.whl", "foo-1.0-1-py3-none-any.whl"),
    ("foo-1.0-PY3-NONE-ANY.whl", "foo-1.0-py3-none-any.whl"),
])
def test_same_distribution(a: str, b: str) -> None:
    assert same_distribution(a, b)


@pytest.mark.parametrize("a, b", [
    ("foo-1.0.tar.gz", "foo-1.1.tar.gz"), ("foo-1.0.tar.gz", "bar-1.0.tar.gz"),
    ("foo-1.0.tar.gz", "foo-1.0.zip"), ("foo-1.0.tar.gz", "foo-1.0.0.tar.gz"),
    ("foo-1.0-py3-none-any.whl", "foo-1.0.0-py3-none-any.whl"),
    ("foo-1.0.tar.gz", "foo-1.0-py3-none-any.whl"), ("foo-1.0-py3-none-any.whl", "foo-1.0-py2-none-any.whl"),
    ("foo-1.0-py2.py3-none-any.whl", "foo-1.0-py3-none-any.whl"), ("foo-1.0-1-py3-none-any.whl", "foo-1.0-py3-none-any.whl"),
    ("foo-1.0-1a-py3-none-any.whl", "foo-1.0-1A-py3-none-any.whl"), ("foo-1.0-py3-none-any.whl", "foo-1.0-py3-abi3-any.whl"),
])
def test_different_distributions(a: str, b: str) -> None:
    assert not same_distribution(a, b)


@pytest.mark.parametrize("filename", [
    "foo-1.0.tgz", "foo-1.0.TAR.GZ", "foo.tar.gz", "-1.0.tar.gz", "foo-bad.tar.gz", "foo-1.0.WHL",
    "foo-1.0-py3-none.whl", "foo-1.0-1-2-py3-none-any.whl", "foo__bar-1.0-py3-none-any.whl", "f+o-1.0-py3-none-any.whl",
    "foo-1.0-x-py3-none-any.whl", "foo-1.0-py3..py2-none-any.whl", "foo-1.0-3py-none-any.whl", "foo-1.0--none-any.whl",
    "../foo-1.0.tar.gz", "dir/foo-1.0.tar.gz", "foo\\bar-1.0.tar.gz", "foo-1.0-1\nx-py3-none-any.whl", "foo\x00-1.0.tar.gz", "",
])
def test_invalid_filenames(filename: str) -> None:
    with pytest.raises(InvalidFilename):
        parse_filename(filename)


def test_hostile_tag_sets_are_compared_without_expanding() -> None:
    many = ".".join(f"p{i}" for i in range(2000))
    a = f"foo-1.0-{many}-{many}-{many}.whl"  # 8e9 tags if expanded
    assert same_distribution(a, a)


# --- packaging as the oracle ---------------------------------------------------------------------

ORACLE = "the packaging / pypi-attestations oracles: pip install -e '.[test]'"

def _oracle_filename(name: str) -> Optional[Any]:
    pypi = need_module("pypi_attestations._impl", ORACLE)
    try:
        return pypi._check_dist_filename(name)
    except ValueError:
        return None


def _packaging_at_least(major: int, minor: int) -> bool:
    packaging = need_module("packaging", ORACLE)
    parts = tuple(int(p) for p in packaging.__version__.split(".")[:2] if p.isdigit())
    return parts >= (major, minor)


_digits = st.text("0123456789", min_size=1, max_size=4)
_sep = st.sampled_from(["", ".", "-", "_"])
_letters = st.sampled_from(["a", "A", "alpha", "b", "beta", "c", "rc", "RC", "pre", "preview", "post", "rev", "r",
                            "dev", "Dev", "x", ""])


@st.composite
def versions(draw: Any) -> str:
    """PEP 440-ish strings: mostly valid, with every spelling variant, sometimes broken."""
    text = ".".join(draw(st.lists(_digits, min_size=1, max_size=4)))
    if draw(st.booleans()):
        text = draw(_digits) + "!" + text
    for _ in range(draw(st.integers(0, 3))):
        text += draw(_sep) + draw(_letters) + draw(_sep) + draw(st.one_of(st.just(""), _digits))
    if draw(st.integers(0, 3)) == 0:
        text += "+" + draw(st.from_regex(r"[a-zA-Z0-9]{1,3}([._-][a-zA-Z0-9]{1,3}){0,2}", fullmatch=True))
    if draw(st.integers(0, 5)) == 0:
        text = "v" + text
    if draw(st.integers(0, 8)) == 0:
        text = draw(st.sampled_from([" ", "\t", "\u2003"])) + text
    if draw(st.integers(0, 8)) == 0:
        pos = draw(st.integers(0, len(text)))
        text = text[:pos] + draw(st.text(min_size=1, max_size=2)) + text[pos:]
    return text


@pytest.mark.oracle
@settings(max_examples=1500, deadline=None)
@given(versions(), versions())
def test_versions_agree_with_packaging(a: str, b: str) -> None:
    """PEP 440: validity and equality exactly as packaging.version.Version decides them."""
    version = need_module("packaging.version", ORACLE)

    def theirs(text: str) -> Any:
        try:
            return version.Version(text)
        except version.InvalidVersion:
            return None

    def ours(text: str) -> Any:
        try:
            return version_key(text)
        except InvalidFilename:
            return None

    assert (ours(a) is None) == (theirs(a) is None), a
    if ours(a) is not None and ours(b) is not None:
        assert (ours(a) == ours(b)) == (theirs(a) == theirs(b)), (a, b)


_name = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,6}[A-Za-z0-9])?", fullmatch=True)
_VALID_TAG_PARTS = ["py3", "py2", "cp310", "CP310", "cp39", "none", "abi3", "any", "manylinux_2_17_x86_64",
                    "manylinux2014_x86_64", "win_amd64", "é"]
_tag_part = st.sampled_from(_VALID_TAG_PARTS * 4 + ["3py", "py-3", "", "x.y"])  # mostly valid, some broken


@st.composite
def filenames(draw: Any) -> str:
    name = draw(_name)
    if draw(st.integers(0, 6)) == 0:
        name = draw(st.text(min_size=0, max_size=6))
    version = draw(versions())
    kind = draw(st.sampled_from(["sdist", "zip", "wheel", "wheel", "other"]))
    if kind == "sdist":
        return f"{name}-{version}.tar.gz"
    if kind == "zip":
        return f"{name}-{version}.zip"
    if kind == "other":
        return f"{name}-{version}" + str(draw(st.sampled_from([".tgz", ".egg", ".TAR.GZ", ".whl.asc", ""])))
    name = name.replace("-", "_")
    build = draw(st.sampled_from(["", "", "", "-1", "-01", "-2a", "-1_b", "-x1"]))
    tags = "-".join(".".join(draw(st.lists(_tag_part, min_size=1, max_size=3))) for _ in range(3))
    return f"{name}-{version}{build}-{tags}.whl"


def _variant(draw: Any, filename: str) -> str:
    """Another spelling that may or may not name the same distribution."""
    choice = draw(st.integers(0, 6))
    if choice == 0:
        return filename.upper().replace(".WHL", ".whl").replace(".TAR.GZ", ".tar.gz").replace(".ZIP", ".zip")
    if choice == 1:
        return filename.replace(".", "_", 1)
    if choice == 2:
        return filename.replace("-", "-0!", 1)
    if choice == 3 and filename.endswith(".whl"):
        head, tags = filename[:-4].rsplit("-", 1)[0], filename[:-4].rsplit("-", 1)[1]
        return head + "-" + ".".join(reversed(tags.split("."))) + ".whl"
    if choice == 4:
        return filename.replace(".0", "", 1)
    if choice == 5:
        return filename.replace(".tar.gz", ".zip")
    return str(draw(filenames()))


@st.composite
def filename_pairs(draw: Any) -> Any:
    first = draw(filenames())
    return first, _variant(draw, first)


@pytest.mark.oracle
@settings(max_examples=1500, deadline=None)
@given(filename_pairs())
def test_filenames_agree_with_pypi_attestations(pair: Any) -> None:
    """Ours is never more lenient than pypi-attestations' parse (packaging), and with packaging >=
    26.3 equally strict on printable names without path separators; two names it takes as the same
    distribution differ for us only by the sdist's suffix or the version's normalised spelling."""
    for filename in pair:
        theirs = _oracle_filename(filename)
        try:
            ours = parse_filename(filename)
        except InvalidFilename:
            ours = None
        if ours is not None:
            assert theirs is not None, f"we accept {filename!r}, packaging does not"
        elif theirs is not None and _packaging_at_least(26, 3):
            assert "/" in filename or "\\" in filename or not filename.isprintable(), \
                f"packaging accepts {filename!r}, we do not"
    a, b = pair
    ours_a, ours_b = (_safe(parse_filename, x) for x in pair)
    if ours_a is not None and ours_b is not None:
        theirs_same = _oracle_filename(a) == _oracle_filename(b)
        if ours_a == ours_b:
            assert theirs_same, pair
        elif theirs_same:
            assert _loose(ours_a) == _loose(ours_b), pair


def _loose(name: Any) -> Any:
    """A parse without what only we compare: the sdist's suffix and the version's written release."""
    return name._replace(suffix="", release=()) if isinstance(name, Sdist) else name._replace(release=())


def _safe(function: Any, value: str) -> Any:
    try:
        return function(value)
    except InvalidFilename:
        return None


@pytest.mark.oracle
def test_real_vector_names_agree_with_pypi_attestations() -> None:
    names = [
        "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl", "gcb_attestation_test-0.0.0.tar.gz",
        "gitlab_oidc_project-0.0.3.tar.gz", "pypi_attestation_models-0.0.4a2.tar.gz",
        "pypi_attestations-0.0.19.tar.gz", "rfc8785-0.1.2-py3-none-any.whl",
        "spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    ]
    for name in names:
        assert _oracle_filename(name) is not None and parse_filename(name) is not None
