# SPDX-License-Identifier: Apache-2.0
"""A timestamp from a TSA the trusted root does not list: the message says so, names the signer
and the listed TSAs, and the hint says what to do (issue 9, task 6)."""

from __future__ import annotations

import datetime
import hashlib
import json
import pathlib
from typing import Any, Dict, List, Tuple

import pytest

from helpers import CONFORMANCE, need_shared, run_json
from sigstore_offline.errors import VerificationError
from sigstore_offline.verify import rfc3161
from testinstance import der as w
from testinstance.instance import TestInstance

PREFIX = "no trusted timestamp authority signed this timestamp: it is from a TSA the trusted root does not list"
HINT = ("a timestamp counts only if a timestamp authority in the trusted root signed it; if you trust the TSA that"
        " signed this one, add its certificate chain to timestampAuthorities of a trusted_root.json and pass that"
        " file with --trusted-root; a timestamp from Sigstore's staging instance verifies with --staging")
# The library's words (no command-line flags below cli/); the command line words it with its flags.
LIBRARY_HINT = ("a timestamp counts only if a timestamp authority in the trusted root signed it; if you trust the"
                " TSA that signed this one, add its certificate chain to timestampAuthorities of a trusted_root.json"
                " and verify against that file; a timestamp from Sigstore's staging instance verifies against the"
                " staging trust root")
IDENTITY = ("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
            ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main")


def _conformance(case: str, root_edit: Any = None, tmp: Any = None) -> Tuple[int, List[Dict[str, Any]], str]:
    folder = need_shared(CONFORMANCE) / case
    root = folder / "trusted_root.json"
    if root_edit is not None:
        document = json.loads(root.read_text())
        root_edit(document)
        root = tmp / "trusted_root.json"
        root.write_text(json.dumps(document))
    digest = "sha256:" + hashlib.sha256((CONFORMANCE / "a.txt").read_bytes()).hexdigest()
    return run_json(["--bundle", str(folder / "bundle.sigstore.json"), "--trusted-root", str(root),
                     "--cert-identity", IDENTITY, "--cert-oidc-issuer", "https://token.actions.githubusercontent.com",
                     digest])


def test_hint_is_pinned() -> None:
    assert rfc3161.UNLISTED_TSA_HINT == LIBRARY_HINT


def test_real_timestamp_from_an_unlisted_tsa() -> None:
    code, records, err = _conformance("rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail")
    assert (code, records[0]["step"]) == (1, "timestamp"), err
    message = records[0]["error"]
    assert message.startswith(PREFIX)
    assert "signer issuer O=Free TSA, OU=Root CA, CN=www.freetsa.org" in message
    assert "the trusted root lists 1 TSA(s): https://timestamp.sigstage.dev/api/v1/timestamp" in message
    assert records[0]["hint"] == HINT
    assert f"(hint: {HINT})" in err


def test_a_trusted_root_without_tsas(tmp_path: pathlib.Path) -> None:
    def drop(root: Dict[str, Any]) -> None:
        root["timestampAuthorities"] = []

    code, records, err = _conformance("rekor2-happy-path", drop, tmp_path)
    assert (code, records[0]["step"]) == (1, "timestamp"), err
    assert records[0]["error"].startswith(PREFIX) and "lists 0 TSA(s): none" in records[0]["error"]
    assert records[0]["hint"] == HINT


def test_generated_tsa_with_the_listed_name_but_another_key(tmp_path: pathlib.Path) -> None:
    """The test instance's untrusted TSA has the trusted one's name: still 'not listed', and the
    message says the token names a listed certificate whose key did not sign it."""
    inst = TestInstance(seed="unlisted tsa tests")
    generated = inst.bundle(b"artifact\n", rekor=2, tamper={"tsa-untrusted"})
    root = tmp_path / "trusted_root.json"
    root.write_text(json.dumps(inst.trusted_root_json()))
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(generated.bundle))
    artifact = tmp_path / "artifact"
    artifact.write_bytes(generated.artifact)
    code, records, err = run_json(["--bundle", str(bundle), "--trusted-root", str(root), "--cert-identity",
                                   generated.identity, "--cert-oidc-issuer", generated.issuer, str(artifact)])
    assert (code, records[0]["step"]) == (1, "timestamp"), err
    message = records[0]["error"]
    assert message.startswith(PREFIX) and records[0]["hint"] == HINT
    if "the token names the certificate of" in message:
        assert "did not make the signature" in message


def test_names_are_described_safely() -> None:
    name = w.seq(w.set_of(w.seq(w.oid("2.5.4.3"), w.tlv(0x0C, "evil\nname\x1b[31m".encode()))),
                 w.set_of(w.seq(w.oid("1.2.3.4"), w.tlv(0x13, b"x"))))
    assert rfc3161._describe_name(name) == "CN=evil\\x0aname\\x1b[31m, 1.2.3.4=x"
    assert rfc3161._describe_name(b"\x30\x05\x31").startswith("(unreadable name ")
    assert rfc3161._describe_name(w.seq()) == "(empty name)"
    assert rfc3161._describe_sid(("ski", b"\x01\x02")) == "key identifier 0102"
    assert rfc3161._describe_sid(("issuer-serial", w.seq(), 255)) == "issuer (empty name), serial ff"


def test_the_error_is_a_verification_error_with_the_hint() -> None:
    token = rfc3161._Token(gen_time=datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc),
                           signed_attrs=b"", signature=b"", key_kind=object, signature_hash=None,
                           sid=("ski", b"\xab"), cert_ids=(), embedded=())
    error = rfc3161._unlisted(token, [])
    assert isinstance(error, VerificationError) and error.step == "timestamp" and error.hint == LIBRARY_HINT
    assert error.message == (f"{PREFIX} (signer key identifier ab, genTime 2025-01-01T00:00:00Z;"
                             " the trusted root lists 0 TSA(s): none)")


def test_a_listed_tsas_certificate_named_but_its_key_did_not_sign(tmp_path: pathlib.Path) -> None:
    """The real Rekor v2 bundle's timestamp with its signature damaged: the token still names the
    listed TSA's certificate, and the message says that certificate's key did not sign it."""
    import base64

    folder = need_shared(CONFORMANCE) / "rekor2-happy-path"
    bundle = json.loads((folder / "bundle.sigstore.json").read_text())
    stamp = bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
    token = bytearray(base64.b64decode(stamp["signedTimestamp"]))
    # The SignerInfo signature is the token's last OCTET STRING: flip its last byte (an ECDSA s value).
    token[-1] ^= 0x01
    stamp["signedTimestamp"] = base64.b64encode(bytes(token)).decode()
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    digest = "sha256:" + hashlib.sha256((CONFORMANCE / "a.txt").read_bytes()).hexdigest()
    code, records, err = run_json(["--bundle", str(path), "--trusted-root", str(folder / "trusted_root.json"),
                                   "--cert-identity", IDENTITY, "--cert-oidc-issuer",
                                   "https://token.actions.githubusercontent.com", digest])
    assert (code, records[0]["step"]) == (1, "timestamp"), err
    assert records[0]["error"].startswith(PREFIX)
    assert "; the token names the certificate of " in records[0]["error"]
    assert "but that certificate's key did not make the signature" in records[0]["error"]
