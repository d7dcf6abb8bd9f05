"""Strict reading of X.509 certificates (RFC 5280 section 4.1) with the project's DER reader.

Every certificate the verifier loads (bundle leaf and chain, trusted-root CAs and TSAs, cosign's
files) comes through :func:`load` (from ``model.load_certificate``), so what a certificate *is* never depends on which
``cryptography`` runs underneath: 3.4.8 reads certificates through OpenSSL, which accepts BER
(indefinite and non-minimal lengths, constructed strings, explicit DEFAULT values) and trailing
bytes and re-encodes them, while 35 and later refuse them. Here, on every version:

1. :func:`check` reads the whole certificate with ``_der`` (minimal definite lengths, no trailing
   bytes) and checks what DER fixes beyond the lengths (X.690 section 10/11): primitive encodings
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
2. :func:`load` then parses with ``cryptography`` and requires that its TBSCertificate and its
   whole encoding are the input's bytes: whatever the library decoded, it decoded from exactly
   the bytes the signatures cover and the transparency log holds.

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
from typing import TYPE_CHECKING, List, NamedTuple, Tuple

from . import _der as der
from ._der import DERError, Element

if TYPE_CHECKING:
    from cryptography import x509

ENUMERATED = 0x0A
IA5_STRING = 0x16
BMP_STRING = 0x1E

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
_OID_PADDING = re.compile(rb"(?:^|[\x00-\x7f])\x80")
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


class Extension(NamedTuple):
    oid: str
    critical: bool
    value: bytes  # the contents of extnValue
    start: int  # where the Extension element sits in the certificate
    end: int


class Layout(NamedTuple):
    """Where things are in a certificate that :func:`check` accepted."""

    data: bytes
    tbs_fields: Tuple[Element, ...]  # TBSCertificate's fields, in order
    tbs_start: int
    tbs_end: int
    spki: bytes  # subjectPublicKeyInfo exactly as encoded
    extensions: Tuple[Extension, ...]

    @property
    def tbs(self) -> bytes:
        return self.data[self.tbs_start : self.tbs_end]


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


def load(data: bytes, what: str = "") -> x509.Certificate:
    """:func:`check`, then ``cryptography``'s certificate, which must read exactly these bytes."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    layout = check(data, what)
    data = layout.data
    cert = x509.load_der_x509_certificate(data)
    if cert.tbs_certificate_bytes != layout.tbs or cert.public_bytes(Encoding.DER) != data:
        raise DERError(f"{what + ': ' if what else ''}cryptography re-encodes it (not canonical DER)")
    return cert


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
        element = der.parse(data, what="SubjectPublicKeyInfo")
        items = element.expect(der.SEQUENCE, "public key").children()
        if items and items[0].tag == der.INTEGER:  # RSAPublicKey ::= SEQUENCE { modulus, publicExponent }
            _universal_rules(element)
            for item in _exactly(element, 2, "RSAPublicKey"):
                item.expect(der.INTEGER, "RSAPublicKey")
            return bytes(data)
        fields = der.Cursor(element, "SubjectPublicKeyInfo")
        oid = _algorithm(fields.take(der.SEQUENCE, "algorithm"), "SubjectPublicKeyInfo.algorithm")
        key = fields.take(der.BIT_STRING, "subjectPublicKey")
        fields.done()
        _universal_rules(element)
        if oid == _RSA_KEY:
            _integers(key, 2, "RSA public key")
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


