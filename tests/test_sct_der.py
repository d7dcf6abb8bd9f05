# SPDX-License-Identifier: Apache-2.0
"""The SCT step's own readers (src/sigstore_offline/verify/sct.py): the SCT list and the
precertificate TBSCertificate, read from the certificate's bytes on every ``cryptography``.

Cross-checked byte for byte against ``cryptography`` >= 38 (``tbs_precertificate_bytes`` and its
SCT objects) on every certificate with an SCT list in every corpus here, and fuzzed: against
generated lists and against ``cryptography``'s own parser (a differential test).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import struct
from typing import Any, List, Optional, Tuple

import cryptography
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import cert_corpus
from helpers import CPYTHON, SHIPPED, edit_bytes, need_shared, skip_by_design
from sigstore_offline import _der as der
from sigstore_offline import _certificate, _x509
from sigstore_offline.errors import VerificationError
from sigstore_offline.trust.trusted_root import parse_trusted_root
from sigstore_offline.verify import sct

CRYPTOGRAPHY = tuple(int(part) for part in cryptography.__version__.split(".")[:2])
NEW_API = CRYPTOGRAPHY >= (38, 0)


def needs_new_api() -> None:
    skip_by_design(not NEW_API, "the cross-check needs cryptography >= 38 (tbs_precertificate_bytes): lanes 1, 2 and 5 run it")


HASH_NAMES = {1: "md5", 2: "sha1", 3: "sha224", 4: "sha256", 5: "sha384", 6: "sha512"}


def serialize(scts: List[bytes]) -> bytes:
    """The extension value for a list of serialized SCTs: DER OCTET STRING around the TLS list."""
    body = b"".join(struct.pack(">H", len(s)) + s for s in scts)
    return der.tlv(der.OCTET_STRING, struct.pack(">H", len(body)) + body)


def one_sct(*, version: int = 0, log_id: bytes = b"\x11" * 32, timestamp: int = 1_700_000_000_000,
            extensions: bytes = b"", hash_algorithm: int = 4, signature_algorithm: int = 3,
            signature: bytes = b"\x30\x06\x02\x01\x01\x02\x01\x01") -> bytes:
    return (
        bytes((version,)) + log_id + struct.pack(">Q", timestamp)
        + struct.pack(">H", len(extensions)) + extensions
        + bytes((hash_algorithm, signature_algorithm)) + struct.pack(">H", len(signature)) + signature
    )


def _leaves() -> List[Tuple[str, bytes]]:
    return cert_corpus.with_sct_list()


def _real_leaf() -> Tuple[Any, Any]:
    """A real CPython leaf and its issuer (the production intermediate), both as the verifier reads them."""
    bundle = json.loads((CPYTHON / "3.13.0" / "Python-3.13.0.tgz.sigstore").read_text())
    material = bundle["verificationMaterial"]
    raw = material["certificate"]["rawBytes"] if "certificate" in material else material["x509CertificateChain"]["certificates"][0]["rawBytes"]
    leaf = _certificate.load(base64.b64decode(raw))
    root = parse_trusted_root((SHIPPED / "sigstore" / "trusted_root.json").read_bytes())
    issuer = next(a.chain[0] for a in root.certificate_authorities if a.chain[0].subject == leaf.issuer)
    return leaf, issuer


def _ctlogs():  # type: ignore[no-untyped-def]
    return parse_trusted_root((SHIPPED / "sigstore" / "trusted_root.json").read_bytes()).ctlogs


# --- the corpus cross-check --------------------------------------------------------------------


def test_corpus_has_the_leaves() -> None:
    need_shared(CPYTHON)
    assert len(_leaves()) >= 390


def test_precertificate_tbs_matches_cryptography_on_every_corpus_certificate() -> None:
    needs_new_api()
    need_shared(CPYTHON)
    for where, data in _leaves():
        cert = x509.load_der_x509_certificate(data)
        assert sct.precertificate_tbs(_x509.check(data)) == cert.tbs_precertificate_bytes, where


def test_sct_fields_match_cryptography_on_every_corpus_certificate() -> None:
    needs_new_api()
    need_shared(CPYTHON)
    seen_extensions = 0
    for where, data in _leaves():
        cert = x509.load_der_x509_certificate(data)
        theirs = list(cert.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps).value)
        layout = _x509.check(data)
        (extension,) = [e for e in layout.extensions if e.oid == _x509.SCT_LIST_OID]
        ours = sct.parse_sct_list(extension.value)
        assert len(ours) == len(theirs) >= 1, where
        for mine, their in zip(ours, theirs):
            assert mine.version == their.version.value == 0
            assert their.entry_type == x509.certificate_transparency.LogEntryType.PRE_CERTIFICATE
            assert mine.log_id == their.log_id
            assert mine.moment == their.timestamp.replace(tzinfo=datetime.timezone.utc)
            assert mine.extensions == their.extension_bytes
            assert HASH_NAMES[mine.hash_algorithm] == their.signature_hash_algorithm.name
            assert mine.signature_algorithm == their.signature_algorithm.value
            assert mine.signature == their.signature
            seen_extensions += bool(mine.extensions)
    assert seen_extensions >= 1  # the conformance case bundle-with-sct-with-extensions


def test_generated_leaves_match_cryptography() -> None:
    """The generated test instance's leaves (tests/testinstance): every SCT shape it issues."""
    needs_new_api()
    from testinstance.ca import LeafSpec
    from testinstance.instance import TestInstance

    instance = TestInstance(seed="sct cross-check")
    for spec in (LeafSpec(), LeafSpec(sct="unknown-log"), LeafSpec(sct="bad-signature")):
        data = instance.issue_leaf(spec).cert.public_bytes(Encoding.DER)
        _certificate.load(data)
        cert = x509.load_der_x509_certificate(data)
        layout = _x509.check(data)
        assert sct.precertificate_tbs(layout) == cert.tbs_precertificate_bytes
        (extension,) = [e for e in layout.extensions if e.oid == _x509.SCT_LIST_OID]
        theirs = cert.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps).value
        assert [(s.log_id, s.signature) for s in sct.parse_sct_list(extension.value)] == [
            (s.log_id, s.signature) for s in theirs
        ]


