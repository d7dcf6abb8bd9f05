# SPDX-License-Identifier: Apache-2.0
"""RFC 3161 timestamp verification (src/sigstore_offline/verify/rfc3161.py).

Every check has a negative test built with the test TSA (tests/testinstance/tsa.py); real
timestamps from ../shared/vectors run in place; hypothesis mutates real and test tokens.
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import json
import pathlib
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import given, settings
from hypothesis import strategies as st

from sigstore_offline import _der as der
from sigstore_offline._encoding import b64decode
from sigstore_offline.errors import InputError, TrustRootError, VerificationError
from sigstore_offline.trust.trusted_root import Authority, TrustedRoot, ValidityWindow, parse_trusted_root
from sigstore_offline.verify.certchain import not_after
from sigstore_offline.verify.rfc3161 import SIGNED_DATA, TST_INFO, TimestampToken, VerifiedTimestamp, parse_timestamp, verify_timestamp
from helpers import CONFORMANCE, CPYTHON, PRODUCTION_ROOT_FOR_CONFORMANCE, SHIPPED, need_shared, ours, unavailable
from tests.testinstance.tsa import HASH_OIDS, Options, TestTSA

UTC = datetime.timezone.utc
T0 = datetime.datetime(2025, 1, 1, tzinfo=UTC)
GEN = T0 + datetime.timedelta(days=10)
SIG = b"0E\x02 the bundle's message signature"


def _ours(*chain: x509.Certificate) -> Tuple[Any, ...]:
    """A chain built with cryptography, as the trusted root's parser gives it (the verifier's reader)."""
    return tuple(ours(cert) for cert in chain)


@functools.lru_cache(maxsize=None)
def tsa(chain_length: int = 2, name: str = "tsa.test") -> TestTSA:
    return TestTSA(name=name, not_before=T0, not_after=T0 + datetime.timedelta(days=365), chain_length=chain_length)


def trusted_root(entries: Sequence[Dict[str, Any]]) -> TrustedRoot:
    """A trusted_root.json around TSA entries (a dummy log and CA: parse_trusted_root needs them)."""
    log_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    spki = log_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    window = {"start": "2020-01-01T00:00:00Z"}
    doc = {
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [
            {
                "baseUrl": "https://log.test",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {"rawBytes": base64.b64encode(spki).decode(), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": window},
                "logId": {"keyId": base64.b64encode(hashlib.sha256(spki).digest()).decode()},
            }
        ],
        "certificateAuthorities": [entries[0] if entries else tsa().trusted_root_entry(start=T0)],
        "timestampAuthorities": list(entries),
    }
    return parse_trusted_root(json.dumps(doc).encode())


def authorities(*pairs: Tuple[TestTSA, Dict[str, Any]]) -> Tuple[Authority, ...]:
    return trusted_root([t.trusted_root_entry(**window) for t, window in pairs]).timestamp_authorities


def default_authorities() -> Tuple[Authority, ...]:
    return authorities((tsa(), {"start": T0}))


def verify(token: bytes, auths: Optional[Sequence[Authority]] = None, signature: bytes = SIG) -> VerifiedTimestamp:
    return verify_timestamp(token, signature=signature, authorities=default_authorities() if auths is None else auths)


# What every message of a given failure says; each negative pins the part that names its reason.
MALFORMED = "timestamp: malformed RFC 3161 timestamp: "
NOT_SIGNED = "no trusted timestamp authority signed this timestamp"


def fails(token: bytes, auths: Optional[Sequence[Authority]] = None, *, message: str, error: type = VerificationError,
          signature: bytes = SIG) -> None:
    """Verifying ``token`` raises exactly ``error`` at step timestamp, with ``message`` in its text:
    a negative that starts failing for some other reason is caught."""
    with pytest.raises(error) as info:
        verify(token, auths, signature)
    assert type(info.value) is error
    assert info.value.step == "timestamp"
    assert message in str(info.value), str(info.value)
    if error is InputError:
        assert str(info.value).startswith(MALFORMED), str(info.value)


def built(**options: Any) -> bytes:
    return tsa().build(SIG, gen_time=GEN, options=Options(**options))


# --- positive -------------------------------------------------------------------------------------


@pytest.mark.parametrize("chain_length", [2, 3])
@pytest.mark.parametrize("hash_name", ["sha256", "sha384", "sha512"])
@pytest.mark.parametrize("embed_certs", [False, True])
def test_valid_token(chain_length: int, hash_name: str, embed_certs: bool) -> None:
    authority = tsa(chain_length)
    token = authority.timestamp(SIG, gen_time=GEN, hash_name=hash_name, embed_certs=embed_certs)
    result = verify(token, authorities((authority, {"start": T0})))
    assert result.time == GEN and result.time.tzinfo is not None
    assert result.authority.chain[0] == ours(authority.leaf)


@pytest.mark.parametrize(
    "options",
    [
        {"sid": "ski"},  # subjectKeyIdentifier sid, SignerInfo version 3
        {"ess": "v1"},
        {"ess": "both"},
        {"ess": "none"},  # ESS is checked when present
    ],
)
def test_valid_variants(options: Dict[str, Any]) -> None:
    assert verify(built(**options)).time == GEN


def test_fractional_gen_time() -> None:
    moment = GEN + datetime.timedelta(microseconds=120000)
    assert verify(tsa().timestamp(SIG, gen_time=moment)).time == moment


def test_picks_the_authority_that_signed() -> None:
    other = tsa(name="other.test")
    auths = authorities((other, {"start": T0}), (tsa(), {"start": T0}))
    assert verify(tsa().timestamp(SIG, gen_time=GEN), auths).authority == auths[1]


def test_validity_window_end_is_inclusive() -> None:
    assert verify(tsa().timestamp(SIG, gen_time=GEN), authorities((tsa(), {"start": T0, "end": GEN}))).time == GEN


def test_start_of_window_is_inclusive() -> None:
    assert verify(tsa().timestamp(SIG, gen_time=GEN), authorities((tsa(), {"start": GEN}))).time == GEN


def test_parse_returns_typed_fields() -> None:
    """parse_timestamp reads the grammar only: the typed value carries what the checks compare."""
    token = tsa().timestamp(SIG, gen_time=GEN, embed_certs=True)
    parsed = parse_timestamp(token)
    assert isinstance(parsed, TimestampToken) and (parsed.status, parsed.content_type) == (0, SIGNED_DATA)
    signed_data = parsed.signed_data
    assert signed_data is not None and signed_data.version == 3 and signed_data.e_content_type == TST_INFO
    assert signed_data.tst_info is not None and signed_data.tst_info.gen_time == GEN
    assert signed_data.tst_info.hashed_message == hashlib.sha256(SIG).digest()
    assert not signed_data.has_crls and len(signed_data.certificates) == 2
    (signer,) = signed_data.signer_infos
    assert signer.version == 1 and signer.sid[0] == "issuer-serial" and signer.signed_attributes is not None
    assert signer.signed_attributes.content_types == (TST_INFO,) and len(signer.signed_attributes.message_digests) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"status": 2}, "the TSA response status is rejection"),
        ({"content_type": "1.2.840.113549.1.7.1"}, "the token's content type is 1.2.840.113549.1.7.1"),
        ({"e_content_type": "1.2.840.113549.1.7.1"}, "the signed content type is 1.2.840.113549.1.7.1"),
        ({"signer_info_count": 0}, "the token has 0 SignerInfos"),
        ({"signature_oid": "1.2.3.4"}, "unsupported signature algorithm 1.2.3.4"),
        ({"duplicate_attribute": True}, "appears twice"),
    ],
)
def test_wrong_values_parse_and_fail_the_checks(options: Dict[str, Any], message: str) -> None:
    """A well-formed token with a value that is not the required one parses (no InputError) and
    fails a check (VerificationError, exit 1)."""
    token = built(**options)
    assert isinstance(parse_timestamp(token), TimestampToken)
    fails(token, message=message)


def test_refusal_without_a_token_parses_and_fails_on_its_status() -> None:
    """RFC 3161 2.4.2: a response that is not granted need not carry a token; a granted one must."""
    refusal = der.tlv(der.SEQUENCE, der.tlv(der.SEQUENCE, der.tlv(der.INTEGER, b"\x02")))
    assert parse_timestamp(refusal) == TimestampToken(2, "", None)
    fails(refusal, message="the TSA response status is rejection, expected granted (0)")
    granted = der.tlv(der.SEQUENCE, der.tlv(der.SEQUENCE, der.tlv(der.INTEGER, b"\x00")))
    fails(granted, error=InputError, message="TimeStampResp: missing timeStampToken")


# --- negative: one test per check -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (b"", "truncated: no identifier octet at offset 0"),
        (b"\x30\x80", "indefinite length at offset 1 (not DER)"),
        (b"not DER at all", "length 111 runs past the end"),
        (b"\x30\x03\x02\x01\x00", "TimeStampResp.status: expected SEQUENCE, found INTEGER"),
    ],
)
def test_malformed_input(token: bytes, message: str) -> None:
    fails(token, error=InputError, message=message)


def test_truncated_and_trailing_bytes() -> None:
    token = tsa().timestamp(SIG, gen_time=GEN)
    fails(token[:-1], error=InputError, message=f"length {len(token) - 4} runs past the end ({len(token) - 5} left)")
    fails(token + b"\x00", error=InputError, message="TimeStampResp: 1 trailing byte(s) after the element")


_NOT_GENERALIZED_TIME = "is not a DER GeneralizedTime (YYYYMMDDHHMMSS[.f]Z)"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"ess": "v2-empty"}, "SigningCertificateV2: no certificate identifiers",
                     id="ess-without-certificate-ids"),
        pytest.param({"empty_attribute": True}, "signed attribute 1.2.3.4 has no values", id="attribute-without-values"),
        pytest.param({"gen_time_der": "20250111000000.50Z"}, f"TSTInfo.genTime: b'20250111000000.50Z' {_NOT_GENERALIZED_TIME}",
                     id="gentime-trailing-zero"),
        pytest.param({"gen_time_der": "20250111000000+0000"},
                     f"TSTInfo.genTime: b'20250111000000+0000' {_NOT_GENERALIZED_TIME}", id="gentime-offset"),
    ],
)
def test_malformed_signed_structures(options: Dict[str, Any], message: str) -> None:
    """Validly signed but ungrammatical content is an InputError, not a pass."""
    fails(built(**options), error=InputError, message=message)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"status": 2}, "the TSA response status is rejection, expected granted (0)", id="status-rejection"),
        pytest.param({"status": 1}, "the TSA response status is grantedWithMods, expected granted (0)", id="status-granted-with-mods"),
        pytest.param({"crls": True}, "the token carries CRLs", id="crls"),
        pytest.param({"content_type": "1.2.840.113549.1.7.1"}, "the token's content type is 1.2.840.113549.1.7.1, expected CMS SignedData", id="contentinfo-not-signeddata"),
        pytest.param({"signed_data_version": 1}, "SignedData version is 1, expected 3", id="signeddata-version"),
        pytest.param({"e_content_type": "1.2.840.113549.1.7.1"}, "the signed content type is 1.2.840.113549.1.7.1, expected id-ct-TSTInfo", id="econtent-not-tstinfo"),
        pytest.param({"signer_info_count": 2}, "the token has 2 SignerInfos, expected exactly one", id="two-signerinfos"),
        pytest.param({"signer_info_count": 0}, "the token has 0 SignerInfos, expected exactly one", id="no-signerinfo"),
        pytest.param({"signer_version": 3}, "SignerInfo version is 3, expected 1 for its sid", id="signerinfo-version-vs-sid"),
        pytest.param({"tst_version": 2}, "TSTInfo version is 2, expected 1", id="tstinfo-version"),
        pytest.param({"imprint_hash_oid": HASH_OIDS["sha1"]}, "messageImprint.hashAlgorithm: unsupported hash algorithm 1.3.14.3.2.26", id="imprint-hash-sha1"),
        pytest.param({"imprint": b"\x00" * 32}, "the message imprint is 0000000000000000…, expected sha256 of the bundle signature", id="imprint-value"),
        pytest.param({"digest_oid": HASH_OIDS["sha1"]}, "SignerInfo.digestAlgorithm: unsupported hash algorithm 1.3.14.3.2.26", id="signer-digest-sha1"),
        pytest.param({"listed_digest_oid": HASH_OIDS["sha512"]}, "SignedData.digestAlgorithms does not list the signer's digest algorithm sha256", id="digestalgorithms-lacks-signer-digest"),
        pytest.param({"signed_attrs": False}, "the SignerInfo has no signed attributes", id="no-signed-attributes"),
        pytest.param({"attr_content_type": None}, "the signed attributes lack contentType", id="no-contenttype-attribute"),
        pytest.param({"attr_content_type": "1.2.840.113549.1.7.1"}, "the contentType attribute is 1.2.840.113549.1.7.1, expected id-ct-TSTInfo", id="contenttype-attribute-value"),
        pytest.param({"content_type_values": 2}, "signed attribute contentType has 2 values, expected exactly one", id="contenttype-attribute-two-values"),
        pytest.param({"omit_message_digest": True}, "the signed attributes lack messageDigest", id="no-messagedigest-attribute"),
        pytest.param({"message_digest": b"\x00" * 32}, "the messageDigest attribute does not match the sha256 of the TSTInfo", id="messagedigest-value"),
        pytest.param({"duplicate_attribute": True}, "signed attribute 1.2.840.113549.1.9.5 appears twice", id="duplicate-attribute"),
        pytest.param({"signature_oid": "1.2.3.4"}, "unsupported signature algorithm 1.2.3.4", id="unknown-signature-algorithm"),
        # An algorithm that does not fit the key: a signature no TSA key verifies.
        pytest.param({"signature_oid": "1.2.840.113549.1.1.11"}, NOT_SIGNED, id="rsa-algorithm-for-ec-key"),
        pytest.param({"corrupt_signature": True}, NOT_SIGNED, id="signature"),
        pytest.param({"signing_key": ec.generate_private_key(ec.SECP256R1())}, NOT_SIGNED, id="signed-by-another-key"),
        pytest.param({"sid": "wrong-serial"}, "but the SignerInfo names another certificate (serial ", id="sid-serial"),
        pytest.param({"sid": "wrong-issuer"}, "but the SignerInfo names another certificate (serial ", id="sid-issuer"),
        pytest.param({"sid": "wrong-ski"}, "but the SignerInfo names key identifier 00", id="sid-ski"),
        pytest.param({"ess": "v2-wrong-hash"}, "the ESS signingCertificate attribute names another certificate (hash mismatch)", id="ess-v2-hash"),
        pytest.param({"ess": "v2-wrong-serial"}, "the ESS signingCertificate attribute names another issuer or serial number", id="ess-v2-issuer-serial"),
        pytest.param({"ess": "v1-wrong-hash"}, "the ESS signingCertificate attribute names another certificate (hash mismatch)", id="ess-v1-hash"),
        pytest.param({"ess": "v2-wrong-issuer"}, "the ESS signingCertificate attribute names another issuer or serial number", id="ess-v2-issuer"),
    ],
)
def test_each_check(options: Dict[str, Any], message: str) -> None:
    fails(built(**options), message=message)


def test_knobs_of_the_short_api() -> None:
    authority = tsa()
    expected = hashlib.sha256(SIG).hexdigest()[:16]
    fails(authority.timestamp(SIG, gen_time=GEN, wrong_imprint=True),
          message=f"expected sha256 of the bundle signature {expected}…")
    fails(authority.timestamp(SIG, gen_time=GEN, wrong_message_digest_attr=True),
          message="the messageDigest attribute does not match the sha256 of the TSTInfo")
    fails(authority.timestamp(SIG, gen_time=GEN, bad_signature=True), message=NOT_SIGNED)
    fails(authority.timestamp(SIG, gen_time=GEN, signer=ec.generate_private_key(ec.SECP256R1())), message=NOT_SIGNED)
    other = hashlib.sha256(SIG + b"x").hexdigest()[:16]
    fails(authority.timestamp(SIG, gen_time=GEN), signature=SIG + b"x",
          message=f"the message imprint is {expected}…, expected sha256 of the bundle signature {other}…")


@pytest.mark.parametrize("embed_certs", [False, True])
def test_untrusted_tsa_even_with_embedded_certificates(embed_certs: bool) -> None:
    """Certificates in the token are never trusted: only the trusted root's TSA keys count."""
    other = tsa(name="untrusted.test")
    fails(tsa().timestamp(SIG, gen_time=GEN, signer=other, embed_certs=embed_certs),
          message=f"{NOT_SIGNED}: it is from a TSA the trusted root does not list (signer issuer O=untrusted.test,")


