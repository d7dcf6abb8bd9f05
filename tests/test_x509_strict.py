# SPDX-License-Identifier: Apache-2.0
"""The strict X.509 reader (src/sigstore_offline/_x509.py): every certificate the verifier loads is
canonical DER, checked by the project's own reader, on every ``cryptography`` version.

The re-encodings here are ones OpenSSL (and so ``cryptography`` 3.4.8) accepts and normalises;
each must be refused by ``_x509`` itself, with its own message, in every lane. Since
``cryptography`` 35 refuses many of them too, the tests assert the *reason* ("not canonical
DER"), so that they fail in every lane if the check is removed.
"""

from __future__ import annotations

import base64
import copy
import json
import pathlib
from typing import Any, Callable, Dict, List, Tuple, Union

import cryptography
import pytest
from cryptography import x509
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cert_corpus
from helpers import CPYTHON, SHIPPED, edit_bytes, need_shared, run_json, skip_by_design
from sigstore_offline import _der as der
from sigstore_offline import _certificate, _x509
from testinstance import der as w
from sigstore_offline.errors import TrustRootError
from sigstore_offline.model import load_certificate
from sigstore_offline.trust.trusted_root import parse_trusted_root

CRYPTOGRAPHY = tuple(int(part) for part in cryptography.__version__.split(".")[:2])

# --- a tiny DER tree, to rebuild real certificates with one thing changed --------------------

Node = Tuple[int, Union[bytes, List[Any]]]


def tree(element: der.Element) -> Node:
    if element.constructed:
        return (element.tag, [tree(child) for child in element.children()])
    return (element.tag, element.content)


