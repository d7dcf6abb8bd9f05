# SPDX-License-Identifier: Apache-2.0
"""Identity policy: who must have signed, matched against the Fulcio certificate.

The certificate is first summarised (SANs, OIDC issuer) and the policy is matched against that
summary. The issuer comes from extension 1.3.6.1.4.1.57264.1.8 (a DER UTF8String) or the legacy
1.3.6.1.4.1.57264.1.1 (raw bytes); when both are present they must agree. Regular expressions
must match the whole value (``re.fullmatch``), never a substring.

The summary also carries the Fulcio claims 1.3.6.1.4.1.57264.1.8 to .22 (each a DER UTF8String:
Build Signer URI, Source Repository URI, Build Config URI, ...) as ``claims``, decoded strictly,
for policies that look at more than the SAN (the PEP 740 Trusted Publisher policies). A claim
that is not a well-formed UTF8String is left out of ``claims``.
"""

from __future__ import annotations

import re
import types
from typing import Dict, List, Mapping, NamedTuple, Optional, Pattern, Protocol, Tuple, Union

from . import _certificate, _der
from ._certificate import Certificate
from .errors import Step, VerificationError

__all__ = [
    "STEP", "OIDC_ISSUER_LEGACY", "OIDC_ISSUER_V2", "OTHERNAME_SAN", "FULCIO_CLAIMS", "CertificateIdentity",
    "summarise", "SignerPolicy", "Matcher", "Identity",
]

STEP = Step.IDENTITY
OIDC_ISSUER_LEGACY = "1.3.6.1.4.1.57264.1.1"
OIDC_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"
OTHERNAME_SAN = "1.3.6.1.4.1.57264.1.7"
# Fulcio's DER-UTF8String claims (docs/oid-info.md of sigstore/fulcio): 1.8 Issuer (V2) to
# 1.22 Source Repository Visibility At Signing.
FULCIO_CLAIMS = frozenset(f"1.3.6.1.4.1.57264.1.{arc}" for arc in range(8, 23))
_NO_CLAIMS: Mapping[str, str] = types.MappingProxyType({})


class CertificateIdentity(NamedTuple):
    """What a Fulcio certificate says about its subject."""

    sans: Tuple[str, ...]
    issuer: Optional[str]
    claims: Mapping[str, str] = _NO_CLAIMS  # dotted OID -> value, for the FULCIO_CLAIMS present

    @property
    def san(self) -> str:
        return self.sans[0] if self.sans else ""


def summarise(cert: Certificate) -> CertificateIdentity:
    """The SANs (rfc822Name, URI, Fulcio's otherName, in that order) and the OIDC issuer."""
    names = cert.subject_alt_names
    sans: List[str] = [n.value for n in names if n.tag == _certificate.RFC822_NAME]
    sans.extend(n.value for n in names if n.tag == _certificate.URI)
    for name in names:
        if name.tag == _certificate.OTHER_NAME and name.value.type_id == OTHERNAME_SAN:
            try:
                sans.append(_der.utf8_string(_der.parse(name.value.value)))
            except ValueError:
                raise VerificationError("certificate has a malformed otherName SAN", step=STEP) from None
    legacy = cert.extensions.get(OIDC_ISSUER_LEGACY)
    modern = cert.extensions.get(OIDC_ISSUER_V2)
    issuer_legacy = issuer_modern = None
    try:
        if legacy is not None:
            issuer_legacy = legacy.decode("utf-8")
        if modern is not None:
            issuer_modern = _der.utf8_string(_der.parse(modern))
    except ValueError:
        raise VerificationError("certificate has a malformed OIDC issuer extension", step=STEP) from None
    if issuer_legacy is not None and issuer_modern is not None and issuer_legacy != issuer_modern:
        raise VerificationError(
            f"certificate names two different OIDC issuers: {issuer_modern!r} (1.8) and {issuer_legacy!r} (1.1)",
            step=STEP,
        )
    return CertificateIdentity(
        tuple(sans), issuer_modern if issuer_modern is not None else issuer_legacy, _claims(cert)
    )