def test_gen_time_outside_leaf_validity() -> None:
    late = T0 + datetime.timedelta(days=366)
    fails(tsa().timestamp(SIG, gen_time=late), message="but its chain does not verify at genTime 2026-01-02T00:00:00Z: "
          "signing certificate was not valid at 2026-01-02T00:00:00Z")
    fails(tsa().timestamp(SIG, gen_time=T0 - datetime.timedelta(seconds=1)),
          authorities((tsa(), {"start": T0 - datetime.timedelta(days=1)})),
          message="but its chain does not verify at genTime 2024-12-31T23:59:59Z: "
          "signing certificate was not valid at 2024-12-31T23:59:59Z")


def test_gen_time_outside_trusted_root_window() -> None:
    token = tsa().timestamp(SIG, gen_time=GEN)
    fails(token, authorities((tsa(), {"start": T0, "end": GEN - datetime.timedelta(seconds=1)})),
          message="but genTime 2025-01-11T00:00:00Z is outside its validity window "
          "2025-01-01T00:00:00Z .. 2025-01-10T23:59:59Z in the trusted root")
    fails(token, authorities((tsa(), {"start": GEN + datetime.timedelta(seconds=1)})),
          message="but genTime 2025-01-11T00:00:00Z is outside its validity window 2025-01-11T00:00:01Z .. open")


