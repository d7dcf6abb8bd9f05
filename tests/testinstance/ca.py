# SPDX-License-Identifier: Apache-2.0
"""A Fulcio-like certificate authority: self-signed root and intermediate (ECDSA P-384), short-lived
leaf certificates (ECDSA P-256) carrying Fulcio's extensions and an embedded SCT.

Leaves follow Fulcio's profile: empty subject, critical SAN (URI or email), KU digitalSignature
(critical), EKU codeSigning, SKI/AKI, the OIDC issuer as ``1.3.6.1.4.1.57264.1.1`` (raw string,
deprecated) and ``...1.8`` (DER UTF8String), optional workflow claims (``...1.2``-``1.6`` raw,
``...1.9`` and up DER UTF8String), and the SCT list last, obtained through the precertificate flow
(``ctlog.CTLog.add_precertificate``). Every ``LeafSpec`` knob changes one property, for negatives.

Test helper, not product code.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any, Dict, List, Optional, Tuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from . import _enc, der
from .ctlog import CTLog, sct_list

DEFAULT_IDENTITY = "https://github.com/example/project/.github/workflows/release.yml@refs/tags/v1.0"
DEFAULT_ISSUER = "https://token.actions.githubusercontent.com"
FULCIO_OID = "1.3.6.1.4.1.57264.1."
OIDC_ISSUER_LEGACY = FULCIO_OID + "1"
OIDC_ISSUER_V2 = FULCIO_OID + "8"
LEAF_LIFETIME = datetime.timedelta(minutes=10)
SCT_MODES = ("good", "none", "unknown-log", "bad-signature")


@dataclasses.dataclass(frozen=True)
class LeafSpec:
    """How a signing certificate is made. The defaults make a valid Fulcio-like leaf; each other
    value of a knob breaks exactly one property of it."""

    identity: str = DEFAULT_IDENTITY
    san: str = "uri"  # "uri" or "email"
    issuer: Optional[str] = DEFAULT_ISSUER
    issuer_extensions: Tuple[str, ...] = ("legacy", "v2")  # which of ...1.1 / ...1.8 to write
    legacy_issuer: Optional[str] = None  # a different value for ...1.1 (disagreeing issuers)
    claims: Tuple[Tuple[str, str], ...] = ()  # extra (dotted OID, value) claims, e.g. github_claims()
    not_before: Optional[datetime.datetime] = None  # default: signing time minus one minute
    lifetime: datetime.timedelta = LEAF_LIFETIME
    is_ca: bool = False  # basicConstraints CA:TRUE on the leaf
    code_signing: bool = True  # False: EKU serverAuth instead of codeSigning
    digital_signature: bool = True  # False: KU without digitalSignature (contentCommitment only)
    sct: str = "good"  # see SCT_MODES: no SCT, an SCT from a log not in the trust root, a bad SCT signature
    unrelated_ca: bool = False  # issued by another CA with the same names but its own keys

    def __post_init__(self) -> None:
        if self.san not in ("uri", "email"):
            raise ValueError(f"san must be 'uri' or 'email', not {self.san!r}")
        if self.sct not in SCT_MODES:
            raise ValueError(f"sct must be one of {SCT_MODES}, not {self.sct!r}")
        unknown = set(self.issuer_extensions) - {"legacy", "v2"}
        if unknown:
            raise ValueError(f"unknown issuer extension kinds {sorted(unknown)}")


@dataclasses.dataclass(frozen=True)
class Leaf:
    """An issued signing certificate and what came with it."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    chain: Tuple[x509.Certificate, ...]  # intermediate, root
    precert: Optional[x509.Certificate]  # None when issued without an SCT
    spec: LeafSpec

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(Encoding.PEM)


DEFAULT_LEAF = LeafSpec()


def github_claims(*, repository: str = "example/project", ref: str = "refs/tags/v1.0", sha: str = "0" * 40,
                  workflow: str = ".github/workflows/release.yml", trigger: str = "push",
                  server: str = "https://github.com") -> Tuple[Tuple[str, str], ...]:
    """GitHub Actions claims as Fulcio writes them: legacy ...1.2-1.6 and ...1.9-1.22."""
    repo_uri = f"{server}/{repository}"
    signer = f"{repo_uri}/{workflow}@{ref}"
    owner = repository.split("/", 1)[0]
    values: Dict[int, str] = {
        2: trigger, 3: sha, 4: "release", 5: repository, 6: ref,
        9: signer, 10: sha, 11: "github-hosted", 12: repo_uri, 13: sha, 14: ref, 15: "123456789",
        16: f"{server}/{owner}", 17: "987654321", 18: signer, 19: sha, 20: trigger,
        21: f"{repo_uri}/actions/runs/1/attempts/1", 22: "public",
    }
    return tuple((FULCIO_OID + str(arc), value) for arc, value in values.items())


def _claim_value(dotted: str, value: str) -> bytes:
    """Fulcio encodes ...1.1-1.6 as raw bytes and ...1.8 and later as a DER UTF8String."""
    if dotted.startswith(FULCIO_OID) and int(dotted[len(FULCIO_OID):].split(".")[0]) <= 6:
        return value.encode("utf-8")
    return der.tlv(0x0C, value.encode())


