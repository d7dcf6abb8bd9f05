# SPDX-License-Identifier: Apache-2.0
"""The explicit chain checks of verify/certchain.py, one negative test per check.

Certificates are built here with cryptography's builders: a root, an intermediate and a leaf,
then one property changed at a time.
"""

from __future__ import annotations

import datetime
from typing import List, Optional

import cryptography
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from helpers import AT, PKI, T0, cert_name, make_cert, ours, skip_by_design
from sigstore_offline.errors import Step, VerificationError
from sigstore_offline.model import load_certificate
from sigstore_offline.verify import certchain

def _verify(leaf: x509.Certificate, chain: List[x509.Certificate], at: datetime.datetime = AT) -> None:
    certchain.verify_chain(ours(leaf), [ours(c) for c in chain], at, purpose=certchain.CODE_SIGNING, step=Step.CERTIFICATE_CHAIN)


def _fails(leaf: x509.Certificate, chain: List[x509.Certificate], match: str, at: datetime.datetime = AT) -> None:
    with pytest.raises(VerificationError, match=match) as info:
        _verify(leaf, chain, at)
    assert info.value.step == "certificate-chain"


def test_valid_chain_passes_at_the_edges_of_validity() -> None:
    pki = PKI(not_before=AT, not_after=AT)
    _verify(pki.leaf, pki.chain, AT)


def test_leaf_that_is_a_ca_is_rejected() -> None:
    pki = PKI(ca=True)
    _fails(pki.leaf, pki.chain, "is a CA certificate")


def test_leaf_without_digital_signature_is_rejected() -> None:
    skip_by_design(cryptography.__version__.split(".")[0] in ("35", "36"), "cryptography 35/36's builder encodes an all-zero KeyUsage as an empty extnValue: this leaf cannot be made there")
    pki = PKI(digital_signature=False)
    _fails(pki.leaf, pki.chain, "digitalSignature")


def test_leaf_without_key_usage_is_rejected() -> None:
    pki = PKI(include_key_usage=False)
    _fails(pki.leaf, pki.chain, "digitalSignature")


@pytest.mark.parametrize("eku", [None, [ExtendedKeyUsageOID.SERVER_AUTH]])
def test_leaf_without_code_signing_is_rejected(eku: Optional[list]) -> None:
    pki = PKI(eku=eku)
    _fails(pki.leaf, pki.chain, "extended key usage")


def test_leaf_with_unknown_critical_extension_is_rejected() -> None:
    pki = PKI(extra_critical=True)
    _fails(pki.leaf, pki.chain, "unknown critical extension")


@pytest.mark.parametrize("delta", [-datetime.timedelta(seconds=1), datetime.timedelta(seconds=1)])
def test_leaf_outside_its_validity_is_rejected(delta: datetime.timedelta) -> None:
    pki = PKI(not_before=AT, not_after=AT)
    _fails(pki.leaf, pki.chain, "was not valid at", at=AT + delta)


def test_leaf_signed_by_another_ca_is_rejected() -> None:
    pki, other = PKI(), PKI()
    _fails(pki.leaf, other.chain, "is not signed by")