@pytest.mark.parametrize(
    ("eku", "critical"),
    [
        ([ExtendedKeyUsageOID.TIME_STAMPING], False),
        ([ExtendedKeyUsageOID.TIME_STAMPING, ExtendedKeyUsageOID.CODE_SIGNING], True),
        ([ExtendedKeyUsageOID.CODE_SIGNING], True),
    ],
)
def test_leaf_eku_must_be_critical_and_sole_timestamping(eku: List[Any], critical: bool) -> None:
    """RFC 3161 section 2.3; the leaf is the same key/subject/serial, so only the EKU differs."""
    authority = tsa()
    leaf = authority.variant_leaf(eku=eku, eku_critical=critical)
    good = Authority("https://tsa.test", "", _ours(authority.variant_leaf(), *authority.chain[1:]), ValidityWindow(T0, None))
    bad = Authority("https://tsa.test", "", _ours(leaf, *authority.chain[1:]), ValidityWindow(T0, None))
    token = built(ess="none")
    assert verify(token, [good]).time == GEN
    fails(token, [bad], message="its certificate's extended key usage is not a critical, sole id-kp-timeStamping")


def test_ski_signer_found_by_its_key_when_the_leaf_has_no_ski_extension() -> None:
    """A SignerInfo naming its signer by subjectKeyIdentifier matches a leaf without that
    extension by the SHA-1 of its key (RFC 5280 4.2.1.2 (1)); another key identifier does not."""
    authority = tsa()
    bare = Authority("https://tsa.test", "", _ours(authority.variant_leaf(ski=False), *authority.chain[1:]),
                     ValidityWindow(T0, None))
    assert _ours(authority.variant_leaf(ski=False))[0].subject_key_identifier is None
    assert verify(built(sid="ski", ess="none"), [bare]).time == GEN
    fails(built(sid="wrong-ski", ess="none"), [bare], message="the SignerInfo names key identifier")


