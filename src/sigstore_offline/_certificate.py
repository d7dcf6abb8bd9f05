# SPDX-License-Identifier: Apache-2.0
"""Certificates and public keys as the verifier reads them, from the bytes alone (ADR 0008).

:class:`Certificate` holds a certificate that :func:`_x509.check` accepted as canonical DER and
the fields the verifier decides on, decoded from those same bytes: the issuer's and subject's
Names as encoded (compared byte for byte), serial number, validity, signature algorithm and
value, the SubjectPublicKeyInfo, and the extensions the chain and identity checks read --
BasicConstraints, KeyUsage, ExtendedKeyUsage, SubjectAltName (rfc822Name, URI, otherName),
SubjectKeyIdentifier -- plus every extension's OID, criticality and raw value (Fulcio's claims).
Every one is decoded when the certificate is loaded, so a malformed one is an input error at
the step that read it, never a surprise later.

``cryptography`` supplies the public-key operations only: :func:`public_key` builds the key of
an EC (P-256, P-384, P-521, uncompressed point) or Ed25519 SubjectPublicKeyInfo from its parts,
and hands any other key to ``load_der_public_key``. ``cryptography.x509`` is not imported on
the verify path; a message that names a certificate's subject (:meth:`Certificate.describe`,
failures only) loads it there to print the name as RFC 4514 text.
``tests/test_certificate_fields.py`` checks every field against ``cryptography.x509`` on every
certificate of every corpus, and on mutated ones.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from typing import Any, Dict, FrozenSet, NamedTuple, Optional, Tuple

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from . import _der as der
from . import _x509
from ._der import DERError

BASIC_CONSTRAINTS = "2.5.29.19"
KEY_USAGE = "2.5.29.15"
EXTENDED_KEY_USAGE = "2.5.29.37"
SUBJECT_ALT_NAME = "2.5.29.17"
SUBJECT_KEY_IDENTIFIER = "2.5.29.14"
CODE_SIGNING = "1.3.6.1.5.5.7.3.3"
TIME_STAMPING = "1.3.6.1.5.5.7.3.8"
RSASSA_PSS = "1.2.840.113549.1.1.10"

# KeyUsage bits (RFC 5280 4.2.1.3), numbered from the first octet's most significant bit.
DIGITAL_SIGNATURE = 0
KEY_CERT_SIGN = 5
_KEY_AGREEMENT = 4
_ENCIPHER_ONLY = 7
_DECIPHER_ONLY = 8

# The signature algorithms whose hash cryptography's x509 module names (RSA PKCS #1 v1.5 and
# ECDSA); Ed25519 signs without a separate hash. Any other is UnsupportedAlgorithm.
_SIGNATURE_HASHES: Dict[str, Any] = {
    "1.2.840.113549.1.1.5": hashes.SHA1,
    "1.2.840.113549.1.1.14": hashes.SHA224,
    "1.2.840.113549.1.1.11": hashes.SHA256,
    "1.2.840.113549.1.1.12": hashes.SHA384,
    "1.2.840.113549.1.1.13": hashes.SHA512,
    "1.2.840.10045.4.1": hashes.SHA1,
    "1.2.840.10045.4.3.1": hashes.SHA224,
    "1.2.840.10045.4.3.2": hashes.SHA256,
    "1.2.840.10045.4.3.3": hashes.SHA384,
    "1.2.840.10045.4.3.4": hashes.SHA512,
}
_ED25519 = "1.3.101.112"
_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
# namedCurve OID -> (curve, length of an uncompressed point)
_CURVES: Dict[str, Tuple[Any, int]] = {
    "1.2.840.10045.3.1.7": (ec.SECP256R1, 65),
    "1.3.132.0.34": (ec.SECP384R1, 97),
    "1.3.132.0.35": (ec.SECP521R1, 133),
}

# GeneralName tags (RFC 5280 4.2.1.6) whose values the identity policy reads.
OTHER_NAME = 0xA0
RFC822_NAME = 0x81
URI = 0x86


# GeneralName forms no supported cryptography decodes either; a certificate naming its subject so
# is refused when loaded.
_UNSUPPORTED_GENERAL_NAMES = {0xA3: "x400Address", 0xA5: "ediPartyName"}


class OtherName(NamedTuple):
    """An otherName SAN: its type-id and the DER of the value inside the ``[0] EXPLICIT``."""

    type_id: str
    value: bytes


class GeneralName(NamedTuple):
    """One SubjectAltName entry: its tag (``RFC822_NAME``, ``URI``, ``OTHER_NAME``, or another
    choice, which the verifier does not read) and value (text, :class:`OtherName`, or the raw
    content octets)."""

    tag: int
    value: Any


class BasicConstraints(NamedTuple):
    ca: bool
    path_length: Optional[int]


def public_key(spki: bytes) -> Any:
    """The ``cryptography`` public key of a canonical DER SubjectPublicKeyInfo (one that
    :func:`_x509.public_key` or a certificate check accepted). EC keys on the three NIST curves
    with an uncompressed point, and Ed25519 keys, are built from their parts; any other key goes
    to ``load_der_public_key``, which reads these two the same way. Raises ValueError or
    UnsupportedAlgorithm for a key that is not usable."""
    return public_key_with_spki(spki)[0]


def public_key_with_spki(spki: bytes) -> Tuple[Any, bytes]:
    """:func:`public_key`, and the key's SubjectPublicKeyInfo as ``cryptography`` encodes it: the
    input itself for a key built from its parts (its canonical DER is the only encoding)."""
    key = _from_parts(spki)
    if key is not None:
        return key, spki
    key = _load_der_public_key(spki)
    return key, spki_of(key)


def _from_parts(spki: bytes) -> Any:
    try:
        top = der.Cursor(der.parse(spki, what="SubjectPublicKeyInfo"), "SubjectPublicKeyInfo")
        algorithm = der.Cursor(top.take(der.SEQUENCE, "algorithm"), "AlgorithmIdentifier")
        bits = top.take(der.BIT_STRING, "subjectPublicKey").content
        top.done()
        oid = der.oid(algorithm.take(der.OID, "algorithm"))
        parameters = algorithm.maybe(der.OID)
        algorithm.done()
    except DERError:
        return None
    if bits[:1] == b"\x00":
        point = bits[1:]
        if oid == _EC_PUBLIC_KEY and parameters is not None:
            curve = _CURVES.get(der.oid(parameters))
            if curve is not None and len(point) == curve[1] and point[0] == 0x04:
                return ec.EllipticCurvePublicKey.from_encoded_point(curve[0](), point)
        elif oid == _ED25519 and parameters is None and len(point) == 32:
            return ed25519.Ed25519PublicKey.from_public_bytes(point)
    return None


def _load_der_public_key(spki: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    return load_der_public_key(spki)


def spki_of(key: Any) -> bytes:
    """A ``cryptography`` public key's DER SubjectPublicKeyInfo."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return bytes(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))


