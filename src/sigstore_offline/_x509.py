# SPDX-License-Identifier: Apache-2.0
"""Strict reading of X.509 certificates (RFC 5280 section 4.1) with the project's DER reader.

Every certificate the verifier loads (bundle leaf and chain, trusted-root CAs and TSAs, cosign's
files) comes through :func:`check` (``_certificate.load``, from ``model.load_certificate``), so
what a certificate *is* never depends on which ``cryptography`` runs underneath (3.4.8 read
certificates through OpenSSL, which accepts BER and re-encodes it; 35 and later refuse it): the
verifier reads certificates itself and uses ``cryptography`` for public-key operations only
(ADR 0008). Here:

1. :func:`check` reads the whole certificate (minimal definite lengths, no trailing bytes; the
   rules of ``_der``, in one iterative pass over the bytes, :func:`_scan`, whose nodes are tuples
   of offsets) and checks what DER fixes beyond the lengths (X.690 section 10/11): primitive encodings
   of the primitive universal types, minimal INTEGERs and OIDs, BOOLEAN as 0x00/0xFF, zero BIT
   STRING padding, UTCTime ``YYMMDDHHMMSSZ`` and GeneralizedTime ``YYYYMMDDHHMMSSZ`` (RFC 5280
   4.1.2.5), SET OF in order (11.6), DEFAULT values absent (11.5: version v1, ``critical`` FALSE,
   ``cA`` FALSE), KeyUsage without trailing zero bits (11.2.2); and the certificate's shape: the
   TBSCertificate fields in order, a positive serial number (4.1.2.2, which cryptography enforces
   only from 36 on), one instance of each extension (4.2), the outer and inner
   signature algorithms identical (4.1.1.2), and inside the extensions whose values are DER
   (X.509's own, PKIX's, the SCT list, Fulcio's 1.3.6.1.4.1.57264.1.8 and later) the same rules,
   plus GeneralName choices in their proper form and IA5String text in ASCII.
   The SCT list's TLS encoding (RFC 6962 3.3) is read too, lengths exact (``verify/sct.py``
   verifies it later).
2. It decodes what the checks need and :class:`Layout` returns it (serial number, signature
   algorithm and value, validity, key algorithm, the extensions' values); ``_certificate``
   decodes the extension values the verifier reads.

What only the bytes decide is remembered by the bytes: whole certificates that passed (the
leaf is read up to three times a verification), and their elements that every leaf of a CA
repeats (:data:`_KNOWN`: version, signature algorithm, names, extensions), which later
certificates do not read again; OID texts and SCT lists the same way.

Errors are :class:`_der.DERError` (a ``ValueError``) naming ``what``. :class:`Layout` gives the
offsets that the SCT step needs to rebuild the precertificate (``verify/sct.py``).
:func:`pem_certificate`, :func:`public_key` and :func:`pem_public_key` do the same for a
certificate named in a log entry and for public keys, which ``cryptography`` before 35 also
reads leniently.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import re
import struct
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from . import _der as der
from ._der import DERError, Element

ENUMERATED = 0x0A
IA5_STRING = 0x16
BMP_STRING = 0x1E
_PRINTABLE_STRING = 0x13

SCT_LIST_OID = "1.3.6.1.4.1.11129.2.4.2"
_ECDSA_SIGNATURES = ("1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4")
_RSA_KEY = "1.2.840.113549.1.1.1"
_SUBJECT_ALT_NAME = "2.5.29.17"
_ISSUER_ALT_NAME = "2.5.29.18"
_BASIC_CONSTRAINTS = "2.5.29.19"
_KEY_USAGE = "2.5.29.15"
_AUTHORITY_KEY_ID = "2.5.29.35"
_FULCIO_ARC = "1.3.6.1.4.1.57264.1."
# Fulcio's 1.3.6.1.4.1.57264.1.1 to .6 hold raw strings, not DER; .8 and later hold DER.
_FULCIO_FIRST_DER = 8

_PEM = re.compile(rb"-----BEGIN ([A-Z ]+)-----\r?\n((?:[A-Za-z0-9+/=]+\r?\n)+)-----END ([A-Z ]+)-----")
_OID_PADDING = re.compile(rb"[\x00-\x7f]\x80")  # a sub-identifier starting 0x80 after the first
_UTC_TIME = re.compile(rb"([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})Z")
_GENERALIZED_TIME = re.compile(rb"([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})Z")

# GeneralName (RFC 5280 4.2.1.6): the identifier octet each CHOICE must have in DER.
_GENERAL_NAME_TAGS = {
    0xA0: "otherName",
    0x81: "rfc822Name",
    0x82: "dNSName",
    0xA3: "x400Address",
    0xA4: "directoryName",
    0xA5: "ediPartyName",
    0x86: "uniformResourceIdentifier",
    0x87: "iPAddress",
    0x88: "registeredID",
}
_IA5_GENERAL_NAMES = (0x81, 0x82, 0x86)


# A node of the tree :func:`_scan` reads: (identifier octet, start, content start, end, children).
# Offsets index the whole buffer; children is a list for a constructed element, None for a primitive,
# or the tuple _KNOWN holds for an element read before (see _known).
Node = Tuple[int, int, int, int, Any]


class Extension(NamedTuple):
    oid: str
    critical: bool
    value: bytes  # the contents of extnValue
    start: int  # where the Extension element sits in the certificate
    end: int


class Layout(NamedTuple):
    """Where things are in a certificate that :func:`check` accepted."""

    data: bytes
    tbs_nodes: Tuple[Node, ...]  # TBSCertificate's fields, in order (see tbs_fields)
    tbs_start: int
    tbs_end: int
    spki: bytes  # subjectPublicKeyInfo exactly as encoded
    extensions: Tuple[Extension, ...]
    serial: int  # serialNumber, positive
    signature_oid: str  # the signature algorithm (outer and inner are the same bytes)
    signature: bytes  # signatureValue's octets (no unused bits)
    not_before: datetime.datetime  # Validity, aware UTC
    not_after: datetime.datetime
    key_oid: str  # SubjectPublicKeyInfo.algorithm.algorithm

    @property
    def tbs(self) -> bytes:
        return self.data[self.tbs_start : self.tbs_end]

    @property
    def names(self) -> Tuple[bytes, bytes]:
        """The issuer's and the subject's Name, each exactly as encoded."""
        first = 1 if self.tbs_nodes[0][0] == der.context(0) else 0  # after the optional version
        issuer, subject = self.tbs_nodes[first + 2], self.tbs_nodes[first + 4]
        return self.data[issuer[1] : issuer[3]], self.data[subject[1] : subject[3]]

    @property
    def tbs_fields(self) -> Tuple[Element, ...]:
        """TBSCertificate's fields, in order, as :class:`_der.Element` (``raw``, ``tag``, ...)."""
        return tuple(Element(self.data, tag, start, content, end, 2) for tag, start, content, end, _ in self.tbs_nodes)