def test_chain_is_checked_at_gen_time() -> None:
    """A chain whose root does not sign the leaf fails even though the leaf key signed the token."""
    authority, other = tsa(), tsa(name="other-root.test")
    broken = Authority("https://tsa.test", "", _ours(authority.leaf, *other.chain[1:]), ValidityWindow(T0, None))
    fails(authority.timestamp(SIG, gen_time=GEN), [broken],
          message="but its chain does not verify at genTime 2025-01-11T00:00:00Z: signing certificate "
          "(issuer CN=tsa.test root,O=tsa.test) is not signed by CN=other-root.test root")


def test_authority_without_ca_certificate_is_skipped() -> None:
    lonely = Authority("https://tsa.test", "", _ours(tsa().leaf), ValidityWindow(T0, None))
    fails(tsa().timestamp(SIG, gen_time=GEN), [lonely], message="but its chain does not verify at genTime "
          "2025-01-11T00:00:00Z: trusted chain is empty or too long")


def test_no_authorities() -> None:
    fails(tsa().timestamp(SIG, gen_time=GEN), [], message=f"{NOT_SIGNED}: it is from a TSA the trusted root does not list")
    fails(tsa().timestamp(SIG, gen_time=GEN), [], message="the trusted root lists 0 TSA(s): none")