def length(count: int, form: str = "") -> bytes:
    if form == "indefinite":
        return b"\x80"
    if form == "long":  # one extra leading zero octet: X.690 10.1 says minimal
        octets = count.to_bytes(max(1, (count.bit_length() + 7) // 8), "big")
        return bytes((0x80 | (len(octets) + 1),)) + b"\x00" + octets
    if count < 0x80:
        return bytes((count,))
    octets = count.to_bytes((count.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(octets),)) + octets


def encode(node: Node, forms: Dict[int, str] = {}, _path: Tuple[int, ...] = ()) -> bytes:  # noqa: B006 -- read only
    tag, body = node
    content = body if isinstance(body, bytes) else b"".join(encode(c, forms, _path + (i,)) for i, c in enumerate(body))
    form = forms.get(id(node), "")
    if form == "indefinite":
        return bytes((tag,)) + b"\x80" + content + b"\x00\x00"
    return bytes((tag,)) + length(len(content), form) + content


def at(node: Node, *path: int) -> Node:
    for index in path:
        node = node[1][index]  # type: ignore[index]
    return node


def leaf_der() -> bytes:
    """A real Fulcio leaf (CPython 3.13.0, signed by thomas@python.org)."""
    bundle = json.loads((CPYTHON / "3.13.0" / "Python-3.13.0.tgz.sigstore").read_text())
    material = bundle["verificationMaterial"]
    raw = material["certificate"]["rawBytes"] if "certificate" in material else material["x509CertificateChain"]["certificates"][0]["rawBytes"]
    return base64.b64decode(raw)


def root_certificate_ders() -> List[bytes]:
    root = json.loads((SHIPPED / "sigstore" / "trusted_root.json").read_text())
    return [
        base64.b64decode(c["rawBytes"])
        for authority in root["certificateAuthorities"] + root.get("timestampAuthorities", [])
        for c in authority["certChain"]["certificates"]
    ]


def _extensions(cert: Node) -> List[Node]:
    tbs = at(cert, 0)
    wrapper = next(f for f in tbs[1] if f[0] == 0xA3)  # type: ignore[union-attr]
    return at(wrapper, 0)[1]  # type: ignore[return-value]


def _extension(cert: Node, oid: str) -> Node:
    want = der.parse(_oid(oid)).content
    return next(e for e in _extensions(cert) if e[1][0][1] == want)  # type: ignore[index]


def _oid(dotted: str) -> bytes:
    return w.oid(dotted)


def _value(extension: Node) -> Node:
    return tree(der.parse(extension[1][-1][1]))  # type: ignore[index]


def _set_value(extension: Node, node: Node) -> None:
    extension[1][-1] = (der.OCTET_STRING, encode(node))  # type: ignore[index]


# --- the variants: (name, function from a parsed real leaf to the bytes to try) -------------


def _reencoded(forms_at: Callable[[Node], List[Tuple[Node, str]]]) -> Callable[[Node], bytes]:
    def make(cert: Node) -> bytes:
        return encode(cert, {id(node): form for node, form in forms_at(cert)})

    return make


def _edit(change: Callable[[Node], None]) -> Callable[[Node], bytes]:
    def make(cert: Node) -> bytes:
        edited = copy.deepcopy(cert)
        change(edited)
        return encode(edited)

    return make


def _constructed_string(cert: Node) -> None:
    # issuer's first attribute value, "sigstore.dev" as PrintableString -> constructed, one chunk
    pair = at(cert, 0, 3, 0, 0)
    tag, content = pair[1][1]  # type: ignore[index]
    pair[1][1] = (tag | 0x20, [(tag, content)])  # type: ignore[index]


def _critical_false(cert: Node) -> None:
    extension = _extension(cert, "2.5.29.14")  # subjectKeyIdentifier, not critical
    extension[1].insert(1, (der.BOOLEAN, b"\x00"))  # type: ignore[union-attr]


def _critical_true_as_01(cert: Node) -> None:
    extension = _extension(cert, "2.5.29.15")  # keyUsage, critical
    extension[1][1] = (der.BOOLEAN, b"\x01")  # type: ignore[index]


def _serial_padded(cert: Node) -> None:
    tbs = at(cert, 0)
    serial = tbs[1][1]  # type: ignore[index]
    tbs[1][1] = (der.INTEGER, b"\x00" + serial[1] if serial[1][0] < 0x80 else b"\x00\x00" + serial[1])  # type: ignore[index]


def _version_v1_explicit(cert: Node) -> None:
    at(cert, 0)[1][0] = (0xA0, [(der.INTEGER, b"\x00")])  # type: ignore[index]


def _duplicate_extension(cert: Node) -> None:
    _extensions(cert).append(copy.deepcopy(_extension(cert, "2.5.29.14")))


def _outer_algorithm_differs(cert: Node) -> None:
    cert[1][1] = (der.SEQUENCE, [(der.OID, der.parse(_oid("1.2.840.10045.4.3.2")).content)])  # type: ignore[index]


def _first_item_constructed(oid: str) -> Callable[[Node], None]:
    """An edit: the first item inside extension ``oid``'s value (the SAN's URI, the authority key
    identifier) turned from a primitive into a constructed string."""
    def edit(cert: Node) -> None:
        extension = _extension(cert, oid)
        value = _value(extension)
        tag, content = value[1][0]  # type: ignore[index]
        value[1][0] = (tag | 0x20, [(der.OCTET_STRING, content)])  # type: ignore[index]
        _set_value(extension, value)

    return edit


def _san_not_ascii(cert: Node) -> None:
    extension = _extension(cert, "2.5.29.17")
    names = _value(extension)
    tag, content = names[1][0]  # type: ignore[index]
    names[1][0] = (tag, content[:-1] + b"\xe9")  # type: ignore[index]
    _set_value(extension, names)


def _key_usage_trailing_zeros(cert: Node) -> None:
    extension = _extension(cert, "2.5.29.15")
    _set_value(extension, (der.BIT_STRING, b"\x00\x80"))  # digitalSignature, then 7 zero bits


def _utctime_without_seconds(cert: Node) -> None:
    validity = at(cert, 0, 4)
    tag, content = validity[1][0]  # type: ignore[index]
    validity[1][0] = (tag, content[:10] + b"Z")  # type: ignore[index]


def _utctime_with_offset(cert: Node) -> None:
    validity = at(cert, 0, 4)
    tag, content = validity[1][1]  # type: ignore[index]
    validity[1][1] = (tag, content[:12] + b"+0000")  # type: ignore[index]


def _generalized_time_fraction(cert: Node) -> None:
    validity = at(cert, 0, 4)
    tag, content = validity[1][0]  # type: ignore[index]
    validity[1][0] = (der.GENERALIZED_TIME, b"20" + content[:12] + b".5Z")  # type: ignore[index]


def _signature_padding_bits(cert: Node) -> None:
    tag, content = cert[1][2]  # type: ignore[index]
    cert[1][2] = (tag, b"\x01" + content[1:-1] + bytes((content[-1] | 1,)))  # type: ignore[index]


def _ecdsa_signature_integer_padded(cert: Node) -> None:
    tag, content = cert[1][2]  # type: ignore[index]
    signature = tree(der.parse(content[1:]))
    r = signature[1][0]  # type: ignore[index]
    signature[1][0] = (der.INTEGER, b"\x00" + r[1] if r[1][0] < 0x80 else b"\x00\x00" + r[1])  # type: ignore[index]
    cert[1][2] = (tag, b"\x00" + encode(signature))  # type: ignore[index]


def _rdn_out_of_order(cert: Node) -> None:
    subject_or_issuer = at(cert, 0, 3)  # issuer: O=sigstore.dev, CN=sigstore-intermediate
    first, second = subject_or_issuer[1][0], subject_or_issuer[1][1]  # type: ignore[index]
    pairs = sorted(first[1] + second[1], key=encode, reverse=True)
    subject_or_issuer[1][:2] = [(der.SET, pairs)]  # type: ignore[index]


def _end_of_contents_inside(cert: Node) -> None:
    extension = _extension(cert, "2.5.29.37")  # extKeyUsage: SEQUENCE OF OID
    usages = _value(extension)
    usages[1].append((0x00, b""))  # type: ignore[union-attr]
    _set_value(extension, usages)


def _null_with_content(cert: Node) -> None:
    cert[1][1] = (der.SEQUENCE, [at(cert, 1, 0), (der.NULL, b"\x00")])  # type: ignore[index]
    at(cert, 0)[1][2] = copy.deepcopy(cert[1][1])  # type: ignore[index]


def _oid_not_minimal(cert: Node) -> None:
    extension = _extension(cert, "2.5.29.37")
    usages = _value(extension)
    tag, content = usages[1][0]  # type: ignore[index]
    usages[1][0] = (tag, content[:1] + b"\x80" + content[1:])  # type: ignore[index]
    _set_value(extension, usages)


def _primitive_sequence(cert: Node) -> None:
    extension = _extension(cert, "2.5.29.37")
    _set_value(extension, (0x10, encode(_value(extension))[2:]))


def _utf8_invalid(cert: Node) -> None:
    extension = _extension(cert, "1.3.6.1.4.1.57264.1.8")  # the OIDC issuer, a DER UTF8String
    _set_value(extension, (der.UTF8_STRING, b"https://accounts.google.com\xff"))


def _extensions_without_v3(cert: Node) -> None:
    del at(cert, 0)[1][0]  # type: ignore[union-attr]


def _extensions_empty(cert: Node) -> None:
    _extensions(cert).clear()


def _unused_bits_eight(cert: Node) -> None:
    spki = at(cert, 0, 6)
    tag, content = spki[1][1]  # type: ignore[index]
    spki[1][1] = (tag, b"\x08" + content[1:])  # type: ignore[index]


def _serial(value: bytes) -> Callable[[Node], None]:
    def change(cert: Node) -> None:
        at(cert, 0)[1][1] = (der.INTEGER, value)  # type: ignore[index]

    return change


VARIANTS: Dict[str, Callable[[Node], bytes]] = {
    "serial-negative": _edit(_serial(b"\xff\x01")),
    "serial-zero": _edit(_serial(b"\x00")),
    "oid-not-minimal": _edit(_oid_not_minimal),
    "primitive-sequence": _edit(_primitive_sequence),
    "utf8-invalid": _edit(_utf8_invalid),
    "extensions-in-v1": _edit(_extensions_without_v3),
    "extensions-empty": _edit(_extensions_empty),
    "key-identifier-constructed": _edit(_first_item_constructed("2.5.29.35")),
    "unused-bits-eight": _edit(_unused_bits_eight),
    "trailing-byte": lambda cert: encode(cert) + b"\x00",
    "trailing-certificate": lambda cert: encode(cert) * 2,
    "long-length-outer": _reencoded(lambda c: [(c, "long")]),
    "long-length-tbs": _reencoded(lambda c: [(at(c, 0), "long")]),
    "long-length-serial": _reencoded(lambda c: [(at(c, 0, 1), "long")]),
    "long-length-name": _reencoded(lambda c: [(at(c, 0, 3, 0), "long")]),
    "long-length-extensions": _reencoded(lambda c: [(at(c, 0, 7), "long")]),
    "long-length-signature": _reencoded(lambda c: [(at(c, 2), "long")]),
    "indefinite-outer": _reencoded(lambda c: [(c, "indefinite")]),
    "indefinite-tbs": _reencoded(lambda c: [(at(c, 0), "indefinite")]),
    "indefinite-validity": _reencoded(lambda c: [(at(c, 0, 4), "indefinite")]),
    "indefinite-extension": _reencoded(lambda c: [(at(c, 0, 7, 0, 0), "indefinite")]),
    "constructed-string-in-name": _edit(_constructed_string),
    "critical-false-explicit": _edit(_critical_false),
    "boolean-true-as-01": _edit(_critical_true_as_01),
    "serial-not-minimal": _edit(_serial_padded),
    "version-v1-explicit": _edit(_version_v1_explicit),
    "duplicate-extension": _edit(_duplicate_extension),
    "signature-algorithms-differ": _edit(_outer_algorithm_differs),
    "san-uri-constructed": _edit(_first_item_constructed("2.5.29.17")),
    "san-not-ascii": _edit(_san_not_ascii),
    "key-usage-trailing-zero-bits": _edit(_key_usage_trailing_zeros),
    "utctime-without-seconds": _edit(_utctime_without_seconds),
    "utctime-with-offset": _edit(_utctime_with_offset),
    "generalizedtime-fraction": _edit(_generalized_time_fraction),
    "signature-padding-bits": _edit(_signature_padding_bits),
    "ecdsa-signature-not-minimal": _edit(_ecdsa_signature_integer_padded),
    "rdn-set-out-of-order": _edit(_rdn_out_of_order),
    "end-of-contents-inside": _edit(_end_of_contents_inside),
    "null-with-content": _edit(_null_with_content),
}
# What each variant's refusal must say: the rule that catches it, so that removing a rule fails its test.
REASONS = {
    "serial-negative": "serialNumber is not a positive integer",
    "serial-zero": "serialNumber is not a positive integer",
    "oid-not-minimal": "OBJECT IDENTIFIER at offset 2: malformed or not minimally encoded",
    "primitive-sequence": "primitive encoding of SEQUENCE",
    "utf8-invalid": "not valid UTF-8",
    "extensions-in-v1": "not v3",
    "extensions-empty": "Extensions: empty",
    "key-identifier-constructed": "in AuthorityKeyIdentifier",
    "unused-bits-eight": "malformed unused-bits octet",
    "trailing-byte": "trailing byte",
    "trailing-certificate": "trailing byte",
    "long-length-outer": "not minimal",
    "long-length-tbs": "not minimal",
    "long-length-serial": "not minimal",
    "long-length-name": "not minimal",
    "long-length-extensions": "not minimal",
    "long-length-signature": "not minimal",
    "indefinite-outer": "indefinite length",
    "indefinite-tbs": "indefinite length",
    "indefinite-validity": "indefinite length",
    "indefinite-extension": "indefinite length",
    "constructed-string-in-name": "constructed encoding of universal type 19",
    "critical-false-explicit": "critical FALSE is the DEFAULT",
    "boolean-true-as-01": "BOOLEAN must be one octet",
    "serial-not-minimal": "serialNumber: INTEGER is not minimally encoded",
    "version-v1-explicit": "v1 is the DEFAULT",
    "duplicate-extension": "appears more than once",
    "signature-algorithms-differ": "signatureAlgorithm differs",
    "san-uri-constructed": "not a GeneralName in its DER form",
    "san-not-ascii": "not IA5String",
    "key-usage-trailing-zero-bits": "trailing zero bits",
    "utctime-without-seconds": "is not YYMMDDHHMMSSZ",
    "utctime-with-offset": "is not YYMMDDHHMMSSZ",
    "generalizedtime-fraction": "is not YYYYMMDDHHMMSSZ",
    "signature-padding-bits": "unused bits are not zero",
    "ecdsa-signature-not-minimal": "ECDSA signature: INTEGER at offset 2: not minimally encoded",
    "rdn-set-out-of-order": "SET OF elements out of order",
    "end-of-contents-inside": "end-of-contents octets",
    "null-with-content": "NULL with content",
}
# The re-encodings that keep the certificate's meaning (what the issue names): OpenSSL decodes
# them to the very certificate Fulcio signed.
SAME_MEANING = [name for name in VARIANTS if name.startswith(("trailing", "long-length", "indefinite"))] + [
    "constructed-string-in-name",
    "critical-false-explicit",
    "boolean-true-as-01",
    "serial-not-minimal",
    "ecdsa-signature-not-minimal",
]


@pytest.fixture(scope="module")
def leaf() -> Node:
    need_shared(CPYTHON)
    return tree(der.parse(leaf_der()))


def test_tree_round_trip_is_exact(leaf: Node) -> None:
    """The rebuild helper itself: an unchanged tree encodes to the very same bytes."""
    assert encode(leaf) == leaf_der()
    assert _certificate.load(encode(leaf)).serial_number


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_is_refused_by_the_strict_reader(leaf: Node, name: str) -> None:
    data = VARIANTS[name](leaf)
    assert data != leaf_der()
    with pytest.raises(der.DERError, match="not canonical DER") as caught:
        _x509.check(data)
    assert REASONS[name] in str(caught.value)
    with pytest.raises(ValueError, match="not canonical DER"):
        load_certificate(data, "leaf")


@pytest.mark.parametrize("name", SAME_MEANING)
def test_reencoded_leaf_in_a_real_bundle_is_an_input_error(leaf: Node, name: str, tmp_path: pathlib.Path) -> None:
    """The whole verifier, in every lane: a real CPython bundle whose leaf was re-encoded."""
    source = CPYTHON / "3.13.0" / "Python-3.13.0.tgz.sigstore"
    item = next(i for i in json.loads((CPYTHON / "manifest.json").read_text()) if i["bundle"] == "3.13.0/Python-3.13.0.tgz.sigstore")
    bundle = json.loads(source.read_text())
    material = bundle["verificationMaterial"]
    slot = material["certificate"] if "certificate" in material else material["x509CertificateChain"]["certificates"][0]
    slot["rawBytes"] = base64.b64encode(VARIANTS[name](leaf)).decode()
    path = tmp_path / "bundle.sigstore"
    path.write_text(json.dumps(bundle))
    argv = ["--bundle", str(path), "--cert-identity", item["identity"], "--cert-oidc-issuer", item["issuer"], item["digest"]]
    code, records, err = run_json(argv)
    assert code == 4, err
    assert records[0]["step"] == "bundle" and "not canonical DER" in err
    code, _, err = run_json(["--bundle", str(source), *argv[2:]])
    assert code == 0, err  # the genuine bundle verifies


def test_ca_false_as_explicit_default_is_refused() -> None:
    """BasicConstraints ``cA BOOLEAN DEFAULT FALSE``: FALSE must be omitted (X.690 11.5)."""
    ca = tree(der.parse(root_certificate_ders()[0]))
    extension = _extension(ca, "2.5.29.19")
    constraints = _value(extension)
    assert constraints[1][0] == (der.BOOLEAN, b"\xff")  # type: ignore[index]
    constraints[1][0] = (der.BOOLEAN, b"\x00")  # type: ignore[index]
    _set_value(extension, constraints)
    with pytest.raises(der.DERError, match="cA FALSE is the DEFAULT"):
        _x509.check(encode(ca))


def _rsa_certificate() -> bytes:
    import datetime

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "rsa")])
    moment = datetime.datetime(2025, 1, 1)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(7).not_valid_before(moment).not_valid_after(moment + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(Encoding.DER)


def test_signature_value_has_whole_octets() -> None:
    """The signatureValue BIT STRING holds whole octets (RSA here: ECDSA's holds DER, checked
    apart); one unused bit, its padding zero (so still DER), is refused."""
    data = bytearray(_rsa_certificate())
    signature = der.parse(bytes(data)).children()[2]
    assert data[signature.content_start] == 0
    data[signature.content_start] = 1
    data[signature.end - 1] &= 0xFE
    with pytest.raises(der.DERError, match="signatureValue: unused bits"):
        _x509.check(bytes(data))


def test_rsa_public_key_must_be_der_too() -> None:
    """An RSA subjectPublicKey holds DER (RFC 3279 2.3.1): a padded modulus is refused."""
    data = _rsa_certificate()
    _certificate.load(data)
    cert = tree(der.parse(data))
    spki = at(cert, 0, 6)
    tag, content = spki[1][1]  # type: ignore[index]
    key = tree(der.parse(content[1:]))
    key[1][0] = (der.INTEGER, b"\x00" + key[1][0][1])  # type: ignore[index]
    spki[1][1] = (tag, b"\x00" + encode(key))  # type: ignore[index]
    with pytest.raises(der.DERError, match="RSA public key: INTEGER at offset 4: not minimally encoded"):
        _x509.check(encode(cert))


@pytest.mark.parametrize("index", range(4))
@pytest.mark.parametrize("form", ["long", "indefinite", "trailing"])
def test_reencoded_trust_root_certificate_is_refused(index: int, form: str) -> None:
    """CA and TSA certificates of the shipped production root, each re-encoded in turn."""
    ders = root_certificate_ders()
    assert len(ders) >= 4
    original = ders[index]
    node = tree(der.parse(original))
    changed = original + b"\x00" if form == "trailing" else encode(node, {id(at(node, 0)): form})
    document = (SHIPPED / "sigstore" / "trusted_root.json").read_bytes()
    tampered = document.replace(base64.b64encode(original), base64.b64encode(changed))
    assert tampered != document
    parse_trusted_root(document)
    with pytest.raises(TrustRootError, match="not canonical DER"):
        parse_trusted_root(tampered)


def test_cosign_certificate_file_is_checked(leaf: Node) -> None:
    from sigstore_offline.cosign import decode_certificates

    good = encode(leaf)
    pem = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(good) + b"-----END CERTIFICATE-----\n"
    assert len(decode_certificates(pem, "cert")) == 1
    bad = VARIANTS["long-length-tbs"](leaf)
    with pytest.raises(ValueError, match="not canonical DER"):
        decode_certificates(bad, "cert")
    bad_pem = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(bad) + b"-----END CERTIFICATE-----\n"
    with pytest.raises(ValueError, match="not canonical DER"):
        decode_certificates(bad_pem, "cert")


def _pem(data: bytes) -> bytes:
    return b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(data) + b"-----END CERTIFICATE-----\n"


def test_pem_certificate_of_every_real_rekor_entry_body_is_its_bundle_leaf() -> None:
    """Rekor v1 hashedrekord bodies name the signing certificate as PEM: byte-equal to the leaf."""
    need_shared(CPYTHON)
    checked = 0
    for item in json.loads((CPYTHON / "manifest.json").read_text()):
        bundle = json.loads((CPYTHON / item["bundle"]).read_text())
        material = bundle["verificationMaterial"]
        raw = material["certificate"]["rawBytes"] if "certificate" in material else material["x509CertificateChain"]["certificates"][0]["rawBytes"]
        for entry in material.get("tlogEntries", []):
            body = json.loads(base64.b64decode(entry["canonicalizedBody"]))
            content = body.get("spec", {}).get("signature", {}).get("publicKey", {}).get("content")
            if content:
                assert _x509.pem_certificate(base64.b64decode(content)) == base64.b64decode(raw)
                checked += 1
    assert checked >= 300


@pytest.mark.parametrize("name", ["long-length-outer", "long-length-signature", "trailing-byte", "indefinite-outer"])
def test_pem_certificate_refuses_a_reencoded_certificate(leaf: Node, name: str) -> None:
    """On cryptography 3.4.8 these load and compare == to the original; here they are refused."""
    with pytest.raises(der.DERError, match="not canonical DER"):
        _x509.pem_certificate(_pem(VARIANTS[name](leaf)), "entry body")


@pytest.mark.parametrize(
    "text",
    [
        b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        b"junk-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        b"-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
        b"-----BEGIN CERTIFICATE-----\nMI*B\n-----END CERTIFICATE-----\n",
        b"-----BEGIN CERTIFICATE-----\nMIIB=\n-----END CERTIFICATE-----\n",
    ],
)
def test_pem_certificate_refuses_other_text(text: bytes) -> None:
    with pytest.raises(der.DERError):
        _x509.pem_certificate(text)


def test_every_certificate_in_every_corpus_is_canonical() -> None:
    """Every real certificate here (trust roots, CPython, conformance, PyPI, GitHub, TUF) loads,
    and cryptography reads the same TBSCertificate and extensions from it
    (tests/test_certificate_fields.py compares every field)."""
    need_shared(CPYTHON)
    found = [(where, data) for where, data in cert_corpus.certificates() if _shaped_like_a_certificate(data)]
    assert len(found) >= 430
    for where, data in found:
        _certificate.load(data, where)
        cert = x509.load_der_x509_certificate(data)
        layout = _x509.check(data)
        assert layout.tbs == cert.tbs_certificate_bytes
        assert [e.oid for e in layout.extensions] == [e.oid.dotted_string for e in cert.extensions]
        assert [e.critical for e in layout.extensions] == [e.critical for e in cert.extensions]


def _shaped_like_a_certificate(data: bytes) -> bool:
    """SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }: what the corpus harvest keeps as certificates."""
    try:
        return [item.tag for item in der.parse(data).children()] == [der.SEQUENCE, der.SEQUENCE, der.BIT_STRING]
    except der.DERError:
        return False


@pytest.mark.parametrize("name", ["long-length-tbs", "long-length-outer", "trailing-byte", "critical-false-explicit"])
def test_old_cryptography_alone_would_accept(leaf: Node, name: str) -> None:
    """Why the check exists: on 3.4.8 the library by itself takes these and re-encodes them."""
    skip_by_design(CRYPTOGRAPHY >= (35, 0), "only cryptography < 35 (OpenSSL's parser) accepts BER certificates: lane 4 runs this")
    cert = x509.load_der_x509_certificate(VARIANTS[name](leaf))
    assert cert.serial_number == x509.load_der_x509_certificate(leaf_der()).serial_number


# --- fuzzing ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzz_mutated_leaf_fails_only_as_der_error(leaf: Node, data: st.DataObject) -> None:
    """Random byte edits of a real leaf: the strict reader returns or raises DERError, nothing
    else; whatever it accepts, cryptography reads as exactly those bytes (or refuses)."""
    original = bytearray(encode(leaf))
    for _ in range(data.draw(st.integers(1, 4))):
        edit_bytes(data, original)
    mutated = bytes(original)
    try:
        _x509.check(mutated)
    except der.DERError:
        return
    try:
        cert = x509.load_der_x509_certificate(mutated)
    except ValueError:
        return
    if CRYPTOGRAPHY >= (35, 0):
        assert cert.tbs_certificate_bytes == _x509.check(mutated).tbs


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(blob: bytes) -> None:
    try:
        _x509.check(blob)
    except der.DERError:
        pass


# --- public keys (for the call sites that load keys; see the module docstring of _x509) --------


def _every_real_public_key() -> List[bytes]:
    keys = []
    for path in [SHIPPED / "sigstore" / "trusted_root.json", SHIPPED / "sigstage" / "trusted_root.json"]:
        if not path.exists():
            continue
        root = json.loads(path.read_text())
        keys += [base64.b64decode(log["publicKey"]["rawBytes"]) for log in root["tlogs"] + root["ctlogs"]]
    return keys


def test_every_shipped_log_key_is_canonical() -> None:
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    keys = _every_real_public_key()
    assert len(keys) >= 4
    for key in keys:
        assert _x509.public_key(key) == key
        load_der_public_key(_x509.public_key(key))
        pem = b"-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(key) + b"-----END PUBLIC KEY-----\n"
        assert _x509.pem_public_key(pem) == key


def test_every_public_key_in_every_corpus_is_canonical() -> None:
    """Log keys of every trusted root in ../shared, and every .pub file (PEM) there."""
    need_shared(CPYTHON)
    from helpers import SHARED

    count = 0
    for path in sorted(SHARED.rglob("*.json")):
        try:
            document = json.loads(path.read_text())
        except ValueError:
            continue
        if isinstance(document, dict) and "tlogs" in document:
            for log in document.get("tlogs", []) + document.get("ctlogs", []):
                _x509.public_key(base64.b64decode(log["publicKey"]["rawBytes"]), str(path))
                count += 1
    for path in sorted(SHARED.rglob("*.pub")):
        _x509.pem_public_key(path.read_bytes(), str(path))
        count += 1
    assert count >= 300


@pytest.mark.parametrize("form", ["long", "indefinite", "trailing", "long-inner"])
def test_reencoded_public_key_is_refused(form: str) -> None:
    """cryptography 3.4.8 and 36 load all of these; the strict reader refuses them everywhere."""
    key = _every_real_public_key()[0]
    node = tree(der.parse(key))
    if form == "trailing":
        changed = key + b"\x00"
    elif form == "long-inner":
        changed = encode(node, {id(at(node, 0)): "long"})
    else:
        changed = encode(node, {id(node): form})
    with pytest.raises(der.DERError, match="not canonical DER"):
        _x509.public_key(changed)
    pem = b"-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(changed) + b"-----END PUBLIC KEY-----\n"
    with pytest.raises(der.DERError, match="not canonical DER"):
        _x509.pem_public_key(pem)


@pytest.mark.parametrize("form", ["long", "trailing"])
def test_reencoded_log_key_in_a_trusted_root_is_refused(form: str) -> None:
    document = (SHIPPED / "sigstore" / "trusted_root.json").read_bytes()
    key = _every_real_public_key()[0]
    node = tree(der.parse(key))
    changed = key + b"\x00" if form == "trailing" else encode(node, {id(at(node, 0)): "long"})
    tampered = document.replace(base64.b64encode(key), base64.b64encode(changed))
    assert tampered != document
    with pytest.raises(TrustRootError, match=r"not a usable DER SubjectPublicKeyInfo \(DERError\)"):
        parse_trusted_root(tampered)


def test_pem_labels_must_match() -> None:
    key = _every_real_public_key()[0]
    body = base64.encodebytes(key)
    with pytest.raises(der.DERError, match="not one PEM PUBLIC KEY block"):
        _x509.pem_public_key(b"-----BEGIN CERTIFICATE-----\n" + body + b"-----END CERTIFICATE-----\n")
    with pytest.raises(der.DERError, match="not one PEM PUBLIC KEY block"):
        _x509.pem_public_key(b"-----BEGIN PUBLIC KEY-----\n" + body + b"-----END CERTIFICATE-----\n")
    with pytest.raises(der.DERError, match="not one PEM CERTIFICATE block"):
        _x509.pem_certificate(b"-----BEGIN PUBLIC KEY-----\n" + body + b"-----END PUBLIC KEY-----\n")


def test_pkcs1_rsa_key_is_checked_too() -> None:
    pkcs1 = next(k for k in _every_real_public_key() if k[4] == der.INTEGER)  # sigstage's ctfe/test
    assert _x509.public_key(pkcs1) == pkcs1
    node = tree(der.parse(pkcs1))
    for changed in (pkcs1 + b"\x00", encode(node, {id(at(node, 1)): "long"})):
        with pytest.raises(der.DERError, match="not canonical DER"):
            _x509.public_key(changed)
    node[1].append((der.INTEGER, b"\x01"))  # type: ignore[union-attr]
    with pytest.raises(der.DERError, match="RSAPublicKey: 3 elements"):
        _x509.public_key(encode(node))


def test_rsa_public_key_contents_are_checked() -> None:
    data = _rsa_certificate()
    spki = _x509.check(data).spki
    assert _x509.public_key(spki) == spki
    node = tree(der.parse(spki))
    tag, content = node[1][1]  # type: ignore[index]
    inner = tree(der.parse(content[1:]))
    inner[1][1] = (der.INTEGER, b"\x00" + inner[1][1][1])  # type: ignore[index]  # exponent 65537, padded
    node[1][1] = (tag, b"\x00" + encode(inner))  # type: ignore[index]
    with pytest.raises(der.DERError, match="RSA public key: INTEGER at offset .*: not minimally encoded"):
        _x509.public_key(encode(node))


# --- what the strict reader remembers --------------------------------------------------------


def test_remembered_elements_are_still_checked_in_their_place_and_refusals_are_not_remembered(leaf: Node) -> None:
    """Elements of a certificate that passed are remembered by their bytes (version, signature
    algorithm, names, extensions): a remembered extension appearing twice is still a duplicate,
    the outer algorithm must still equal the remembered inner one, and a refused certificate is
    refused again, however often it comes."""
    _x509._check(encode(leaf))  # the genuine leaf's repeated elements are now remembered
    assert {entry[1] for entry in _x509._KNOWN.values()} >= {"version", "algorithm", "name", "extension"}
    for name in ("duplicate-extension", "critical-false-explicit", "boolean-true-as-01", "key-usage-trailing-zero-bits",
                 "san-not-ascii", "oid-not-minimal", "utf8-invalid", "key-identifier-constructed", "signature-algorithms-differ",
                 "extensions-in-v1", "rdn-set-out-of-order", "constructed-string-in-name", "version-v1-explicit",
                 "null-with-content", "long-length-name", "indefinite-extension"):
        for _ in range(2):
            with pytest.raises(der.DERError) as caught:
                _x509._check(VARIANTS[name](leaf))
            assert REASONS[name] in str(caught.value)
        _x509._check(encode(leaf))


def _copied(cert: Node, source: Tuple[int, ...], target: Tuple[int, ...]) -> bytes:
    edited = copy.deepcopy(cert)
    at(edited, *target[:-1])[1][target[-1]] = copy.deepcopy(at(cert, *source))  # type: ignore[index]
    return encode(edited)


@pytest.mark.parametrize(
    ("source", "target", "reason"),
    [
        ((0, 3), (0, 4), "Validity.notBefore: expected UTCTime or GeneralizedTime, found SET"),  # issuer as validity
        ((0, 2), (0, 3), "issuer: RelativeDistinguishedName: expected SET, found OBJECT IDENTIFIER"),  # algorithm as issuer
        ((0, 3), (0, 5), ""),  # the issuer as subject: a name where a name goes, fine
        ((0, 3), (0, 7, 0, 0), "Extension.extnID: expected OBJECT IDENTIFIER, found SET"),  # a name two levels down
        ((0, 7, 0, 0), (0, 3), "issuer: RelativeDistinguishedName: expected SET, found OBJECT IDENTIFIER"),  # and up
    ],
)
def test_remembered_elements_in_another_place_are_read_again(
    leaf: Node, source: Tuple[int, ...], target: Tuple[int, ...], reason: str
) -> None:
    """A remembered element in another role (or at another depth) is checked for that role."""
    _x509._check(encode(leaf))
    if not reason:
        issuer, subject = _x509._check(_copied(leaf, source, target)).names
        assert issuer == subject == _x509._check(encode(leaf)).names[0]
        return
    with pytest.raises(der.DERError, match=reason):
        _x509._check(_copied(leaf, source, target))


def test_remembered_extension_inside_a_name_is_read_as_a_name(leaf: Node) -> None:
    """An AttributeTypeAndValue sits at the same depth as an Extension: one whose bytes are a
    remembered extension (OID, critical TRUE, OCTET STRING) is read, and refused, as an attribute."""
    _x509._check(encode(leaf))
    edited = copy.deepcopy(leaf)
    at(edited, 0, 3, 0)[1][0] = copy.deepcopy(_extension(leaf, "2.5.29.15"))  # type: ignore[index]
    with pytest.raises(der.DERError, match="AttributeTypeAndValue: unexpected"):
        _x509._check(encode(edited))


def test_the_memo_gives_what_a_fresh_read_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny memo, emptied over and over, over every certificate here: the same layout
    (extensions, names, TBSCertificate fields) as with nothing remembered."""
    need_shared(CPYTHON)
    found = [data for _, data in cert_corpus.certificates() if _shaped_like_a_certificate(data)]

    def read(data: bytes) -> Any:
        layout = _x509._check(data)
        return layout.extensions, layout.names, [(f.tag, f.raw) for f in layout.tbs_fields], layout.spki

    fresh = []
    for data in found:
        monkeypatch.setattr(_x509, "_KNOWN", {})
        fresh.append(read(data))
    monkeypatch.setattr(_x509, "_KNOWN_LIMIT", 5)
    for _ in range(2):
        assert [read(data) for data in found] == fresh
        assert len(_x509._KNOWN) <= 5