def test_forged_leaf_with_the_right_issuer_name_is_rejected() -> None:
    pki = PKI()
    impostor_key = ec.generate_private_key(ec.SECP256R1())
    forged = make_cert("leaf", pki.leaf_key, pki.inter, impostor_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(forged, pki.chain, "is not signed by")


def test_intermediate_that_is_not_a_ca_is_rejected() -> None:
    pki = PKI()
    inter = make_cert("inter", pki.inter_key, pki.root, pki.root_key, ca=False)
    leaf = make_cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(leaf, [inter, pki.root], "is not a CA")


def test_intermediate_without_basic_constraints_is_rejected() -> None:
    pki = PKI()
    inter = make_cert("inter", pki.inter_key, pki.root, pki.root_key, ca=None)
    leaf = make_cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(leaf, [inter, pki.root], "is not a CA")


def test_path_length_is_enforced() -> None:
    pki = PKI()
    root = make_cert("root", pki.root_key, None, pki.root_key, ca=True, path_length=0)
    inter = make_cert("inter", pki.inter_key, root, pki.root_key, ca=True, path_length=0)
    leaf = make_cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(leaf, [inter, root], "allows 0 intermediate")


def test_ca_without_key_cert_sign_is_rejected() -> None:
    pki = PKI()
    inter = make_cert("inter", pki.inter_key, pki.root, pki.root_key, ca=True, key_cert_sign=False)
    leaf = make_cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(leaf, [inter, pki.root], "may not sign certificates")


def test_ca_with_unknown_critical_extension_is_rejected() -> None:
    pki = PKI()
    inter = make_cert("inter", pki.inter_key, pki.root, pki.root_key, ca=True, extra_critical=True)
    leaf = make_cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(leaf, [inter, pki.root], "unknown critical extension")


def test_ca_outside_its_validity_is_rejected() -> None:
    pki = PKI()
    inter = make_cert("inter", pki.inter_key, pki.root, pki.root_key, ca=True, not_after=AT - datetime.timedelta(seconds=1))
    leaf = make_cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(leaf, [inter, pki.root], "CA certificate .* was not valid")


def test_intermediate_not_signed_by_the_listed_root_is_rejected() -> None:
    pki, other = PKI(), PKI()
    _fails(pki.leaf, [pki.inter, other.root], "is not signed by")


def test_root_must_be_self_signed() -> None:
    pki = PKI()
    # a "root" whose signature is by another key, under its own name
    fake_root = make_cert("root", pki.root_key, None, ec.generate_private_key(ec.SECP256R1()), ca=True, path_length=1)
    inter = make_cert("inter", pki.inter_key, fake_root, pki.root_key, ca=True, path_length=0)
    leaf = make_cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(leaf, [inter, fake_root], "is not self-signed")


def test_empty_chain_is_rejected() -> None:
    _fails(PKI().leaf, [], "empty")


def test_leaf_with_malformed_extension_is_rejected() -> None:
    from cryptography.x509.oid import ExtensionOID

    pki = PKI()
    leaf = (
        x509.CertificateBuilder().subject_name(cert_name("leaf")).issuer_name(pki.inter.subject)
        .public_key(pki.leaf_key.public_key()).serial_number(7)
        .not_valid_before(T0 - datetime.timedelta(days=1)).not_valid_after(T0 + datetime.timedelta(days=1))
        .add_extension(x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, b"\x04\x00"), critical=True)
        .sign(pki.inter_key, hashes.SHA256())
    )
    with pytest.raises(ValueError, match="2.5.29.15: expected BIT STRING"):  # refused when loaded, never checked
        ours(leaf)


# --- what certchain remembers about the trusted root's certificates -------------------------


def test_remembered_ca_checks_fail_every_time() -> None:
    """The CA checks are remembered per certificate object and position: a refusal is refused again."""
    pki = PKI()
    inter = make_cert("inter", pki.inter_key, pki.root, pki.root_key, ca=False)
    leaf = make_cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    for _ in range(3):
        _fails(leaf, [inter, pki.root], "is not a CA")
        _verify(pki.leaf, pki.chain)


