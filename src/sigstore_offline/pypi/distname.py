"""Distribution filenames and how PyPA compares them: PEP 503 names, PEP 440 version equality,
sdist names (``NAME-VERSION.tar.gz`` / ``.zip``) and wheel names (PEP 427, binary distribution
format: ``NAME-VERSION[-BUILD]-PYTHON-ABI-PLATFORM.whl`` with compressed tag sets, PEP 425).

Our own code (``packaging`` is not a runtime dependency); ``tests/test_distname.py`` checks it
against ``packaging`` over many generated names. Two filenames name the same distribution when
their parses are equal:

* sdist: the normalized project name and the version (so ``foo-1.0.tar.gz`` and ``Foo-1.0.zip``
  agree, as they do for ``packaging.utils.parse_sdist_filename``);
* wheel: the normalized name, the version, the build tag ``(number, suffix)`` and the expanded tag
  set (``py2.py3-none-any`` is the same set as ``py3.py2-none-any``).

Deliberately stricter than ``packaging``: a filename containing a path separator (``/``, ``\\``)
or a character that is not printable is rejected. PyPI never serves such a name, and ``packaging``
silently ignores everything after a newline in a wheel's build tag.
"""

from __future__ import annotations

import re
from typing import FrozenSet, NamedTuple, Optional, Tuple, Union

# PEP 440, appendix B ("parsing version strings with regular expressions"), written out: optional
# surrounding whitespace and a leading "v"; epoch, release, pre-, post- and dev-release, local
# label. Letters are case-insensitive; the version proper is ASCII-only.
_VERSION = re.compile(
    r"\s*v?(?a:"
    r"(?:(?P<epoch>[0-9]+)!)?"
    r"(?P<release>[0-9]+(?:\.[0-9]+)*)"
    r"(?:[._-]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[._-]?(?P<pre_n>[0-9]+)?)?"
    r"(?:-(?P<post_n1>[0-9]+)|[._-]?(?P<post_l>post|rev|r)[._-]?(?P<post_n2>[0-9]+)?)?"
    r"(?:[._-]?(?P<dev_l>dev)[._-]?(?P<dev_n>[0-9]+)?)?"
    r"(?:\+(?P<local>[a-z0-9]+(?:[._-][a-z0-9]+)*))?"
    r")\s*",
    re.IGNORECASE,
)
# PEP 440 "pre-release spelling" and "post-release spelling" normalisations.
_LETTERS = {"alpha": "a", "beta": "b", "c": "rc", "pre": "rc", "preview": "rc", "rev": "post", "r": "post"}
_WHEEL_NAME = re.compile(r"[\w.]+")  # PEP 427 escaped name: word characters and dots
_BUILD = re.compile(r"([0-9]+)(.*)", re.DOTALL)
SDIST_SUFFIXES = (".tar.gz", ".zip")
WHEEL_SUFFIX = ".whl"


class InvalidFilename(ValueError):
    """Not a valid sdist or wheel filename (the message says why)."""


def _number(digits: str) -> str:
    """A decimal number in canonical form (no leading zeros), without int()'s size limit."""
    return digits.lstrip("0") or "0"


class VersionKey(NamedTuple):
    """What PEP 440 equality compares; two versions are equal exactly when their keys are."""

    epoch: str
    release: Tuple[str, ...]  # trailing zeros removed: 1.0 == 1
    pre: Optional[Tuple[str, str]]  # ("a" | "b" | "rc", number)
    post: Optional[str]
    dev: Optional[str]
    local: Optional[Tuple[Tuple[str, str], ...]]  # ("n", number) or ("s", lower-case text)


def version_key(text: str) -> VersionKey:
    """Parse a PEP 440 version; raise :class:`InvalidFilename` if it is not one."""
    match = _VERSION.fullmatch(text)
    if match is None:
        raise InvalidFilename(f"{text!r} is not a PEP 440 version")
    release = [_number(part) for part in match.group("release").split(".")]
    while release and release[-1] == "0":
        release.pop()
    pre = None
    if match.group("pre_l"):
        letter = match.group("pre_l").lower()
        pre = (_LETTERS.get(letter, letter), _number(match.group("pre_n") or "0"))
    post = None
    if match.group("post_l") or match.group("post_n1"):
        post = _number(match.group("post_n1") or match.group("post_n2") or "0")
    dev = _number(match.group("dev_n") or "0") if match.group("dev_l") else None
    local = None
    if match.group("local"):
        local = tuple(
            ("n", _number(part)) if part.isdigit() else ("s", part.lower())
            for part in re.split(r"[._-]", match.group("local"))
        )
    return VersionKey(_number(match.group("epoch") or "0"), tuple(release), pre, post, dev, local)


