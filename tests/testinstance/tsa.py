# SPDX-License-Identifier: Apache-2.0
"""A test timestamp authority: a CA chain and TSA leaf made with ``cryptography``, and RFC 3161 tokens.

``TestTSA.timestamp`` returns what real Sigstore bundles carry in
``timestampVerificationData.rfc3161Timestamps[].signedTimestamp``: a DER ``TimeStampResp``
(RFC 3161 section 2.4.2) whose token is a CMS ``SignedData`` (RFC 5652) over a ``TSTInfo``,
with contentType, signingTime, messageDigest and ESS signingCertificateV2 signed attributes,
as sigstore/timestamp-authority issues them. ``TestTSA.build`` exposes every field for
negative tests; ``timestamp`` is the short form.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
from typing import Any, Dict, List, Optional, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from . import der

SIGNED_DATA = "1.2.840.113549.1.7.2"
TST_INFO = "1.2.840.113549.1.9.16.1.4"
ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3"
ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
ATTR_SIGNING_TIME = "1.2.840.113549.1.9.5"
ATTR_SIGNING_CERTIFICATE = "1.2.840.113549.1.9.16.2.12"
ATTR_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47"
HASH_OIDS = {
    "sha1": "1.3.14.3.2.26",
    "sha256": "2.16.840.1.101.3.4.2.1",
    "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3",
}
ECDSA_OIDS = {"sha256": "1.2.840.10045.4.3.2", "sha384": "1.2.840.10045.4.3.3", "sha512": "1.2.840.10045.4.3.4"}
_HASH_CLASSES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
POLICY = "1.3.6.1.4.1.57264.2"
OTHER_NAME = der.seq(der.set_of(der.seq(der.oid("2.5.4.3"), der.tlv(0x0C, b"someone else"))))


@dataclasses.dataclass
class Options:
    """Every knob of a token; the defaults make a valid one. ``None`` means "derive it"."""

    hash_name: str = "sha256"  # messageImprint, signer digest and ECDSA hash
    embed_certs: bool = False
    crls: bool = False  # an (empty) crls field
    status: int = 0
    content_type: str = SIGNED_DATA
    signed_data_version: int = 3
    e_content_type: str = TST_INFO
    tst_version: int = 1
    imprint_hash_oid: Optional[str] = None
    imprint: Optional[bytes] = None
    gen_time_der: Optional[str] = None  # raw GeneralizedTime text
    signer_info_count: int = 1
    sid: str = "issuer-serial"  # or "ski", "wrong-serial", "wrong-issuer", "wrong-ski"
    signer_version: Optional[int] = None
    digest_oid: Optional[str] = None
    signed_attrs: bool = True
    attr_content_type: Optional[str] = TST_INFO  # None: leave the attribute out
    content_type_values: int = 1
    listed_digest_oid: Optional[str] = None  # SignedData.digestAlgorithms
    message_digest: Optional[bytes] = None
    omit_message_digest: bool = False
    ess: str = "v2"  # "v1", "both", "none", "v2-empty", "v2-wrong-{hash,serial,issuer}", "v1-wrong-hash"
    duplicate_attribute: bool = False
    empty_attribute: bool = False  # an attribute whose SET OF values is empty
    signature_oid: Optional[str] = None
    corrupt_signature: bool = False
    signing_key: Any = None  # sign with this key while naming this TSA's leaf


class TestTSA:
    """A root CA [+ intermediate] + TSA leaf (EKU timeStamping critical, KU digitalSignature)."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        *,
        name: str = "tsa.test",
        not_before: datetime.datetime,
        not_after: datetime.datetime,
        chain_length: int = 2,
    ) -> None:
        if chain_length not in (2, 3):
            raise ValueError("chain_length must be 2 or 3")
        self.name = name
        self.root_key = root_key = ec.generate_private_key(ec.SECP256R1())
        root_name = _name(name, "root")
        root = _cert(root_name, root_name, root_key.public_key(), root_key, not_before, not_after, ca=True)
        issuer_key, issuer = root_key, root
        chain_above: List[x509.Certificate] = [root]
        if chain_length == 3:
            inter_key = ec.generate_private_key(ec.SECP256R1())
            inter = _cert(_name(name, "intermediate"), root.subject, inter_key.public_key(), root_key,
                          not_before, not_after, ca=True, path_length=0)
            issuer_key, issuer = inter_key, inter
            chain_above.insert(0, inter)
        self.issuer_key = issuer_key
        self.key = ec.generate_private_key(ec.SECP256R1())
        leaf = _cert(_name(name, "timestamping"), issuer.subject, self.key.public_key(), issuer_key,
                     not_before, not_after, ca=False)
        self.chain: List[x509.Certificate] = [leaf, *chain_above]
        self._validity = (not_before, not_after)

    def variant_leaf(
        self, *, eku: Optional[List[x509.ObjectIdentifier]] = None, eku_critical: bool = True, ski: bool = True
    ) -> x509.Certificate:
        """The same leaf (subject, serial, key, issuer) re-issued with another EKU extension, or
        without the SubjectKeyIdentifier extension."""
        leaf = self.leaf
        return _cert(leaf.subject, leaf.issuer, self.key.public_key(), self.issuer_key, *self._validity,
                     ca=False, serial=leaf.serial_number, eku=eku, eku_critical=eku_critical, ski=ski)

    @property
    def leaf(self) -> x509.Certificate:
        return self.chain[0]

    def trusted_root_entry(self, *, start: datetime.datetime, end: Optional[datetime.datetime] = None) -> Dict[str, Any]:
        """The JSON object for ``trusted_root.json`` ``timestampAuthorities``."""
        valid_for = {"start": _rfc3339(start)}
        if end is not None:
            valid_for["end"] = _rfc3339(end)
        return {
            "subject": {"organization": self.name, "commonName": f"{self.name} timestamping"},
            "uri": f"https://{self.name}/api/v1/timestamp",
            "certChain": {
                "certificates": [
                    {"rawBytes": base64.b64encode(c.public_bytes(Encoding.DER)).decode()} for c in self.chain
                ]
            },
            "validFor": valid_for,
        }

    def timestamp(
        self,
        message: bytes,
        *,
        gen_time: datetime.datetime,
        hash_name: str = "sha256",
        embed_certs: bool = False,
        wrong_imprint: bool = False,
        wrong_message_digest_attr: bool = False,
        bad_signature: bool = False,
        signer: Union["TestTSA", Any, None] = None,
    ) -> bytes:
        """A DER ``TimeStampResp`` over ``message`` (the bundle signature bytes).

        ``signer``: another :class:`TestTSA` signs (and is named in the token), or a private key
        signs while the token still names this TSA's leaf.
        """
        options = Options(hash_name=hash_name, embed_certs=embed_certs, corrupt_signature=bad_signature)
        if wrong_imprint:
            options.imprint = hashlib.new(hash_name, b"another " + message).digest()
        if wrong_message_digest_attr:
            options.message_digest = hashlib.new(hash_name, b"another TSTInfo").digest()
        if isinstance(signer, TestTSA):
            return signer.build(message, gen_time=gen_time, options=options)
        if signer is not None:
            options.signing_key = signer
        return self.build(message, gen_time=gen_time, options=options)

    def build(self, message: bytes, *, gen_time: datetime.datetime, options: Optional[Options] = None) -> bytes:
        """A ``TimeStampResp`` with every field under the caller's control (see :class:`Options`)."""
        o = options or Options()
        h = o.hash_name
        leaf = self.leaf
        leaf_der = leaf.public_bytes(Encoding.DER)
        imprint = o.imprint if o.imprint is not None else hashlib.new(h, message).digest()
        gen = der.generalized_time(o.gen_time_der if o.gen_time_der is not None else gen_time)
        tst_info = der.seq(
            der.integer(o.tst_version),
            der.oid(POLICY),
            der.seq(der.algorithm(o.imprint_hash_oid or HASH_OIDS[h], parameters=True), der.octet_string(imprint)),
            der.integer(0x1234_5678_9ABC),
            gen,
            der.seq(der.integer(1)),  # accuracy: 1 second
            der.integer(0x0DEC_AF),  # nonce
        )
        issuer = _issuer_der(leaf)
        issuer_serial = der.seq(der.seq(der.context(4, issuer)), der.integer(leaf.serial_number))
        attributes = []
        if o.attr_content_type is not None:
            values = [der.oid(o.attr_content_type), der.oid("1.2.840.113549.1.7.1")][: o.content_type_values]
            attributes.append(der.seq(der.oid(ATTR_CONTENT_TYPE), der.set_of(*values, sort=False)))
        attributes.append(_attribute(ATTR_SIGNING_TIME, der.utc_time(gen_time)))
        if not o.omit_message_digest:
            digest = o.message_digest if o.message_digest is not None else hashlib.new(h, tst_info).digest()
            attributes.append(_attribute(ATTR_MESSAGE_DIGEST, der.octet_string(digest)))
        if o.ess in ("v2", "both", "v2-wrong-hash", "v2-wrong-serial", "v2-wrong-issuer", "v2-empty"):
            cert_hash = hashlib.sha256(leaf_der if o.ess != "v2-wrong-hash" else b"x" + leaf_der).digest()
            ess_issuer_serial = {
                "v2-wrong-serial": der.seq(der.seq(der.context(4, issuer)), der.integer(leaf.serial_number + 1)),
                "v2-wrong-issuer": der.seq(der.seq(der.context(4, OTHER_NAME)), der.integer(leaf.serial_number)),
            }.get(o.ess, issuer_serial)
            ess_ids = b"" if o.ess == "v2-empty" else der.seq(der.octet_string(cert_hash), ess_issuer_serial)
            attributes.append(_attribute(ATTR_SIGNING_CERTIFICATE_V2, der.seq(der.seq(ess_ids))))
        if o.ess in ("v1", "both", "v1-wrong-hash"):
            cert_hash = hashlib.sha1(leaf_der if o.ess != "v1-wrong-hash" else b"x" + leaf_der).digest()
            attributes.append(_attribute(ATTR_SIGNING_CERTIFICATE, der.seq(der.seq(der.seq(der.octet_string(cert_hash))))))
        if o.empty_attribute:
            attributes.append(der.seq(der.oid("1.2.3.4"), der.set_of()))
        if o.duplicate_attribute:
            attributes.append(_attribute(ATTR_SIGNING_TIME, der.utc_time(gen_time + datetime.timedelta(seconds=1))))
        attrs_content = b"".join(sorted(attributes))  # DER SET OF order (X.690 11.6)
        signed_attrs = der.tlv(0x31, attrs_content)
        key = o.signing_key if o.signing_key is not None else self.key
        signature = key.sign(signed_attrs, ec.ECDSA(_HASH_CLASSES[h]()))
        if o.corrupt_signature:
            signature = _corrupt(signature)
        serial = leaf.serial_number + (1 if o.sid == "wrong-serial" else 0)
        ski = leaf.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        if o.sid in ("ski", "wrong-ski"):
            sid = der.context(0, (b"\x00" if o.sid == "wrong-ski" else b"") + ski, constructed=False)
            version = 3
        else:
            sid_issuer = OTHER_NAME if o.sid == "wrong-issuer" else issuer
            sid = der.seq(sid_issuer, der.integer(serial))
            version = 1
        signer_info = der.seq(
            der.integer(o.signer_version if o.signer_version is not None else version),
            sid,
            der.algorithm(o.digest_oid or HASH_OIDS[h], parameters=True),
            der.context(0, attrs_content) if o.signed_attrs else b"",
            der.algorithm(o.signature_oid or ECDSA_OIDS[h]),
            der.octet_string(signature),
        )
        certificates = b""
        if o.embed_certs:
            certificates = der.context(0, b"".join(sorted(c.public_bytes(Encoding.DER) for c in self.chain)))
        signed_data = der.seq(
            der.integer(o.signed_data_version),
            der.set_of(der.algorithm(o.listed_digest_oid or HASH_OIDS[h], parameters=True)),
            der.seq(der.oid(o.e_content_type), der.context(0, der.octet_string(tst_info))),
            certificates,
            der.context(1, b"") if o.crls else b"",
            der.set_of(*[signer_info] * o.signer_info_count, sort=False),
        )
        content_info = der.seq(der.oid(o.content_type), der.context(0, signed_data))
        return der.seq(der.seq(der.integer(o.status)), content_info)