# --- real timestamps, read in place from ../shared ----------------------------------------------------

# Cases whose timestamp itself must fail; every other conformance bundle with a TSA timestamp must pass
# this step (its expected failure, if any, is at another step).
# name: (why, what the message must say)
FAIL_AT_TIMESTAMP = {
    "rekor2-timestamp-outside-tsa-cert-validity_fail": (
        "genTime after the local TSA chain expired",
        "but its chain does not verify at genTime 2025-08-07T15:38:32Z: signing certificate was not valid at"),
    "rekor2-timestamp-outside-trust-root-tsa-validity_fail": (
        "genTime after the trust root's TSA validFor.end",
        "but genTime 2025-06-12T12:02:20Z is outside its validity window 2025-04-09T00:00:00Z .. 2025-06-01T00:00:00Z"),
    "rekor2-timestamp-payload-mismatch_fail": (
        "message imprint over another signature", "(the timestamp is for another signature)"),
    "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail": (
        "FreeTSA, not in the trust root (certs embedded)", f"{NOT_SIGNED}: it is from a TSA the trusted root does not list"),
    "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail": (
        "FreeTSA, not in the trust root", f"{NOT_SIGNED}: it is from a TSA the trusted root does not list"),
}
MUST_PASS = {
    "rekor2-timestamp-with-expired-cert-chain",
    "trust-root-tsa-validity-end-inclusive",
    "rekor2-timestamp-with-embedded-cert",
    "rekor2-timestamp-without-embedded-cert",
}


