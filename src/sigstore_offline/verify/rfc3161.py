# SPDX-License-Identifier: Apache-2.0
"""Step 3 (verified times): RFC 3161 time-stamp tokens against the trusted timestamp authorities.

Implements, with :mod:`sigstore_offline._der`:

* RFC 3161 section 2.4.2: ``TimeStampResp`` (the shape Sigstore bundles carry in
  ``signedTimestamp``; sigstore-go and sigstore-python accept nothing else), ``PKIStatusInfo``
  (granted only, as both clients require), ``TSTInfo`` (version 1, ``messageImprint`` = H(signature) with
  SHA-256/384/512, ``genTime``); section 2.3: the TSA certificate's critical, sole
  id-kp-timeStamping EKU.
* RFC 5652 sections 3, 5.1-5.4: ``ContentInfo``/``SignedData`` with eContentType id-ct-TSTInfo,
  exactly one ``SignerInfo``, its ``sid``, signed attributes signed as a DER ``SET OF``;
  sections 11.1/11.2: contentType and messageDigest attributes.
* RFC 2634 section 5.4 / RFC 5035 section 3: ESS signingCertificate(V2), when present.

The signer key is always the TSA leaf from the trusted root (``authority.chain[0]``);
certificates embedded in the token are never trusted: each must be byte-identical to one of the
authority's trusted certificates (so no unsigned byte of a token can change without failing),
and CRLs are refused.

Parse, then compare: :func:`parse_timestamp` reads the DER into a :class:`TimestampToken` and
raises only :class:`InputError` (a grammar error: malformed input, exit 4); the checks then read
its typed fields and raise only :class:`VerificationError` (exit 1): a value that parses but is not
the one required (a status other than granted, a version, a content type, an algorithm, a digest,
an attribute missing or given twice, a signature or certificate) -- both at step "timestamp".
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple, TypeVar

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from .. import _certificate
from .. import _der as der
from .. import hints
from .._encoding import utc
from ..errors import InputError, Step, VerificationError
from ..trust.trusted_root import Authority
from .certchain import TIME_STAMPING, verify_chain, verify_signature

__all__ = [
    "STEP", "SIGNED_DATA", "TST_INFO", "ATTR_CONTENT_TYPE", "ATTR_MESSAGE_DIGEST", "ATTR_SIGNING_CERTIFICATE",
    "ATTR_SIGNING_CERTIFICATE_V2", "VerifiedTimestamp", "EssCertId", "SignedAttributes", "SignerInfo", "TstInfo",
    "SignedData", "TimestampToken", "parse_timestamp", "verify_timestamp", "UNLISTED_TSA_HINT",
]

STEP = Step.TIMESTAMP
SIGNED_DATA = "1.2.840.113549.1.7.2"
TST_INFO = "1.2.840.113549.1.9.16.1.4"
ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3"
ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
ATTR_SIGNING_CERTIFICATE = "1.2.840.113549.1.9.16.2.12"
ATTR_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47"
_HASHES = {
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
_HASH_CLASSES: Dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512
}
# signatureAlgorithm -> (key kind, hash name; None = the SignerInfo digestAlgorithm; "" = no hash)
_SIGNATURES: Dict[str, Tuple[type, Optional[str]]] = {
    "1.2.840.10045.4.3.2": (ec.EllipticCurvePublicKey, "sha256"),
    "1.2.840.10045.4.3.3": (ec.EllipticCurvePublicKey, "sha384"),
    "1.2.840.10045.4.3.4": (ec.EllipticCurvePublicKey, "sha512"),
    "1.2.840.10045.2.1": (ec.EllipticCurvePublicKey, None),
    "1.2.840.113549.1.1.11": (rsa.RSAPublicKey, "sha256"),
    "1.2.840.113549.1.1.12": (rsa.RSAPublicKey, "sha384"),
    "1.2.840.113549.1.1.13": (rsa.RSAPublicKey, "sha512"),
    "1.2.840.113549.1.1.1": (rsa.RSAPublicKey, None),
    "1.3.101.112": (ed25519.Ed25519PublicKey, ""),
}
_SHA1 = "1.3.14.3.2.26"
_SHA256 = "2.16.840.1.101.3.4.2.1"
_V = TypeVar("_V")
_STATUS = {1: "grantedWithMods", 2: "rejection", 3: "waiting", 4: "revocationWarning", 5: "revocationNotification"}


class VerifiedTimestamp(NamedTuple):
    """A verified RFC 3161 token: its genTime (timezone-aware UTC) and the TSA of the trusted root
    that signed it."""

    time: datetime.datetime  # genTime, timezone-aware UTC
    authority: Authority


# --- parse: the token as typed values (only InputError) ------------------------------------------


class EssCertId(NamedTuple):
    """One ESSCertID (RFC 2634 section 5.4.1) or ESSCertIDv2 (RFC 5035 section 4).

    ``v2`` says which; ``hash_algorithm`` is the hash's OID: id-sha1 for a v1 identifier (always
    SHA-1), SHA-256's where a v2 identifier leaves it out; ``issuers`` are the directoryName
    entries of ``issuerSerial`` (DER Names; empty when it is absent or names none), ``serial``
    its serial number (``None`` when ``issuerSerial`` is absent).
    """

    v2: bool
    hash_algorithm: str
    cert_hash: bytes
    issuers: Tuple[bytes, ...]
    serial: Optional[int]


class SignedAttributes(NamedTuple):
    """A SignerInfo's signed attributes (RFC 5652 section 5.3), read but not yet checked.

    ``der`` is what the signature covers (the attributes as a DER ``SET OF``, RFC 5652 section
    5.4); ``types`` is every attribute's type in order, a repeated type kept (the check rejects
    it); the other fields hold the decoded values of the attributes the check reads, one item per
    value and empty when the attribute is absent: contentType OIDs, messageDigest octets, and
    per SigningCertificate(V2) value its certificate identifiers (never empty).
    """

    der: bytes
    types: Tuple[str, ...]
    content_types: Tuple[str, ...]
    message_digests: Tuple[bytes, ...]
    signing_certificates: Tuple[Tuple[EssCertId, ...], ...]
    signing_certificates_v2: Tuple[Tuple[EssCertId, ...], ...]


class SignerInfo(NamedTuple):
    """A SignerInfo (RFC 5652 section 5.3). ``sid`` is ``("issuer-serial", issuer Name DER,
    serial)`` or ``("ski", key identifier)``; algorithms are OIDs; ``signed_attributes`` is
    ``None`` when the SignerInfo has none (which the check rejects)."""

    version: int
    sid: Tuple[Any, ...]
    digest_algorithm: str
    signed_attributes: Optional[SignedAttributes]
    signature_algorithm: str
    signature: bytes


class TstInfo(NamedTuple):
    """The fields of a TSTInfo (RFC 3161 section 2.4.2) the check reads: ``version``, the
    messageImprint's hash OID and value, and ``gen_time`` (timezone-aware UTC)."""

    version: int
    imprint_algorithm: str
    hashed_message: bytes
    gen_time: datetime.datetime


