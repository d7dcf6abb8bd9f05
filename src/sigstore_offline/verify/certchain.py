# SPDX-License-Identifier: Apache-2.0
"""X.509 chain checks done explicitly, the same way on every ``cryptography`` version.

``cryptography`` 38.0.4 (our floor) has no path-validation API, so the short Sigstore chains
(leaf -> intermediate(s) -> root, as listed in ``trusted_root.json``) are verified here with
public-key ``verify()`` calls, name chaining, basic constraints, key usage, EKU, path length
and validity at a given time. The trusted chain comes from the trusted root, never from the
bundle; the root must be self-signed. See docs/adr/0003-explicit-chain-verification.md.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from .. import _certificate
from .._certificate import Certificate
from .._encoding import utc
from ..errors import Step, VerificationError
from ..limits import MAX_CHAIN_CERTIFICATES

__all__ = [
    "CODE_SIGNING", "TIME_STAMPING", "not_before", "not_after", "valid_at", "describe", "verify_signature",
    "issued_by", "check_leaf", "verify_chain",
]

CODE_SIGNING = _certificate.CODE_SIGNING
TIME_STAMPING = _certificate.TIME_STAMPING
_PURPOSES = {CODE_SIGNING: "codeSigning", TIME_STAMPING: "timeStamping"}

# Critical extensions this module (and the identity policy) understands; any other
# critical extension makes a certificate unusable, as RFC 5280 section 4.2 requires.
_HANDLED_CRITICAL = frozenset(
    {
        _certificate.BASIC_CONSTRAINTS,
        _certificate.KEY_USAGE,
        _certificate.EXTENDED_KEY_USAGE,
        _certificate.SUBJECT_ALT_NAME,
    }
)


def not_before(cert: Certificate) -> datetime.datetime:
    return cert.not_before


def not_after(cert: Certificate) -> datetime.datetime:
    return cert.not_after


def valid_at(cert: Certificate, moment: datetime.datetime) -> bool:
    return cert.not_before <= moment <= cert.not_after


def describe(cert: Certificate) -> str:
    return cert.describe()


def verify_signature(public_key: Any, signature: bytes, data: bytes, hash_algorithm: Any) -> bool:
    """Verify ``signature`` over ``data``; False on any mismatch or unsupported key. Raises nothing."""
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            if hash_algorithm is None:
                return False
            public_key.verify(signature, data, ec.ECDSA(hash_algorithm))
        elif isinstance(public_key, rsa.RSAPublicKey):
            if hash_algorithm is None:
                return False
            public_key.verify(signature, data, padding.PKCS1v15(), hash_algorithm)
        elif isinstance(public_key, ed25519.Ed25519PublicKey):
            public_key.verify(signature, data)
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


# Facts about the trusted root's own certificates, which are the same objects for every bundle,
# remembered by object identity: a lookup by value would hash the certificate's whole encoding
# (microseconds, on every call). Each entry holds its objects, so their ids cannot be reused while
# remembered, and is used only if they are the ones asked about (tuple equality: identical, or
# else equal in value, which gives the same facts); a full memo is emptied, not grown.
_BY_IDENTITY: Dict[Tuple[Any, ...], Tuple[Any, ...]] = {}
_BY_IDENTITY_LIMIT = 256


def _remembered(key: Tuple[Any, ...], certs: Tuple[Certificate, ...], compute: Callable[[], Any]) -> Any:
    entry = _BY_IDENTITY.get(key)
    if entry is not None and entry[0] == certs:
        return entry[1]
    value = compute()
    if len(_BY_IDENTITY) >= _BY_IDENTITY_LIMIT:
        _BY_IDENTITY.clear()
    _BY_IDENTITY[key] = (certs, value)
    return value


def issued_by(cert: Certificate, issuer: Certificate) -> bool:
    """Name chaining plus the issuer's signature over the TBS certificate (memoised, by the
    objects and by their encodings)."""
    return _remembered(("issued_by", id(cert), id(issuer)), (cert, issuer), lambda: _issued_by(cert, issuer))  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=512)
def _issued_by(cert: Certificate, issuer: Certificate) -> bool:
    if cert.issuer != issuer.subject:  # the Names as encoded, byte for byte
        return False
    try:
        hash_algorithm = cert.signature_hash()  # RSASSA-PSS among the refused: no Sigstore CA uses it
    except UnsupportedAlgorithm:
        return False
    if hash_algorithm is not None and hash_algorithm.name == "sha1":
        return False  # collisions are practical (a forged CA certificate has been made with one)
    try:
        public_key = issuer.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return False
    if not _algorithm_fits(cert.signature_oid, public_key):
        return False  # the algorithm the certificate names must be the one its issuer's key makes
    return verify_signature(public_key, cert.signature, cert.tbs, hash_algorithm)


def _algorithm_fits(oid: str, public_key: Any) -> bool:
    """ECDSA for an EC key, RSA PKCS #1 v1.5 for an RSA key, Ed25519 for an Ed25519 key."""
    if oid.startswith("1.2.840.10045.4."):
        return isinstance(public_key, ec.EllipticCurvePublicKey)
    if oid.startswith("1.2.840.113549.1.1."):
        return isinstance(public_key, rsa.RSAPublicKey)
    return oid == "1.3.101.112" and isinstance(public_key, ed25519.Ed25519PublicKey)