def _name(organization: str, common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class FulcioCA:
    """Root + intermediate. ``issue`` makes leaves; ``trusted_root_entry`` is its JSON for the root."""

    def __init__(self, keys: _enc.Keys, *, label: str = "fulcio", name: str = "fulcio.test",
                 not_before: datetime.datetime, not_after: datetime.datetime) -> None:
        self.keys = keys
        self.label = label
        self.name = name
        self.root_key = keys.p384(f"{label}/root")
        self.intermediate_key = keys.p384(f"{label}/intermediate")
        root_name = _name(name, "sigstore")
        self.root = self._ca_cert(root_name, root_name, self.root_key, self.root_key, not_before, not_after,
                                  path_length=1, serial_label=f"{label}/root")
        self.intermediate = self._ca_cert(_name(name, "sigstore-intermediate"), root_name, self.intermediate_key,
                                          self.root_key, not_before, not_after, path_length=0,
                                          serial_label=f"{label}/intermediate", code_signing=True)
        self._issued = 0

    def _ca_cert(self, subject: x509.Name, issuer: x509.Name, key: Any, issuer_key: Any, start: datetime.datetime,
                 end: datetime.datetime, *, path_length: int, serial_label: str,
                 code_signing: bool = False) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(self.keys.serial(serial_label)).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        )
        if code_signing:
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        builder = (
            builder.add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                           critical=False)
        )
        return builder.sign(issuer_key, hashes.SHA384())

    @property
    def chain(self) -> List[x509.Certificate]:
        """Intermediate first, as ``trusted_root.json`` lists it."""
        return [self.intermediate, self.root]

    def issue(self, spec: LeafSpec, *, at: datetime.datetime, ct_log: CTLog) -> Leaf:
        """A leaf valid from ``spec.not_before`` (default ``at`` - 1 minute) for ``spec.lifetime``;
        ``ct_log`` signs its SCT (unless ``spec.sct == "none"``)."""
        self._issued += 1
        label = f"{self.label}/leaf/{self._issued}"
        key = self.keys.p256(label)
        not_before = spec.not_before or at - datetime.timedelta(minutes=1)
        san: x509.GeneralName = (x509.RFC822Name(spec.identity) if spec.san == "email"
                                 else x509.UniformResourceIdentifier(spec.identity))
        builder = (
            x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(self.intermediate.subject)
            .public_key(key.public_key()).serial_number(self.keys.serial(label))
            .not_valid_before(not_before).not_valid_after(not_before + spec.lifetime)
            .add_extension(x509.KeyUsage(digital_signature=spec.digital_signature,
                                         content_commitment=not spec.digital_signature, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING if spec.code_signing
                                                  else ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.intermediate_key.public_key()),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName([san]), critical=True)
        )
        if spec.is_ca:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        extensions: List[Tuple[str, bytes]] = []
        if spec.issuer is not None and "legacy" in spec.issuer_extensions:
            extensions.append((OIDC_ISSUER_LEGACY, (spec.legacy_issuer or spec.issuer).encode("utf-8")))
        if spec.issuer is not None and "v2" in spec.issuer_extensions:
            extensions.append((OIDC_ISSUER_V2, der.tlv(0x0C, spec.issuer.encode())))
        extensions.extend((oid, _claim_value(oid, value)) for oid, value in spec.claims)
        for dotted, value in sorted(extensions, key=lambda item: _arcs(item[0])):
            builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(dotted), value),
                                            critical=False)
        if spec.sct == "none":
            return Leaf(key, builder.sign(self.intermediate_key, hashes.SHA384()), tuple(self.chain), None, spec)
        # RFC 6962 section 3.1: the precertificate is the final TBS plus the critical poison extension,
        # in the position the SCT list will take.
        precert = builder.add_extension(x509.PrecertPoison(), critical=True).sign(self.intermediate_key,
                                                                                   hashes.SHA384())
        sct = ct_log.add_precertificate(precert.tbs_certificate_bytes, _enc.spki_der(self.intermediate_key), not_before,
                                        bad_signature=spec.sct == "bad-signature")
        cert = builder.add_extension(
            x509.UnrecognizedExtension(ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS,
                                       _enc.der_octets(sct_list(sct))), critical=False,
        ).sign(self.intermediate_key, hashes.SHA384())
        return Leaf(key, cert, tuple(self.chain), precert, spec)

    def trusted_root_entry(self, *, start: datetime.datetime,
                           end: Optional[datetime.datetime] = None) -> Dict[str, Any]:
        """The JSON object for ``trusted_root.json`` ``certificateAuthorities``."""
        valid_for = {"start": _enc.rfc3339(start)}
        if end is not None:
            valid_for["end"] = _enc.rfc3339(end)
        return {
            "subject": {"organization": self.name, "commonName": "sigstore"},
            "uri": f"https://{self.name}",
            "certChain": {"certificates": [{"rawBytes": _enc.b64(c.public_bytes(Encoding.DER))} for c in self.chain]},
            "validFor": valid_for,
        }


def _arcs(dotted: str) -> Tuple[int, ...]:
    return tuple(int(arc) for arc in dotted.split("."))