class SignedData(NamedTuple):
    """A CMS SignedData (RFC 5652 section 5.1). ``digest_algorithms`` are OIDs; ``e_content`` is the
    encapsulated content's octets (what messageDigest hashes); ``tst_info`` is ``None`` when
    ``e_content_type`` is not id-ct-TSTInfo (the content is then not read); ``certificates`` is
    the DER of every embedded certificate (never trusted); ``has_crls`` says whether it carries
    CRLs; ``signer_infos`` may hold any number (the check wants exactly one)."""

    version: int
    digest_algorithms: Tuple[str, ...]
    e_content_type: str
    e_content: bytes
    tst_info: Optional[TstInfo]
    certificates: Tuple[bytes, ...]
    has_crls: bool
    signer_infos: Tuple[SignerInfo, ...]


class TimestampToken(NamedTuple):
    """A parsed ``TimeStampResp`` (RFC 3161 section 2.4.2).

    ``status`` is the PKIStatus (0 = granted). ``content_type`` is the token's ContentInfo type;
    ``""`` only in a response that is not granted and carries no token. ``signed_data`` is
    ``None`` when there is no token or its content type is not SignedData (then not read).
    """

    status: int
    content_type: str
    signed_data: Optional[SignedData]


class _CertId(NamedTuple):
    """An ESS certificate identifier, checked: the hash's name, H(certificate), issuer names and serial."""

    hash_name: str
    cert_hash: bytes
    issuers: Tuple[bytes, ...]  # directoryName entries of issuerSerial, if present
    serial: Optional[int]