def check(data: bytes, what: str = "") -> Layout:
    """Read ``data`` as one DER Certificate; raise :class:`DERError` unless it is canonical DER.
    A certificate that passed is remembered by its bytes (a verification reads its leaf up to
    three times: the bundle, the log entry's body, the SCT step)."""
    try:
        return _check_once(bytes(data))
    except DERError as exc:
        raise DERError(f"{what + ': ' if what else ''}not canonical DER ({exc})") from None


@functools.lru_cache(maxsize=256)
def _check_once(data: bytes) -> Layout:
    return _check(data)  # a DERError is raised, never cached


def pem_certificate(pem: bytes, what: str = "") -> bytes:
    """The DER inside one PEM ``CERTIFICATE`` block (RFC 7468 section 3, strict: base64 lines,
    nothing before or after but whitespace), which must pass :func:`check`. For comparing a
    certificate named in a transparency-log entry with the bundle's by bytes, not by
    ``cryptography``'s ``==`` (3.4.8 finds a BER re-encoding equal to the original)."""
    data = _pem_block(pem, b"CERTIFICATE", what)
    check(data, what)
    return data


def public_key(data: bytes, what: str = "") -> bytes:
    """``data`` if it is one canonical DER SubjectPublicKeyInfo (RFC 5280 4.1.2.7) or PKCS #1
    RSAPublicKey (RFC 8017 A.1.1; trusted roots carry those too), else :class:`DERError`.
    cryptography before 35 loads BER keys (non-minimal and indefinite lengths, trailing bytes);
    wrap the bytes given to ``load_der_public_key`` in this to refuse them on every version."""
    try:
        top, problem = _read(data, "SubjectPublicKeyInfo")
        if top[0] != der.SEQUENCE:
            raise DERError(f"public key: expected SEQUENCE, found {der.tag_name(top[0])}")
        items = top[4]
        if items and items[0][0] == der.INTEGER:  # RSAPublicKey ::= SEQUENCE { modulus, publicExponent }
            if problem:
                raise DERError(problem)
            _integer_fields(items, 2, "RSAPublicKey")
            return bytes(data)
        algorithm, key = _fields(top, "SubjectPublicKeyInfo", _SPKI)
        oid = _algorithm(data, algorithm, "SubjectPublicKeyInfo.algorithm")
        if problem:
            raise DERError(problem)
        if oid == _RSA_KEY:
            _integers(data, key, 2, "RSA public key")
    except DERError as exc:
        raise DERError(f"{what + ': ' if what else ''}not canonical DER ({exc})") from None
    return bytes(data)


def pem_public_key(pem: bytes, what: str = "") -> bytes:
    """The DER inside one PEM ``PUBLIC KEY`` (or PKCS #1 ``RSA PUBLIC KEY``) block, checked by
    :func:`public_key`."""
    label = b"RSA PUBLIC KEY" if pem.lstrip().startswith(b"-----BEGIN RSA") else b"PUBLIC KEY"
    return public_key(_pem_block(pem, label, what), what)


def _pem_block(pem: bytes, label: bytes, what: str) -> bytes:
    match = _PEM.fullmatch(pem.strip())
    prefix = f"{what}: " if what else ""
    if not match or match.group(1) != label or match.group(3) != label:
        raise DERError(f"{prefix}not one PEM {label.decode()} block")
    try:
        return base64.b64decode(b"".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError):
        raise DERError(f"{prefix}PEM {label.decode()} block is not valid base64") from None


# --- the certificate's shape ----------------------------------------------------------------

# How _fields matches a SEQUENCE's fields: (tag, name, kind); ANY fields match whatever tag comes.
_REQUIRED, _OPTIONAL, _ANY, _ANY_OPTIONAL = range(4)
_Spec = Tuple[Tuple[int, str, int], ...]
_CERTIFICATE: _Spec = (
    (der.SEQUENCE, "tbsCertificate", _REQUIRED),
    (der.SEQUENCE, "signatureAlgorithm", _REQUIRED),
    (der.BIT_STRING, "signatureValue", _REQUIRED),
)
_TBS_CERTIFICATE: _Spec = (
    (der.context(0), "version", _OPTIONAL),
    (der.INTEGER, "serialNumber", _REQUIRED),
    (der.SEQUENCE, "signature", _REQUIRED),
    (der.SEQUENCE, "issuer", _REQUIRED),
    (der.SEQUENCE, "validity", _REQUIRED),
    (der.SEQUENCE, "subject", _REQUIRED),
    (der.SEQUENCE, "subjectPublicKeyInfo", _REQUIRED),
    (der.context(1, constructed=False), "issuerUniqueID", _OPTIONAL),
    (der.context(2, constructed=False), "subjectUniqueID", _OPTIONAL),
    (der.context(3), "extensions", _OPTIONAL),
)
_VALIDITY: _Spec = ((0, "notBefore", _ANY), (0, "notAfter", _ANY))
_SPKI: _Spec = ((der.SEQUENCE, "algorithm", _REQUIRED), (der.BIT_STRING, "subjectPublicKey", _REQUIRED))
_ALGORITHM: _Spec = ((der.OID, "algorithm", _REQUIRED), (0, "parameters", _ANY_OPTIONAL))  # ANY DEFINED BY algorithm
_EXTENSION: _Spec = (
    (der.OID, "extnID", _REQUIRED),
    (der.BOOLEAN, "critical", _OPTIONAL),
    (der.OCTET_STRING, "extnValue", _REQUIRED),
)
_ATTRIBUTE: _Spec = ((der.OID, "type", _REQUIRED), (0, "value", _ANY))
_OTHER_NAME: _Spec = ((der.OID, "type-id", _REQUIRED), (der.context(0), "value", _REQUIRED))


