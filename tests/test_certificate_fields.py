# SPDX-License-Identifier: Apache-2.0
"""``_certificate`` against ``cryptography.x509``: the same certificate, the same fields.

The verify path reads certificates with the project's own DER reader (``_x509.check``, then
``_certificate.load``); ``cryptography.x509`` is the reference it is held to here, in every lane
(cryptography 3.4.8, 36, 38 and the newest):

1. every certificate of every corpus (``cert_corpus``): Names (as bytes), serial, validity,
   signature algorithm and value, TBSCertificate, SubjectPublicKeyInfo and key, every
   extension's OID, criticality and value, and the decoded BasicConstraints, KeyUsage,
   ExtendedKeyUsage, SubjectAltName, SubjectKeyIdentifier, key identifier and signature hash;
2. mutated real leaves (hypothesis; cryptography 35 and later, whose parser is strict DER like
   ours): random byte edits, and rebuilt extension values, serial, validity and signature
   algorithm with random but DER-valid content. Whenever both accept, every field agrees. When
   ours accepts and cryptography refuses, the refusal must lie in something the verifier does
   not decide on: a Name's attribute values (cryptography decodes the strings of a Name and
   refuses, say, a PrintableString with a character outside its alphabet; the verifier compares
   Names as bytes and never decodes them), an extension the verifier does not read (the
   authority key identifier, the SCT list's TLS content, ...), a GeneralName choice the
   verifier does not read (x400Address, ediPartyName, an iPAddress neither 4 nor 16 octets
   long), or an OBJECT IDENTIFIER arc of 2**28 or more, which cryptography 36 and 38 cannot
   hold (the newest reads any). Such a refusal is located by rebuilding the certificate without that part, and the
   remaining fields are still compared. A refusal of BasicConstraints, KeyUsage,
   ExtendedKeyUsage, SubjectAltName's rfc822Name/URI/otherName, SubjectKeyIdentifier, the
   validity, the serial number or the signature algorithm fails, printing the bytes. (The fuzz
   found three such cases, which the reader now refuses as cryptography does: see
   ``test_refused_as_cryptography_refuses``);
3. ``_certificate.public_key``: keys built from their parts equal ``load_der_public_key``'s;
   the rest goes to ``load_der_public_key``;
4. every refusal of ``_certificate``'s own decoding, through ``model.load_certificate``.
"""

from __future__ import annotations

import datetime
import ipaddress
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import cryptography
import pytest
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cert_corpus
from helpers import CPYTHON, edit_bytes, need_shared, skip_by_design
from sigstore_offline import _certificate
from sigstore_offline import _der as der
from sigstore_offline.model import load_certificate
from testinstance import der as w

CRYPTOGRAPHY = tuple(int(part) for part in cryptography.__version__.split(".")[:2])
UTC = datetime.timezone.utc

# --- a DER tree, to rebuild real certificates with one thing changed -------------------------

Node = Tuple[int, Union[bytes, List[Any]]]


def tree(data: bytes) -> Node:
    def walk(element: der.Element) -> Node:
        if element.constructed:
            return (element.tag, [walk(child) for child in element.children()])
        return (element.tag, element.content)

    return walk(der.parse(data))


def encode(node: Node) -> bytes:
    tag, body = node
    return der.tlv(tag, body if isinstance(body, bytes) else b"".join(encode(child) for child in body))


def oid_content(dotted: str) -> bytes:
    return der.parse(w.oid(dotted)).content


oid = w.oid