class _Token(NamedTuple):
    """A token whose content passed every check that needs no authority."""

    gen_time: datetime.datetime
    signed_attrs: bytes  # DER SET OF Attribute, as signed (tag 0x31)
    signature: bytes
    key_kind: type
    signature_hash: Optional[str]
    sid: Tuple[Any, ...]  # ("issuer-serial", issuer DER, serial) or ("ski", key identifier)
    cert_ids: Tuple[_CertId, ...]
    embedded: Tuple[bytes, ...]  # DER of the certificates the token carries


def _fail(message: str) -> VerificationError:
    return VerificationError(message, step=STEP)


def _algorithm(element: der.Element, what: str) -> str:
    """AlgorithmIdentifier: the OID; parameters absent or NULL for the digests we use."""
    fields = der.Cursor(element, what)
    algorithm = der.oid(fields.take(der.OID, "algorithm"))
    parameters = fields.maybe(der.NULL)
    if parameters is not None:
        der.null(parameters)
    fields.done()
    return algorithm


def _cert_ids(value: der.Element, v2: bool) -> Tuple[EssCertId, ...]:
    """SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2), policies OPTIONAL }."""
    name = "SigningCertificateV2" if v2 else "SigningCertificate"
    fields = der.Cursor(value, name)
    certs = fields.take(der.SEQUENCE, "certs")
    fields.maybe(der.SEQUENCE)
    fields.done()
    result = []
    for item in certs.children():
        cert_id = der.Cursor(item, "ESSCertID")
        hash_algorithm = _SHA1
        if v2:
            algorithm = cert_id.maybe(der.SEQUENCE)
            hash_algorithm = _SHA256 if algorithm is None else _algorithm(algorithm, "ESSCertIDv2.hashAlgorithm")
        cert_hash = der.octet_string(cert_id.take(der.OCTET_STRING, "certHash"))
        issuer_serial = cert_id.maybe(der.SEQUENCE)
        cert_id.done()
        issuers: Tuple[bytes, ...] = ()
        serial = None
        if issuer_serial is not None:
            parts = der.Cursor(issuer_serial, "IssuerSerial")
            names = parts.take(der.SEQUENCE, "issuer").children()
            serial = der.integer(parts.take(der.INTEGER, "serialNumber"))
            parts.done()
            issuers = tuple(_directory_name(n) for n in names if n.tag == der.context(4))
        result.append(EssCertId(v2, hash_algorithm, cert_hash, issuers, serial))
    if not result:
        raise der.DERError(f"{name}: no certificate identifiers")
    return tuple(result)


def _directory_name(element: der.Element) -> bytes:
    (name,) = _exactly_one(element, "GeneralName.directoryName")
    return name.expect(der.SEQUENCE, "directoryName").raw


def _signed_attributes(element: der.Element) -> SignedAttributes:
    types: List[str] = []
    content_types: List[str] = []
    message_digests: List[bytes] = []
    signing: Dict[bool, List[Tuple[EssCertId, ...]]] = {False: [], True: []}
    for attribute in element.children():
        fields = der.Cursor(attribute, "Attribute")
        attr_type = der.oid(fields.take(der.OID, "attrType"))
        values = fields.take(der.SET, "attrValues").children()
        fields.done()
        if not values:
            raise der.DERError(f"signed attribute {attr_type} has no values")
        types.append(attr_type)
        if attr_type == ATTR_CONTENT_TYPE:
            content_types += [der.oid(value, "contentType attribute") for value in values]
        elif attr_type == ATTR_MESSAGE_DIGEST:
            message_digests += [der.octet_string(value, "messageDigest") for value in values]
        elif attr_type in (ATTR_SIGNING_CERTIFICATE, ATTR_SIGNING_CERTIFICATE_V2):
            v2 = attr_type == ATTR_SIGNING_CERTIFICATE_V2
            signing[v2] += [_cert_ids(value, v2) for value in values]
    signed = bytes([der.SET]) + element.raw[1:]  # RFC 5652 5.4: signed as SET OF, not [0]
    return SignedAttributes(signed, tuple(types), tuple(content_types), tuple(message_digests),
                            tuple(signing[False]), tuple(signing[True]))