def _check(data: bytes) -> Layout:
    top, problem = _read(data, "Certificate", _KNOWN)
    tbs_node, outer_algorithm, signature_value = _fields(top, "Certificate", _CERTIFICATE)
    version_node, serial, inner_algorithm, issuer, validity, subject, spki_node, _, _, wrapper = _fields(
        tbs_node, "TBSCertificate", _TBS_CERTIFICATE
    )
    version = 0
    if version_node is not None:
        version = _known(version_node, "version")
        if version is None:
            (version_field,) = _exactly(_open(data, version_node), 1, "TBSCertificate.version")
            version = _integer(data, version_field, "TBSCertificate.version")
            if version == 0:
                raise DERError("TBSCertificate.version: v1 is the DEFAULT and must be omitted")
            if version not in (1, 2):
                raise DERError(f"TBSCertificate.version: unknown version {version}")
    serial_number = _integer(data, serial, "TBSCertificate.serialNumber")
    if serial_number <= 0:
        # RFC 5280 4.1.2.2; cryptography 36 to 41 refuse a negative one, 42 and later zero too.
        raise DERError("TBSCertificate.serialNumber is not a positive integer (RFC 5280 4.1.2.2)")
    if data[inner_algorithm[1] : inner_algorithm[3]] != data[outer_algorithm[1] : outer_algorithm[3]]:
        raise DERError("signatureAlgorithm differs from TBSCertificate.signature (RFC 5280 4.1.1.2)")
    signature_oid = _known(inner_algorithm, "algorithm")
    parameters_problem = ""
    if signature_oid is None:
        signature_oid, parameters_problem = _signature_algorithm(data, _open(data, inner_algorithm))
    if _known(issuer, "name") is None:
        _name(data, _open(data, issuer), "issuer")
    window = []
    for field, moment in zip(("notBefore", "notAfter"), _fields(_open(data, validity), "Validity", _VALIDITY)):
        if moment[0] != der.UTC_TIME and moment[0] != der.GENERALIZED_TIME:
            raise DERError(f"Validity.{field}: expected UTCTime or GeneralizedTime, found {der.tag_name(moment[0])}")
        window.append(moment)
    if _known(subject, "name") is None:
        _name(data, _open(data, subject), "subject")
    algorithm, key = _fields(_open(data, spki_node), "SubjectPublicKeyInfo", _SPKI)
    key_oid = _algorithm(data, algorithm, "SubjectPublicKeyInfo.algorithm")

    extensions: Tuple[Extension, ...] = ()
    fresh: List[Tuple[Node, Tuple[Any, ...]]] = []  # what this certificate teaches _KNOWN, once it passes
    if wrapper is not None:
        if version != 2:
            raise DERError("extensions in a certificate that is not v3")
        (sequence,) = _exactly(_open(data, wrapper), 1, "TBSCertificate.extensions")
        extensions = _extensions(data, sequence, fresh)
    if problem:  # X.690's rules for every element: after the shape, whose messages say more
        raise DERError(problem)
    if parameters_problem:
        raise DERError(parameters_problem)
    if data[signature_value[2]] != 0:
        raise DERError("signatureValue: unused bits in the BIT STRING")
    # Two BIT STRINGs hold DER themselves: an ECDSA signature (RFC 5758 3.2) and an RSA key (RFC 3279 2.3.1).
    if signature_oid in _ECDSA_SIGNATURES:
        _integers(data, signature_value, 2, "ECDSA signature")
    if key_oid == _RSA_KEY:
        _integers(data, key, 2, "RSA public key")
    if version_node is not None:
        fresh.append((version_node, (2, "version", version)))
    fresh += [(inner_algorithm, (2, "algorithm", signature_oid)), (issuer, (2, "name", None)), (subject, (2, "name", None))]
    _remember(data, fresh)
    return Layout(
        data=data,
        tbs_nodes=tuple(tbs_node[4]),
        tbs_start=tbs_node[1],
        tbs_end=tbs_node[3],
        spki=data[spki_node[1] : spki_node[3]],
        extensions=extensions,
        serial=serial_number,
        signature_oid=signature_oid,
        signature=data[signature_value[2] + 1 : signature_value[3]],
        not_before=_moment(data, window[0]),
        not_after=_moment(data, window[1]),
        key_oid=key_oid,
    )


def _moment(data: bytes, node: Node) -> datetime.datetime:
    """A Validity time that :func:`_rule` accepted, as an aware UTC datetime (RFC 5280 4.1.2.5:
    a UTCTime's YY of 50 or more is 19YY, below 50 20YY)."""
    text = data[node[2] : node[3]]
    if node[0] == der.UTC_TIME:
        year = int(text[0:2])
        year += 1900 if year >= 50 else 2000
        rest = text[2:]
    else:
        year, rest = int(text[0:4]), text[4:]
    return datetime.datetime(year, int(rest[0:2]), int(rest[2:4]), int(rest[4:6]), int(rest[6:8]), int(rest[8:10]),
                             tzinfo=datetime.timezone.utc)