def _check(data: bytes) -> Layout:
    top = der.parse(data, what="Certificate")
    data = bytes(data)
    certificate = der.Cursor(top, "Certificate")
    tbs_element = certificate.take(der.SEQUENCE, "tbsCertificate")
    outer_algorithm = certificate.take(der.SEQUENCE, "signatureAlgorithm")
    signature_value = certificate.take(der.BIT_STRING, "signatureValue")
    certificate.done()

    tbs = der.Cursor(tbs_element, "TBSCertificate")
    version_element = tbs.maybe(der.context(0))
    if version_element is not None:
        (version,) = _exactly(version_element, 1, "TBSCertificate.version")
        number = der.integer(version, "TBSCertificate.version")
        if number == 0:
            raise DERError("TBSCertificate.version: v1 is the DEFAULT and must be omitted")
        if number not in (1, 2):
            raise DERError(f"TBSCertificate.version: unknown version {number}")
    serial = tbs.take(der.INTEGER, "serialNumber")
    if der.integer(serial, "TBSCertificate.serialNumber") <= 0:
        # RFC 5280 4.1.2.2; cryptography 36 to 41 refuse a negative one, 42 and later zero too.
        raise DERError("TBSCertificate.serialNumber is not a positive integer (RFC 5280 4.1.2.2)")
    inner_algorithm = tbs.take(der.SEQUENCE, "signature")
    if inner_algorithm.raw != outer_algorithm.raw:
        raise DERError("signatureAlgorithm differs from TBSCertificate.signature (RFC 5280 4.1.1.2)")
    signature_oid = _algorithm(inner_algorithm, "TBSCertificate.signature")
    _name(tbs.take(der.SEQUENCE, "issuer"), "issuer")
    validity = der.Cursor(tbs.take(der.SEQUENCE, "validity"), "Validity")
    for field in ("notBefore", "notAfter"):
        moment = validity.take_any(field)
        if moment.tag not in (der.UTC_TIME, der.GENERALIZED_TIME):
            raise DERError(f"Validity.{field}: expected UTCTime or GeneralizedTime, found {der.tag_name(moment.tag)}")
    validity.done()
    _name(tbs.take(der.SEQUENCE, "subject"), "subject")
    spki_element = tbs.take(der.SEQUENCE, "subjectPublicKeyInfo")
    spki = der.Cursor(spki_element, "SubjectPublicKeyInfo")
    key_oid = _algorithm(spki.take(der.SEQUENCE, "algorithm"), "SubjectPublicKeyInfo.algorithm")
    key = spki.take(der.BIT_STRING, "subjectPublicKey")
    spki.done()
    tbs.maybe(der.context(1, constructed=False))  # issuerUniqueID
    tbs.maybe(der.context(2, constructed=False))  # subjectUniqueID
    wrapper = tbs.maybe(der.context(3))
    tbs.done()

    extensions: Tuple[Extension, ...] = ()
    if wrapper is not None:
        if version_element is None or der.integer(version_element.children()[0]) != 2:
            raise DERError("extensions in a certificate that is not v3")
        (sequence,) = _exactly(wrapper, 1, "TBSCertificate.extensions")
        extensions = _extensions(sequence)
    _universal_rules(top)
    # Two BIT STRINGs hold DER themselves: an ECDSA signature (RFC 5758 3.2) and an RSA key (RFC 3279 2.3.1).
    if signature_oid in _ECDSA_SIGNATURES:
        _integers(signature_value, 2, "ECDSA signature")
    if key_oid == _RSA_KEY:
        _integers(key, 2, "RSA public key")
    return Layout(
        data=data,
        tbs_fields=tuple(tbs.fields),
        tbs_start=tbs_element.start,
        tbs_end=tbs_element.end,
        spki=spki_element.raw,
        extensions=extensions,
    )


def _exactly(element: Element, count: int, what: str) -> List[Element]:
    items = element.children()
    if len(items) != count:
        raise DERError(f"{what}: {len(items)} elements, expected {count}")
    return items


def _algorithm(element: Element, what: str) -> str:
    fields = der.Cursor(element, what)
    oid = der.oid(fields.take(der.OID, "algorithm"), f"{what}.algorithm")
    if len(fields.fields) > 1:
        fields.take_any("parameters")  # ANY DEFINED BY algorithm
    fields.done()
    return oid