def _signer_info(element: der.Element) -> SignerInfo:
    signer = der.Cursor(element, "SignerInfo")
    version = der.integer(signer.take(der.INTEGER, "version"))
    issuer_serial = signer.maybe(der.SEQUENCE)
    sid: Tuple[Any, ...]
    if issuer_serial is not None:
        parts = der.Cursor(issuer_serial, "IssuerAndSerialNumber")
        issuer = parts.take(der.SEQUENCE, "issuer").raw
        sid = ("issuer-serial", issuer, der.integer(parts.take(der.INTEGER, "serialNumber")))
        parts.done()
    else:
        sid = ("ski", signer.take(der.context(0, constructed=False), "sid").content)
    digest_algorithm = _algorithm(signer.take(der.SEQUENCE, "digestAlgorithm"), "SignerInfo.digestAlgorithm")
    attrs_element = signer.maybe(der.context(0))
    signature_algorithm = _algorithm(signer.take(der.SEQUENCE, "signatureAlgorithm"), "SignerInfo.signatureAlgorithm")
    signature_value = der.octet_string(signer.take(der.OCTET_STRING, "signature"))
    signer.maybe(der.context(1))  # unsignedAttrs
    signer.done()
    attributes = _signed_attributes(attrs_element) if attrs_element is not None else None
    return SignerInfo(version, sid, digest_algorithm, attributes, signature_algorithm, signature_value)


def _tst_info(e_content: bytes) -> TstInfo:
    tst_info = der.Cursor(der.parse(e_content, what="TSTInfo"), "TSTInfo")
    version = der.integer(tst_info.take(der.INTEGER, "version"))
    der.oid(tst_info.take(der.OID, "policy"))
    imprint = der.Cursor(tst_info.take(der.SEQUENCE, "messageImprint"), "MessageImprint")
    imprint_algorithm = _algorithm(imprint.take(der.SEQUENCE, "hashAlgorithm"), "messageImprint.hashAlgorithm")
    hashed_message = der.octet_string(imprint.take(der.OCTET_STRING, "hashedMessage"))
    imprint.done()
    der.integer(tst_info.take(der.INTEGER, "serialNumber"))
    gen_time = der.generalized_time(tst_info.take(der.GENERALIZED_TIME, "genTime"), "TSTInfo.genTime")
    tst_info.maybe(der.SEQUENCE)  # accuracy
    ordering = tst_info.maybe(der.BOOLEAN)
    if ordering is not None:
        der.boolean(ordering)
    nonce = tst_info.maybe(der.INTEGER)
    if nonce is not None:
        der.integer(nonce)
    tst_info.maybe(der.context(0))  # tsa GeneralName
    tst_info.maybe(der.context(1))  # extensions
    tst_info.done()
    return TstInfo(version, imprint_algorithm, hashed_message, gen_time)


def _signed_data(element: der.Element) -> SignedData:
    signed_data = der.Cursor(element, "SignedData")
    version = der.integer(signed_data.take(der.INTEGER, "version"))
    digest_set = signed_data.take(der.SET, "digestAlgorithms")
    listed_digests = tuple(_algorithm(item, "SignedData.digestAlgorithms") for item in digest_set.children())
    encap = der.Cursor(signed_data.take(der.SEQUENCE, "encapContentInfo"), "EncapsulatedContentInfo")
    e_content_type = der.oid(encap.take(der.OID, "eContentType"))
    (e_content_element,) = _exactly_one(encap.take(der.context(0), "eContent"), "eContent")
    encap.done()
    e_content = der.octet_string(e_content_element, "eContent")
    certificates = signed_data.maybe(der.context(0))  # never trusted; compared with the trusted chain
    embedded = tuple(c.expect(der.SEQUENCE, "certificate").raw for c in certificates.children()) if certificates else ()
    has_crls = signed_data.maybe(der.context(1)) is not None
    signer_infos = tuple(_signer_info(item) for item in signed_data.take(der.SET, "signerInfos").children())
    signed_data.done()
    tst_info = _tst_info(e_content) if e_content_type == TST_INFO else None
    return SignedData(version, listed_digests, e_content_type, e_content, tst_info, embedded, has_crls, signer_infos)