def _unhandled_critical(cert: Certificate) -> Optional[str]:
    for oid in sorted(cert.critical - _HANDLED_CRITICAL):
        return oid
    return None


def check_leaf(cert: Certificate, *, purpose: str, step: Step) -> None:
    """The leaf is an end-entity certificate for ``purpose`` (an EKU OID) with digitalSignature."""
    constraints = cert.basic_constraints
    if constraints is not None and constraints.ca:
        raise VerificationError(
            f"signing certificate {describe(cert)} is a CA certificate, not an end-entity one", step=step
        )
    usage = cert.key_usage
    if usage is None or not usage >> _certificate.DIGITAL_SIGNATURE & 1:
        raise VerificationError("signing certificate lacks the digitalSignature key usage", step=step)
    eku = cert.extended_key_usage
    if eku is None or purpose not in eku:
        raise VerificationError(
            f"signing certificate lacks the {_PURPOSES.get(purpose, purpose)} extended key usage", step=step
        )
    critical = _unhandled_critical(cert)
    if critical:
        raise VerificationError(f"signing certificate has an unknown critical extension {critical}", step=step)


def _check_ca(cert: Certificate, below: int, step: Step) -> None:
    problem = _remembered(("ca", id(cert), below), (cert,), lambda: _ca_problem(cert, below))
    if problem:
        raise VerificationError(problem, step=step)


def _ca_problem(cert: Certificate, below: int) -> str:
    """Why ``cert`` cannot issue a chain with ``below`` intermediates under it ("" if it can)."""
    constraints = cert.basic_constraints
    if constraints is None or not constraints.ca:
        return f"chain certificate {describe(cert)} is not a CA"
    if constraints.path_length is not None and constraints.path_length < below:
        return (
            f"chain certificate {describe(cert)} allows {constraints.path_length} intermediate(s) below it,"
            f" the chain has {below}"
        )
    usage = cert.key_usage
    if usage is not None and not usage >> _certificate.KEY_CERT_SIGN & 1:
        return f"chain certificate {describe(cert)} may not sign certificates"
    critical = _unhandled_critical(cert)
    if critical:
        return f"chain certificate {describe(cert)} has an unknown critical extension {critical}"
    return ""


def verify_chain(
    leaf: Certificate,
    chain: Sequence[Certificate],
    at: datetime.datetime,
    *,
    purpose: str,
    step: Step,
) -> None:
    """Verify ``leaf`` against the trusted ``chain`` (leaf-most first, self-signed root last) at ``at``.

    Raises:
        VerificationError: with ``step`` (``Step.CERTIFICATE_CHAIN`` for Fulcio, ``Step.TIMESTAMP`` for
            a TSA) on the first failed check.
    """
    if not chain or len(chain) > MAX_CHAIN_CERTIFICATES:
        raise VerificationError("trusted chain is empty or too long", step=step)
    check_leaf(leaf, purpose=purpose, step=step)
    if not valid_at(leaf, at):
        raise VerificationError(
            f"signing certificate was not valid at {utc(at)} (valid {utc(not_before(leaf))} .. {utc(not_after(leaf))})",
            step=step,
        )
    if not issued_by(leaf, chain[0]):
        raise VerificationError(
            f"signing certificate (issuer {_certificate.name_text(leaf, 'issuer')}) is not signed by {describe(chain[0])}",
            step=step,
        )
    for position, cert in enumerate(chain):
        _check_ca(cert, position, step)
        if not cert.not_before <= at <= cert.not_after:
            raise VerificationError(
                f"CA certificate {describe(cert)} was not valid at {utc(at)}"
                f" (valid {utc(not_before(cert))} .. {utc(not_after(cert))})",
                step=step,
            )
        issuer = chain[position + 1] if position + 1 < len(chain) else cert
        if not issued_by(cert, issuer):
            what = "is not self-signed" if issuer is cert else f"is not signed by {describe(issuer)}"
            raise VerificationError(f"CA certificate {describe(cert)} {what}", step=step)
