# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the pure verification steps with hand-built inputs: identity policy, DSSE and
message-signature binding, SCT presence, and log-entry body consistency. One negative test per check."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Callable, Dict

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from helpers import EXAMPLE_BUNDLE
from sigstore_offline.errors import InputError, SigstoreOfflineError, VerificationError
from sigstore_offline.model import DsseEnvelope, DsseSignature, MessageSignature, parse_bundle
from sigstore_offline.policy import OIDC_ISSUER_LEGACY, OIDC_ISSUER_V2, OTHERNAME_SAN, Identity, summarise
from sigstore_offline.verify import dsse, sct, tlog
from helpers import PKI, T0, ours

ISSUER = "https://token.actions.githubusercontent.com"


# --- identity policy ------------------------------------------------------------------------


def _leaf_with(*extensions: Any, san: Any = None) -> Any:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca")]))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(T0)
        .not_valid_after(T0)
    )
    if san is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=True)
    for oid, value in extensions:
        builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), critical=False)
    return ours(builder.sign(key, hashes.SHA256()))


def _utf8(text: str) -> bytes:
    data = text.encode()
    return bytes([0x0C, len(data)]) + data


def test_identity_from_both_issuer_extensions() -> None:
    cert = _leaf_with((OIDC_ISSUER_V2, _utf8(ISSUER)), (OIDC_ISSUER_LEGACY, ISSUER.encode()),
                      san=x509.RFC822Name("a@example.org"))
    found = summarise(cert)
    assert found.sans == ("a@example.org",) and found.issuer == ISSUER
    Identity.build(san="a@example.org", issuer=ISSUER).check(found)


@pytest.mark.parametrize("which", ["legacy", "v2"])
def test_either_issuer_extension_alone_is_enough(which: str) -> None:
    ext = (OIDC_ISSUER_LEGACY, ISSUER.encode()) if which == "legacy" else (OIDC_ISSUER_V2, _utf8(ISSUER))
    cert = _leaf_with(ext, san=x509.UniformResourceIdentifier("https://example.org/wf"))
    assert summarise(cert).issuer == ISSUER


def test_disagreeing_issuer_extensions_fail() -> None:
    cert = _leaf_with((OIDC_ISSUER_V2, _utf8(ISSUER)), (OIDC_ISSUER_LEGACY, b"https://evil.example"),
                      san=x509.RFC822Name("a@example.org"))
    with pytest.raises(VerificationError, match="two different OIDC issuers") as info:
        summarise(cert)
    assert info.value.step == "identity"


def test_malformed_issuer_extension_fails() -> None:
    """1.8 is DER (refused when the certificate is read); 1.1 holds raw text, which must be UTF-8."""
    with pytest.raises(ValueError, match="1.3.6.1.4.1.57264.1.8"):
        _leaf_with((OIDC_ISSUER_V2, b"\x0c\x05ab"), san=x509.RFC822Name("a@example.org"))
    cert = _leaf_with((OIDC_ISSUER_LEGACY, b"https://\xff"), san=x509.RFC822Name("a@example.org"))
    with pytest.raises(VerificationError, match="malformed OIDC issuer") as info:
        summarise(cert)
    assert info.value.step == "identity"


def test_certificate_without_issuer_fails_the_policy() -> None:
    cert = _leaf_with(san=x509.RFC822Name("a@example.org"))
    with pytest.raises(VerificationError, match="names no OIDC issuer"):
        Identity.build(san="a@example.org", issuer=ISSUER).check(summarise(cert))


def test_othername_san_is_an_identity() -> None:
    cert = _leaf_with((OIDC_ISSUER_LEGACY, ISSUER.encode()), san=x509.OtherName(x509.ObjectIdentifier(OTHERNAME_SAN), _utf8("user!example")))
    assert summarise(cert).sans == ("user!example",)
    Identity.build(san="user!example", issuer=ISSUER).check(summarise(cert))