def test_remembered_path_length_depends_on_the_position() -> None:
    """One root object (pathLenConstraint 0) passes directly above a leaf and fails above an
    intermediate, in either order."""
    pki = PKI()
    root = make_cert("root", pki.root_key, None, pki.root_key, ca=True, path_length=0)
    inter = make_cert("inter", pki.inter_key, root, pki.root_key, ca=True, path_length=0)
    below_inter = make_cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    below_root = make_cert("leaf", pki.leaf_key, root, pki.root_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    for _ in range(2):
        _verify(below_root, [root])
        _fails(below_inter, [inter, root], "allows 0 intermediate")


def test_remembered_validity_is_the_certificates_own() -> None:
    pki = PKI()
    late = make_cert("inter", pki.inter_key, pki.root, pki.root_key, ca=True, not_before=AT + datetime.timedelta(seconds=1))
    leaf = make_cert("leaf", pki.leaf_key, late, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    for _ in range(2):
        _verify(pki.leaf, pki.chain)
        _fails(leaf, [late, pki.root], "CA certificate .* was not valid")
        _verify(leaf, [late, pki.root], at=AT + datetime.timedelta(seconds=1))


def test_identity_memo_never_answers_for_another_object(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny memo, emptied over and over: every answer is still the one for the objects asked
    about (a forged leaf under the same issuer name, equal copies, distinct chains)."""
    monkeypatch.setattr(certchain, "_BY_IDENTITY_LIMIT", 3)
    monkeypatch.setattr(certchain, "_BY_IDENTITY", {})
    pkis = [PKI() for _ in range(3)]
    for _ in range(3):
        for pki in pkis:
            forged = make_cert("leaf", pki.leaf_key, pki.inter, ec.generate_private_key(ec.SECP256R1()), ca=False,
                               eku=[ExtendedKeyUsageOID.CODE_SIGNING])
            copy = load_certificate(pki.leaf.public_bytes(serialization.Encoding.DER), "copy")
            assert copy is not ours(pki.leaf)
            assert certchain.issued_by(ours(pki.leaf), ours(pki.inter))
            assert certchain.issued_by(copy, ours(pki.inter))
            assert not certchain.issued_by(ours(forged), ours(pki.inter))
            assert not certchain.issued_by(ours(pki.leaf), ours(pkis[0].inter if pki is not pkis[0] else pkis[1].inter))
            _verify(pki.leaf, pki.chain)
            _fails(forged, pki.chain, "is not signed by")
        assert len(certchain._BY_IDENTITY) <= 3


def test_authority_search_skips_other_names_and_reports_its_own() -> None:
    """pipeline._find_authority: a CA whose subject is not the leaf's issuer is passed over
    silently (its chain could not verify the leaf); the CA the leaf names reports why it failed."""
    from sigstore_offline.trust.trusted_root import Authority, TrustedRoot, ValidityWindow
    from sigstore_offline.verify.pipeline import _find_authority

    named, other = PKI(), PKI()
    other_inter = make_cert("other-inter", other.inter_key, other.root, other.root_key, ca=True, path_length=0)
    always = ValidityWindow(T0 - datetime.timedelta(days=3650), None)

    def root(*chains: List[x509.Certificate]) -> TrustedRoot:
        authorities = tuple(Authority(f"https://ca{i}.test", "", tuple(ours(c) for c in chain), always)
                            for i, chain in enumerate(chains))
        return TrustedRoot((), (), authorities, (), "", "test")

    trusted = root([other_inter, other.root], named.chain)
    assert _find_authority(ours(named.leaf), (), trusted, AT).chain == tuple(ours(c) for c in named.chain)
    forged = make_cert("leaf", named.leaf_key, named.inter, ec.generate_private_key(ec.SECP256R1()), ca=False,
                       eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    with pytest.raises(VerificationError, match="does not chain to a trusted Fulcio CA") as info:
        _find_authority(ours(forged), (), trusted, AT)
    assert "is not signed by" in info.value.message and "no CA in the trusted root" not in info.value.message
    with pytest.raises(VerificationError, match="no CA in the trusted root issued it"):
        _find_authority(ours(named.leaf), (), root([other_inter, other.root]), AT)


def test_issuer_name_must_be_the_ca_subject_byte_for_byte() -> None:
    """Name chaining compares the encodings (ADR 0008): a leaf signed with the right key, whose
    issuer names the CA by the same text as a PrintableString where the CA's subject has a
    UTF8String, does not chain, though cryptography's Name equality finds the two equal. With the
    CA's own encoding, the same leaf chains."""
    from cryptography.x509.name import _ASN1Type
    from cryptography.x509.oid import NameOID

    pki = PKI()
    printable = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "inter", _type=_ASN1Type.PrintableString)])
    assert printable == pki.inter.subject and printable.public_bytes() != pki.inter.subject.public_bytes()

    def leaf(issuer: x509.Name) -> x509.Certificate:
        return (
            x509.CertificateBuilder().subject_name(cert_name("leaf")).issuer_name(issuer)
            .public_key(pki.leaf_key.public_key()).serial_number(9)
            .not_valid_before(T0 - datetime.timedelta(days=1)).not_valid_after(T0 + datetime.timedelta(days=1))
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
            .sign(pki.inter_key, hashes.SHA256())
        )

    _fails(leaf(printable), pki.chain, "is not signed by")
    _verify(leaf(pki.inter.subject), pki.chain)
    # The pipeline's search says why no CA of the trusted root matched.
    from sigstore_offline.trust.trusted_root import Authority, TrustedRoot, ValidityWindow
    from sigstore_offline.verify.pipeline import _find_authority

    always = ValidityWindow(T0 - datetime.timedelta(days=3650), None)
    trusted = TrustedRoot((), (), (Authority("https://ca.test", "", tuple(ours(c) for c in pki.chain), always),), (), "", "t")
    with pytest.raises(VerificationError, match="https://ca.test has that name as text but encoded differently"):
        _find_authority(ours(leaf(printable)), (), trusted, AT)


