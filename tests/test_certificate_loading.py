# SPDX-License-Identifier: Apache-2.0
"""Certificate loading is total (issue 9, task 1).

``model.load_certificate`` is the one loader: whatever ``cryptography`` raises while loading a
certificate or decoding a field the verifier later reads (ValueError, but also InvalidVersion,
DuplicateExtension, UnsupportedGeneralNameType, TypeError from odd name attributes, KeyError,
warnings) comes out as a ValueError naming the certificate, which the step that read it turns
into InputError (exit 4) -- in a bundle, a chain, a PEP 740 attestation, cosign's files, cosign's
old bundle, a manifest entry -- or TrustRootError (exit 3) in a trusted root.

The fuzz tests mutate the DER of real certificates (../shared/vectors, read in place) and of
generated ones, and assert that only ValueError leaves the loader, and that a certificate it
accepts goes through the pipeline's certificate-reading code (chain, SCT, identity, log-entry
signer) raising nothing but the project's own errors. Both lanes run them (cryptography 38.0.4
decodes names and extensions lazily, which is what the loader has to force).
"""

from __future__ import annotations

import base64
import copy
import datetime
import functools
import json
import pathlib
from typing import Any, Callable, Dict, List, Tuple

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import CONFORMANCE, PRODUCTION_ROOT_FOR_CONFORMANCE, PYPI, SHIPPED, need_shared, run_json
from sigstore_offline import _x509, model, policy
from sigstore_offline.errors import InputError, SigstoreOfflineError, Step, TrustRootError
from sigstore_offline.model import load_certificate, parse_bundle
from sigstore_offline.trust.trusted_root import TrustedRoot, parse_trusted_root
from sigstore_offline.verify import certchain, sct, tlog
from testinstance import der as w

UTC = datetime.timezone.utc
SAN = "2.5.29.17"
SCT_LIST = "1.3.6.1.4.1.11129.2.4.2"
ECDSA_SHA256 = w.seq(w.oid("1.2.840.10045.4.3.2"))
FAKE_SIGNATURE = w.tlv(0x03, b"\x00" + w.seq(w.integer(1), w.integer(1)))


# --- certificates built byte by byte (the loader never checks the signature) -----------------------------------


@functools.lru_cache(maxsize=1)
def _spki() -> bytes:
    key = ec.derive_private_key(1234567, ec.SECP256R1()).public_key()
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _name(*attributes: Tuple[str, bytes]) -> bytes:
    return w.seq(*(w.set_of(w.seq(w.oid(oid), value)) for oid, value in attributes))


def _cn(text: str) -> Tuple[str, bytes]:
    return ("2.5.4.3", w.tlv(0x0C, text.encode()))


def _extension(oid: str, value: bytes, critical: bool = False) -> bytes:
    return w.seq(w.oid(oid), *([w.boolean(True)] if critical else []), w.octet_string(value))


def _sct_list(timestamp_ms: int) -> bytes:
    """An RFC 6962 SignedCertificateTimestampList with one v1 SCT (signature not valid)."""
    signature = w.seq(w.integer(1), w.integer(1))
    one = (b"\x00" + b"\x11" * 32 + timestamp_ms.to_bytes(8, "big") + b"\x00\x00" + b"\x04\x03"
           + len(signature).to_bytes(2, "big") + signature)
    body = len(one).to_bytes(2, "big") + one
    return w.octet_string(len(body).to_bytes(2, "big") + body)


def _certificate(*, version: Any = 2, serial: int = 1, issuer: bytes = b"", subject: bytes = b"",
                 not_before: bytes = b"240101000000Z", not_after: bytes = b"340101000000Z",
                 extensions: Tuple[bytes, ...] = ()) -> bytes:
    parts = [w.tlv(0xA0, w.integer(version))] if version is not None else []
    parts += [w.integer(serial), ECDSA_SHA256, issuer or _name(_cn("CA")),
              w.seq(w.tlv(0x17, not_before), w.tlv(0x17, not_after)), subject or _name(_cn("leaf")), _spki()]
    if extensions:
        parts.append(w.tlv(0xA3, w.seq(*extensions)))
    return w.seq(w.seq(*parts), ECDSA_SHA256, FAKE_SIGNATURE)


def _uri_san(uri: str) -> bytes:
    return _extension(SAN, w.seq(w.tlv(0x86, uri.encode())))


GOOD_GENERATED = _certificate(extensions=(_uri_san("https://example.org/x"),))