def _fields(node: Node, what: str, spec: _Spec, tag: Optional[int] = der.SEQUENCE) -> List[Any]:
    """The fields of a SEQUENCE in order, one per ``spec`` entry (None for an absent optional
    one); nothing may follow the last. ``tag``: the node's own, or None for any constructed one."""
    if tag is not None and node[0] != tag:
        raise DERError(f"{what}: expected {der.tag_name(tag)}, found {der.tag_name(node[0])}")
    items = node[4]
    if items is None:
        raise DERError(f"{der.tag_name(node[0])} at offset {node[1]} is primitive, not constructed")
    count = len(items)
    position = 0
    found: List[Any] = []
    for field_tag, field, kind in spec:
        if position < count:
            item = items[position]
            if item[0] == field_tag or kind >= _ANY:
                found.append(item)
                position += 1
                continue
            if kind == _REQUIRED:
                raise DERError(f"{what}.{field}: expected {der.tag_name(field_tag)}, found {der.tag_name(item[0])}")
        elif kind == _REQUIRED or kind == _ANY:
            raise DERError(f"{what}: missing {field}")
        found.append(None)
    if position < count:
        raise DERError(f"{what}: unexpected {der.tag_name(items[position][0])} after the last field")
    return found


def _exactly(node: Node, count: int, what: str) -> List[Node]:
    items = node[4]
    if items is None:
        raise DERError(f"{der.tag_name(node[0])} at offset {node[1]} is primitive, not constructed")
    if len(items) != count:
        raise DERError(f"{what}: {len(items)} elements, expected {count}")
    children: List[Node] = items
    return children


def _integer(data: bytes, node: Node, what: str) -> int:
    """An INTEGER's value (X.690 8.3, minimal; at most MAX_INTEGER_BYTES octets)."""
    tag, _, start, end, _ = node
    if tag != der.INTEGER:
        raise DERError(f"{what}: expected INTEGER, found {der.tag_name(tag)}")
    if start == end:
        raise DERError(f"{what}: empty INTEGER")
    if end - start > der.MAX_INTEGER_BYTES:
        raise DERError(f"{what}: INTEGER of {end - start} bytes is too large")
    if end - start > 1 and (
        (data[start] == 0x00 and data[start + 1] < 0x80) or (data[start] == 0xFF and data[start + 1] >= 0x80)
    ):
        raise DERError(f"{what}: INTEGER is not minimally encoded")
    return int.from_bytes(data[start:end], "big", signed=True)


# OBJECT IDENTIFIER content octets -> dotted text, for the few dozen OIDs certificates repeat.
_OID_TEXT: Dict[bytes, str] = {}
_OID_TEXT_LIMIT = 512


def _oid(data: bytes, node: Node, what: str) -> str:
    """An OBJECT IDENTIFIER's dotted text (``_der.oid_text`` checks it; only good ones are remembered)."""
    if node[0] != der.OID:
        raise DERError(f"{what}: expected OBJECT IDENTIFIER, found {der.tag_name(node[0])}")
    content = data[node[2] : node[3]]
    text = _OID_TEXT.get(content)
    if text is None:
        text = der.oid_text(content, what)
        if len(_OID_TEXT) < _OID_TEXT_LIMIT:
            _OID_TEXT[content] = text
    return text


def _algorithm(data: bytes, node: Node, what: str) -> str:
    oid, _ = _fields(node, what, _ALGORITHM)
    return _oid(data, oid, f"{what}.algorithm")


# Signature algorithms whose AlgorithmIdentifier has no parameters (ECDSA: RFC 5758 3.2; Ed25519:
# RFC 8410 3), and those whose parameters are absent or NULL (RSA PKCS #1 v1.5: RFC 4055 5); as
# cryptography 41 and later require.
# DSA (RFC 5758 3.1) and the SHA-3 ones (RFC 9688) too.
_NIST_SIGNATURES = "2.16.840.1.101.3.4.3."
_RSASSA_PSS = "1.2.840.113549.1.1.10"
_NO_PARAMETERS = frozenset(
    _ECDSA_SIGNATURES + ("1.2.840.10045.4.3.1", "1.2.840.10045.4.1", "1.3.101.112", "1.3.101.113", "1.2.840.10040.4.3")
    + tuple(_NIST_SIGNATURES + str(arc) for arc in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12))
)
_NULL_OR_NO_PARAMETERS = frozenset(
    tuple("1.2.840.113549.1.1." + arc for arc in ("4", "5", "11", "12", "13", "14"))
    + tuple(_NIST_SIGNATURES + str(arc) for arc in (13, 14, 15, 16))
)


def _signature_algorithm(data: bytes, node: Node) -> Tuple[str, str]:
    """The certificate's signature algorithm, and what is wrong with its parameters ("" if they
    are as its RFC requires; raised after X.690's rules, which say more about malformed ones)."""
    what = "TBSCertificate.signature"
    oid_node, parameters = _fields(node, what, _ALGORITHM)
    oid = _oid(data, oid_node, f"{what}.algorithm")
    if parameters is not None and (
        oid in _NO_PARAMETERS or (oid in _NULL_OR_NO_PARAMETERS and data[parameters[1] : parameters[3]] != b"\x05\x00")
    ):
        return oid, f"{what}: algorithm {oid} takes no parameters" + (" but NULL" if oid in _NULL_OR_NO_PARAMETERS else "")
    if oid == _RSASSA_PSS and (parameters is None or parameters[0] != der.SEQUENCE):
        return oid, f"{what}: RSASSA-PSS needs its RSASSA-PSS-params (RFC 4055 3.1)"
    return oid, ""


def _integers(data: bytes, bit_string: Node, count: int, what: str) -> None:
    """A BIT STRING without unused bits whose content is a DER SEQUENCE of ``count`` INTEGERs."""
    start, end = bit_string[2], bit_string[3]
    try:
        if start == end or data[start] != 0:
            raise DERError("unused bits in the BIT STRING")
        sequence, problem = _scan(data, start + 1, end, "SEQUENCE")
        if problem:
            raise DERError(problem)
        if sequence[0] != der.SEQUENCE:
            raise DERError(f"SEQUENCE: expected SEQUENCE, found {der.tag_name(sequence[0])}")
        _integer_fields(sequence[4], count, "SEQUENCE")
    except DERError as exc:
        raise DERError(f"{what}: {exc}") from None