def integer(value: int) -> bytes:
    return der.tlv(der.INTEGER, value.to_bytes((value if value >= 0 else ~value).bit_length() // 8 + 1, "big", signed=True))


def tbs_fields(cert: Node) -> List[Node]:
    return cert[1][0][1]  # type: ignore[index,return-value]


def tbs_index(cert: Node, name: str) -> int:
    first = 1 if tbs_fields(cert)[0][0] == der.context(0) else 0
    return first + ["serial", "signature", "issuer", "validity", "subject", "spki"].index(name)


def extension_list(cert: Node) -> List[Node]:
    wrapper = tbs_fields(cert)[-1]
    assert wrapper[0] == der.context(3)
    return wrapper[1][0][1]  # type: ignore[index,return-value]


def put_extension(cert: Node, dotted: str, value: bytes, critical: Optional[bool] = None) -> None:
    """Set extension ``dotted`` to ``value`` (replacing it in place, or appending it); ``critical``
    None keeps the old flag (FALSE for a new one)."""
    items = extension_list(cert)
    for index, item in enumerate(items):
        fields = item[1]
        if fields[0] == (der.OID, oid_content(dotted)):  # type: ignore[index]
            if critical is None:
                critical = len(fields) == 3  # type: ignore[arg-type]
            break
    else:
        index = len(items)
        items.append((der.SEQUENCE, []))
    flag = [(der.BOOLEAN, b"\xff")] if critical else []
    items[index] = (der.SEQUENCE, [(der.OID, oid_content(dotted)), *flag, (der.OCTET_STRING, value)])


def keep_extensions(data: bytes, keep: Callable[[str], bool]) -> bytes:
    """``data`` with only the extensions whose OID ``keep`` says (the certificate stays v3: an
    empty list gets a harmless unrecognised extension instead)."""
    cert = tree(data)
    items = extension_list(cert)
    items[:] = [item for item in items if keep(der.oid_text(item[1][0][1]))]  # type: ignore[index]
    if not items:
        items.append((der.SEQUENCE, [(der.OID, oid_content("1.3.6.1.4.1.99999.1")), (der.OCTET_STRING, b"\x05\x00")]))
    return encode(cert)


def plain_names(data: bytes) -> bytes:
    """``data`` with issuer and subject replaced by ``CN=x``, for a Name cryptography refuses."""
    cert = tree(data)
    name = tree(der.tlv(der.SEQUENCE, der.tlv(der.SET, der.tlv(der.SEQUENCE, oid("2.5.4.3") + der.tlv(der.UTF8_STRING, b"x")))))
    fields = tbs_fields(cert)
    fields[tbs_index(cert, "issuer")] = name
    fields[tbs_index(cert, "subject")] = name
    return encode(cert)


# --- what cryptography says, on every version ------------------------------------------------


def their_validity(cert: x509.Certificate) -> Tuple[datetime.datetime, datetime.datetime]:
    """cryptography 42 and later: ``not_valid_before_utc``; before: naive UTC datetimes."""
    if hasattr(cert, "not_valid_before_utc"):
        return cert.not_valid_before_utc, cert.not_valid_after_utc
    return cert.not_valid_before.replace(tzinfo=UTC), cert.not_valid_after.replace(tzinfo=UTC)


def their_extension_value(extension: x509.Extension[Any]) -> Optional[bytes]:
    """An extension's value as cryptography encodes it, where the version can say (``public_bytes``
    exists from 36 on; an unrecognised extension's raw value on every version); else None."""
    value = extension.value
    if isinstance(value, x509.UnrecognizedExtension):
        return bytes(value.value)
    if hasattr(value, "public_bytes"):
        try:
            return bytes(value.public_bytes())
        except NotImplementedError:
            return None
    return None


def general_name(name: x509.GeneralName) -> Tuple[int, Any]:
    """A cryptography GeneralName as ``_certificate.GeneralName`` holds it: (tag, value)."""
    if isinstance(name, x509.RFC822Name):
        return (_certificate.RFC822_NAME, name.value)
    if isinstance(name, x509.UniformResourceIdentifier):
        return (_certificate.URI, name.value)
    if isinstance(name, x509.OtherName):
        return (_certificate.OTHER_NAME, _certificate.OtherName(name.type_id.dotted_string, bytes(name.value)))
    if isinstance(name, x509.DNSName):
        return (0x82, name.value.encode("ascii"))
    if isinstance(name, x509.IPAddress):
        return (0x87, name.value.packed)
    if isinstance(name, x509.RegisteredID):
        return (0x88, oid_content(name.value.dotted_string))
    if isinstance(name, x509.DirectoryName):
        return (0xA4, name.value.public_bytes())
    raise AssertionError(f"unexpected GeneralName {name!r}")


_KEY_USAGE_BITS = (
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
    "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
)


def key_usage_bits(value: x509.KeyUsage) -> int:
    """KeyUsage's nine bits as an integer (bit n = 1 << n); encipher_only and decipher_only only
    when key_agreement is set (cryptography raises when asked otherwise, and they are 0 then)."""
    bits = 0
    for index, name in enumerate(_KEY_USAGE_BITS):
        if index >= 7 and not value.key_agreement:
            continue
        if getattr(value, name):
            bits |= 1 << index
    return bits


def hash_name(get: Callable[[], Any]) -> Optional[str]:
    """The hash's name, None for none, "unsupported" for UnsupportedAlgorithm, "malformed" for ValueError."""
    try:
        found = get()
    except UnsupportedAlgorithm:
        return "unsupported"
    except ValueError:  # the newest cryptography: RSA-PSS without valid parameters
        return "malformed"
    return None if found is None else str(found.name)


def key_bytes(get: Callable[[], Any]) -> Union[bytes, str]:
    try:
        return _certificate.spki_of(get())
    except (ValueError, UnsupportedAlgorithm) as exc:
        return f"refused ({type(exc).__name__})"


# --- the comparison --------------------------------------------------------------------------

# The extensions _certificate decodes (the verifier decides on them).
DECIDED = frozenset({
    _certificate.BASIC_CONSTRAINTS, _certificate.KEY_USAGE, _certificate.EXTENDED_KEY_USAGE,
    _certificate.SUBJECT_ALT_NAME, _certificate.SUBJECT_KEY_IDENTIFIER,
})


def compare_core(ours: _certificate.Certificate, theirs: x509.Certificate, *, lenient_hash: bool = False) -> List[str]:
    """What differs outside the Names and extensions. ``lenient_hash``: a signature algorithm
    cryptography names a hash for and ours refuses is allowed (the fuzz picks DSA, RSA-PSS,
    Ed448, SHA-3 ... which the verifier refuses)."""
    problems = []
    if ours.serial_number != theirs.serial_number:
        problems.append(f"serial: ours {ours.serial_number}, theirs {theirs.serial_number}")
    if (ours.not_before, ours.not_after) != their_validity(theirs):
        problems.append(f"validity: ours {ours.not_before}..{ours.not_after}, theirs {their_validity(theirs)}")
    if ours.signature_oid != theirs.signature_algorithm_oid.dotted_string:
        problems.append(f"signature_oid: ours {ours.signature_oid}, theirs {theirs.signature_algorithm_oid.dotted_string}")
    if ours.signature != theirs.signature:
        problems.append(f"signature: ours {ours.signature.hex()}, theirs {theirs.signature.hex()}")
    mine, theirs_hash = hash_name(ours.signature_hash), hash_name(lambda: theirs.signature_hash_algorithm)
    if mine != theirs_hash and not (lenient_hash and mine == "unsupported"):
        problems.append(f"signature_hash: ours {mine}, theirs {theirs_hash}")
    mine_key, their_key = key_bytes(ours.public_key), key_bytes(theirs.public_key)
    if mine_key != their_key:
        problems.append(f"public_key: ours {mine_key!r}, theirs {their_key!r}")
    elif isinstance(their_key, bytes) and ours.spki != their_key:
        problems.append(f"spki: ours {ours.spki.hex()}, cryptography re-encodes {their_key.hex()}")
    return problems


def compare_names(ours: _certificate.Certificate, theirs: x509.Certificate) -> List[str]:
    problems = []
    for field in ("issuer", "subject"):
        mine, their_name = getattr(ours, field), getattr(theirs, field).public_bytes()
        if mine != their_name:
            problems.append(f"{field}: ours {mine.hex()}, theirs {their_name.hex()}")
    if ours.layout.names != (ours.issuer, ours.subject):
        problems.append("layout.names differ from issuer/subject")
    return problems


def compare_extensions(ours: _certificate.Certificate, extensions: x509.Extensions, only: Optional[frozenset] = None) -> List[str]:
    """Every extension (or those in ``only``): OID, order, criticality, value; the decoded ones field by field."""
    problems = []
    mine = [e for e in ours.layout.extensions if only is None or e.oid in only]
    their_list = [e for e in extensions if only is None or e.oid.dotted_string in only]
    if [e.oid for e in mine] != [e.oid.dotted_string for e in their_list]:
        return [f"extension OIDs: ours {[e.oid for e in mine]}, theirs {[e.oid.dotted_string for e in their_list]}"]
    for extension, their_extension in zip(mine, their_list):
        if (extension.oid in ours.critical) != their_extension.critical or extension.critical != their_extension.critical:
            problems.append(f"extension {extension.oid}: critical ours {extension.critical}, theirs {their_extension.critical}")
        if ours.extensions[extension.oid] != extension.value:
            problems.append(f"extension {extension.oid}: extensions dict differs from the layout")
        value = their_extension_value(their_extension)
        if extension.oid == _certificate.KEY_USAGE and not 0 < (ours.key_usage or 0) < 1 << 9:
            value = None  # cryptography keeps the nine named bits only (36 encodes none as b"")
        if value is not None and value != extension.value:
            problems.append(f"extension {extension.oid}: value ours {extension.value.hex()}, theirs {value.hex()}")
    by_oid = {e.oid.dotted_string: e.value for e in their_list}

    if only is None or _certificate.BASIC_CONSTRAINTS in only:
        value = by_oid.get(_certificate.BASIC_CONSTRAINTS)
        theirs_bc = None if value is None else (value.ca, value.path_length)
        if ours.basic_constraints != theirs_bc:
            problems.append(f"basic_constraints: ours {ours.basic_constraints}, theirs {theirs_bc}")
    if only is None or _certificate.KEY_USAGE in only:
        value = by_oid.get(_certificate.KEY_USAGE)
        mine_bits = None if ours.key_usage is None else ours.key_usage & 0x1FF
        if mine_bits is not None and not mine_bits & (1 << 4):
            mine_bits &= 0x7F  # encipher_only/decipher_only are unreadable without key_agreement
        theirs_bits = None if value is None else key_usage_bits(value)
        if mine_bits != theirs_bits:
            problems.append(f"key_usage: ours {ours.key_usage!r}, theirs {theirs_bits!r}")
        elif value is not None:
            for bit, name in ((_certificate.DIGITAL_SIGNATURE, "digital_signature"), (_certificate.KEY_CERT_SIGN, "key_cert_sign")):
                if bool(ours.key_usage & (1 << bit)) != getattr(value, name):
                    problems.append(f"key_usage.{name}: ours {ours.key_usage:#x}, theirs {getattr(value, name)}")
    if only is None or _certificate.EXTENDED_KEY_USAGE in only:
        value = by_oid.get(_certificate.EXTENDED_KEY_USAGE)
        theirs_eku = None if value is None else tuple(usage.dotted_string for usage in value)
        if ours.extended_key_usage != theirs_eku:
            problems.append(f"extended_key_usage: ours {ours.extended_key_usage}, theirs {theirs_eku}")
    if only is None or _certificate.SUBJECT_ALT_NAME in only:
        value = by_oid.get(_certificate.SUBJECT_ALT_NAME)
        theirs_san = () if value is None else tuple(general_name(name) for name in value)
        mine_san = tuple((name.tag, name.value) for name in ours.subject_alt_names)
        if mine_san != theirs_san:
            problems.append(f"subject_alt_names: ours {mine_san}, theirs {theirs_san}")
        if any(not isinstance(name, _certificate.GeneralName) for name in ours.subject_alt_names):
            problems.append("subject_alt_names: not GeneralName tuples")
    if only is None or _certificate.SUBJECT_KEY_IDENTIFIER in only:
        value = by_oid.get(_certificate.SUBJECT_KEY_IDENTIFIER)
        theirs_ski = None if value is None else value.digest
        if ours.subject_key_identifier != theirs_ski:
            problems.append(f"subject_key_identifier: ours {ours.subject_key_identifier!r}, theirs {theirs_ski!r}")
    return problems


def compare_key_identifier(ours: _certificate.Certificate, theirs: x509.Certificate) -> List[str]:
    if ours.subject_key_identifier is not None:
        return [] if ours.key_identifier() == ours.subject_key_identifier else ["key_identifier is not the SKI"]
    try:
        expected = x509.SubjectKeyIdentifier.from_public_key(theirs.public_key()).digest
    except (ValueError, UnsupportedAlgorithm):
        return []
    mine = ours.key_identifier()
    return [] if mine == expected else [f"key_identifier: ours {mine.hex()}, theirs {expected.hex()}"]


def compare(ours: _certificate.Certificate, theirs: x509.Certificate) -> List[str]:
    problems = compare_core(ours, theirs) + compare_names(ours, theirs)
    if ours.tbs != theirs.tbs_certificate_bytes:
        problems.append("tbs differs")
    if ours.der != theirs.public_bytes(serialization.Encoding.DER):
        problems.append("der differs")
    return problems + compare_extensions(ours, theirs.extensions) + compare_key_identifier(ours, theirs)


# --- 1. every real certificate --------------------------------------------------------------


def _shaped_like_a_certificate(data: bytes) -> bool:
    """SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }: what the corpus harvest keeps as certificates."""
    try:
        return [item.tag for item in der.parse(data).children()] == [der.SEQUENCE, der.SEQUENCE, der.BIT_STRING]
    except der.DERError:
        return False


def test_every_certificate_in_every_corpus_has_the_fields_cryptography_reads() -> None:
    need_shared(CPYTHON)
    found = [(where, data) for where, data in cert_corpus.certificates() if _shaped_like_a_certificate(data)]
    assert len(found) >= 430
    seen = set()
    problems = []
    for where, data in found:
        ours = _certificate.load(data, where)
        theirs = x509.load_der_x509_certificate(data)
        problems += [f"{where}: {problem}" for problem in compare(ours, theirs)]
        seen.update(e.oid for e in ours.layout.extensions)
        if ours.subject_alt_names:
            seen.update(f"san:{name.tag:#x}" for name in ours.subject_alt_names)
        if ours.subject_key_identifier is None:
            seen.add("no-ski")
        seen.add(ours.signature_oid)
    assert problems == []
    # The corpus exercises what the comparison claims to cover.
    assert DECIDED | {"san:0x81", "san:0x86", "1.2.840.10045.4.3.3", "1.2.840.113549.1.1.11"} <= seen


def test_certificates_with_every_decoded_field_built_by_cryptography() -> None:
    """What the corpus lacks: pathLenConstraint values, all nine KeyUsage bits, otherName SANs,
    dNSName/iPAddress/registeredID/directoryName, no SKI, RSA and Ed25519 keys and signatures."""
    built = []
    for index, (key, algorithm) in enumerate([
        (ec.generate_private_key(ec.SECP256R1()), hashes.SHA256()),
        (ec.generate_private_key(ec.SECP384R1()), hashes.SHA384()),
        (ec.generate_private_key(ec.SECP521R1()), hashes.SHA512()),
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), hashes.SHA256()),
        (ed25519.Ed25519PrivateKey.generate(), None),
    ]):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, f"s{index}")]))
            .issuer_name(x509.Name([x509.NameAttribute(x509.oid.NameOID.ORGANIZATION_NAME, "i")]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime.datetime(1999, 12, 31, 23, 59, 59))
            .not_valid_after(datetime.datetime(2050, 1, 1))  # a GeneralizedTime
        )
        ca = index % 2 == 0
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=index if ca else None), critical=True)
        builder = builder.add_extension(
            x509.KeyUsage(True, index == 1, True, index == 2, True, ca, index != 3, index != 4, index == 1), critical=index != 2
        )
        builder = builder.add_extension(
            x509.SubjectAlternativeName([
                x509.RFC822Name(f"a{index}@example.org"),
                x509.UniformResourceIdentifier(f"https://example.org/{index}"),
                x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.7"), der.tlv(der.UTF8_STRING, b"x@y")),
                x509.DNSName("example.org"),
                x509.IPAddress(ipaddress.ip_address("192.0.2.1")),
                x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
                x509.RegisteredID(x509.ObjectIdentifier("1.2.3.4")),
                x509.DirectoryName(x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "d")])),
            ]),
            critical=False,
        )
        if index == 1:  # the others: key_identifier() is RFC 5280's SHA-1, as from_public_key's
            builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CODE_SIGNING, x509.ObjectIdentifier("1.2.3.4.5")]), critical=False
        )
        built.append(builder.sign(key, algorithm).public_bytes(serialization.Encoding.DER))
    for data in built:
        ours = _certificate.load(data)
        assert compare(ours, x509.load_der_x509_certificate(data)) == []
        assert ours.key_usage is not None and ours.subject_alt_names and ours.basic_constraints is not None