@pytest.mark.parametrize("san", [
    x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.99999.7"), _utf8("user!example")),  # another otherName type
    x509.DNSName("user.example"),  # neither an e-mail address nor a URI
], ids=["other-othername-type", "dns-name"])
def test_only_email_uri_and_fulcio_othername_sans_are_identities(san: Any) -> None:
    text = "user!example" if isinstance(san, x509.OtherName) else "user.example"
    cert = _leaf_with((OIDC_ISSUER_LEGACY, ISSUER.encode()), san=san)
    assert summarise(cert).sans == ()
    with pytest.raises(VerificationError, match="certificate identity is \\(none\\)") as info:
        Identity.build(san=text, issuer=ISSUER).check(summarise(cert))
    assert info.value.step == "identity"


def test_policy_needs_exactly_one_of_each() -> None:
    with pytest.raises(ValueError):
        Identity.build(san="a", san_regexp="b", issuer="c")
    with pytest.raises(ValueError):
        Identity.build(san="a")


# --- DSSE and message signatures ------------------------------------------------------------

DIGEST = hashlib.sha256(b"artifact").digest()


def _statement(**override: Any) -> bytes:
    doc: Dict[str, Any] = {"_type": "https://in-toto.io/Statement/v1",
                           "subject": [{"name": "a", "digest": {"sha256": DIGEST.hex()}}],
                           "predicateType": "https://example.org/p", "predicate": {}}
    doc.update(override)
    return json.dumps(doc).encode()


def _envelope(key: Any, payload: bytes, payload_type: str = dsse.IN_TOTO_PAYLOAD_TYPE, count: int = 1) -> DsseEnvelope:
    signature = key.sign(dsse.pae(payload_type, payload), ec.ECDSA(hashes.SHA256()))
    return DsseEnvelope(payload, payload_type, tuple(DsseSignature(signature, "") for _ in range(count)))


def test_dsse_binding_passes() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    statement = dsse.verify_dsse(_envelope(key, _statement()), public_key=key.public_key(), artifact_digest=DIGEST)
    assert statement["predicateType"] == "https://example.org/p"