def test_issuer_key_hash_is_over_the_encoded_key_on_every_corpus_ca() -> None:
    """issuer_key_hash hashes the SPKI as the certificate encodes it; for every real CA here that
    is also cryptography's re-encoding of the key (what sigstore-python hashes)."""
    need_shared(CPYTHON)
    cas = [data for _, data in cert_corpus.certificates() if b"\x06\x03\x55\x1d\x13" in data]
    assert len(cas) >= 10
    for data in cas:
        try:
            _certificate.load(data)
        except ValueError:
            continue
        cert = x509.load_der_x509_certificate(data)
        spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        assert _x509.check(data).spki == spki


# --- verify_scts on a real leaf ----------------------------------------------------------------


def test_real_leaf_verifies_and_the_precertificate_matters() -> None:
    need_shared(CPYTHON)
    leaf, issuer = _real_leaf()
    assert sct.verify_scts(leaf, issuer, _ctlogs()) == 1
    # The SCT signs the TBS *without* its SCT list: the full TBS must not verify.
    layout = _x509.check(leaf.der)
    (extension,) = [e for e in layout.extensions if e.oid == _x509.SCT_LIST_OID]
    (one,) = sct.parse_sct_list(extension.value)
    log = next(c for c in _ctlogs() if c.log_id == one.log_id)
    key_hash = hashlib.sha256(_x509.check(issuer.der).spki).digest()
    signed = sct.signed_data(one, issuer_key_hash=key_hash, tbs_precertificate=sct.precertificate_tbs(layout))
    log.public_key.verify(one.signature, signed, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(Exception):  # noqa: B017 -- InvalidSignature
        wrong = sct.signed_data(one, issuer_key_hash=key_hash, tbs_precertificate=layout.tbs)
        log.public_key.verify(one.signature, wrong, ec.ECDSA(hashes.SHA256()))


def _with_sct_value(leaf: Any, change) -> Any:  # type: ignore[no-untyped-def]
    """The leaf with its SCT-list value rewritten, same lengths (so still canonical DER)."""
    data = leaf.der
    layout = _x509.check(data)
    (extension,) = [e for e in layout.extensions if e.oid == _x509.SCT_LIST_OID]
    new_value = change(extension.value)
    assert len(new_value) == len(extension.value)
    return _certificate.load(data.replace(extension.value, new_value))


def test_timestamp_past_9999_is_malformed_input_not_a_crash() -> None:
    need_shared(CPYTHON)
    leaf, _ = _real_leaf()
    # timestamp sits after: OCTET STRING header (2 or 4), list length (2), SCT length (2), version, log id
    def far_future(value: bytes) -> bytes:
        inner = der.parse(value).content_start
        at = inner + 2 + 2 + 1 + 32
        return value[:at] + b"\xff" * 8 + value[at + 8 :]

    with pytest.raises(der.DERError, match="past the year 9999"):
        _with_sct_value(leaf, far_future)


def test_changed_sct_hash_algorithm_does_not_verify() -> None:
    """Only SHA-2 verifies: the same signature labelled SHA-1 (2) or MD5 (1) fails the step."""
    need_shared(CPYTHON)
    leaf, issuer = _real_leaf()
    for label in (1, 2):
        def relabel(value: bytes, label: int = label) -> bytes:
            inner = der.parse(value).content_start
            sct_start = inner + 2 + 2
            length = int.from_bytes(value[inner + 2 : inner + 4], "big")
            ext_length = int.from_bytes(value[sct_start + 41 : sct_start + 43], "big")
            at = sct_start + 43 + ext_length
            assert at < inner + 4 + length
            return value[:at] + bytes((label,)) + value[at + 1 :]

        with pytest.raises(VerificationError, match="does not verify"):
            sct.verify_scts(_with_sct_value(leaf, relabel), issuer, _ctlogs())


def test_malformed_list_in_a_leaf_is_malformed_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Read when the certificate is loaded: the bundle is malformed input (exit 4, step bundle)."""
    need_shared(CPYTHON)
    leaf, _ = _real_leaf()

    def bad_version(value: bytes) -> bytes:
        at = der.parse(value).content_start + 4
        return value[:at] + b"\x01" + value[at + 1 :]

    with pytest.raises(der.DERError, match="SCT 1: version 1"):
        _with_sct_value(leaf, bad_version)
    from helpers import run_json

    source = CPYTHON / "3.13.0" / "Python-3.13.0.tgz.sigstore"
    item = next(i for i in json.loads((CPYTHON / "manifest.json").read_text()) if i["bundle"] == "3.13.0/Python-3.13.0.tgz.sigstore")
    bundle = json.loads(source.read_text())
    material = bundle["verificationMaterial"]
    slot = material["certificate"] if "certificate" in material else material["x509CertificateChain"]["certificates"][0]
    data = leaf.der
    (extension,) = [e for e in _x509.check(data).extensions if e.oid == _x509.SCT_LIST_OID]
    slot["rawBytes"] = base64.b64encode(data.replace(extension.value, bad_version(extension.value))).decode()
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    code, records, err = run_json(["--bundle", str(tmp_path / "bundle.json"), "--cert-identity", item["identity"],
                                   "--cert-oidc-issuer", item["issuer"], item["digest"]])
    assert code == 4 and records[0]["step"] == "bundle" and "SCT 1: version 1" in err, err


def test_leaf_without_sct_list() -> None:
    need_shared(CPYTHON)
    _, issuer = _real_leaf()
    with pytest.raises(VerificationError, match="carries no embedded SCT"):
        sct.verify_scts(issuer, issuer, _ctlogs())
    with pytest.raises(der.DERError, match="no SCT-list extension"):
        sct.precertificate_tbs(_x509.check(issuer.der))


# --- the list parser: what it refuses ------------------------------------------------------------


def test_round_trip_of_a_simple_list() -> None:
    value = serialize([one_sct(), one_sct(log_id=b"\x22" * 32, extensions=b"\x01\x02")])
    first, second = sct.parse_sct_list(value)
    assert first.log_id == b"\x11" * 32 and first.timestamp == 1_700_000_000_000 and first.extensions == b""
    assert second.log_id == b"\x22" * 32 and second.extensions == b"\x01\x02"
    assert first.hash_algorithm == 4 and first.signature_algorithm == 3


def _list_bytes(scts: List[bytes]) -> bytes:
    body = b"".join(struct.pack(">H", len(s)) + s for s in scts)
    return struct.pack(">H", len(body)) + body


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (der.tlv(der.OCTET_STRING, _list_bytes([one_sct()]) + b"\x00"), "after the last field"),
        (der.tlv(der.OCTET_STRING, _list_bytes([one_sct() + b"\x00"])), "after the last field"),
        (der.tlv(der.OCTET_STRING, _list_bytes([one_sct()])[:-1]), "truncated"),
        (der.tlv(der.OCTET_STRING, _list_bytes([])), "empty"),
        (der.tlv(der.OCTET_STRING, _list_bytes([b""])), "SCT 1: empty"),
        (serialize([one_sct(version=1)]), "version 1"),
        (serialize([one_sct(hash_algorithm=0)]), "unknown algorithm"),
        (serialize([one_sct(hash_algorithm=7)]), "unknown algorithm"),
        (serialize([one_sct(signature_algorithm=0)]), "unknown algorithm"),
        (serialize([one_sct(signature_algorithm=4)]), "unknown algorithm"),
        (serialize([one_sct()[:-3]]), "truncated"),
        (serialize([one_sct()[:20]]), "truncated in log_id"),
        (der.tlv(der.SEQUENCE, _list_bytes([one_sct()])), "expected OCTET STRING"),
        (serialize([one_sct()]) + b"\x00", "trailing"),
        (b"\x04\x81\x10" + b"\x00" * 16, "not minimal"),
        (b"\x04\x80" + _list_bytes([one_sct()]) + b"\x00\x00", "indefinite"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_refused_lists(value: bytes, reason: str) -> None:
    with pytest.raises(der.DERError, match=reason):
        sct.parse_sct_list(value)


def test_timestamp_range() -> None:
    (latest,) = sct.parse_sct_list(serialize([one_sct(timestamp=253402300799999)]))
    assert latest.moment == datetime.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=datetime.timezone.utc)
    (beyond,) = sct.parse_sct_list(serialize([one_sct(timestamp=253402300800000)]))
    with pytest.raises(ValueError, match="past the year 9999"):
        beyond.moment  # noqa: B018


# --- fuzzing ---------------------------------------------------------------------------------

_SCT = st.builds(
    one_sct,
    log_id=st.binary(min_size=32, max_size=32),
    timestamp=st.one_of(st.integers(0, 253402300799999), st.integers(0, 2**64 - 1)),
    extensions=st.binary(max_size=40),
    hash_algorithm=st.integers(1, 6),
    signature_algorithm=st.integers(1, 3),
    signature=st.binary(max_size=80),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_SCT, min_size=1, max_size=4))
def test_fuzz_round_trip(scts: List[bytes]) -> None:
    """Any well-formed list parses back to its fields, and only one encoding reads that way."""
    value = serialize(scts)
    parsed = sct.parse_sct_list(value)
    assert serialize([
        one_sct(version=p.version, log_id=p.log_id, timestamp=p.timestamp, extensions=p.extensions,
                hash_algorithm=p.hash_algorithm, signature_algorithm=p.signature_algorithm, signature=p.signature)
        for p in parsed
    ]) == value


@settings(max_examples=500, deadline=None)
@given(st.lists(_SCT, min_size=1, max_size=3), st.data())
def test_fuzz_mutations_fail_only_as_der_error(scts: List[bytes], data: st.DataObject) -> None:
    value = bytearray(serialize(scts))
    for _ in range(data.draw(st.integers(1, 3))):
        edit_bytes(data, value)
    try:
        parsed = sct.parse_sct_list(bytes(value))
    except der.DERError:
        return
    assert parsed  # never an empty success


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_random_bytes(blob: bytes) -> None:
    try:
        sct.parse_sct_list(blob)
    except der.DERError:
        pass


# --- differential: the same bytes through cryptography's parser (>= 38) -----------------------

_KEY = ec.generate_private_key(ec.SECP256R1())


def _certificate_with(extension_value: bytes, extra: Tuple[Tuple[str, bool, bytes], ...] = (),
                      position: int = 0) -> bytes:
    """A self-signed certificate carrying ``extension_value`` as its SCT-list extension."""
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "sct fuzz")])
    moment = datetime.datetime(2025, 1, 1)
    builder = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(_KEY.public_key())
        .serial_number(1).not_valid_before(moment).not_valid_after(moment + datetime.timedelta(days=1))
    )
    extensions = [(x509.ObjectIdentifier(oid), critical, value) for oid, critical, value in extra]
    extensions.insert(min(position, len(extensions)), (x509.ObjectIdentifier(_x509.SCT_LIST_OID), False, extension_value))
    for oid, critical, value in extensions:
        builder = builder.add_extension(x509.UnrecognizedExtension(oid, value), critical=critical)
    return builder.sign(_KEY, hashes.SHA256()).public_bytes(Encoding.DER)


def _theirs(data: bytes) -> Optional[list]:  # type: ignore[type-arg]
    cert = x509.load_der_x509_certificate(data)
    try:
        return list(cert.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps).value)
    except ValueError:
        return None


@settings(max_examples=200, deadline=None)
@given(st.lists(_SCT, min_size=1, max_size=3), st.data())
def test_differential_against_cryptography(scts: List[bytes], data: st.DataObject) -> None:
    """Whatever the strict parser accepts, cryptography accepts with the same fields; it may
    refuse more (trailing bytes, an empty list), never less."""
    needs_new_api()
    value = bytearray(serialize(scts))
    if data.draw(st.booleans()):
        position = data.draw(st.integers(0, len(value) - 1))
        value[position] ^= data.draw(st.integers(1, 255))
    value_bytes = bytes(value)
    try:
        ours: Optional[Tuple[sct.SCT, ...]] = sct.parse_sct_list(value_bytes)
    except der.DERError:
        ours = None
    theirs = _theirs(_certificate_with(value_bytes))
    if ours is None:
        return
    assert theirs is not None and len(theirs) == len(ours)
    for mine, their in zip(ours, theirs):
        assert (mine.log_id, mine.extensions, mine.signature) == (their.log_id, their.extension_bytes, their.signature)
        assert HASH_NAMES[mine.hash_algorithm] == their.signature_hash_algorithm.name


_OTHER_EXTENSION = st.tuples(
    st.sampled_from(["1.2.3.4", "1.3.6.1.4.1.99999.1", "1.3.6.1.4.1.57264.1.1", "2.999.7"]),
    st.booleans(),
    st.binary(max_size=300),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_OTHER_EXTENSION, max_size=4, unique_by=lambda e: e[0]), st.integers(0, 4),
       st.lists(_SCT, min_size=1, max_size=2), st.integers(0, 300))
def test_differential_precertificate_tbs(extra: List[Tuple[str, bool, bytes]], position: int,
                                         scts: List[bytes], padding: int) -> None:
    """The precertificate TBS equals cryptography's for any mix and order of extensions and any
    length (short and long DER length forms around the removed extension)."""
    needs_new_api()
    assume(all(int.from_bytes(s[33:41], "big") <= 253402300799999 for s in scts))  # else refused at load
    value = serialize(scts)
    extra = [(oid, critical, blob + b"\x00" * padding) if i == 0 else (oid, critical, blob)
             for i, (oid, critical, blob) in enumerate(extra)]
    data = _certificate_with(value, tuple(extra), position)
    cert = x509.load_der_x509_certificate(data)
    assert sct.precertificate_tbs(_x509.check(data)) == cert.tbs_precertificate_bytes


@settings(max_examples=400, deadline=None)
@given(st.lists(st.builds(one_sct, version=st.sampled_from([0, 0, 0, 1]), extensions=st.binary(max_size=6),
                          hash_algorithm=st.integers(0, 8), signature_algorithm=st.integers(0, 5),
                          signature=st.binary(max_size=8)), max_size=3),
       st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255), st.sampled_from(["set", "insert", "delete"])), max_size=3))
def test_fast_list_reader_agrees_with_the_field_by_field_one(scts: List[bytes], edits: List[Tuple[int, int, str]]) -> None:
    """_x509 reads an SCT list with plain offsets first; it must accept exactly the lists the
    field-by-field reader accepts, with the same SCTs (None where that one raises)."""
    listing = bytearray(_list_bytes(scts))
    for position, value, kind in edits:
        position %= len(listing) + 1
        if kind == "insert":
            listing[position:position] = bytes((value,))
        elif position < len(listing):
            if kind == "set":
                listing[position] = value
            else:
                del listing[position]
    data = bytes(listing)
    try:
        expected: Optional[Tuple[sct.SCT, ...]] = _x509._sct_list(data)
    except der.DERError:
        expected = None
    assert _x509._sct_list_fast(data) == expected