def _integers(bit_string: Element, count: int, what: str) -> None:
    """A BIT STRING without unused bits whose content is a DER SEQUENCE of ``count`` INTEGERs."""
    content = bit_string.content
    try:
        if content[:1] != b"\x00":
            raise DERError("unused bits in the BIT STRING")
        sequence = der.parse(content[1:], what="SEQUENCE")
        _universal_rules(sequence)
        for item in _exactly(sequence.expect(der.SEQUENCE, "SEQUENCE"), count, "SEQUENCE"):
            item.expect(der.INTEGER, "field")
    except DERError as exc:
        raise DERError(f"{what}: {exc}") from None


def _name(element: Element, what: str) -> None:
    """Name ::= SEQUENCE OF RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue."""
    for rdn in element.children():
        rdn.expect(der.SET, f"{what}: RelativeDistinguishedName")
        pairs = rdn.children()
        if not pairs:
            raise DERError(f"{what}: empty RelativeDistinguishedName")
        _set_of_order(pairs, what)
        for pair in pairs:
            fields = der.Cursor(pair, f"{what}: AttributeTypeAndValue")
            fields.take(der.OID, "type")
            fields.take_any("value")
            fields.done()


def _set_of_order(items: List[Element], what: str) -> None:
    encodings = [item.raw for item in items]
    if encodings != sorted(encodings):
        raise DERError(f"{what}: SET OF elements out of order (X.690 11.6)")


def _extensions(sequence: Element) -> Tuple[Extension, ...]:
    sequence.expect(der.SEQUENCE, "Extensions")
    items = sequence.children()
    if not items:
        raise DERError("Extensions: empty (RFC 5280: SIZE (1..MAX))")
    result = []
    seen = set()
    for item in items:
        fields = der.Cursor(item, "Extension")
        oid = der.oid(fields.take(der.OID, "extnID"), "Extension.extnID")
        critical_element = fields.maybe(der.BOOLEAN)
        critical = False
        if critical_element is not None:
            critical = der.boolean(critical_element, f"extension {oid}: critical")
            if not critical:
                raise DERError(f"extension {oid}: critical FALSE is the DEFAULT and must be omitted")
        value = der.octet_string(fields.take(der.OCTET_STRING, "extnValue"), f"extension {oid}")
        fields.done()
        if oid in seen:
            raise DERError(f"extension {oid} appears more than once (RFC 5280 4.2)")
        seen.add(oid)
        if _value_is_der(oid):
            _extension_value(oid, value)
        result.append(Extension(oid, critical, value, item.start, item.end))
    return tuple(result)


def _value_is_der(oid: str) -> bool:
    if oid.startswith(("2.5.29.", "1.3.6.1.5.5.7.1.")) or oid == SCT_LIST_OID:
        return True
    if oid.startswith(_FULCIO_ARC):
        tail = oid[len(_FULCIO_ARC) :]
        return tail.isdigit() and int(tail) >= _FULCIO_FIRST_DER
    return False


def _extension_value(oid: str, value: bytes) -> None:
    what = f"extension {oid}"
    try:
        element = der.parse(value, what=what)
        _universal_rules(element)
        if oid == SCT_LIST_OID:
            for sct in parse_sct_list(value):
                if sct.timestamp > _MAX_MILLIS:
                    raise DERError(f"SCT timestamp {sct.timestamp} ms is past the year 9999")
        elif oid in (_SUBJECT_ALT_NAME, _ISSUER_ALT_NAME):
            _general_names(element, "GeneralNames")
        elif oid == _BASIC_CONSTRAINTS:
            items = element.expect(der.SEQUENCE, what).children()
            if items and items[0].tag == der.BOOLEAN and not der.boolean(items[0]):
                raise DERError("cA FALSE is the DEFAULT and must be omitted")
        elif oid == _KEY_USAGE:
            content = element.expect(der.BIT_STRING, what).content
            if len(content) > 1 and not (content[-1] >> content[0]) & 1:
                raise DERError("KeyUsage has trailing zero bits (X.690 11.2.2)")
        elif oid == _AUTHORITY_KEY_ID:
            for item in element.expect(der.SEQUENCE, what).children():
                if item.tag not in (0x80, 0xA1, 0x82):
                    raise DERError(f"unexpected {der.tag_name(item.tag)} in AuthorityKeyIdentifier")
                if item.tag == 0xA1:
                    _general_names(item, "authorityCertIssuer")
    except DERError as exc:
        raise DERError(f"{what}: {exc}") from None