def _integer_fields(items: List[Node], count: int, what: str) -> None:
    if len(items) != count:
        raise DERError(f"{what}: {len(items)} elements, expected {count}")
    for item in items:
        if item[0] != der.INTEGER:
            raise DERError(f"{what if what != 'SEQUENCE' else 'field'}: expected INTEGER, found {der.tag_name(item[0])}")


def _name(data: bytes, node: Node, what: str) -> None:
    """Name ::= SEQUENCE OF RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue."""
    for rdn in node[4]:
        if rdn[0] != der.SET:
            raise DERError(f"{what}: RelativeDistinguishedName: expected SET, found {der.tag_name(rdn[0])}")
        pairs = rdn[4]
        if not pairs:
            raise DERError(f"{what}: empty RelativeDistinguishedName")
        if len(pairs) > 1:
            _set_of_order(data, pairs, what)
        for pair in pairs:
            pair = _open(data, pair)  # an attribute whose bytes are those of a known extension  # noqa: PLW2901
            fields = pair[4]
            if pair[0] != der.SEQUENCE or fields is None or len(fields) != 2 or fields[0][0] != der.OID:
                _fields(pair, f"{what}: AttributeTypeAndValue", _ATTRIBUTE)  # raises, naming what is wrong
            _attribute_value(data, fields[0], fields[1], what)


# An attribute's value is a string type (X.520's DirectoryString and the PrintableString,
# IA5String, NumericString, VisibleString and UniversalString some attributes use), or, for
# x500UniqueIdentifier only, a BIT STRING: what every supported cryptography decodes into a
# NameAttribute, so a Name reads the same everywhere it is shown.
_STRING_TAGS = frozenset({0x0C, 0x12, 0x13, 0x14, 0x16, 0x1A, 0x1C, BMP_STRING})
_UNIQUE_IDENTIFIER = "2.5.4.45"
_COUNTRY_NAMES = ("2.5.4.6", "1.3.6.1.4.1.311.60.2.1.3")  # countryName, jurisdictionCountryName


def _attribute_value(data: bytes, type_node: Node, value: Node, what: str) -> None:
    tag = value[0] & 0xDF  # a constructed string is X.690's problem (_rule), reported as such
    if tag in _STRING_TAGS:
        size = value[3] - value[2]
        characters = size // 2 if tag == BMP_STRING else size // 4 if tag == 0x1C else size
        if characters != 2 and _oid(data, type_node, f"{what}: attribute type") in _COUNTRY_NAMES:
            raise DERError(f"{what}: a country name is a 2-letter code (X.520, RFC 5280 appendix A)")
        return
    if tag == der.BIT_STRING and _oid(data, type_node, f"{what}: attribute type") == _UNIQUE_IDENTIFIER:
        return
    raise DERError(f"{what}: attribute value is {der.tag_name(tag)}, not a string type")


def _set_of_order(data: bytes, items: List[Node], what: str) -> None:
    encodings = [data[item[1] : item[3]] for item in items]
    if encodings != sorted(encodings):
        raise DERError(f"{what}: SET OF elements out of order (X.690 11.6)")


def _extensions(data: bytes, sequence: Node, fresh: List[Tuple[Node, Tuple[Any, ...]]]) -> Tuple[Extension, ...]:
    if sequence[0] != der.SEQUENCE:
        raise DERError(f"Extensions: expected SEQUENCE, found {der.tag_name(sequence[0])}")
    items = sequence[4]
    if not items:
        raise DERError("Extensions: empty (RFC 5280: SIZE (1..MAX))")
    result = []
    seen = set()
    for item in items:
        known = _known(item, "extension")
        if known is None:
            known = _extension(data, _open(data, item))
            if known[0] != SCT_LIST_OID:  # one of a kind in every certificate: not worth remembering
                fresh.append((item, (4, "extension", known)))
        oid, critical, contents = known
        if oid in seen:
            raise DERError(f"extension {oid} appears more than once (RFC 5280 4.2)")
        seen.add(oid)
        result.append(Extension(oid, critical, contents, item[1], item[3]))
    return tuple(result)


# Elements of certificates that passed check, by their encoding: (depth, kind, what was read).
# All but the serial number, validity, key, SCTs and SAN of a Fulcio leaf repeat in every leaf
# of its CA (version, signature algorithm, issuer, key usage, EKU, authority key id, the OIDC
# issuer). Whether an element is DER, and what its role's checks find in it, depends on its
# bytes alone, and an entry is used only at the depth it was read at (the nesting limit): such
# an element is not read twice (_scan), and its checks are not made twice (_known). Where an
# element turns up in another role, it is read again (_open).
_KNOWN: Dict[bytes, Tuple[Any, ...]] = {}
_KNOWN_LIMIT = 256
_KNOWN_DEPTHS = frozenset({2, 4})  # TBSCertificate's fields; the Extension elements


def _known(node: Node, kind: str) -> Any:
    """What was read from ``node`` in a certificate that passed, if it is a known element of this kind."""
    entry = node[4]
    if type(entry) is tuple and entry[1] == kind:
        return entry[2]
    return None


def _open(data: bytes, node: Node) -> Node:
    """``node`` with its children: a known element (see :data:`_KNOWN`) is read now, at its depth."""
    entry = node[4]
    if type(entry) is tuple:
        node, _ = _scan(data, node[1], node[3], "DER", depth=entry[0])  # its bytes passed before: no new problem
    return node


def _remember(data: bytes, fresh: List[Tuple[Node, Tuple[Any, ...]]]) -> None:
    for node, entry in fresh:
        if type(node[4]) is not tuple:  # not already known
            if len(_KNOWN) >= _KNOWN_LIMIT:
                _KNOWN.clear()
            _KNOWN[data[node[1] : node[3]]] = entry