# Each raises something other than ValueError inside cryptography (on 38.0.4, on the newest, or both).
MALFORMED: Dict[str, bytes] = {
    "invalid-version": _certificate(version=7),  # InvalidVersion
    "duplicate-extension": _certificate(extensions=(_uri_san("https://a"), _uri_san("https://b"))),  # DuplicateExtension
    "name-bit-string": _certificate(subject=_name(("2.5.4.3", w.tlv(0x03, b"\x00ab")))),  # TypeError
    "san-x400-address": _certificate(extensions=(_extension(SAN, w.seq(w.tlv(0xA3, w.seq()))),)),  # UnsupportedGeneralNameType
    "san-edi-party-name": _certificate(
        extensions=(_extension(SAN, w.seq(w.tlv(0xA5, w.seq(w.tlv(0xA1, w.tlv(0x0C, b"x")))))),)),
    "negative-serial": _certificate(serial=-5),  # CryptographyDeprecationWarning
    "country-three-letters": _certificate(subject=_name(("2.5.4.6", w.tlv(0x13, b"ABC")))),  # UserWarning
    "basic-constraints-path-length-without-ca": _certificate(
        extensions=(_extension("2.5.29.19", w.seq(w.integer(3))),)),
    "sct-timestamp-beyond-year-9999": _certificate(extensions=(_extension(SCT_LIST, _sct_list(2**63 - 1)),)),
    "validity-month-13": _certificate(not_before=b"241301000000Z"),
}


def test_a_generated_certificate_loads() -> None:
    """The builder is sound: the malformed cases fail for what they change, not for the base."""
    cert = load_certificate(GOOD_GENERATED, "generated")
    assert policy.summarise(cert).san == "https://example.org/x"
    load_certificate(_certificate(extensions=(_extension(SCT_LIST, _sct_list(1_700_000_000_000)),)), "with an SCT")


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_every_decoding_failure_is_a_value_error(case: str) -> None:
    with pytest.raises(ValueError) as caught:
        load_certificate(MALFORMED[case], "the certificate under test")
    assert type(caught.value) is ValueError
    assert str(caught.value).startswith("the certificate under test: ")


def test_remembered_names_do_not_excuse_a_bad_one() -> None:
    """The reader remembers the Name encodings of certificates that passed (``_x509._KNOWN``): a
    certificate whose issuer is remembered but whose subject (or issuer) is bad is refused, every time."""
    good_issuer = _name(_cn("CA"))
    bad_name = _name(("2.5.4.3", w.tlv(0x03, b"\x00ab")))
    load_certificate(GOOD_GENERATED, "generated")  # issuer CN=CA and subject CN=leaf now remembered
    for _ in range(2):
        for case in (_certificate(issuer=good_issuer, subject=bad_name), _certificate(issuer=bad_name, subject=_name(_cn("leaf")))):
            with pytest.raises(ValueError, match="not a valid DER X.509 certificate"):
                load_certificate(case, "the certificate under test")
    assert bad_name not in _x509._KNOWN and good_issuer in _x509._KNOWN


# --- each place a certificate is read: the error class and step --------------------------------------------------