# --- 2. mutated real leaves ------------------------------------------------------------------


def leaf_der() -> bytes:
    """A real Fulcio leaf (the CPython 3.13.0 release, signed by thomas@python.org)."""
    import base64
    import json

    bundle = json.loads((CPYTHON / "3.13.0" / "Python-3.13.0.tgz.sigstore").read_text())
    material = bundle["verificationMaterial"]
    raw = material["certificate"]["rawBytes"] if "certificate" in material else material["x509CertificateChain"]["certificates"][0]["rawBytes"]
    return base64.b64decode(raw)


@pytest.fixture(scope="module")
def leaf() -> bytes:
    need_shared(CPYTHON)
    return leaf_der()


def _signature_algorithm(ours: _certificate.Certificate) -> der.Element:
    fields = ours.layout.tbs_fields
    return fields[2 if fields[0].tag == der.context(0) else 1]


def long_arcs(data: bytes) -> bool:
    """Does this cryptography read an OBJECT IDENTIFIER with an arc of 2**28 or more? Asked once,
    with certificate ``data`` given an ExtendedKeyUsage of 1.3.268435456: 36.0.1 and 38.0.4
    refuse it, the newest reads any arc."""
    if not _LONG_ARCS:
        cert = tree(data)
        put_extension(cert, _certificate.EXTENDED_KEY_USAGE, der.tlv(der.SEQUENCE, oid(f"1.3.{1 << 28}")))
        try:
            x509.load_der_x509_certificate(encode(cert)).extensions  # noqa: B018
            _LONG_ARCS.append(True)
        except ValueError:
            _LONG_ARCS.append(False)
    return _LONG_ARCS[0]