def parse_timestamp(token: bytes) -> TimestampToken:
    """Read an RFC 3161 ``TimeStampResp`` (DER) into typed values, checking its grammar only.

    Raises:
        InputError: ``Step.TIMESTAMP``: the bytes are not DER, or not a ``TimeStampResp`` of the
            shape RFC 3161 / RFC 5652 give (a granted response always carries its token).
    """
    try:
        response = der.Cursor(der.parse(token, what="TimeStampResp"), "TimeStampResp")
        status_info = der.Cursor(response.take(der.SEQUENCE, "status"), "PKIStatusInfo")
        status = der.integer(status_info.take(der.INTEGER, "status"), "PKIStatusInfo.status")
        status_info.maybe(der.SEQUENCE)  # statusString
        status_info.maybe(der.BIT_STRING)  # failInfo
        status_info.done()
        if status != 0 and len(response.fields) == 1:  # a refusal need not carry a token
            return TimestampToken(status, "", None)
        content_info = der.Cursor(response.take(der.SEQUENCE, "timeStampToken"), "ContentInfo")
        response.done()
        content_type = der.oid(content_info.take(der.OID, "contentType"))
        wrapper = content_info.take(der.context(0), "content")
        content_info.done()
        if content_type != SIGNED_DATA:
            return TimestampToken(status, content_type, None)
        (signed_data_element,) = _exactly_one(wrapper, "ContentInfo.content")
        return TimestampToken(status, content_type, _signed_data(signed_data_element))
    except der.DERError as exc:
        raise InputError(f"malformed RFC 3161 timestamp: {exc}", step=STEP) from None


# --- check: the token's own content, before any authority (only VerificationError) ---------------


def _digest(algorithm: str, what: str) -> str:
    if algorithm not in _HASHES:
        raise _fail(f"{what}: unsupported hash algorithm {algorithm}, expected SHA-256, SHA-384 or SHA-512")
    return _HASHES[algorithm]


def _single(values: Sequence[_V], name: str) -> _V:
    if len(values) != 1:
        raise _fail(f"signed attribute {name} has {len(values)} values, expected exactly one")
    return values[0]


def _checked_cert_id(ids: Tuple[EssCertId, ...]) -> _CertId:
    """The first identifier names the signer's certificate (RFC 2634 5.4, RFC 5035 3); every
    identifier's hash must be one we use."""
    names = [_digest(i.hash_algorithm, "ESSCertIDv2.hashAlgorithm") if i.v2 else "sha1" for i in ids]
    first = ids[0]
    return _CertId(names[0], first.cert_hash, first.issuers, first.serial)


def _check_content(parsed: TimestampToken, signature: bytes) -> _Token:
    """Every check on the token that needs no authority, in the order RFC 3161 and RFC 5652 read."""
    if parsed.status != 0:
        raise _fail(f"the TSA response status is {_STATUS.get(parsed.status, parsed.status)}, expected granted (0)")
    signed_data = parsed.signed_data
    if signed_data is None:
        raise _fail(f"the token's content type is {parsed.content_type}, expected CMS SignedData ({SIGNED_DATA})")
    if signed_data.version != 3:
        raise _fail(f"SignedData version is {signed_data.version}, expected 3 (RFC 5652 section 5.1)")
    tst_info = signed_data.tst_info
    if tst_info is None:
        raise _fail(f"the signed content type is {signed_data.e_content_type}, expected id-ct-TSTInfo ({TST_INFO})")
    if signed_data.has_crls:
        raise _fail("the token carries CRLs (RFC 5652 crls), which a Sigstore timestamp never does")
    if len(signed_data.signer_infos) != 1:
        raise _fail(f"the token has {len(signed_data.signer_infos)} SignerInfos, expected exactly one")
    (signer,) = signed_data.signer_infos
    expected_version = 1 if signer.sid[0] == "issuer-serial" else 3
    if signer.version != expected_version:
        raise _fail(f"SignerInfo version is {signer.version}, expected {expected_version} for its sid (RFC 5652 5.3)")
    if tst_info.version != 1:
        raise _fail(f"TSTInfo version is {tst_info.version}, expected 1")
    digest_name = _digest(signer.digest_algorithm, "SignerInfo.digestAlgorithm")
    if signer.digest_algorithm not in signed_data.digest_algorithms:
        raise _fail(f"SignedData.digestAlgorithms does not list the signer's digest algorithm {digest_name}")
    imprint_hash = _digest(tst_info.imprint_algorithm, "messageImprint.hashAlgorithm")
    expected_imprint = hashlib.new(imprint_hash, signature).digest()
    if tst_info.hashed_message != expected_imprint:
        raise _fail(
            f"the message imprint is {tst_info.hashed_message.hex()[:16]}…, expected {imprint_hash} of the bundle"
            f" signature {expected_imprint.hex()[:16]}… (the timestamp is for another signature)"
        )
    attributes = signer.signed_attributes
    if attributes is None:
        raise _fail("the SignerInfo has no signed attributes (RFC 3161 requires them)")
    seen: Set[str] = set()
    for attr_type in attributes.types:
        if attr_type in seen:
            raise _fail(f"signed attribute {attr_type} appears twice")
        seen.add(attr_type)
    if ATTR_CONTENT_TYPE not in seen:
        raise _fail("the signed attributes lack contentType")
    attr_content_type = _single(attributes.content_types, "contentType")
    if attr_content_type != TST_INFO:
        raise _fail(f"the contentType attribute is {attr_content_type}, expected id-ct-TSTInfo ({TST_INFO})")
    if ATTR_MESSAGE_DIGEST not in seen:
        raise _fail("the signed attributes lack messageDigest")
    message_digest = _single(attributes.message_digests, "messageDigest")
    if message_digest != hashlib.new(digest_name, signed_data.e_content).digest():
        raise _fail(f"the messageDigest attribute does not match the {digest_name} of the TSTInfo")
    cert_ids: Tuple[_CertId, ...] = ()
    for attr_oid, values in ((ATTR_SIGNING_CERTIFICATE, attributes.signing_certificates),
                             (ATTR_SIGNING_CERTIFICATE_V2, attributes.signing_certificates_v2)):
        if attr_oid in seen:
            cert_ids += (_checked_cert_id(_single(values, "signingCertificate")),)
    if signer.signature_algorithm not in _SIGNATURES:
        raise _fail(f"unsupported signature algorithm {signer.signature_algorithm}")
    key_kind, signature_hash = _SIGNATURES[signer.signature_algorithm]
    if signature_hash is None:
        signature_hash = digest_name
    return _Token(tst_info.gen_time, attributes.der, signer.signature, key_kind, signature_hash, signer.sid, cert_ids,
                  signed_data.certificates)