def _signature(bundle: Dict[str, Any]) -> bytes:
    if "messageSignature" in bundle:
        return b64decode(bundle["messageSignature"]["signature"], "signature")
    return b64decode(bundle["dsseEnvelope"]["signatures"][0]["sig"], "signature")


def _tokens(bundle: Dict[str, Any]) -> List[bytes]:
    data = (bundle.get("verificationMaterial") or {}).get("timestampVerificationData") or {}
    return [b64decode(t["signedTimestamp"], "signedTimestamp") for t in data.get("rfc3161Timestamps") or []]


@functools.lru_cache(maxsize=None)
def _root(path: pathlib.Path) -> TrustedRoot:
    return parse_trusted_root(path.read_bytes(), source=str(path))


def _has_timestamp(path: pathlib.Path) -> bool:
    try:
        return bool(_tokens(json.loads(path.read_text())))
    except ValueError:  # bundle-malformed-json_fail: a bundle-parsing case, not a timestamp one
        return False


def _conformance_cases() -> List[str]:
    """The conformance cases whose bundle carries RFC 3161 timestamps (33 of them)."""
    if not CONFORMANCE.exists():
        return []
    return sorted(p.parent.name for p in CONFORMANCE.glob("*/bundle.sigstore.json") if _has_timestamp(p))


# Conformance cases with a timestamp whose trusted_root.json is what they test: it is rejected
# (TrustRootError) before any timestamp is read, so they have nothing to say about this step.
ROOT_REJECTED = {
    "trust-root-tlog-missing-validity-start_fail": "tlogs[1].publicKey.validFor: missing required field 'start'",
}


def _root_file(name: str) -> pathlib.Path:
    root_file = need_shared(CONFORMANCE) / name / "trusted_root.json"
    return root_file if root_file.exists() else PRODUCTION_ROOT_FOR_CONFORMANCE


def _load_case(name: str) -> Tuple[Dict[str, Any], TrustedRoot]:
    bundle = json.loads((need_shared(CONFORMANCE) / name / "bundle.sigstore.json").read_text())
    return bundle, _root(_root_file(name))


def test_shared_vectors_present_or_skip() -> None:
    need_shared(CONFORMANCE)
    assert set(FAIL_AT_TIMESTAMP) | MUST_PASS <= set(_conformance_cases())


@pytest.mark.parametrize("name", _conformance_cases() or ["(../shared absent)"])
def test_conformance_timestamps(name: str) -> None:
    if name in ROOT_REJECTED:
        with pytest.raises(TrustRootError) as info:
            _load_case(name)
        assert ROOT_REJECTED[name] in str(info.value)
        return
    bundle, root = _load_case(name)
    for token in _tokens(bundle):
        if name in FAIL_AT_TIMESTAMP:
            fails(token, root.timestamp_authorities, signature=_signature(bundle), message=FAIL_AT_TIMESTAMP[name][1])
        else:
            result = verify(token, root.timestamp_authorities, _signature(bundle))
            assert result.authority in root.timestamp_authorities


