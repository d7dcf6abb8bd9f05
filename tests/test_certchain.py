"""The explicit chain checks of verify/certchain.py, one negative test per check.

Certificates are built here with cryptography's builders: a root, an intermediate and a leaf,
then one property changed at a time.
"""

from __future__ import annotations

import datetime
from typing import Any, List, Optional

import cryptography
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import skip_by_design
from sigstore_offline.errors import VerificationError
from sigstore_offline.verify import certchain

UTC = datetime.timezone.utc
T0 = datetime.datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
AT = T0 + datetime.timedelta(minutes=5)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: Any,
    issuer: Optional[x509.Certificate],
    issuer_key: Any,
    *,
    ca: Optional[bool],
    path_length: Optional[int] = None,
    key_cert_sign: bool = True,
    digital_signature: bool = True,
    eku: Optional[List[x509.ObjectIdentifier]] = None,
    not_before: datetime.datetime = T0 - datetime.timedelta(days=1),
    not_after: datetime.datetime = T0 + datetime.timedelta(days=1),
    extra_critical: bool = False,
    include_key_usage: bool = True,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer is not None else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    if include_key_usage:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=digital_signature, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=key_cert_sign and bool(ca),
                          crl_sign=bool(ca), encipher_only=False, decipher_only=False),
            critical=True,
        )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if extra_critical:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"), critical=True
        )
    return builder.sign(issuer_key, hashes.SHA256())


class PKI:
    def __init__(self, **leaf: Any) -> None:
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.inter_key = ec.generate_private_key(ec.SECP256R1())
        self.leaf_key = ec.generate_private_key(ec.SECP256R1())
        self.root = _cert("root", self.root_key, None, self.root_key, ca=True, path_length=1)
        self.inter = _cert("inter", self.inter_key, self.root, self.root_key, ca=True, path_length=0)
        options = {"ca": False, "eku": [ExtendedKeyUsageOID.CODE_SIGNING]}
        options.update(leaf)
        self.leaf = _cert("leaf", self.leaf_key, self.inter, self.inter_key, **options)

    @property
    def chain(self) -> List[x509.Certificate]:
        return [self.inter, self.root]


def _verify(leaf: x509.Certificate, chain: List[x509.Certificate], at: datetime.datetime = AT) -> None:
    certchain.verify_chain(leaf, chain, at, purpose=certchain.CODE_SIGNING, step="certificate-chain")


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
    forged = _cert("leaf", pki.leaf_key, pki.inter, impostor_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(forged, pki.chain, "is not signed by")


def test_intermediate_that_is_not_a_ca_is_rejected() -> None:
    pki = PKI()
    inter = _cert("inter", pki.inter_key, pki.root, pki.root_key, ca=False)
    leaf = _cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(leaf, [inter, pki.root], "is not a CA")


def test_intermediate_without_basic_constraints_is_rejected() -> None:
    pki = PKI()
    inter = _cert("inter", pki.inter_key, pki.root, pki.root_key, ca=None)
    leaf = _cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(leaf, [inter, pki.root], "is not a CA")


def test_path_length_is_enforced() -> None:
    pki = PKI()
    root = _cert("root", pki.root_key, None, pki.root_key, ca=True, path_length=0)
    inter = _cert("inter", pki.inter_key, root, pki.root_key, ca=True, path_length=0)
    leaf = _cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(leaf, [inter, root], "allows 0 intermediate")


def test_ca_without_key_cert_sign_is_rejected() -> None:
    pki = PKI()
    inter = _cert("inter", pki.inter_key, pki.root, pki.root_key, ca=True, key_cert_sign=False)
    leaf = _cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(leaf, [inter, pki.root], "may not sign certificates")


def test_ca_with_unknown_critical_extension_is_rejected() -> None:
    pki = PKI()
    inter = _cert("inter", pki.inter_key, pki.root, pki.root_key, ca=True, extra_critical=True)
    leaf = _cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(leaf, [inter, pki.root], "unknown critical extension")


def test_ca_outside_its_validity_is_rejected() -> None:
    pki = PKI()
    inter = _cert("inter", pki.inter_key, pki.root, pki.root_key, ca=True, not_after=AT - datetime.timedelta(seconds=1))
    leaf = _cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(leaf, [inter, pki.root], "CA certificate .* was not valid")


def test_intermediate_not_signed_by_the_listed_root_is_rejected() -> None:
    pki, other = PKI(), PKI()
    _fails(pki.leaf, [pki.inter, other.root], "is not signed by")


def test_root_must_be_self_signed() -> None:
    pki = PKI()
    # a "root" whose signature is by another key, under its own name
    fake_root = _cert("root", pki.root_key, None, ec.generate_private_key(ec.SECP256R1()), ca=True, path_length=1)
    inter = _cert("inter", pki.inter_key, fake_root, pki.root_key, ca=True, path_length=0)
    leaf = _cert("leaf", pki.leaf_key, inter, pki.inter_key, ca=False, eku=[ExtendedKeyUsageOID.CODE_SIGNING])
    _fails(leaf, [inter, fake_root], "is not self-signed")


def test_empty_chain_is_rejected() -> None:
    _fails(PKI().leaf, [], "empty")


def test_leaf_with_malformed_extension_is_rejected() -> None:
    from cryptography.x509.oid import ExtensionOID

    pki = PKI()
    leaf = (
        x509.CertificateBuilder().subject_name(_name("leaf")).issuer_name(pki.inter.subject)
        .public_key(pki.leaf_key.public_key()).serial_number(7)
        .not_valid_before(T0 - datetime.timedelta(days=1)).not_valid_after(T0 + datetime.timedelta(days=1))
        .add_extension(x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, b"\x04\x00"), critical=True)
        .sign(pki.inter_key, hashes.SHA256())
    )
    _fails(leaf, pki.chain, "malformed extensions")