def _exactly_one(element: der.Element, what: str) -> List[der.Element]:
    items = element.children()
    if len(items) != 1:
        raise der.DERError(f"{what}: expected one element inside, found {len(items)}")
    return items


def _issuer_der(cert: _certificate.Certificate) -> bytes:
    """The issuer Name exactly as encoded in the certificate (TBSCertificate field 4)."""
    return cert.issuer


def _key_identifier(cert: _certificate.Certificate) -> bytes:
    return cert.key_identifier()


def _check_authority(token: _Token, authority: Authority) -> Tuple[int, str]:
    """(stage reached, problem); stage 7 and no problem means verified."""
    try:
        return _check_certificate(token, authority)
    except (ValueError, UnsupportedAlgorithm) as exc:  # an unusable certificate in the trusted root
        return 1, f"its certificate cannot be used ({exc})"


def _check_certificate(token: _Token, authority: Authority) -> Tuple[int, str]:
    """The checks in order; a trusted-root entry with one certificate fails in ``verify_chain``."""
    leaf = authority.chain[0]
    key = leaf.public_key()
    if not isinstance(key, token.key_kind):
        return 1, "its key type does not match the signature algorithm"
    hash_class = _HASH_CLASSES[token.signature_hash]() if token.signature_hash else None
    if not verify_signature(key, token.signature, token.signed_attrs, hash_class):
        return 1, "the signature does not verify with its key"
    issuer = _issuer_der(leaf)
    if token.sid[0] == "issuer-serial":
        if token.sid[1] != issuer or token.sid[2] != leaf.serial_number:
            return 2, f"the SignerInfo names another certificate (serial {token.sid[2]:x}, not {leaf.serial_number:x})"
    elif token.sid[1] != _key_identifier(leaf):
        return 2, f"the SignerInfo names key identifier {token.sid[1].hex()}, not {_key_identifier(leaf).hex()}"
    for cert_id in token.cert_ids:
        leaf_der = leaf.der
        if cert_id.cert_hash != hashlib.new(cert_id.hash_name, leaf_der).digest():
            return 3, "the ESS signingCertificate attribute names another certificate (hash mismatch)"
        if cert_id.serial is not None and (cert_id.serial != leaf.serial_number or issuer not in cert_id.issuers):
            return 3, "the ESS signingCertificate attribute names another issuer or serial number"
    trusted = {cert.der for cert in authority.chain}
    if any(cert not in trusted for cert in token.embedded):
        return 3, "the token embeds a certificate that is not in its trusted chain"
    usages = leaf.extended_key_usage
    if usages != (TIME_STAMPING,) or _certificate.EXTENDED_KEY_USAGE not in leaf.critical:
        return 4, "its certificate's extended key usage is not a critical, sole id-kp-timeStamping (RFC 3161 2.3)"
    try:
        verify_chain(leaf, authority.chain[1:], token.gen_time, purpose=TIME_STAMPING, step=STEP)
    except VerificationError as exc:
        return 5, f"its chain does not verify at genTime {utc(token.gen_time)}: {exc.message}"
    if not authority.valid_for.contains(token.gen_time):
        window = authority.valid_for.describe()
        return 6, f"genTime {utc(token.gen_time)} is outside its validity window {window} in the trusted root"
    return 7, ""