def _release(text: str) -> Tuple[str, ...]:
    """The release segment of a valid version, each number canonical, trailing zeros kept: with the
    rest of :class:`VersionKey`, this compares versions as PEP 440 normalised strings (1.0 != 1.0.0)."""
    match = _VERSION.fullmatch(text)
    if match is None:  # pragma: no cover -- callers parse the version first
        raise InvalidFilename(f"{text!r} is not a PEP 440 version")
    return tuple(_number(part) for part in match.group("release").split("."))


def normalize_name(name: str) -> str:
    """PEP 503: runs of ``-``, ``_`` and ``.`` become one ``-``; lower case."""
    return re.sub(r"[-_.]+", "-", name).lower()


class Sdist(NamedTuple):
    name: str
    version: VersionKey
    suffix: str  # ".tar.gz" or ".zip": an attestation for one archive never names the other
    release: Tuple[str, ...]  # the release numbers as written, normalised: 0.0.19 is not 0.0.19.0


class Wheel(NamedTuple):
    name: str
    version: VersionKey
    release: Tuple[str, ...]  # as for Sdist: the version is compared as its normalised string
    build: Tuple[str, ...]  # () or (number, suffix)
    # The expanded tag set is interpreters x abis x platforms (each lower-cased). All three are
    # non-empty, so two such products are equal exactly when their factors are: compare factors,
    # never expand (a hostile name could expand to millions of tags).
    tags: Tuple[FrozenSet[str], FrozenSet[str], FrozenSet[str]]


DistName = Union[Sdist, Wheel]


def _check_characters(filename: str) -> None:
    if not filename:
        raise InvalidFilename("empty filename")
    if "/" in filename or "\\" in filename:
        raise InvalidFilename(f"{filename!r} contains a path separator")
    if not filename.isprintable():
        raise InvalidFilename(f"{filename!r} contains a character that is not printable")


def _wheel(filename: str) -> Wheel:
    stem = filename[: -len(WHEEL_SUFFIX)]
    dashes = stem.count("-")
    if dashes not in (4, 5):
        raise InvalidFilename(f"{filename!r}: a wheel name has 5 or 6 dash-separated parts, found {dashes + 1}")
    parts = stem.split("-")
    name_part, version_part = parts[0], parts[1]
    if "__" in name_part or not _WHEEL_NAME.fullmatch(name_part):
        raise InvalidFilename(f"{filename!r}: {name_part!r} is not a valid wheel project name")
    try:
        version = version_key(version_part)
    except InvalidFilename:
        raise InvalidFilename(f"{filename!r}: {version_part!r} is not a PEP 440 version") from None
    build: Tuple[str, ...] = ()
    if dashes == 5:
        match = _BUILD.fullmatch(parts[2])
        if match is None:
            raise InvalidFilename(f"{filename!r}: build tag {parts[2]!r} does not start with a digit")
        build = (_number(match.group(1)), match.group(2))
    components = [component.split(".") for component in parts[-3:]]
    for component in components:
        if "" in component:
            raise InvalidFilename(f"{filename!r}: compatibility tag {'-'.join(parts[-3:])!r} has an empty part")
    for interpreter in components[0]:
        if not interpreter.isidentifier():
            raise InvalidFilename(f"{filename!r}: {interpreter!r} is not a valid Python tag")
    interpreters, abis, platforms = (frozenset(item.lower() for item in component) for component in components)
    return Wheel(normalize_name(name_part), version, _release(version_part), build, (interpreters, abis, platforms))


def _sdist(filename: str, suffix: str) -> Sdist:
    stem = filename[: -len(suffix)]
    name_part, dash, version_part = stem.rpartition("-")
    if not dash:
        raise InvalidFilename(f"{filename!r}: an sdist name is NAME-VERSION{suffix}")
    if not name_part:
        raise InvalidFilename(f"{filename!r}: empty project name")
    try:
        version = version_key(version_part)
    except InvalidFilename:
        raise InvalidFilename(f"{filename!r}: {version_part!r} is not a PEP 440 version") from None
    return Sdist(normalize_name(name_part), version, suffix, _release(version_part))


def parse_filename(filename: str) -> DistName:
    """Parse a distribution filename (``.whl``, ``.tar.gz`` or ``.zip``; suffixes are case-sensitive)."""
    _check_characters(filename)
    if filename.endswith(WHEEL_SUFFIX):
        return _wheel(filename)
    for suffix in SDIST_SUFFIXES:
        if filename.endswith(suffix):
            return _sdist(filename, suffix)
    raise InvalidFilename(f"{filename!r} is not a distribution filename (.whl, .tar.gz or .zip)")


def same_distribution(a: str, b: str) -> bool:
    """Whether two valid filenames name the same distribution (raises for an invalid one): the
    same normalised project name, the same version as a PEP 440 normalised string (``0.0.19`` and
    ``0.0.19.0`` differ), the same archive suffix for an sdist, the same build and tags for a wheel.
    Stricter than pypi-attestations 0.0.30, which compares versions by PEP 440 equality and ignores
    the sdist's suffix: a file is attested only under the name it was published with."""
    return parse_filename(a) == parse_filename(b)