def _attribute(attr_type: str, value: bytes) -> bytes:
    return der.seq(der.oid(attr_type), der.set_of(value))


def _corrupt(signature: bytes) -> bytes:
    """Keep the ECDSA DER shape, change the last byte of s."""
    return signature[:-1] + bytes([signature[-1] ^ 0x01])


def _issuer_der(cert: x509.Certificate) -> bytes:
    return cert.issuer.public_bytes()


def _name(organization: str, role: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organization} {role}"),
        ]
    )


def _cert(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: Any,
    signing_key: Any,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
    *,
    ca: bool,
    path_length: Optional[int] = None,
    serial: Optional[int] = None,
    eku: Optional[List[x509.ObjectIdentifier]] = None,
    eku_critical: bool = True,
    ski: bool = True,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ski:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        usage = dict(digital_signature=False, key_cert_sign=True, crl_sign=True)
    else:
        purposes = [ExtendedKeyUsageOID.TIME_STAMPING] if eku is None else eku
        builder = builder.add_extension(x509.ExtendedKeyUsage(purposes), critical=eku_critical)
        usage = dict(digital_signature=True, key_cert_sign=False, crl_sign=False)
    builder = builder.add_extension(
        x509.KeyUsage(
            content_commitment=False, key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False, **usage,
        ),
        critical=True,
    )
    if subject != issuer:
        issuer_key = signing_key.public_key()
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key), critical=False
        )
    return builder.sign(signing_key, hashes.SHA256())


def _rfc3339(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