def _name(authority: Authority) -> str:
    return authority.uri or authority.subject or authority.chain[0].describe()


def verify_timestamp(token: bytes, *, signature: bytes, authorities: Sequence[Authority]) -> VerifiedTimestamp:
    """Verify an RFC 3161 ``TimeStampResp`` over ``signature``; return genTime and the TSA that signed it.

    Parses it (:func:`parse_timestamp`), checks its content, then tries each authority.

    Raises:
        InputError: ``Step.TIMESTAMP``: the token is malformed (see :func:`parse_timestamp`).
        VerificationError: ``Step.TIMESTAMP``: no authority of ``authorities`` verifies it (the
            message says how far the closest one got).
    """
    parsed = _check_content(parse_timestamp(token), signature)
    best: Tuple[int, str] = (-1, "")
    for authority in authorities:
        stage, problem = _check_authority(parsed, authority)
        if stage == 7:
            return VerifiedTimestamp(parsed.gen_time, authority)
        if stage > best[0]:
            best = (stage, f"signed by {_name(authority)}, but {problem}")
    if best[0] <= 1:
        raise _unlisted(parsed, authorities)
    raise _fail(best[1])


UNLISTED_TSA_HINT = hints.UNLISTED_TSA
_NAME_LABELS = {"2.5.4.3": "CN", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST",
               "1.2.840.113549.1.9.1": "emailAddress"}


def _unlisted(parsed: _Token, authorities: Sequence[Authority]) -> VerificationError:
    """No listed TSA's key verifies the token: say that its signer is not in the trusted root,
    who the token says its signer is, which TSAs are listed, and (in the hint) what to do."""
    listed = ", ".join(_name(a) for a in authorities) or "none"
    named = [a for a in authorities if _names_leaf(parsed.sid, a.chain[0])]
    detail = ""
    if named:
        detail = (f"; the token names the certificate of {_name(named[0])}, but that certificate's key did not make"
                  " the signature (another key under the same name, or a damaged token)")
    return VerificationError(
        f"no trusted timestamp authority signed this timestamp: it is from a TSA the trusted root does not list"
        f" (signer {_describe_sid(parsed.sid)}, genTime {utc(parsed.gen_time)}; the trusted root lists"
        f" {len(authorities)} TSA(s): {listed}){detail}",
        step=STEP,
        hint=UNLISTED_TSA_HINT,
    )


def _names_leaf(sid: Tuple[Any, ...], leaf: _certificate.Certificate) -> bool:
    try:
        if sid[0] == "issuer-serial":
            return bool(sid[1] == _issuer_der(leaf) and sid[2] == leaf.serial_number)
        return bool(sid[1] == _key_identifier(leaf))
    except (ValueError, UnsupportedAlgorithm):
        return False


def _describe_sid(sid: Tuple[Any, ...]) -> str:
    """The SignerInfo's signer identifier for a message (never fails: falls back to hex)."""
    if sid[0] == "ski":
        return f"key identifier {sid[1].hex()[:40]}"
    serial = sid[2]
    serial_text = f"{serial:x}" if abs(serial) < 1 << 160 else f"{serial:x}"[:40] + "…"
    return f"issuer {_describe_name(sid[1])}, serial {serial_text}"


def _describe_name(raw: bytes) -> str:
    parts: List[str] = []
    try:
        for rdn in der.parse(raw, what="Name").children():
            for attribute in rdn.children():
                fields = attribute.children()
                if len(fields) != 2:
                    raise der.DERError("AttributeTypeAndValue")
                label = _NAME_LABELS.get(der.oid(fields[0]), der.oid(fields[0]))
                text = fields[1].content.decode("utf-8", "replace")
                parts.append(f"{label}={text[:64]}")
    except der.DERError:
        return f"(unreadable name {raw.hex()[:40]})"
    shown = ", ".join(parts) or "(empty name)"
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in shown)