class Certificate:
    """A certificate that passed :func:`_x509.check`, with its fields decoded (see the module
    docstring). Equal, and hashed, by its encoding. Build one with :func:`load`."""

    __slots__ = (
        "der", "layout", "issuer", "subject", "serial_number", "not_before", "not_after", "signature_oid",
        "signature", "spki", "extensions", "critical", "basic_constraints", "key_usage", "extended_key_usage",
        "subject_alt_names", "subject_key_identifier", "_key", "_hash",
    )

    der: bytes
    layout: _x509.Layout
    issuer: bytes  # the issuer Name, exactly as encoded
    subject: bytes
    serial_number: int
    not_before: datetime.datetime
    not_after: datetime.datetime
    signature_oid: str
    signature: bytes
    spki: bytes
    extensions: Dict[str, bytes]  # OID -> extnValue's contents, every extension
    critical: FrozenSet[str]  # the OIDs of the critical ones
    basic_constraints: Optional[BasicConstraints]
    key_usage: Optional[int]  # the KeyUsage bits as an integer, bit n = 1 << n; None if absent
    extended_key_usage: Optional[Tuple[str, ...]]
    subject_alt_names: Tuple[GeneralName, ...]
    subject_key_identifier: Optional[bytes]

    def __init__(self, layout: _x509.Layout) -> None:
        self.der = layout.data
        self.layout = layout
        self.issuer, self.subject = layout.names
        self.serial_number = layout.serial
        self.not_before = layout.not_before
        self.not_after = layout.not_after
        self.signature_oid = layout.signature_oid
        self.signature = layout.signature
        self.spki = layout.spki
        self.extensions = {e.oid: e.value for e in layout.extensions}
        self.critical = frozenset(e.oid for e in layout.extensions if e.critical)
        values = self.extensions
        self.basic_constraints = _basic_constraints(values[BASIC_CONSTRAINTS]) if BASIC_CONSTRAINTS in values else None
        self.key_usage = _key_usage(values[KEY_USAGE]) if KEY_USAGE in values else None
        self.extended_key_usage = (
            _extended_key_usage(values[EXTENDED_KEY_USAGE]) if EXTENDED_KEY_USAGE in values else None
        )
        self.subject_alt_names = _general_names(values[SUBJECT_ALT_NAME]) if SUBJECT_ALT_NAME in values else ()
        self.subject_key_identifier = (
            der.octet_string(der.parse(values[SUBJECT_KEY_IDENTIFIER], what="SubjectKeyIdentifier"), "SubjectKeyIdentifier")
            if SUBJECT_KEY_IDENTIFIER in values else None
        )
        self._key: Any = None
        self._hash = hash(self.der)

    @property
    def tbs(self) -> bytes:
        return self.layout.tbs

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, Certificate) and self.der == other.der)

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"<Certificate serial {self.serial_number:x}>"

    def public_key(self) -> Any:
        """The subject's key (:func:`public_key`), built once."""
        if self._key is None:
            self._key = public_key(self.spki)
        return self._key

    def signature_hash(self) -> Optional[hashes.HashAlgorithm]:
        """The hash of the signature algorithm; None for Ed25519; UnsupportedAlgorithm for any other."""
        hash_class = _SIGNATURE_HASHES.get(self.signature_oid)
        if hash_class is not None:
            return hash_class()  # type: ignore[no-any-return]
        if self.signature_oid == _ED25519:
            return None
        raise UnsupportedAlgorithm(f"signature algorithm {self.signature_oid}")

    def key_identifier(self) -> bytes:
        """The SubjectKeyIdentifier, or else the SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2 (1))."""
        if self.subject_key_identifier is not None:
            return self.subject_key_identifier
        top = der.Cursor(der.parse(self.spki, what="SubjectPublicKeyInfo"), "SubjectPublicKeyInfo")
        top.take(der.SEQUENCE, "algorithm")
        return hashlib.sha1(top.take(der.BIT_STRING, "subjectPublicKey").content[1:]).digest()  # noqa: S324 -- RFC 5280's method

    def describe(self) -> str:
        """The subject as RFC 4514 text, for messages: ``cryptography.x509`` renders it (a failure
        path may import it); the serial number if the subject is empty or cannot be rendered."""
        return name_text(self, "subject") or f"serial {self.serial_number:x}"