def test_conformance_end_inclusive_is_exactly_at_end() -> None:
    bundle, root = _load_case("trust-root-tsa-validity-end-inclusive")
    result = verify(_tokens(bundle)[0], root.timestamp_authorities, _signature(bundle))
    assert result.time == result.authority.valid_for.end == datetime.datetime(2025, 6, 12, 12, 2, 20, tzinfo=UTC)


def test_conformance_outside_window_passes_once_the_window_is_widened() -> None:
    """The _fail case fails only because of the trust root's window: the same token passes with it open."""
    bundle, root = _load_case("rekor2-timestamp-outside-trust-root-tsa-validity_fail")
    (authority,) = root.timestamp_authorities
    widened = Authority(authority.uri, authority.subject, authority.chain, ValidityWindow(authority.valid_for.start, None))
    assert verify(_tokens(bundle)[0], [widened], _signature(bundle)).time == datetime.datetime(2025, 6, 12, 12, 2, 20, tzinfo=UTC)


def test_conformance_expired_chain_pair() -> None:
    """Same local TSA: genTime 15:32:26 inside its chain's life passes, 15:38:32 after it fails."""
    ok_bundle, ok_root = _load_case("rekor2-timestamp-with-expired-cert-chain")
    bad_bundle, bad_root = _load_case("rekor2-timestamp-outside-tsa-cert-validity_fail")
    assert ok_root.timestamp_authorities[0].chain == bad_root.timestamp_authorities[0].chain
    leaf = ok_root.timestamp_authorities[0].chain[0]
    assert verify(_tokens(ok_bundle)[0], ok_root.timestamp_authorities, _signature(ok_bundle)).time < not_after(leaf)
    fails(_tokens(bad_bundle)[0], bad_root.timestamp_authorities, signature=_signature(bad_bundle),
          message="signing certificate was not valid at 2025-08-07T15:38:32Z (valid 2025-08-07T15:29:08Z .. "
          "2025-08-07T15:37:08Z)")


def _cpython_bundles() -> List[pathlib.Path]:
    if not CPYTHON.exists():
        return []
    return [p for p in sorted(CPYTHON.glob("*/*.sigstore")) if _tokens(json.loads(p.read_text()))]


@pytest.mark.parametrize("path", _cpython_bundles() or [None], ids=lambda p: p.parent.name + "/" + p.name if p else "absent")
def test_cpython_timestamps(path: Optional[pathlib.Path]) -> None:
    need_shared(CPYTHON)
    if path is None:
        unavailable(f"no CPython bundle in {CPYTHON} carries an RFC 3161 timestamp")
    bundle = json.loads(path.read_text())
    root = _root(SHIPPED / "sigstore" / "trusted_root.json")
    for token in _tokens(bundle):
        result = verify(token, root.timestamp_authorities, _signature(bundle))
        assert result.authority.uri == "https://timestamp.sigstore.dev/api/v1/timestamp"


# --- fuzzing ----------------------------------------------------------------------------------------


def _embedded_certificates(token: bytes) -> range:
    """Where the token's embedded certificates ([0] of SignedData) sit."""
    response = der.Cursor(der.parse(token), "r")
    response.take(der.SEQUENCE, "s")
    content_info = der.Cursor(response.take(der.SEQUENCE, "c"), "c")
    content_info.take(der.OID, "o")
    (signed_data,) = content_info.take(der.context(0), "w").children()
    fields = der.Cursor(signed_data, "sd")
    fields.take(der.INTEGER, "v")
    fields.take(der.SET, "d")
    fields.take(der.SEQUENCE, "e")
    certs = fields.maybe(der.context(0))
    return range(certs.content_start, certs.end) if certs else range(0)


def _expected_error(token: bytes) -> type:
    """Parse, then compare: InputError exactly when the parser refuses the token, else VerificationError."""
    try:
        parse_timestamp(token)
    except InputError:
        return InputError
    return VerificationError


def _check_mutation(original: bytes, mutated: bytes, auths: Sequence[Authority], signature: bytes) -> None:
    """Every byte of a token counts: the signed parts by signature, the status and the structure by
    checks, and the unsigned embedded certificates by comparison with the trusted chain. So any
    real change must fail: with InputError where the parser refuses it, else VerificationError."""
    if mutated == original:
        return
    expected = _expected_error(mutated)
    with pytest.raises((InputError, VerificationError)) as info:
        verify_timestamp(mutated, signature=signature, authorities=auths)
    assert type(info.value) is expected, info.value
    assert info.value.step == "timestamp"