BAD = MALFORMED["duplicate-extension"]
BAD_NAME = MALFORMED["name-bit-string"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _pem(data: bytes) -> bytes:
    body = _b64(data)
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n").encode()


def _conformance_bundle(case: str) -> Dict[str, Any]:
    return json.loads((need_shared(CONFORMANCE) / case / "bundle.sigstore.json").read_text())


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_bundle_certificate(case: str) -> None:
    bundle = _conformance_bundle("happy-path-v0.3")
    bundle["verificationMaterial"]["certificate"]["rawBytes"] = _b64(MALFORMED[case])
    with pytest.raises(InputError) as caught:
        parse_bundle(json.dumps(bundle).encode())
    assert (caught.value.exit_code, caught.value.step) == (4, "bundle")
    assert "verificationMaterial.certificate" in caught.value.message


@pytest.mark.parametrize("bad", [BAD, BAD_NAME], ids=["duplicate-extension", "name-bit-string"])
def test_bundle_chain_certificate(bad: bytes) -> None:
    bundle = _conformance_bundle("happy-path-v0.1")
    bundle["verificationMaterial"]["x509CertificateChain"]["certificates"].append({"rawBytes": _b64(bad)})
    with pytest.raises(InputError) as caught:
        parse_bundle(json.dumps(bundle).encode())
    assert (caught.value.exit_code, caught.value.step) == (4, "bundle")
    assert "x509CertificateChain.certificates[1]" in caught.value.message


def test_bundle_certificate_on_the_command_line(tmp_path: pathlib.Path) -> None:
    bundle = _conformance_bundle("happy-path-v0.3")
    bundle["verificationMaterial"]["certificate"]["rawBytes"] = _b64(BAD_NAME)
    path = tmp_path / "b.sigstore.json"
    path.write_text(json.dumps(bundle))
    code, records, err = run_json(["--bundle", str(path), "--trusted-root", str(PRODUCTION_ROOT_FOR_CONFORMANCE),
                                   "--cert-identity", "x", "--cert-oidc-issuer", "y", "sha256:" + "0" * 64])
    assert code == 4 and records[0]["step"] == "bundle", err
    assert "Traceback" not in err


def test_pep740_attestation_certificate() -> None:
    from sigstore_offline.pypi.attestation import parse_attestation

    path = need_shared(PYPI) / "pypi_attestations-0.0.19.tar.gz.publish.attestation"
    document = json.loads(path.read_text())
    parse_attestation(json.dumps(document).encode(), source="real")  # the base parses
    for bad in (BAD, BAD_NAME):
        document["verification_material"]["certificate"] = _b64(bad)
        with pytest.raises(InputError) as caught:
            parse_attestation(json.dumps(document).encode(), source="a.attestation")
        assert (caught.value.exit_code, caught.value.step) == (4, "attestation")
        assert "verification_material.certificate" in caught.value.message


def _cosign_files(tmp_path: pathlib.Path, certificate: bytes, chain: bytes = b"") -> List[str]:
    (tmp_path / "sig").write_text(_b64(b"\x30\x06\x02\x01\x01\x02\x01\x01"))
    (tmp_path / "cert.pem").write_bytes(certificate)
    argv = ["--signature", str(tmp_path / "sig"), "--certificate", str(tmp_path / "cert.pem")]
    if chain:
        (tmp_path / "chain.pem").write_bytes(chain)
        argv += ["--certificate-chain", str(tmp_path / "chain.pem")]
    return argv + ["--cert-identity", "x", "--cert-oidc-issuer", "y", "--insecure-ignore-tlog", "sha256:" + "0" * 64]


@pytest.mark.parametrize("form", ["pem", "der", "base64-pem"])
def test_cosign_certificate_file(form: str, tmp_path: pathlib.Path) -> None:
    data = {"pem": _pem(BAD), "der": BAD, "base64-pem": base64.b64encode(_pem(BAD_NAME))}[form]
    code, records, err = run_json(_cosign_files(tmp_path, data))
    assert (code, records[0]["step"]) == (4, "certificate"), err


def test_cosign_certificate_chain_file(tmp_path: pathlib.Path) -> None:
    leaf = base64.b64decode(_conformance_bundle("happy-path-v0.3")["verificationMaterial"]["certificate"]["rawBytes"])
    code, records, err = run_json(_cosign_files(tmp_path, _pem(leaf), chain=_pem(BAD_NAME)))
    assert (code, records[0]["step"]) == (4, "certificate"), err
    assert "certificate chain" in records[0]["error"]


def test_cosign_old_bundle_certificate() -> None:
    from sigstore_offline.cosign import parse_any_bundle

    for bad in (_pem(BAD), _pem(BAD_NAME)):
        document = {"base64Signature": _b64(b"\x30\x06\x02\x01\x01\x02\x01\x01"),
                    "cert": base64.b64encode(bad).decode()}
        with pytest.raises(InputError) as caught:
            parse_any_bundle(json.dumps(document).encode(), source="old.bundle")
        assert (caught.value.exit_code, caught.value.step) == (4, "bundle")
        assert "cosign bundle: cert" in caught.value.message


def test_manifest_entry_certificate(tmp_path: pathlib.Path) -> None:
    bundle = _conformance_bundle("happy-path-v0.3")
    bundle["verificationMaterial"]["certificate"]["rawBytes"] = _b64(BAD)
    (tmp_path / "bad.sigstore.json").write_text(json.dumps(bundle))
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps([{"artifact": "a.txt", "digest": "sha256:" + "0" * 64,
                                     "bundle": "bad.sigstore.json", "identity": "x", "issuer": "y"}]))
    code, records, err = run_json(["--jobs", "1", "--manifest", str(manifest), "--trusted-root",
                                   str(PRODUCTION_ROOT_FOR_CONFORMANCE)])
    assert code == 4, err
    assert (records[0]["verified"], records[0]["step"], records[0]["exit_code"]) == (False, "bundle", 4)


def _trust_root_with(bad: bytes, where: str) -> bytes:
    root = json.loads((SHIPPED / "sigstore" / "trusted_root.json").read_text())
    authorities = root["certificateAuthorities" if where == "ca" else "timestampAuthorities"]
    authorities[0]["certChain"]["certificates"][-1]["rawBytes"] = _b64(bad)
    return json.dumps(root).encode()