def name_text(cert: Certificate, field: str) -> str:
    """``cert``'s issuer or subject (``field``) as RFC 4514 text for a message; "" on failure."""
    try:
        from cryptography import x509

        parsed = x509.load_der_x509_certificate(cert.der)
        return str(getattr(parsed, field).rfc4514_string())
    except Exception:  # noqa: BLE001 -- a message never fails; the caller says something else
        return ""


def load(data: bytes, what: str = "") -> Certificate:
    """:func:`_x509.check` (canonical DER), then the fields decoded: :class:`Certificate`.
    Raises DERError naming ``what``."""
    layout = _x509.check(data, what)
    try:
        return Certificate(layout)
    except DERError as exc:
        raise DERError(f"{what + ': ' if what else ''}{exc}") from None


# --- the extension values the verifier reads (each already checked as DER by _x509) ---------
# BasicConstraints, KeyUsage and ExtendedKeyUsage are the same bytes in every leaf of a CA: their
# decoding (an immutable value; a DERError is raised, never remembered) is remembered by the bytes.


@functools.lru_cache(maxsize=64)
def _basic_constraints(value: bytes) -> BasicConstraints:
    fields = der.Cursor(der.parse(value, what="BasicConstraints"), "BasicConstraints")
    ca_field = fields.maybe(der.BOOLEAN)
    length_field = fields.maybe(der.INTEGER)
    fields.done()
    ca = der.boolean(ca_field, "BasicConstraints.cA") if ca_field is not None else False
    path_length = der.integer(length_field, "BasicConstraints.pathLenConstraint") if length_field is not None else None
    if path_length is not None and (path_length < 0 or path_length >= 1 << 64 or not ca):
        raise DERError("BasicConstraints: pathLenConstraint must be non-negative, below 2**64, and only for a CA")
    return BasicConstraints(ca, path_length)