def _extension(data: bytes, item: Node) -> Tuple[str, bool, bytes]:
    """One Extension (RFC 5280 4.1): its OID, criticality and value, checked (DER values too)."""
    extn_id, critical_node, value = _fields(item, "Extension", _EXTENSION)
    oid = _oid(data, extn_id, "Extension.extnID")
    critical = False
    if critical_node is not None:
        critical = data[critical_node[2] : critical_node[3]] == b"\xff"
        if not critical and data[critical_node[2] : critical_node[3]] != b"\x00":
            raise DERError(f"extension {oid}: critical: BOOLEAN must be one octet 0x00 or 0xFF")
        if not critical:
            raise DERError(f"extension {oid}: critical FALSE is the DEFAULT and must be omitted")
    if _value_is_der(oid):
        _extension_value(oid, data, value[2], value[3])
    return oid, critical, data[value[2] : value[3]]


def _value_is_der(oid: str) -> bool:
    if oid.startswith(("2.5.29.", "1.3.6.1.5.5.7.1.")) or oid == SCT_LIST_OID:
        return True
    if oid.startswith(_FULCIO_ARC):
        tail = oid[len(_FULCIO_ARC) :]
        return tail.isdigit() and int(tail) >= _FULCIO_FIRST_DER
    return False


def _extension_value(oid: str, data: bytes, start: int, end: int) -> None:
    """An extension value that is DER itself, read in place (offsets in messages count from its start)."""
    what = f"extension {oid}"
    try:
        element, problem = _scan(data, start, end, what)
        if problem:
            raise DERError(problem)
        if oid == SCT_LIST_OID:
            for sct in parse_sct_list(data[start:end]):
                if sct.timestamp > _MAX_MILLIS:
                    raise DERError(f"SCT timestamp {sct.timestamp} ms is past the year 9999")
        elif oid in (_SUBJECT_ALT_NAME, _ISSUER_ALT_NAME):
            _general_names(data, element, "GeneralNames", start)
        elif oid == _BASIC_CONSTRAINTS:
            if element[0] != der.SEQUENCE:
                raise DERError(f"expected SEQUENCE, found {der.tag_name(element[0])}")
            items = element[4]
            if items and items[0][0] == der.BOOLEAN and data[items[0][2] : items[0][3]] == b"\x00":
                raise DERError("cA FALSE is the DEFAULT and must be omitted")
        elif oid == _KEY_USAGE:
            if element[0] != der.BIT_STRING:
                raise DERError(f"expected BIT STRING, found {der.tag_name(element[0])}")
            content = data[element[2] : element[3]]
            if len(content) > 1 and not (content[-1] >> content[0]) & 1:
                raise DERError("KeyUsage has trailing zero bits (X.690 11.2.2)")
        elif oid == _AUTHORITY_KEY_ID:
            if element[0] != der.SEQUENCE:
                raise DERError(f"expected SEQUENCE, found {der.tag_name(element[0])}")
            for item in element[4]:
                if item[0] not in (0x80, 0xA1, 0x82):
                    raise DERError(f"unexpected {der.tag_name(item[0])} in AuthorityKeyIdentifier")
                if item[0] == 0xA1:
                    _general_names(data, item, "authorityCertIssuer", start)
    except DERError as exc:
        raise DERError(f"{what}: {exc}") from None


def _general_names(data: bytes, node: Node, what: str, base: int) -> None:
    items = node[4]
    if items is None:
        raise DERError(f"{der.tag_name(node[0])} at offset {node[1] - base} is primitive, not constructed")
    if not items:
        raise DERError(f"{what}: empty GeneralNames")
    for item in items:
        tag = item[0]
        if tag not in _GENERAL_NAME_TAGS:
            raise DERError(f"{what}: {der.tag_name(tag)} is not a GeneralName in its DER form")
        if tag in _IA5_GENERAL_NAMES and not data[item[2] : item[3]].isascii():
            raise DERError(f"{what}: {_GENERAL_NAME_TAGS[tag]} is not IA5String (ASCII)")
        if tag == 0xA0:
            _, value = _fields(item, f"{what}: otherName", _OTHER_NAME, tag=None)
            _exactly(value, 1, f"{what}: otherName.value")
        elif tag == 0xA4:
            (name,) = _exactly(item, 1, f"{what}: directoryName")
            if name[0] != der.SEQUENCE:
                raise DERError(f"{what}: directoryName: expected SEQUENCE, found {der.tag_name(name[0])}")
            _name(data, name, f"{what}: directoryName")


# --- the SCT list (RFC 6962 3.3), read when the certificate is loaded ------------------------


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_LATEST = datetime.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=datetime.timezone.utc)
_MAX_MILLIS = (_LATEST - _EPOCH) // datetime.timedelta(milliseconds=1)
# RFC 5246 7.4.1.4.1: the TLS HashAlgorithm and SignatureAlgorithm names RFC 6962 can use; 1..6
# and 1..3 are known (as cryptography's parser knows them). Which verify is verify/sct.py's call.
_KNOWN_HASHES = range(1, 7)
_KNOWN_SIGNATURES = range(1, 4)


class SCT(NamedTuple):
    """One v1 SignedCertificateTimestamp, as its bytes say (RFC 6962 3.2)."""

    version: int
    log_id: bytes
    timestamp: int  # milliseconds since the epoch
    extensions: bytes
    hash_algorithm: int  # TLS HashAlgorithm
    signature_algorithm: int  # TLS SignatureAlgorithm
    signature: bytes

    @property
    def moment(self) -> datetime.datetime:
        """The timestamp as an aware UTC datetime (ValueError past the year 9999)."""
        if self.timestamp > _MAX_MILLIS:
            raise ValueError(f"SCT timestamp {self.timestamp} ms is past the year 9999")
        return _EPOCH + datetime.timedelta(milliseconds=self.timestamp)