def test_signature_algorithm_must_fit_the_issuers_key() -> None:
    """A leaf whose signatureAlgorithm says RSA (sha256WithRSAEncryption) but whose signature is
    the issuer's ECDSA over the TBS does not chain: the algorithm named must be the one the
    issuer's key makes. The same TBS, named ECDSA, chains."""
    from cryptography.hazmat.primitives.asymmetric import ec as ec_keys
    from testinstance import der as w

    pki = PKI()
    fields = ours(pki.leaf).layout.tbs_fields
    position = 2 if fields[0].tag == 0xA0 else 1

    def leaf_naming(algorithm: bytes) -> x509.Certificate:
        tbs = w.seq(*(algorithm if i == position else f.raw for i, f in enumerate(fields)))
        signature = pki.inter_key.sign(tbs, ec_keys.ECDSA(hashes.SHA256()))
        return x509.load_der_x509_certificate(w.seq(tbs, algorithm, w.tlv(0x03, b"\x00" + signature)))

    _fails(leaf_naming(w.seq(w.oid("1.2.840.113549.1.1.11"), w.tlv(0x05, b""))), pki.chain, "is not signed by")
    _verify(leaf_naming(w.seq(w.oid("1.2.840.10045.4.3.2"))), pki.chain)


def test_sha1_certificate_signatures_are_refused() -> None:
    """A leaf signed by the right key with ecdsa-with-SHA1 does not chain, on every cryptography
    (the newest refuses SHA-1 signatures itself; 3.4.8 to 38 verify them). The signature is made
    over the SHA-1 digest as ECDSA does (the digest as an integer), through a 32-byte prehash."""
    import hashlib

    from cryptography.hazmat.primitives.asymmetric import ec as ec_keys
    from cryptography.hazmat.primitives.asymmetric import utils
    from testinstance import der as w

    pki = PKI()
    fields = ours(pki.leaf).layout.tbs_fields
    position = 2 if fields[0].tag == 0xA0 else 1
    algorithm = w.seq(w.oid("1.2.840.10045.4.1"))
    tbs = w.seq(*(algorithm if i == position else f.raw for i, f in enumerate(fields)))
    digest = bytes(12) + hashlib.sha1(tbs).digest()  # noqa: S324 -- the point of the test
    signature = pki.inter_key.sign(digest, ec_keys.ECDSA(utils.Prehashed(hashes.SHA256())))
    leaf = x509.load_der_x509_certificate(w.seq(tbs, algorithm, w.tlv(0x03, b"\x00" + signature)))
    assert ours(leaf).signature_hash().name == "sha1"
    _fails(leaf, pki.chain, "is not signed by")