@functools.lru_cache(maxsize=64)
def _key_usage(value: bytes) -> int:
    element = der.parse(value, what="KeyUsage").expect(der.BIT_STRING, "KeyUsage")
    content = element.content  # unused-bits octet, then the bits (padding zero: _x509 checked it)
    if len(content) > 3:
        # RFC 5280 names nine bits; DER has no trailing zero bits, so a longer value sets bits that mean
        # nothing (and reading a megabyte of them bit by bit would cost minutes).
        raise DERError(f"KeyUsage: {(len(content) - 1) * 8} bits, more than the nine RFC 5280 4.2.1.3 defines")
    bits = 0
    for index, octet in enumerate(content[1:]):
        for bit in range(8):
            if octet & (0x80 >> bit):
                bits |= 1 << (index * 8 + bit)
    if bits & (1 << _ENCIPHER_ONLY | 1 << _DECIPHER_ONLY) and not bits & 1 << _KEY_AGREEMENT:
        raise DERError("KeyUsage: encipherOnly and decipherOnly mean nothing without keyAgreement (RFC 5280 4.2.1.3)")
    return bits


@functools.lru_cache(maxsize=64)
def _extended_key_usage(value: bytes) -> Tuple[str, ...]:
    sequence = der.parse(value, what="ExtendedKeyUsage").expect(der.SEQUENCE, "ExtendedKeyUsage")
    usages = tuple(der.oid(item, "ExtendedKeyUsage.KeyPurposeId") for item in sequence.children())
    if not usages:
        raise DERError("ExtendedKeyUsage: empty (RFC 5280: SIZE (1..MAX))")
    return usages


def _general_names(value: bytes) -> Tuple[GeneralName, ...]:
    """SubjectAltName's GeneralNames (``_x509`` checked their tags and IA5 text already)."""
    names = []
    for item in der.parse(value, what="SubjectAltName").expect(der.SEQUENCE, "SubjectAltName").children():
        if item.tag == RFC822_NAME or item.tag == URI:
            names.append(GeneralName(item.tag, item.content.decode("ascii")))
        elif item.tag == OTHER_NAME:
            fields = der.Cursor(item, "otherName", tag=None)
            type_id = der.oid(fields.take(der.OID, "type-id"), "otherName.type-id")
            wrapper = fields.take(der.context(0), "value")
            fields.done()
            inner = wrapper.children()
            if len(inner) != 1:
                raise DERError("otherName.value: expected one element inside [0]")
            names.append(GeneralName(OTHER_NAME, OtherName(type_id, inner[0].raw)))
        elif item.tag in _UNSUPPORTED_GENERAL_NAMES:
            raise DERError(f"SubjectAltName: {_UNSUPPORTED_GENERAL_NAMES[item.tag]} is not supported")
        else:
            names.append(GeneralName(item.tag, item.content))
    return tuple(names)