def _claims(cert: Certificate) -> Mapping[str, str]:
    claims: Dict[str, str] = {}
    for dotted, raw in cert.extensions.items():
        if dotted not in FULCIO_CLAIMS:
            continue
        try:
            claims[dotted] = _der.utf8_string(_der.parse(raw))
        except ValueError:
            # Left out, not fatal: a plain identity check does not read these claims, and a policy
            # that needs one fails because it is missing.
            continue
    return types.MappingProxyType(claims) if claims else _NO_CLAIMS


class SignerPolicy(Protocol):
    """What the pipeline needs of a policy: :class:`Identity`, ``upstream.AnySigner``, the PEP 740
    Trusted Publisher policies."""

    def check(self, found: CertificateIdentity) -> None: ...  # raise VerificationError(step=Step.IDENTITY)

    def describe(self) -> str: ...


Matcher = Union[str, Pattern[str]]  # a str matches exactly, a compiled pattern with re.fullmatch


def _form(value: object, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, re.Pattern):
        return f"/{value.pattern}/"
    raise TypeError(f"an identity policy's {name} is a str or a compiled pattern, not {type(value).__name__}")


def _matches(expected: Matcher, value: str) -> bool:
    return value == expected if isinstance(expected, str) else expected.fullmatch(value) is not None


class Identity:
    """An identity policy: one SAN form and one OIDC issuer form, each either an exact string or a
    compiled pattern that must match the whole value. Both are required and checked on
    construction, and an ``Identity`` cannot be changed afterwards, so one that exists is complete.

    Attributes:
        san: the expected SAN (any of the certificate's SANs may match).
        issuer: the expected OIDC issuer.

    Build one from options with :meth:`build` (exactly one of ``san``/``san_regexp`` and of
    ``issuer``/``issuer_regexp``), or directly: ``Identity(san="a@example.org", issuer=re.compile(...))``.
    """

    __slots__ = ("san", "issuer")
    san: Matcher
    issuer: Matcher

    def __init__(self, san: Matcher, issuer: Matcher) -> None:
        _form(san, "san")
        _form(issuer, "issuer")
        object.__setattr__(self, "san", san)
        object.__setattr__(self, "issuer", issuer)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"an Identity cannot be changed (build a new one): {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"an Identity cannot be changed (build a new one): {name}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Identity) and (self.san, self.issuer) == (other.san, other.issuer)

    def __hash__(self) -> int:
        return hash((self.san, self.issuer))

    def __repr__(self) -> str:
        return f"Identity(san={self.san!r}, issuer={self.issuer!r})"

    def __reduce__(self) -> Tuple[type, Tuple[Matcher, Matcher]]:
        return Identity, (self.san, self.issuer)

    @classmethod
    def build(
        cls,
        *,
        san: Optional[str] = None,
        san_regexp: Optional[str] = None,
        issuer: Optional[str] = None,
        issuer_regexp: Optional[str] = None,
    ) -> "Identity":
        """Raises ValueError unless exactly one of each pair is given (or a regexp does not compile)."""
        if san is not None and san_regexp is None:
            san_form: Matcher = san
        elif san is None and san_regexp is not None:
            san_form = re.compile(san_regexp)
        else:
            raise ValueError("an identity policy needs exactly one of san or san_regexp")
        if issuer is not None and issuer_regexp is None:
            issuer_form: Matcher = issuer
        elif issuer is None and issuer_regexp is not None:
            issuer_form = re.compile(issuer_regexp)
        else:
            raise ValueError("an identity policy needs exactly one of issuer or issuer_regexp")
        return cls(san=san_form, issuer=issuer_form)

    def describe(self) -> str:
        return f"{_form(self.san, 'san')} ({_form(self.issuer, 'issuer')})"

    def check(self, found: CertificateIdentity) -> None:
        """Raises VerificationError (step ``identity``) unless a SAN and the issuer match."""
        if not any(_matches(self.san, s) for s in found.sans):
            raise VerificationError(
                f"certificate identity is {', '.join(found.sans) or '(none)'}, expected {_form(self.san, 'san')}",
                step=STEP,
            )
        if found.issuer is None:
            raise VerificationError("certificate names no OIDC issuer", step=STEP)
        if not _matches(self.issuer, found.issuer):
            raise VerificationError(
                f"certificate OIDC issuer is {found.issuer}, expected {_form(self.issuer, 'issuer')}", step=STEP
            )
