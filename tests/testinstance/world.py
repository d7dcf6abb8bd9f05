"""A complete test Sigstore instance, made with ``cryptography``: Fulcio-like CA, CT log, Rekor v1
and v2 logs, and a TSA (``tsa.TestTSA``), with its own ``trusted_root.json``.

    world = TestSigstore()
    bundle = world.bundle(b"artifact")                       # v0.3, hashedrekord, Rekor v1
    bundle = world.bundle(b"artifact", version="0.1")        # x509CertificateChain, SET + proof
    bundle = world.bundle(b"artifact", dsse=True)            # DSSE + in-toto statement, dsse 0.0.1
    bundle = world.bundle(b"artifact", rekor=2)              # hashedrekord 0.0.2 + RFC 3161 timestamp
    root = world.trusted_root()                              # dict, trusted_root.json

Knobs (``Leaf`` fields and ``bundle(...)`` keywords) change one thing each, for negative tests.
Everything is signed at ``SIGNED_AT`` (2025-06-01T12:00:00Z) unless told otherwise.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import struct
from typing import Any, Dict, NamedTuple, Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from . import der
from .merkle_ref import mth, path
from .tsa import TestTSA

UTC = datetime.timezone.utc
SIGNED_AT = datetime.datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
IDENTITY = "https://github.com/example/project/.github/workflows/release.yml@refs/tags/v1.0"
ISSUER = "https://token.actions.githubusercontent.com"
OIDC_ISSUER_LEGACY = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OIDC_ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
IN_TOTO = "application/vnd.in-toto+json"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def canonical(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def spki(public_key: Any) -> bytes:
    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def rfc3339(moment: datetime.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


class Leaf(NamedTuple):
    """How the signing certificate is made; the defaults make a valid Fulcio-like one."""

    identity: str = IDENTITY
    issuer: Optional[str] = ISSUER
    legacy_issuer: Optional[str] = ISSUER
    email: bool = False
    ca: bool = False
    code_signing: bool = True
    digital_signature: bool = True
    not_before: Optional[datetime.datetime] = None  # default: SIGNED_AT - 1 minute
    lifetime: datetime.timedelta = datetime.timedelta(minutes=10)
    sct: str = "good"  # good | none | unknown-log | bad-signature
    issuer_key: Any = None  # sign with another CA key (same issuer name)


class TestSigstore:
    __test__ = False  # not a pytest test class

    def __init__(self, *, ca_start: datetime.datetime = SIGNED_AT - datetime.timedelta(days=365)) -> None:
        self.ca_start = ca_start
        end = ca_start + datetime.timedelta(days=3650)
        self.root_key = ec.generate_private_key(ec.SECP384R1())
        self.inter_key = ec.generate_private_key(ec.SECP384R1())
        self.root = self._ca("test-root", self.root_key, None, self.root_key, ca_start, end, path_length=1)
        self.inter = self._ca("test-intermediate", self.inter_key, self.root, self.root_key, ca_start, end, path_length=0)
        self.ct_key = ec.generate_private_key(ec.SECP256R1())
        self.rekor1_key = ec.generate_private_key(ec.SECP256R1())
        self.rekor2_key = ed25519.Ed25519PrivateKey.generate()
        self.tsa = TestTSA(name="tsa.test", not_before=ca_start, not_after=end)
        self.filler = [b"filler entry %d" % i for i in range(5)]

    # --- certificate authority -------------------------------------------------------------

    @staticmethod
    def _ca(cn: str, key: Any, issuer: Optional[x509.Certificate], issuer_key: Any, start: datetime.datetime,
            end: datetime.datetime, *, path_length: int) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigstore.test"),
                          x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        builder = (
            x509.CertificateBuilder().subject_name(name).issuer_name(issuer.subject if issuer else name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if issuer is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        return builder.sign(issuer_key, hashes.SHA384())

    def leaf(self, spec: Leaf = Leaf()) -> "tuple[ec.EllipticCurvePrivateKey, x509.Certificate]":
        key = ec.generate_private_key(ec.SECP256R1())
        not_before = spec.not_before or SIGNED_AT - datetime.timedelta(minutes=1)
        san: x509.GeneralName = (x509.RFC822Name(spec.identity) if spec.email
                                 else x509.UniformResourceIdentifier(spec.identity))
        builder = (
            x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(self.inter.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_before + spec.lifetime)
            .add_extension(x509.KeyUsage(spec.digital_signature, False, False, False, False, spec.ca, False, False, False),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING if spec.code_signing
                                                  else ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.inter_key.public_key()), critical=False)
            .add_extension(x509.SubjectAlternativeName([san]), critical=True)
        )
        if spec.ca:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        if spec.legacy_issuer is not None:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(OIDC_ISSUER_LEGACY, spec.legacy_issuer.encode()), critical=False)
        if spec.issuer is not None:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(OIDC_ISSUER_V2, der.tlv(0x0C, spec.issuer.encode())), critical=False)
        signer = spec.issuer_key or self.inter_key
        if spec.sct != "none":
            tbs = builder.sign(signer, hashes.SHA384()).tbs_certificate_bytes  # = the final TBS minus the SCT list
            builder = builder.add_extension(
                x509.UnrecognizedExtension(ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS,
                                           der.octet_string(self._sct_list(tbs, not_before, spec.sct))),
                critical=False)
        return key, builder.sign(signer, hashes.SHA384())

    def _sct_list(self, tbs: bytes, when: datetime.datetime, mode: str) -> bytes:
        """RFC 6962 3.2/3.3: one v1 precertificate SCT, TLS-encoded in a SignedCertificateTimestampList."""
        key = ec.generate_private_key(ec.SECP256R1()) if mode == "unknown-log" else self.ct_key
        log_id = hashlib.sha256(spki(key.public_key())).digest()
        millis = int(when.timestamp() * 1000)
        issuer_key_hash = hashlib.sha256(spki(self.inter_key.public_key())).digest()
        signed = (struct.pack(">BBQH", 0, 0, millis, 1) + issuer_key_hash + len(tbs).to_bytes(3, "big") + tbs
                  + struct.pack(">H", 0))
        signature = key.sign(signed, ec.ECDSA(hashes.SHA256()))
        if mode == "bad-signature":
            signature = key.sign(signed + b"x", ec.ECDSA(hashes.SHA256()))
        sct = (b"\x00" + log_id + struct.pack(">Q", millis) + b"\x00\x00" + b"\x04\x03"
               + struct.pack(">H", len(signature)) + signature)
        serialized = struct.pack(">H", len(sct)) + sct
        return struct.pack(">H", len(serialized)) + serialized

    # --- trusted root ----------------------------------------------------------------------

    def trusted_root(self, *, ca_window: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        start = rfc3339(self.ca_start)

        def log(url: str, key: Any, details: str) -> Dict[str, Any]:
            return {"baseUrl": url, "hashAlgorithm": "SHA2_256",
                    "publicKey": {"rawBytes": b64(spki(key.public_key())), "keyDetails": details,
                                  "validFor": {"start": start}},
                    "logId": {"keyId": b64(self.log_id(key))}}

        return {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log("https://rekor.test", self.rekor1_key, "PKIX_ECDSA_P256_SHA_256"),
                      log("https://log2.rekor.test", self.rekor2_key, "PKIX_ED25519")],
            "certificateAuthorities": [{
                "subject": {"organization": "sigstore.test", "commonName": "test-root"},
                "uri": "https://fulcio.test",
                "certChain": {"certificates": [{"rawBytes": b64(c.public_bytes(Encoding.DER))}
                                               for c in (self.inter, self.root)]},
                "validFor": ca_window or {"start": start},
            }],
            "ctlogs": [log("https://ct.test", self.ct_key, "PKIX_ECDSA_P256_SHA_256")],
            "timestampAuthorities": [self.tsa.trusted_root_entry(start=self.ca_start)],
        }

    # --- transparency logs -----------------------------------------------------------------

    def _log_entry(self, body: bytes, *, rekor: int, kind: str, version: str, integrated: datetime.datetime,
                   set_ok: bool, with_set: bool, with_proof: bool, with_checkpoint: bool) -> Dict[str, Any]:
        leaves = self.filler + [body]
        index = len(leaves) - 1
        root = mth(leaves)
        log_id = self.log_id(self.rekor1_key if rekor == 1 else self.rekor2_key)
        global_index = 1000 + index if rekor == 1 else index
        entry: Dict[str, Any] = {
            "logIndex": str(global_index), "logId": {"keyId": b64(log_id)},
            "kindVersion": {"kind": kind, "version": version},
            "canonicalizedBody": b64(body),
        }
        if rekor == 1:
            entry["integratedTime"] = str(int(integrated.timestamp()))
            if with_set:
                payload = canonical({"body": b64(body), "integratedTime": int(integrated.timestamp()),
                                     "logID": log_id.hex(), "logIndex": global_index})
                signature = self.rekor1_key.sign(payload if set_ok else payload + b" ", ec.ECDSA(hashes.SHA256()))
                entry["inclusionPromise"] = {"signedEntryTimestamp": b64(signature)}
        if with_proof:
            proof: Dict[str, Any] = {"logIndex": str(index), "rootHash": b64(root), "treeSize": str(len(leaves)),
                                     "hashes": [b64(h) for h in path(index, leaves)]}
            if with_checkpoint:
                proof["checkpoint"] = {"envelope": self.checkpoint(rekor, len(leaves), root)}
            entry["inclusionProof"] = proof
        return entry

    REKOR2_NAME = "log2.rekor.test"

    def log_id(self, key: Any) -> bytes:
        """SHA-256 of the DER SPKI (RFC 6962, Rekor v1, CT); for the Ed25519 Rekor v2 log, its C2SP
        signed-note key ID, SHA-256(name || "\n" || 0x01 || raw key), whose first 4 bytes are the key hint."""
        if isinstance(key, ed25519.Ed25519PrivateKey):
            raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            return hashlib.sha256(self.REKOR2_NAME.encode() + b"\n\x01" + raw).digest()
        return hashlib.sha256(spki(key.public_key())).digest()

    def checkpoint(self, rekor: int, size: int, root: bytes) -> str:
        """A C2SP signed note: Rekor v1 (ECDSA, origin "<name> - <tree id>") or v2 (Ed25519)."""
        if rekor == 1:
            origin, name = "rekor.test - 1234567890", "rekor.test"
            body = f"{origin}\n{size}\n{b64(root)}\n".encode()
            hint = hashlib.sha256(spki(self.rekor1_key.public_key())).digest()[:4]
            signature = self.rekor1_key.sign(body, ec.ECDSA(hashes.SHA256()))
        else:
            origin = name = self.REKOR2_NAME
            body = f"{origin}\n{size}\n{b64(root)}\n".encode()
            hint = self.log_id(self.rekor2_key)[:4]
            signature = self.rekor2_key.sign(body)
        return body.decode() + "\n" + f"\u2014 {name} {b64(hint + signature)}\n"

    # --- bundles ---------------------------------------------------------------------------

    def bundle(self, artifact: bytes, *, version: str = "0.3", rekor: int = 1, dsse: bool = False,
               leaf: Leaf = Leaf(), timestamp: Optional[bool] = None, signed_at: datetime.datetime = SIGNED_AT,
               set_ok: bool = True, with_set: bool = True, with_proof: bool = True, with_checkpoint: bool = True,
               statement_digest: Optional[bytes] = None, tamper: Optional[str] = None) -> Dict[str, Any]:
        """A bundle over ``artifact``. ``tamper`` names one thing to change after signing:
        ``body-digest``, ``body-signature``, ``body-cert``, ``signature`` (the bundle's own)."""
        key, cert = self.leaf(leaf)
        cert_der = cert.public_bytes(Encoding.DER)
        digest = hashlib.sha256(artifact).digest()
        other_key, other_cert = self.leaf(Leaf()) if tamper == "body-cert" else (key, cert)
        content: Dict[str, Any]
        if dsse:
            statement = canonical({"_type": "https://in-toto.io/Statement/v1",
                                   "subject": [{"name": "artifact", "digest": {"sha256": (statement_digest or digest).hex()}}],
                                   "predicateType": "https://example.test/predicate", "predicate": {}})
            signature = key.sign(pae(IN_TOTO, statement), ec.ECDSA(hashes.SHA256()))
            content = {"dsseEnvelope": {"payload": b64(statement), "payloadType": IN_TOTO,
                                        "signatures": [{"sig": b64(signature), "keyid": ""}]}}
            logged_digest = hashlib.sha256(pae(IN_TOTO, statement)).digest()
        else:
            from cryptography.hazmat.primitives.asymmetric import utils

            signature = key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
            content = {"messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": b64(digest)},
                                            "signature": b64(signature)}}
            logged_digest = digest
        logged_signature = signature
        if tamper == "body-signature":
            logged_signature = key.sign(b"something else", ec.ECDSA(hashes.SHA256()))
        if tamper == "body-digest":
            logged_digest = hashlib.sha256(b"another artifact").digest()
        logged_cert = other_cert.public_bytes(Encoding.DER)
        if rekor == 1 and dsse:
            kind, kind_version = "dsse", "0.0.1"
            body = canonical({"apiVersion": "0.0.1", "kind": "dsse", "spec": {
                "envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(canonical(content)).hexdigest()},
                "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(statement).hexdigest()
                                if tamper != "body-digest" else "00" * 32},
                "signatures": [{"signature": b64(logged_signature),
                                "verifier": b64(other_cert.public_bytes(Encoding.PEM))}]}})
        elif rekor == 1:
            kind, kind_version = "hashedrekord", "0.0.1"
            body = canonical({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": logged_digest.hex()}},
                "signature": {"content": b64(logged_signature),
                              "publicKey": {"content": b64(other_cert.public_bytes(Encoding.PEM))}}}})
        else:
            kind, kind_version = "hashedrekord", "0.0.2"
            body = canonical({"apiVersion": "0.0.2", "kind": "hashedrekord", "spec": {"hashedRekordV002": {
                "data": {"algorithm": "SHA2_256", "digest": b64(logged_digest)},
                "signature": {"content": b64(logged_signature), "verifier": {
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256", "x509Certificate": {"rawBytes": b64(logged_cert)}}}}}})
        if tamper == "signature":
            signature = key.sign(b"not the artifact", ec.ECDSA(hashes.SHA256()))
            if dsse:
                content["dsseEnvelope"]["signatures"][0]["sig"] = b64(signature)
            else:
                content["messageSignature"]["signature"] = b64(signature)
        entry = self._log_entry(body, rekor=rekor, kind=kind, version=kind_version, integrated=signed_at,
                                set_ok=set_ok, with_set=with_set, with_proof=with_proof, with_checkpoint=with_checkpoint)
        material: Dict[str, Any] = {"tlogEntries": [entry]}
        if version == "0.3":
            media_type = "application/vnd.dev.sigstore.bundle.v0.3+json"
            material["certificate"] = {"rawBytes": b64(cert_der)}
        else:
            media_type = f"application/vnd.dev.sigstore.bundle+json;version={version}"
            material["x509CertificateChain"] = {"certificates": [{"rawBytes": b64(cert_der)}]}
        if timestamp if timestamp is not None else rekor == 2:
            token = self.tsa.timestamp(signature, gen_time=signed_at)
            material["timestampVerificationData"] = {"rfc3161Timestamps": [{"signedTimestamp": b64(token)}]}
        return {"mediaType": media_type, "verificationMaterial": material, **content}