@pytest.mark.parametrize("where", ["ca", "tsa"])
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_trust_root_certificate(case: str, where: str) -> None:
    with pytest.raises(TrustRootError) as caught:
        parse_trusted_root(_trust_root_with(MALFORMED[case], where))
    assert (caught.value.exit_code, caught.value.step) == (3, "trust-root")
    assert "certChain.certificates" in caught.value.message


def test_trust_root_certificate_on_the_command_line(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "trusted_root.json"
    path.write_bytes(_trust_root_with(BAD_NAME, "ca"))
    code, records, err = run_json(["--bundle", str(CONFORMANCE / "happy-path-v0.3" / "bundle.sigstore.json"),
                                   "--trusted-root", str(path), "--cert-identity", "x", "--cert-oidc-issuer", "y",
                                   "sha256:" + "0" * 64])
    assert code == 3, err
    assert "Traceback" not in err


def test_trust_root_log_key_loading_is_total() -> None:
    """A log key that cryptography cannot load for any reason is exit 3 (not only ValueError)."""
    root = json.loads((SHIPPED / "sigstore" / "trusted_root.json").read_text())
    for raw in (b"", b"\x30\x00", w.seq(w.seq(w.oid("1.2.840.10040.4.1")), w.tlv(0x03, b"\x00\x02\x01\x01")),
                w.seq(w.seq(w.oid("1.3.101.110")), w.tlv(0x03, b"\x00" + b"\x01" * 32))):
        edited = copy.deepcopy(root)
        edited["tlogs"][0]["publicKey"]["rawBytes"] = _b64(raw)
        with pytest.raises(TrustRootError) as caught:
            parse_trusted_root(json.dumps(edited).encode())
        assert (caught.value.exit_code, caught.value.step) == (3, "trust-root")


# --- fuzzing -----------------------------------------------------------------------------------------------------


def _real_certificates() -> List[bytes]:
    found: List[bytes] = []
    bundles = [CONFORMANCE / c / "bundle.sigstore.json" for c in ("happy-path-v0.1", "happy-path-v0.3",
                                                                   "rekor2-happy-path", "happy-path-intoto-in-dsse-v3")]
    for path in bundles:
        if path.exists():
            material = json.loads(path.read_text())["verificationMaterial"]
            if "certificate" in material:
                found.append(base64.b64decode(material["certificate"]["rawBytes"]))
            for item in material.get("x509CertificateChain", {}).get("certificates", []):
                found.append(base64.b64decode(item["rawBytes"]))
    for root_path in (SHIPPED / "sigstore" / "trusted_root.json", PRODUCTION_ROOT_FOR_CONFORMANCE):
        if root_path.exists():
            root = json.loads(root_path.read_text())
            for authority in root["certificateAuthorities"] + root.get("timestampAuthorities", []):
                found.extend(base64.b64decode(c["rawBytes"]) for c in authority["certChain"]["certificates"])
    attestation = PYPI / "pypi_attestations-0.0.19.tar.gz.publish.attestation"
    if attestation.exists():
        found.append(base64.b64decode(json.loads(attestation.read_text())["verification_material"]["certificate"]))
    return list(dict.fromkeys(found))


def _generated_certificates() -> List[bytes]:
    fulcio_issuer = _extension("1.3.6.1.4.1.57264.1.8", w.tlv(0x0C, b"https://issuer.example"))
    other_name = _extension(SAN, w.seq(w.tlv(0xA0, w.oid("1.3.6.1.4.1.57264.1.7") + w.tlv(0xA0, w.tlv(0x0C, b"me")))))
    return [
        GOOD_GENERATED,
        _certificate(extensions=(other_name, fulcio_issuer,
                                 _extension("2.5.29.15", w.tlv(0x03, b"\x07\x80"), critical=True),
                                 _extension("2.5.29.37", w.seq(w.oid("1.3.6.1.5.5.7.3.3"))),
                                 _extension(SCT_LIST, _sct_list(1_700_000_000_000)))),
        _certificate(version=None, subject=_name(_cn("v1"), ("2.5.4.6", w.tlv(0x13, b"DE")))),
        _certificate(extensions=(_extension("2.5.29.19", w.seq(w.boolean(True), w.integer(0)), critical=True),)),
    ]


CORPUS = _real_certificates() + _generated_certificates()


def _lengths(data: bytes) -> List[int]:
    """Offsets of DER length octets reachable by walking headers (a cheap approximation)."""
    offsets, position = [], 0
    while position + 1 < len(data) and len(offsets) < 256:
        offsets.append(position + 1)
        first = data[position + 1]
        header = 2 + (first & 0x7F if first & 0x80 else 0)
        constructed = data[position] & 0x20
        if constructed:
            position += header  # step into the element
        else:
            size = first if not first & 0x80 else int.from_bytes(data[position + 2:position + header], "big")
            position += header + size
    return offsets


@st.composite
def _mutated(draw: Callable[..., Any]) -> bytes:
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        kind = draw(st.sampled_from(["flip", "byte", "truncate", "insert", "delete", "length"]))
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte":
            data[at] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 4))]
        else:
            offsets = _lengths(bytes(data))
            if offsets:
                offset = draw(st.sampled_from(offsets))
                data[offset] = (data[offset] + draw(st.sampled_from([-2, -1, 1, 2, 0x80]))) % 256
    return bytes(data)