def _general_names(element: Element, what: str) -> None:
    items = element.children()
    if not items:
        raise DERError(f"{what}: empty GeneralNames")
    for item in items:
        if item.tag not in _GENERAL_NAME_TAGS:
            raise DERError(f"{what}: {der.tag_name(item.tag)} is not a GeneralName in its DER form")
        if item.tag in _IA5_GENERAL_NAMES and any(octet >= 0x80 for octet in item.content):
            raise DERError(f"{what}: {_GENERAL_NAME_TAGS[item.tag]} is not IA5String (ASCII)")
        if item.tag == 0xA0:
            fields = der.Cursor(item, f"{what}: otherName", tag=None)
            fields.take(der.OID, "type-id")
            _exactly(fields.take(der.context(0), "value"), 1, f"{what}: otherName.value")
            fields.done()
        elif item.tag == 0xA4:
            (name,) = _exactly(item, 1, f"{what}: directoryName")
            _name(name.expect(der.SEQUENCE, f"{what}: directoryName"), f"{what}: directoryName")


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
    """The SCTs in an SCT-list extension's value (the DER OCTET STRING around the TLS list)."""
    listing = _Reader(der.octet_string(der.parse(value, what="SCT list"), "SCT list"), "SCT list")
    body = _Reader(listing.vector("sct_list"), "SCT list")
    listing.done()
    if not body.data:
        raise DERError("SCT list: empty (RFC 6962: <1..2^16-1>)")
    scts = []
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


# --- X.690's rules for every element ---------------------------------------------------------


def _universal_rules(top: Element) -> None:
    """Walk every element below ``top``; check the DER form of each universal type."""
    stack = [top]
    while stack:
        element = stack.pop()
        tag = element.tag
        if tag >> 6 == 0:  # UNIVERSAL
            number = tag & 0x1F
            if number in (0x10, 0x11):
                if not element.constructed:
                    raise DERError(f"primitive encoding of {der.tag_name(tag | 0x20)} at offset {element.start}")
            elif element.constructed:
                raise DERError(f"constructed encoding of universal type {number} at offset {element.start} (X.690 10.2)")
            else:
                _primitive(element)
        if element.constructed:
            stack.extend(element.children())


def _primitive(element: Element) -> None:
    tag = element.tag
    content = element.content
    problem = ""
    if tag == 0x00:
        raise DERError(f"end-of-contents octets at offset {element.start} (not DER)")
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
        if not content or content[-1] & 0x80 or _OID_PADDING.search(content):
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
    if problem:
        raise DERError(f"{der.tag_name(tag)} at offset {element.start}: {problem}")


def _time(pattern: "re.Pattern[bytes]", content: bytes, *, century: bool) -> str:
    """What is wrong with a UTCTime or GeneralizedTime's content ("" if nothing)."""
    match = pattern.fullmatch(content)
    if not match:
        form = "YYMMDDHHMMSSZ" if century else "YYYYMMDDHHMMSSZ"
        return f"{content[:32]!r} is not {form} (RFC 5280 4.1.2.5)"
    year, month, day, hour, minute, second = (int(g) for g in match.groups())
    if century:
        year += 1900 if year >= 50 else 2000
    try:
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return f"{content.decode('ascii')} is not a valid date and time"
    return ""