_LONG_ARCS: List[bool] = []


def _arcs_in(value: bytes) -> List[int]:
    """Every arc of every OBJECT IDENTIFIER (and registeredID) inside a DER value."""
    arcs: List[int] = []
    stack = [der.parse(value)]
    while stack:
        element = stack.pop()
        if element.tag in (der.OID, 0x88):
            arcs += [int(arc) for arc in der.oid_text(element.content).split(".")]
        elif element.constructed:
            stack.extend(element.children())
    return arcs




def differential(data: bytes) -> Optional[str]:
    """None if ours refuses, or both agree, or cryptography refuses only what the verifier does not
    decide on (module docstring); else what differs. cryptography's
    warnings about what it reads (a Name attribute's length, ...) are not the question here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _differential(data)


def _differential(data: bytes) -> Optional[str]:
    try:
        ours = _certificate.load(data)
    except der.DERError:
        return None
    names_refused = False
    try:
        theirs = x509.load_der_x509_certificate(data)
        theirs.issuer, theirs.subject  # noqa: B018 -- decoded lazily on some versions
    except (ValueError, KeyError) as exc:  # KeyError: 36.0.1 on an attribute value of a tag it has no name for
        try:
            theirs = x509.load_der_x509_certificate(plain_names(data))
        except ValueError:
            return f"cryptography refuses it, not for its Names: {exc}"
        names_refused = True
    problems = compare_core(ours, theirs, lenient_hash=True)
    if not names_refused:
        problems += compare_names(ours, theirs)
        if ours.tbs != theirs.tbs_certificate_bytes:
            problems.append("tbs differs")
    try:
        extensions = theirs.extensions
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType):
        problems += _decided_extensions(ours, data)
    else:
        problems += compare_extensions(ours, extensions) + compare_key_identifier(ours, theirs)
    return "; ".join(problems) or None


def _decided_extensions(ours: _certificate.Certificate, data: bytes) -> List[str]:
    """cryptography refused some extension: rebuild the certificate with each decided one alone
    (and plain Names); compare it, or say that cryptography refuses it."""
    problems = []
    source = plain_names(data)
    for extension in ours.layout.extensions:
        if extension.oid not in DECIDED:
            continue
        single = keep_extensions(source, lambda found, wanted=extension.oid: found == wanted)  # type: ignore[misc]
        try:
            extensions = x509.load_der_x509_certificate(single).extensions
        except (ValueError, x509.UnsupportedGeneralNameType) as exc:
            if extension.oid == _certificate.SUBJECT_ALT_NAME and _only_unread_names_refused(ours, single):
                continue
            if not long_arcs(source) and any(arc >= 1 << 28 for arc in _arcs_in(extension.value)):
                continue  # a limit of that cryptography, not a disagreement: the newest reads them
            problems.append(f"cryptography refuses extension {extension.oid} that ours accepts: {exc}")
            continue
        problems += compare_extensions(ours, extensions, only=frozenset({extension.oid}))
    return problems


def _only_unread_names_refused(ours: _certificate.Certificate, data: bytes) -> bool:
    """Does cryptography take the SAN with only its rfc822Name, URI and otherName entries, and
    agree on them? (x400Address, ediPartyName, an iPAddress neither 4 nor 16 octets long: the
    verifier reads none of them.)"""
    wanted = (_certificate.RFC822_NAME, _certificate.URI, _certificate.OTHER_NAME)
    read = tuple((name.tag, name.value) for name in ours.subject_alt_names if name.tag in wanted)
    if not read:
        return True
    san = der.parse(ours.extensions[_certificate.SUBJECT_ALT_NAME])
    cert = tree(data)
    put_extension(cert, _certificate.SUBJECT_ALT_NAME,
                  der.tlv(der.SEQUENCE, b"".join(item.raw for item in san.children() if item.tag in wanted)))
    try:
        extensions = x509.load_der_x509_certificate(encode(cert)).extensions
    except (ValueError, x509.UnsupportedGeneralNameType):
        return False
    value = extensions.get_extension_for_oid(x509.ObjectIdentifier(_certificate.SUBJECT_ALT_NAME)).value
    return tuple(general_name(name) for name in value) == read


def _differential_lane() -> None:
    skip_by_design(
        CRYPTOGRAPHY < (35, 0),
        "cryptography < 35 parses certificates with OpenSSL, which takes BER and re-encodes: the "
        "differential fuzz needs a strict-DER reference (lanes 1, 2, 3 and newest run it)",
    )


def _content_offsets(data: bytes) -> List[int]:
    """The offsets of every primitive element's content octets: edits there keep the DER
    structure, so the strict reader takes more of them and the comparison has work."""
    offsets: List[int] = []
    stack = [der.parse(data)]
    while stack:
        element = stack.pop()
        if element.constructed:
            stack.extend(element.children())
        else:
            offsets.extend(range(element.content_start, element.end))
    return sorted(offsets)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzz_byte_edits_of_a_real_leaf_agree_with_cryptography(leaf: bytes, data: st.DataObject) -> None:
    """Random byte edits of a real leaf, most inside primitive contents (names, times, serial,
    OIDs, extension values, key, signature), some anywhere (flips, insertions, deletions)."""
    _differential_lane()
    contents = _content_offsets(leaf)
    edited = bytearray(leaf)
    for _ in range(data.draw(st.integers(1, 3))):
        if data.draw(st.integers(0, 4)) < 2:  # two in five inside a primitive's contents
            edited[data.draw(st.sampled_from(contents))] ^= data.draw(st.integers(1, 255))
        else:
            edit_bytes(data, edited)
    mutated = bytes(edited)
    problem = differential(mutated)
    assert problem is None, f"{problem}\ncertificate: {mutated.hex()}"


# Strategies for DER-valid replacement contents.
_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=24).map(lambda s: s.encode("ascii"))
_OIDS = st.one_of(
    st.sampled_from([
        "1.3.6.1.5.5.7.3.3", "1.3.6.1.5.5.7.3.8", "1.3.6.1.5.5.7.3.1", "2.5.29.37.0", "1.3.6.1.4.1.57264.1.7",
        "1.3.6.1.4.1.57264.1.8", "1.3.6.1.5.5.7.8.4",
    ]),
    st.lists(st.integers(0, 2**40), min_size=1, max_size=6).map(lambda arcs: "1.3." + ".".join(map(str, arcs))),
)


@st.composite
def basic_constraints(draw: Any) -> bytes:
    ca = draw(st.sampled_from([None, True]))  # cA FALSE is the DEFAULT: _x509 refuses it encoded
    path = draw(st.one_of(st.none(), st.integers(0, 20), st.integers(-(2**70), 2**70)))
    return der.tlv(der.SEQUENCE, (der.tlv(der.BOOLEAN, b"\xff") if ca else b"") + (b"" if path is None else integer(path)))


@st.composite
def key_usage(draw: Any) -> bytes:
    bits = draw(st.integers(0, 2**16 - 1))
    if not bits:
        return der.tlv(der.BIT_STRING, b"\x00")
    count = bits.bit_length()  # bit n = 1 << n, numbered from the first octet's top bit
    octets = (count + 7) // 8
    value = 0
    for n in range(count):
        if bits & (1 << n):
            value |= 1 << (octets * 8 - 1 - n)
    return der.tlv(der.BIT_STRING, bytes([octets * 8 - count]) + value.to_bytes(octets, "big"))


@st.composite
def extended_key_usage(draw: Any) -> bytes:
    return der.tlv(der.SEQUENCE, b"".join(oid(o) for o in draw(st.lists(_OIDS, min_size=0, max_size=4, unique=True))))


@st.composite
def general_names(draw: Any) -> bytes:
    def other_name() -> bytes:
        inner = draw(st.lists(st.sampled_from([der.tlv(der.UTF8_STRING, b"x@y"), der.tlv(0x16, b"z"), integer(5)]),
                              min_size=0, max_size=2))
        if draw(st.integers(0, 4)):
            inner = inner[:1] or [der.tlv(der.UTF8_STRING, draw(_TEXT))]
        return der.tlv(0xA0, oid(draw(_OIDS)) + der.tlv(der.context(0), b"".join(inner)))

    choices: Dict[str, Callable[[], bytes]] = {
        "rfc822": lambda: der.tlv(0x81, draw(_TEXT)),
        "uri": lambda: der.tlv(0x86, draw(_TEXT)),
        "other": other_name,
        "dns": lambda: der.tlv(0x82, draw(_TEXT)),
        "ip": lambda: der.tlv(0x87, draw(st.sampled_from([b"\xc0\x00\x02\x01", bytes(range(16)), b"\x01\x02\x03"]))),
        "registered": lambda: der.tlv(0x88, oid_content(draw(_OIDS))),
        "directory": lambda: der.tlv(0xA4, der.tlv(der.SEQUENCE, der.tlv(der.SET, der.tlv(
            der.SEQUENCE, oid("2.5.4.3") + der.tlv(der.UTF8_STRING, b"d" + draw(_TEXT)))))),
        "x400": lambda: der.tlv(0xA3, der.tlv(der.SEQUENCE, b"")),
    }
    picked = draw(st.lists(st.sampled_from(sorted(choices)), min_size=1, max_size=4))
    return der.tlv(der.SEQUENCE, b"".join(choices[name]() for name in picked))


@st.composite
def key_identifier(draw: Any) -> bytes:
    return der.tlv(der.OCTET_STRING, draw(st.binary(max_size=32)))


@st.composite
def moment(draw: Any) -> bytes:
    when = draw(st.datetimes(min_value=datetime.datetime(1, 1, 1), max_value=datetime.datetime(9999, 12, 31, 23, 59, 59)))
    if 1950 <= when.year < 2050 and draw(st.booleans()):
        return der.tlv(der.UTC_TIME, when.strftime("%y%m%d%H%M%SZ").encode())
    return der.tlv(der.GENERALIZED_TIME, f"{when.year:04d}{when:%m%d%H%M%S}Z".encode())


_SIGNATURE_OIDS = [
    "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4", "1.2.840.10045.4.3.1", "1.2.840.10045.4.1",
    "1.2.840.113549.1.1.5", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13",
    "1.2.840.113549.1.1.14", "1.2.840.113549.1.1.4", "1.2.840.113549.1.1.10", "1.3.101.112", "1.3.101.113",
    "2.16.840.1.101.3.4.3.2", "2.16.840.1.101.3.4.3.10", "1.2.3.4",
]

_EXTENSION_VALUES = {
    _certificate.BASIC_CONSTRAINTS: basic_constraints(),
    _certificate.KEY_USAGE: key_usage(),
    _certificate.EXTENDED_KEY_USAGE: extended_key_usage(),
    _certificate.SUBJECT_ALT_NAME: general_names(),
    _certificate.SUBJECT_KEY_IDENTIFIER: key_identifier(),
}


@settings(max_examples=180, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzz_rebuilt_fields_of_a_real_leaf_agree_with_cryptography(leaf: bytes, data: st.DataObject) -> None:
    """Extension values (BasicConstraints, KeyUsage, ExtendedKeyUsage, SubjectAltName,
    SubjectKeyIdentifier, and their criticality), serial number, validity and signature algorithm
    replaced by random DER: ours and cryptography agree on each (module docstring)."""
    _differential_lane()
    cert = tree(leaf)
    for change in data.draw(st.lists(st.sampled_from(["extension", "extension", "serial", "validity", "algorithm"]),
                                     min_size=1, max_size=3)):
        if change == "extension":
            which = data.draw(st.sampled_from(sorted(_EXTENSION_VALUES)))
            put_extension(cert, which, data.draw(_EXTENSION_VALUES[which]), data.draw(st.sampled_from([None, True, False])))
        elif change == "serial":
            tbs_fields(cert)[tbs_index(cert, "serial")] = tree(integer(data.draw(st.integers(1, 2**200))))
        elif change == "validity":
            tbs_fields(cert)[tbs_index(cert, "validity")] = (der.SEQUENCE, [tree(data.draw(moment())), tree(data.draw(moment()))])
        else:
            parameters = data.draw(st.sampled_from([b"", der.tlv(der.NULL, b"")]))
            algorithm = tree(der.tlv(der.SEQUENCE, oid(data.draw(st.sampled_from(_SIGNATURE_OIDS))) + parameters))
            tbs_fields(cert)[tbs_index(cert, "signature")] = algorithm
            cert[1][1] = algorithm  # type: ignore[index]
    mutated = encode(cert)
    problem = differential(mutated)
    assert problem is None, f"{problem}\ncertificate: {mutated.hex()}"


def _leaf_with(leaf: bytes, change: Callable[[Node], None]) -> bytes:
    cert = tree(leaf)
    change(cert)
    return encode(cert)


def _with_signature_algorithm(content: bytes) -> Callable[[Node], None]:
    def change(cert: Node) -> None:
        algorithm = tree(der.tlv(der.SEQUENCE, content))
        tbs_fields(cert)[tbs_index(cert, "signature")] = algorithm
        cert[1][1] = algorithm  # type: ignore[index]

    return change


def _with_extension(dotted: str, value: bytes, critical: Optional[bool] = None) -> Callable[[Node], None]:
    return lambda cert: put_extension(cert, dotted, value, critical)


# What the differential fuzz found ours accepting and cryptography refusing, in fields the verifier
# decides on; the reader refuses each now, with its reason.
_AGREED_REFUSALS = {
    "path-length-past-u64": (_with_extension(
        _certificate.BASIC_CONSTRAINTS, der.tlv(der.SEQUENCE, der.tlv(der.BOOLEAN, b"\xff") + integer(1 << 64)), True),
        r"pathLenConstraint must be non-negative, below 2\*\*64"),
    "encipher-decipher-without-key-agreement": (_with_extension(
        _certificate.KEY_USAGE, der.tlv(der.BIT_STRING, b"\x00\x81"), True),  # digitalSignature, encipherOnly
        r"encipherOnly and decipherOnly mean nothing without keyAgreement"),
    "signature-algorithm-parameters": (_with_signature_algorithm(oid("1.2.840.10045.4.3.3") + der.tlv(der.NULL, b"")),
                                       r"algorithm 1\.2\.840\.10045\.4\.3\.3 takes no parameters"),
    "dsa-signature-algorithm-parameters": (
        _with_signature_algorithm(oid("2.16.840.1.101.3.4.3.2") + der.tlv(der.NULL, b"")),
        r"algorithm 2\.16\.840\.1\.101\.3\.4\.3\.2 takes no parameters"),
    "rsa-pss-without-its-parameters": (_with_signature_algorithm(oid("1.2.840.113549.1.1.10") + der.tlv(der.NULL, b"")),
                                       r"RSASSA-PSS needs its RSASSA-PSS-params"),
}
# The cryptography versions that refuse each (of the lanes': 3.4.8, 36.0.1, 38.0.4, 50.0.2).
_REFUSED_FROM = {
    "path-length-past-u64": (35, 0),  # 3.4.8 (OpenSSL) reads it as a big integer
    "encipher-decipher-without-key-agreement": (0, 0),
    "signature-algorithm-parameters": (41, 0),  # 38.0.4 and before take any parameters
    "dsa-signature-algorithm-parameters": (41, 0),
    "rsa-pss-without-its-parameters": (41, 0),
}


@pytest.mark.parametrize("name", sorted(_AGREED_REFUSALS))
def test_refused_as_cryptography_refuses(leaf: bytes, name: str) -> None:
    """A real leaf with one such change: the loader refuses it, naming why (and cryptography
    does too, on the versions of :data:`_REFUSED_FROM`)."""
    change, problem = _AGREED_REFUSALS[name]
    data = _leaf_with(leaf, change)
    with pytest.raises(ValueError, match=problem):
        load_certificate(data, "leaf")
    if CRYPTOGRAPHY >= _REFUSED_FROM[name]:
        with pytest.raises(ValueError), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x509.load_der_x509_certificate(data).extensions  # noqa: B018


# --- 3. public keys ---------------------------------------------------------------------------


@pytest.fixture()
def fallback(monkeypatch: pytest.MonkeyPatch) -> List[bytes]:
    """The SPKIs that went to ``load_der_public_key`` (the real one, recorded)."""
    calls: List[bytes] = []
    real = _certificate._load_der_public_key

    def recorded(spki: bytes) -> Any:
        calls.append(spki)
        return real(spki)

    monkeypatch.setattr(_certificate, "_load_der_public_key", recorded)
    return calls


def _spki(algorithm: bytes, key: bytes) -> bytes:
    return der.tlv(der.SEQUENCE, der.tlv(der.SEQUENCE, algorithm) + der.tlv(der.BIT_STRING, b"\x00" + key))


_EC_PUBLIC_KEY = oid("1.2.840.10045.2.1")


@pytest.mark.parametrize("curve", [ec.SECP256R1, ec.SECP384R1, ec.SECP521R1])
def test_ec_keys_are_built_from_their_parts(curve: Any, fallback: List[bytes]) -> None:
    key = ec.generate_private_key(curve()).public_key()
    spki = _certificate.spki_of(key)
    expected = serialization.load_der_public_key(spki)
    built = _certificate.public_key(spki)
    assert isinstance(built, ec.EllipticCurvePublicKey)
    assert built.public_numbers() == expected.public_numbers() == key.public_numbers()
    again, encoded = _certificate.public_key_with_spki(spki)
    assert again.public_numbers() == key.public_numbers()
    assert encoded == spki == _certificate.spki_of(built)
    assert fallback == []


def test_ed25519_keys_are_built_from_their_parts(fallback: List[bytes]) -> None:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    spki = _certificate.spki_of(key)
    built, encoded = _certificate.public_key_with_spki(spki)
    raw = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert built.public_bytes(*raw) == serialization.load_der_public_key(spki).public_bytes(*raw) == key.public_bytes(*raw)
    assert encoded == spki
    assert fallback == []


@pytest.mark.parametrize("curve", [ec.SECP256R1, ec.SECP384R1, ec.SECP521R1])
def test_compressed_ec_point_goes_to_load_der_public_key(curve: Any, fallback: List[bytes]) -> None:
    key = ec.generate_private_key(curve()).public_key()
    compressed = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    spki = _spki(_EC_PUBLIC_KEY + oid({"secp256r1": "1.2.840.10045.3.1.7", "secp384r1": "1.3.132.0.34",
                                       "secp521r1": "1.3.132.0.35"}[curve.name]), compressed)
    loaded, encoded = _certificate.public_key_with_spki(spki)
    assert loaded.public_numbers() == key.public_numbers()
    assert fallback == [spki]
    # "as cryptography encodes it": the point as it came before cryptography 50 (OpenSSL keeps
    # the form it read), uncompressed from 50 on.
    assert encoded == _certificate.spki_of(loaded)
    assert encoded in (spki, _certificate.spki_of(key))


def test_rsa_keys_go_to_load_der_public_key(fallback: List[bytes]) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    spki = _certificate.spki_of(key)
    pkcs1 = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    for data in (spki, pkcs1):
        loaded, encoded = _certificate.public_key_with_spki(data)
        assert loaded.public_numbers() == key.public_numbers()
        assert encoded == spki
    assert fallback == [spki, pkcs1]


@pytest.mark.parametrize("curve", [ec.SECP256R1, ec.SECP384R1, ec.SECP521R1])
def test_ec_point_off_the_curve_is_refused(curve: Any, fallback: List[bytes]) -> None:
    key = ec.generate_private_key(curve()).public_key()
    spki = bytearray(_certificate.spki_of(key))
    spki[-1] ^= 0x01  # the last octet of y: the point leaves the curve
    with pytest.raises(ValueError):
        _certificate.public_key(bytes(spki))
    assert fallback == []  # refused by the key built from its parts, not by the fallback


def test_unusable_keys_are_refused() -> None:
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    for spki in (
        _spki(_EC_PUBLIC_KEY + oid("1.2.840.10045.3.1.7"), point[:-1]),  # a point one octet short
        _spki(_EC_PUBLIC_KEY + oid("1.2.840.10045.3.1.7"), b"\x02" + point[1:33][:-1] + b"\x00" * 2),
        _spki(oid("1.3.101.112"), b"\x01" * 31),  # Ed25519: 31 octets
        _spki(oid("1.2.3.4"), b"\x01" * 32),  # an unknown algorithm
    ):
        with pytest.raises((ValueError, UnsupportedAlgorithm)):
            _certificate.public_key(spki)


# --- 4. _certificate's own refusals --------------------------------------------------------------


@pytest.mark.parametrize(
    ("dotted", "value", "problem"),
    [
        (_certificate.BASIC_CONSTRAINTS, der.tlv(der.SEQUENCE, integer(0)), r"pathLenConstraint must be non-negative, below 2\*\*64, and only for a CA"),
        (_certificate.BASIC_CONSTRAINTS, der.tlv(der.SEQUENCE, der.tlv(der.BOOLEAN, b"\xff") + integer(-1)),
         r"pathLenConstraint must be non-negative, below 2\*\*64, and only for a CA"),
        (_certificate.EXTENDED_KEY_USAGE, der.tlv(der.SEQUENCE, b""), r"ExtendedKeyUsage: empty"),
        (_certificate.SUBJECT_ALT_NAME, der.tlv(der.SEQUENCE, der.tlv(0xA0, oid("1.2.3") + der.tlv(0xA0, b""))),
         r"otherName\.value: 0 elements, expected 1"),
        (_certificate.SUBJECT_ALT_NAME, der.tlv(der.SEQUENCE, der.tlv(0xA0, oid("1.2.3") + der.tlv(0xA0, integer(1) + integer(2)))),
         r"otherName\.value: 2 elements, expected 1"),
        (_certificate.SUBJECT_KEY_IDENTIFIER, integer(7), r"SubjectKeyIdentifier: expected OCTET STRING, found INTEGER"),
        (_certificate.SUBJECT_KEY_IDENTIFIER, der.tlv(der.SEQUENCE, der.tlv(der.OCTET_STRING, b"\x01")),
         r"SubjectKeyIdentifier: expected OCTET STRING, found SEQUENCE"),
        # A KeyUsage of 3 octets, then of half a megabyte (its last bit set: DER has no trailing
        # zero bits): refused at once, never read bit by bit.
        (_certificate.KEY_USAGE, der.tlv(der.BIT_STRING, b"\x00\x80\x00\x01"), r"KeyUsage: 24 bits, more than the nine"),
        (_certificate.KEY_USAGE, der.tlv(der.BIT_STRING, b"\x00\x80" + bytes(512 * 1024) + b"\x01"),
         r"KeyUsage: 4194320 bits, more than the nine"),
    ],
    ids=["path-length-without-ca", "negative-path-length", "empty-eku", "other-name-empty", "other-name-two",
         "ski-integer", "ski-sequence", "key-usage-24-bits", "key-usage-half-a-megabyte"],
)
def test_certificate_decoding_refusals(leaf: bytes, dotted: str, value: bytes, problem: str) -> None:
    data = _leaf_with(leaf, _with_extension(dotted, value))
    with pytest.raises(ValueError, match=rf"^leaf: not a valid DER X\.509 certificate \(DERError: .*{problem}"):
        load_certificate(data, "leaf")
    with pytest.raises(der.DERError, match=problem):
        _certificate.load(data)


@pytest.mark.parametrize("inner", [b"", integer(1) + integer(2)])
def test_other_name_needs_one_value_in_certificate_too(inner: bytes) -> None:
    """``_certificate``'s own check of an otherName's value (``_x509`` refuses such a SAN first
    when it reads a certificate; this is the second line)."""
    value = der.tlv(der.SEQUENCE, der.tlv(0xA0, oid("1.2.3") + der.tlv(0xA0, inner)))
    with pytest.raises(der.DERError, match=r"otherName\.value: expected one element inside \[0\]"):
        _certificate._general_names(value)