def _mutations() -> st.SearchStrategy[Tuple[str, int, int]]:
    return st.tuples(st.sampled_from(["replace", "flip", "delete", "insert", "truncate"]), st.integers(min_value=0), st.integers(0, 255))


def _mutate(token: bytes, mutation: Tuple[str, int, int]) -> bytes:
    kind, where, value = mutation
    i = where % len(token)
    if kind == "replace":
        return token[:i] + bytes([value]) + token[i + 1 :]
    if kind == "flip":
        return token[:i] + bytes([token[i] ^ (1 << (value % 8))]) + token[i + 1 :]
    if kind == "delete":
        return token[:i] + token[i + 1 :]
    if kind == "insert":
        return token[:i] + bytes([value]) + token[i:]
    return token[:i]


@functools.lru_cache(maxsize=None)
def _test_tokens() -> Tuple[bytes, ...]:
    return (tsa().timestamp(SIG, gen_time=GEN), tsa().timestamp(SIG, gen_time=GEN, embed_certs=True))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_random_bytes(data: bytes) -> None:
    """Arbitrary bytes: the parser raises only InputError; verification then only VerificationError;
    never another exception, never a pass."""
    expected = _expected_error(data)
    with pytest.raises((InputError, VerificationError)) as info:
        verify(data)
    assert type(info.value) is expected and info.value.step == "timestamp", info.value


@settings(max_examples=600, deadline=None)
@given(st.integers(0, 1), _mutations())
def test_fuzz_mutated_test_tokens(which: int, mutation: Tuple[str, int, int]) -> None:
    """A mutated token never verifies unless only unsigned, unused bytes changed."""
    original = _test_tokens()[which]
    _check_mutation(original, _mutate(original, mutation), default_authorities_cached(), SIG)


@functools.lru_cache(maxsize=None)
def default_authorities_cached() -> Tuple[Authority, ...]:
    return default_authorities()


@functools.lru_cache(maxsize=None)
def _real_tokens() -> Tuple[Tuple[bytes, Tuple[Authority, ...], bytes, datetime.datetime], ...]:
    result = []
    for name in ("rekor2-timestamp-with-embedded-cert", "rekor2-timestamp-without-embedded-cert", "intoto-with-custom-trust-root", "rekor2-timestamp-with-expired-cert-chain"):
        bundle, root = _load_case(name)
        token, signature = _tokens(bundle)[0], _signature(bundle)
        result.append((token, root.timestamp_authorities, signature, verify(token, root.timestamp_authorities, signature).time))
    return tuple(result)


@settings(max_examples=800, deadline=None)
@given(st.integers(0, 3), _mutations())
def test_fuzz_mutated_real_tokens(which: int, mutation: Tuple[str, int, int]) -> None:
    """Real tokens (sigstage TSA with/without certs, mock TSA, 3-cert local TSA), mutated one byte at a time."""
    need_shared(CONFORMANCE)
    token, auths, signature, _ = _real_tokens()[which]
    _check_mutation(token, _mutate(token, mutation), auths, signature)


def test_embedded_certificates_must_be_trusted_ones() -> None:
    """Embedded certificates are not signed and never trusted, but they must not be arbitrary
    either: scrambling them, or embedding a certificate outside the trusted chain, fails."""
    token = tsa().timestamp(SIG, gen_time=GEN, embed_certs=True)
    assert verify(token).time == GEN
    certs = _embedded_certificates(token)
    assert len(certs) > 100
    scrambled = bytes(b ^ 0x5A if i in certs[4:] else b for i, b in enumerate(token))
    fails(scrambled, error=InputError, message="is too large")
    one_byte = bytes(b ^ 0x01 if i == certs[-1] else b for i, b in enumerate(token))
    fails(one_byte, message="but the token embeds a certificate that is not in its trusted chain")
    # Same key, subject and serial, re-issued: the signature and sid match, the embedded copy does not.
    reissued = Authority("https://tsa.test", "", _ours(tsa().variant_leaf(), *tsa().chain[1:]), ValidityWindow(T0, None))
    assert verify(built(ess="none"), [reissued]).time == GEN
    fails(built(ess="none", embed_certs=True), [reissued],
          message="but the token embeds a certificate that is not in its trusted chain")