@pytest.mark.parametrize(
    "name,make,match",
    [
        ("two-signatures", lambda k: _envelope(k, _statement(), count=2), "exactly one"),
        ("payload-type", lambda k: _envelope(k, _statement(), payload_type="text/plain"), "payload type"),
        ("bad-signature", lambda k: _envelope(ec.generate_private_key(ec.SECP256R1()), _statement()), "does not verify"),
        ("not-json", lambda k: _envelope(k, b"not json"), "not a valid in-toto statement"),
        ("no-subject", lambda k: _envelope(k, _statement(subject=None)), "not a valid in-toto statement"),
        ("statement-type", lambda k: _envelope(k, _statement(_type="https://example.org/other")), "unknown in-toto"),
        ("other-digest", lambda k: _envelope(k, _statement(subject=[{"name": "a", "digest": {"sha256": "00" * 32}}])),
         "does not name the artifact"),
        ("sha512-only", lambda k: _envelope(k, _statement(subject=[{"name": "a", "digest": {"sha512": "00"}}])),
         "does not name the artifact"),
    ],
)
def test_dsse_negative(name: str, make: Callable[[Any], DsseEnvelope], match: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(VerificationError, match=match) as info:
        dsse.verify_dsse(make(key), public_key=key.public_key(), artifact_digest=DIGEST)
    assert info.value.step == "signature"


def test_message_signature_checks() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signature = key.sign(DIGEST, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    good = MessageSignature(signature, "SHA2_256", DIGEST)
    dsse.verify_message_signature(good, public_key=key.public_key(), artifact_digest=DIGEST, artifact_bytes=None)
    dsse.verify_message_signature(good._replace(digest=None, digest_algorithm=None), public_key=key.public_key(),
                                  artifact_digest=DIGEST, artifact_bytes=None)
    cases = [
        (good._replace(digest=b"\x00" * 32), key.public_key(), "differs from the bundle's message digest"),
        (good._replace(digest_algorithm="SHA2_384", digest=b"\x00" * 48), key.public_key(), "only SHA2_256"),
        (good, ec.generate_private_key(ec.SECP256R1()).public_key(), "does not verify"),
        (good._replace(signature=b"\x30\x00"), key.public_key(), "does not verify"),
    ]
    for content, public_key, match in cases:
        with pytest.raises(VerificationError, match=match):
            dsse.verify_message_signature(content, public_key=public_key, artifact_digest=DIGEST, artifact_bytes=None)


def test_ed25519_message_signature_needs_the_artifact() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    content = MessageSignature(key.sign(b"artifact"), None, None)
    dsse.verify_message_signature(content, public_key=key.public_key(), artifact_digest=DIGEST, artifact_bytes=b"artifact")
    with pytest.raises(VerificationError, match="needs the artifact itself"):
        dsse.verify_message_signature(content, public_key=key.public_key(), artifact_digest=DIGEST, artifact_bytes=None)
    with pytest.raises(VerificationError, match="does not verify"):
        dsse.verify_message_signature(content, public_key=key.public_key(), artifact_digest=DIGEST, artifact_bytes=b"x")


# --- SCT ------------------------------------------------------------------------------------


def test_certificate_without_sct_fails() -> None:
    pki = PKI(eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    with pytest.raises(VerificationError, match="no embedded SCT") as info:
        sct.verify_scts(ours(pki.leaf), ours(pki.inter), [])
    assert info.value.step == "sct"


# --- log entry body -------------------------------------------------------------------------


def _example() -> Any:
    return parse_bundle(EXAMPLE_BUNDLE.read_bytes())


def _with_body(edit: Callable[[Dict[str, Any]], None]) -> Any:
    bundle = _example()
    entry = bundle.tlog_entries[0]
    body = json.loads(entry.canonicalized_body)
    edit(body)
    return bundle, entry._replace(canonicalized_body=json.dumps(body).encode())


def _statement_digest() -> bytes:
    statement = json.loads(_example().content.payload)
    return bytes.fromhex(statement["subject"][0]["digest"]["sha256"])


def test_genuine_entry_body_matches() -> None:
    bundle = _example()
    tlog.verify_entry_body(bundle.tlog_entries[0], bundle, public_key=bundle.certificate.public_key(),
                           artifact_digest=_statement_digest())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# Well-formed bodies that describe another signing event: VerificationError (exit 1).
BODY_EDITS: Dict[str, Callable[[Dict[str, Any]], None]] = {
    "kind-differs": lambda b: b.update(kind="rekord"),
    "api-version-differs": lambda b: b.update(apiVersion="0.0.2"),
    "payload-hash": lambda b: b["spec"]["payloadHash"].update(value="00" * 32),
    "payload-hash-algorithm": lambda b: b["spec"]["payloadHash"].update(algorithm="sha512"),
    "signature": lambda b: b["spec"]["signatures"][0].update(signature=_b64(b"\x30\x00")),
    "verifier": lambda b: b["spec"]["signatures"][0].update(verifier=_b64(b"-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n")),
    "extra-signature": lambda b: b["spec"]["signatures"].append(b["spec"]["signatures"][0]),
    "no-signature": lambda b: b["spec"].update(signatures=[]),
}
BODY_MISMATCH_MESSAGES = {
    "kind-differs": "entry body is rekord 0.0.1, the bundle says dsse 0.0.1",
    "api-version-differs": "entry body is dsse 0.0.2, the bundle says dsse 0.0.1",
    "payload-hash": "logged payload hash differs from the envelope's payload",
    "payload-hash-algorithm": "entry payload hash algorithm is 'sha512', expected sha256",
    "signature": "logged DSSE signature differs from the envelope's",
    "verifier": "logged DSSE verifier differs from the bundle's certificate or key",
    "extra-signature": "entry logs 2 signature(s), the envelope carries 1",
    "no-signature": "entry logs 0 signature(s), the envelope carries 1",
}


def _body_error(edit: Callable[[Dict[str, Any]], None]) -> SigstoreOfflineError:
    """What ``verify_entry_body`` raises for the example bundle with its entry body edited (at
    step tlog-entry, always)."""
    bundle, entry = _with_body(edit)
    with pytest.raises(SigstoreOfflineError) as info:
        tlog.verify_entry_body(entry, bundle, public_key=bundle.certificate.public_key(),
                               artifact_digest=_statement_digest())
    assert info.value.step == "tlog-entry"
    return info.value


@pytest.mark.parametrize("name", sorted(BODY_EDITS))
def test_entry_body_must_describe_the_bundle(name: str) -> None:
    error = _body_error(BODY_EDITS[name])
    assert type(error) is VerificationError and error.exit_code == 1
    assert error.message == BODY_MISMATCH_MESSAGES[name]


# Bodies that cannot be read as the kind they declare: InputError (exit 4), at the step that parses
# them, whatever they would have been compared with.
MALFORMED_BODIES: Dict[str, Callable[[Dict[str, Any]], None]] = {
    "no-spec": lambda b: b.pop("spec"),
    "spec-not-object": lambda b: b.update(spec=[]),
    "kind-not-string": lambda b: b.update(kind=["dsse"]),
    "no-api-version": lambda b: b.pop("apiVersion"),
    "spec-of-another-kind": lambda b: b.update(kind="hashedrekord"),
    "payload-hash-not-hex": lambda b: b["spec"]["payloadHash"].update(value="zz"),
    "payload-hash-without-value": lambda b: b["spec"]["payloadHash"].pop("value"),
    "signature-not-base64": lambda b: b["spec"]["signatures"][0].update(signature="%%%"),
    "signatures-not-list": lambda b: b["spec"].update(signatures={}),
    "verifier-missing": lambda b: b["spec"]["signatures"][0].pop("verifier"),
    "too-many-signatures": lambda b: b["spec"].update(signatures=b["spec"]["signatures"] * 17),
}
MALFORMED_MESSAGES = {
    "no-spec": "entry body: missing required field 'spec'",
    "spec-not-object": "entry body spec: expected an object, found a list",
    "kind-not-string": "entry body.kind: expected a string, found a list",
    "no-api-version": "entry body: missing required field 'apiVersion'",
    "spec-of-another-kind": "spec.data: expected an object, found null",
    "payload-hash-not-hex": "spec.payloadHash.value: not hex",
    "payload-hash-without-value": "spec.payloadHash: missing required field 'value'",
    "signature-not-base64": "spec.signatures[0].signature",
    "signatures-not-list": "spec.signatures: expected a list, found an object",
    "verifier-missing": "spec.signatures[0]: missing required field 'verifier'",
    "too-many-signatures": "spec.signatures: 17 items, more than the limit of 16",
}


@pytest.mark.parametrize("name", sorted(MALFORMED_BODIES))
def test_malformed_entry_body_is_input_error(name: str) -> None:
    error = _body_error(MALFORMED_BODIES[name])
    assert type(error) is InputError and error.exit_code == 4
    assert error.message.startswith("log entry body is malformed: " + MALFORMED_MESSAGES[name]), error.message


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b'{"kind": "dsse", "kind": "dsse"}', b"\xff"])
def test_entry_body_that_is_not_a_json_object_is_input_error(data: bytes) -> None:
    with pytest.raises(InputError) as info:
        tlog.parse_entry_body(data)
    assert info.value.step == "tlog-entry" and info.value.message.startswith("log entry body is malformed: ")


def test_parse_entry_body_returns_typed_fields() -> None:
    entry = _example().tlog_entries[0]
    body = tlog.parse_entry_body(entry.canonicalized_body)
    assert (body.kind, body.api_version, body.digest_algorithm) == ("dsse", "0.0.1", "sha256")
    assert body.digest == hashlib.sha256(_example().content.payload).digest()
    assert body.payload_type is None and len(body.signatures) == 1
    assert body.signatures[0].signer.form == "pem" and body.signatures[0].signer.data.startswith(b"-----BEGIN")
    assert body.signatures[0].signature == _example().content.signatures[0].signature


def test_a_kind_outside_the_supported_set_is_read_no_further() -> None:
    body = tlog.parse_entry_body(b'{"apiVersion":"0.0.1","kind":"rekord","spec":{"anything":1}}')
    assert body == tlog.EntryBody("rekord", "0.0.1", "", b"", None, ())


def test_unsupported_entry_kind_is_rejected() -> None:
    bundle = _example()
    entry = bundle.tlog_entries[0]._replace(kind="rekord", kind_version="0.0.1")
    with pytest.raises(VerificationError, match="unsupported log entry kind"):
        tlog.verify_entry_body(entry, bundle, public_key=bundle.certificate.public_key(),
                               artifact_digest=_statement_digest())


def test_message_signature_bundle_cannot_use_a_dsse_entry() -> None:
    bundle = _example()
    message = MessageSignature(b"sig", "SHA2_256", _statement_digest())
    with pytest.raises(VerificationError, match="needs a DSSE bundle"):
        tlog.verify_entry_body(bundle.tlog_entries[0], bundle._replace(content=message),
                               public_key=bundle.certificate.public_key(), artifact_digest=_statement_digest())


def test_set_payload_is_canonical() -> None:
    entry = _example().tlog_entries[0]
    payload = json.loads(tlog.set_payload(entry))
    assert list(payload) == ["body", "integratedTime", "logID", "logIndex"]
    assert b" " not in tlog.set_payload(entry)


def test_set_step_needs_a_promise_and_an_integrated_time() -> None:
    from sigstore_offline.trust import store

    bundle = _example()
    entry = bundle.tlog_entries[0]
    log = store.shipped(store.PRODUCTION).tlog(entry.log_id)
    tlog.verify_set(entry, log)
    with pytest.raises(VerificationError, match="no signed entry timestamp"):
        tlog.verify_set(entry._replace(inclusion_promise=None), log)
    with pytest.raises(VerificationError, match="no integrated time"):
        tlog.verify_set(entry._replace(integrated_time=None), log)


def test_intoto_entry_needs_a_dsse_bundle() -> None:
    bundle = _example()
    message = MessageSignature(b"sig", "SHA2_256", _statement_digest())
    body = {"apiVersion": "0.0.2", "kind": "intoto", "spec": {"content": {
        "envelope": {"payloadType": "application/vnd.in-toto+json", "signatures": []},
        "payloadHash": {"algorithm": "sha256", "value": "00" * 32}}}}
    entry = bundle.tlog_entries[0]._replace(kind="intoto", kind_version="0.0.2",
                                            canonicalized_body=json.dumps(body).encode())
    with pytest.raises(VerificationError, match="^tlog-entry: an intoto entry needs a DSSE bundle"):
        tlog.verify_entry_body(entry, bundle._replace(content=message), public_key=bundle.certificate.public_key(),
                               artifact_digest=_statement_digest())


def test_dsse_entry_needs_a_dsse_bundle() -> None:
    """The example's own dsse 0.0.1 entry, against the same bundle carrying a message signature."""
    bundle = _example()
    assert bundle.tlog_entries[0].kind == "dsse"
    message = MessageSignature(b"sig", "SHA2_256", _statement_digest())
    with pytest.raises(VerificationError, match="^tlog-entry: a dsse entry needs a DSSE bundle"):
        tlog.verify_entry_body(bundle.tlog_entries[0], bundle._replace(content=message),
                               public_key=bundle.certificate.public_key(), artifact_digest=_statement_digest())


def test_malformed_sct_list_fails() -> None:
    from cryptography.x509.oid import ExtensionOID

    pki = PKI()
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder().subject_name(pki.leaf.subject).issuer_name(pki.inter.subject)
        .public_key(key.public_key()).serial_number(2).not_valid_before(T0).not_valid_after(T0)
        .add_extension(x509.UnrecognizedExtension(ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS, b"\x04\x03\x00\x01\x00"),
                       critical=False)
        .sign(pki.inter_key, hashes.SHA256())
    )
    with pytest.raises(ValueError, match="SCT list"):  # refused when the certificate is read, before any step
        ours(leaf)


def test_malformed_othername_san_fails() -> None:
    cert = _leaf_with((OIDC_ISSUER_LEGACY, ISSUER.encode()), san=x509.OtherName(x509.ObjectIdentifier(OTHERNAME_SAN), b"\x02\x01\x05"))  # an INTEGER, not a UTF8String
    with pytest.raises(VerificationError, match="malformed otherName SAN") as info:
        summarise(cert)
    assert info.value.step == "identity"