@functools.lru_cache(maxsize=1)
def _root() -> TrustedRoot:
    return parse_trusted_root((SHIPPED / "sigstore" / "trusted_root.json").read_bytes())


def _read_like_the_pipeline(cert: Any) -> None:
    """Everything the verification steps read from a signing or chain certificate."""
    root = _root()
    moment = datetime.datetime(2025, 6, 1, tzinfo=UTC)
    steps: List[Callable[[], Any]] = [
        lambda: certchain.describe(cert),
        lambda: certchain.valid_at(cert, moment),
        lambda: certchain.issued_by(cert, cert),
        lambda: certchain.check_leaf(cert, purpose=certchain.CODE_SIGNING, step=Step.CERTIFICATE_CHAIN),
        lambda: certchain._check_ca(cert, 0, Step.CERTIFICATE_CHAIN),
        lambda: certchain.verify_chain(cert, root.certificate_authorities[-1].chain, moment,
                                       purpose=certchain.CODE_SIGNING, step=Step.CERTIFICATE_CHAIN),
        lambda: certchain.verify_chain(root.certificate_authorities[-1].chain[0], [cert], moment,
                                       purpose=certchain.CODE_SIGNING, step=Step.CERTIFICATE_CHAIN),
        lambda: sct.verify_scts(cert, root.certificate_authorities[-1].chain[0], root.ctlogs),
        lambda: policy.summarise(cert),
        lambda: tlog._Signer(cert, cert.public_key()).matches_pem(_pem(cert.der)),
    ]
    for step in steps:
        try:
            step()
        except SigstoreOfflineError:
            pass


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_fuzzed_certificates_raise_only_value_error(data: bytes) -> None:
    try:
        cert = load_certificate(data, "fuzzed")
    except ValueError as exc:
        assert type(exc) is ValueError and str(exc).startswith("fuzzed: ")
        return
    _read_like_the_pipeline(cert)


def test_the_corpus_is_real() -> None:
    """The fuzz corpus holds the real certificates (when ../shared is there) and they all load."""
    need_shared(CONFORMANCE)
    assert len(CORPUS) >= 8
    for data in CORPUS:
        _read_like_the_pipeline(load_certificate(data, "corpus"))


@pytest.mark.parametrize("index", range(len(CORPUS)))
def test_every_truncation_of_every_corpus_certificate(index: int) -> None:
    """Exhaustive where it is cheap: every prefix of each certificate (a prefix is never valid DER)."""
    data = CORPUS[index]
    for end in range(0, len(data), 7):
        with pytest.raises(ValueError):
            load_certificate(data[:end], "truncated")



@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_logged_certificate_that_does_not_load_is_not_the_signer(case: str) -> None:
    """verify/tlog.py reads the certificate a log entry body names (PEM): a certificate that
    cryptography cannot load, for whatever reason, is simply not the bundle's signer."""
    cert = load_certificate(GOOD_GENERATED, "generated")
    signer = tlog._Signer(cert, cert.public_key())
    assert signer.matches_pem(_pem(GOOD_GENERATED))
    assert not signer.matches_pem(_pem(MALFORMED[case]))


def test_trust_root_log_key_of_an_unsupported_type() -> None:
    root = json.loads((SHIPPED / "sigstore" / "trusted_root.json").read_text())
    root["tlogs"][0]["publicKey"]["rawBytes"] = _b64(w.seq(w.seq(w.oid("1.3.101.110")), w.tlv(0x03, b"\x00" + b"\x01" * 32)))
    with pytest.raises(TrustRootError) as caught:
        parse_trusted_root(json.dumps(root).encode())
    assert "unsupported key type X25519PublicKey" in caught.value.message