class _Reader:
    """TLS presentation-language reading (RFC 5246 4): fixed fields and u16-prefixed vectors."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.position = 0
        self.what = what

    def take(self, count: int, field: str) -> bytes:
        if count > len(self.data) - self.position:
            raise DERError(f"{self.what}: truncated in {field}")
        self.position += count
        return self.data[self.position - count : self.position]

    def vector(self, field: str) -> bytes:
        return self.take(int.from_bytes(self.take(2, field), "big"), field)

    def done(self) -> None:
        if self.position != len(self.data):
            raise DERError(f"{self.what}: {len(self.data) - self.position} byte(s) after the last field")


def parse_sct_list(value: bytes) -> Tuple[SCT, ...]:
    """The SCTs in an SCT-list extension's value (the DER OCTET STRING around the TLS list).
    A list that parsed is remembered by its bytes: :func:`check` reads it, then the SCT step."""
    return _parse_sct_list_once(bytes(value))


@functools.lru_cache(maxsize=64)
def _parse_sct_list_once(value: bytes) -> Tuple[SCT, ...]:  # a DERError is raised, never cached
    listing = der.octet_string(der.parse(value, what="SCT list"), "SCT list")
    return _sct_list_fast(listing) or _sct_list(listing)


def _sct_list_fast(listing: bytes) -> Optional[Tuple[SCT, ...]]:
    """:func:`_sct_list` for a list it accepts, read with plain offsets; None for any other
    (which :func:`_sct_list` then refuses, saying why)."""
    end = len(listing)
    if end <= 2 or (listing[0] << 8 | listing[1]) != end - 2:
        return None
    scts = []
    position = 2
    while position < end:
        if end - position < 2:
            return None
        start = position + 2
        stop = start + (listing[position] << 8 | listing[position + 1])
        # version (1), log_id (32), timestamp (8), extensions (2 + n), algorithm (2), signature (2 + n)
        if stop > end or stop - start < 47 or listing[start] != 0:
            return None
        at = start + 43 + (listing[start + 41] << 8 | listing[start + 42])
        if at + 4 > stop:
            return None
        hash_algorithm, signature_algorithm = listing[at], listing[at + 1]
        if hash_algorithm not in _KNOWN_HASHES or signature_algorithm not in _KNOWN_SIGNATURES:
            return None
        if at + 4 + (listing[at + 2] << 8 | listing[at + 3]) != stop:
            return None
        scts.append(SCT(0, listing[start + 1 : start + 33], int.from_bytes(listing[start + 33 : start + 41], "big"),
                        listing[start + 43 : at], hash_algorithm, signature_algorithm, listing[at + 4 : stop]))
        position = stop
    return tuple(scts)


def _sct_list(content: bytes) -> Tuple[SCT, ...]:
    """The TLS SignedCertificateTimestampList (RFC 6962 3.3), field by field."""
    listing = _Reader(content, "SCT list")
    body = _Reader(listing.vector("sct_list"), "SCT list")
    listing.done()
    if not body.data:
        raise DERError("SCT list: empty (RFC 6962: <1..2^16-1>)")
    scts: List[SCT] = []
    while body.position < len(body.data):
        serialized = body.vector(f"SCT {len(scts) + 1}")
        what = f"SCT {len(scts) + 1}"
        if not serialized:
            raise DERError(f"{what}: empty")
        fields = _Reader(serialized, what)
        version = fields.take(1, "version")[0]
        if version != 0:
            raise DERError(f"{what}: version {version}, only v1 (0) is known")
        log_id = fields.take(32, "log_id")
        (timestamp,) = struct.unpack(">Q", fields.take(8, "timestamp"))
        extensions = fields.vector("extensions")
        hash_algorithm, signature_algorithm = fields.take(2, "algorithm")
        if hash_algorithm not in _KNOWN_HASHES or signature_algorithm not in _KNOWN_SIGNATURES:
            raise DERError(f"{what}: unknown algorithm (hash {hash_algorithm}, signature {signature_algorithm})")
        signature = fields.vector("signature")
        fields.done()
        scts.append(SCT(version, log_id, timestamp, extensions, hash_algorithm, signature_algorithm, signature))
    return tuple(scts)


# --- reading DER, and X.690's rules for every element ----------------------------------------


def _read(data: bytes, what: str, known: Optional[Dict[bytes, Any]] = None) -> Tuple[Node, str]:
    """:func:`_scan` of a whole buffer, which must hold exactly one element."""
    if not isinstance(data, (bytes, bytearray)):
        raise DERError(f"{what}: expected bytes")
    if len(data) > der.MAX_DER_BYTES:
        raise DERError(f"{what}: {len(data)} bytes, more than the limit of {der.MAX_DER_BYTES}")
    return _scan(bytes(data), 0, len(data), what, known=known)


def _scan(
    data: bytes, start: int, end: int, what: str, *, depth: int = 0, known: Optional[Dict[bytes, Any]] = None
) -> Tuple[Node, str]:
    """Read the one element that spans ``data[start:end]`` (nested ``depth`` deep) and every
    element inside it, in one iterative pass over the bytes (no copies; offsets in messages count
    from ``start``).

    Raises :class:`DERError` for what makes the bytes unreadable as DER: high tag numbers,
    indefinite or non-minimal lengths (X.690 10.1), an element running past its parent, trailing
    bytes, nesting deeper than ``_der.MAX_DEPTH``. Returns the element's :data:`Node` and the
    first element, in document order, that breaks the rules for universal types (:func:`_rule`),
    as a message, or "": the caller raises it after checking the shape, whose messages say more.

    ``known``: encodings already read in full (:data:`_KNOWN`): a constructed element at the
    depth its entry names, with exactly those bytes, is not read again; its node carries the
    entry (a tuple) where the children would be.
    """
    tag, content, stop = der.read_header(data, start, end, start)
    if stop != end:
        raise DERError(f"{what}: {end - stop} trailing byte(s) after the element")
    problem = ""
    if not tag & 0x20:
        if tag < 0x20:
            problem = _rule(data, tag, start, content, stop, start)
        return (tag, start, content, stop, None), problem
    if tag < 0x40 and tag != 0x30 and tag != 0x31:
        problem = f"constructed encoding of universal type {tag & 0x1F} at offset 0 (X.690 10.2)"
    if depth >= der.MAX_DEPTH:
        raise DERError(f"nested deeper than {der.MAX_DEPTH} levels")
    kids: List[Node] = []
    root = (tag, start, content, stop, kids)
    stack: List[Tuple[List[Node], int, int]] = []
    limit = stop
    depth += 1  # of the elements being read
    position = content
    while True:
        if position == limit:
            if not stack:
                return root, problem
            kids, limit, depth = stack.pop()
            continue
        # The identifier and length octets; the common short form inline, the rest in der.read_header.
        tag = data[position]
        if tag & 0x1F != 0x1F and position + 1 < limit and data[position + 1] < 0x80:
            content = position + 2
            stop = content + data[position + 1]
            if stop > limit:
                raise DERError(
                    f"{der.tag_name(tag)} at offset {position - start}: length {stop - content} runs past the end"
                    f" ({limit - content} left)"
                )
        else:
            tag, content, stop = der.read_header(data, position, limit, start)
        if tag & 0x20:
            if known is not None and depth in _KNOWN_DEPTHS:
                entry = known.get(data[position:stop])
                if entry is not None and entry[0] == depth:
                    kids.append((tag, position, content, stop, entry))
                    position = stop
                    continue
            if depth >= der.MAX_DEPTH:
                raise DERError(f"nested deeper than {der.MAX_DEPTH} levels")
            if tag < 0x40 and tag != 0x30 and tag != 0x31 and not problem:
                problem = f"constructed encoding of universal type {tag & 0x1F} at offset {position - start} (X.690 10.2)"
            inner: List[Node] = []
            kids.append((tag, position, content, stop, inner))
            stack.append((kids, limit, depth))
            kids, limit, depth, position = inner, stop, depth + 1, content
            continue
        kids.append((tag, position, content, stop, None))
        if tag < 0x20 and not problem:  # a UNIVERSAL primitive
            if tag == der.OID:
                if content == stop or data[stop - 1] & 0x80 or (
                    data.find(0x80, content, stop) >= 0 and (data[content] == 0x80 or _OID_PADDING.search(data, content, stop))
                ):
                    problem = f"OBJECT IDENTIFIER at offset {position - start}: malformed or not minimally encoded"
            elif tag == der.INTEGER:
                if content == stop or (stop - content > 1 and (
                    (data[content] == 0x00 and data[content + 1] < 0x80) or (data[content] == 0xFF and data[content + 1] >= 0x80)
                )):
                    problem = _rule(data, tag, position, content, stop, start)
            elif tag != der.OCTET_STRING and tag != _PRINTABLE_STRING:  # no rule for their content
                problem = _rule(data, tag, position, content, stop, start)
        position = stop


def _rule(data: bytes, tag: int, position: int, start: int, end: int, base: int) -> str:
    """What is wrong with a UNIVERSAL primitive element, as a message; "" if nothing: DER's
    forms (X.690 10.2, 11) and RFC 5280 4.1.2.5's times."""
    content = data[start:end]
    offset = position - base
    problem = ""
    if tag == 0x00:
        return f"end-of-contents octets at offset {offset} (not DER)"
    if tag == 0x10 or tag == 0x11:
        return f"primitive encoding of {der.tag_name(tag | 0x20)} at offset {offset}"
    if tag == der.BOOLEAN:
        if content not in (b"\x00", b"\xff"):
            problem = "BOOLEAN must be one octet 0x00 or 0xFF"
    elif tag == der.INTEGER or tag == ENUMERATED:
        if not content:
            problem = "empty"
        elif len(content) > 1 and (
            (content[0] == 0x00 and content[1] < 0x80) or (content[0] == 0xFF and content[1] >= 0x80)
        ):
            problem = "not minimally encoded"
    elif tag == der.BIT_STRING:
        if not content or content[0] > 7 or (len(content) == 1 and content[0]):
            problem = "malformed unused-bits octet"
        elif content[0] and content[-1] & ((1 << content[0]) - 1):
            problem = "unused bits are not zero (X.690 11.2.1)"
    elif tag == der.NULL:
        if content:
            problem = "NULL with content"
    elif tag == der.OID:
        if not content or content[-1] & 0x80 or content[0] == 0x80 or _OID_PADDING.search(content):
            problem = "malformed or not minimally encoded"
    elif tag == der.UTF8_STRING:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            problem = "not valid UTF-8"
    elif tag == IA5_STRING:
        if not content.isascii():
            problem = "not ASCII"
    elif tag == BMP_STRING:
        if len(content) % 2:
            problem = "odd length"
    elif tag == der.UTC_TIME:
        problem = _time(_UTC_TIME, content, century=True)
    elif tag == der.GENERALIZED_TIME:
        problem = _time(_GENERALIZED_TIME, content, century=False)
    return f"{der.tag_name(tag)} at offset {offset}: {problem}" if problem else ""


def _time(pattern: "re.Pattern[bytes]", content: bytes, *, century: bool) -> str:
    """What is wrong with a UTCTime or GeneralizedTime's content ("" if nothing)."""
    match = pattern.fullmatch(content)
    if not match:
        form = "YYMMDDHHMMSSZ" if century else "YYYYMMDDHHMMSSZ"
        return f"{content[:32]!r} is not {form} (RFC 5280 4.1.2.5)"
    year, month, day, hour, minute, second = map(int, match.groups())
    if century:
        year += 1900 if year >= 50 else 2000
    try:
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return f"{content.decode('ascii')} is not a valid date and time"
    return ""
