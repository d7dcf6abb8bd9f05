# SPDX-License-Identifier: Apache-2.0
"""cosign's legacy blob formats (docs/cosign.md): detached ``--signature``/``--certificate``
[``--certificate-chain``] and the old ``--bundle`` JSON with a Rekor v1 SET, made by the test
instance (``testinstance/cosign.py``) and verified through the CLI.

Every check has a negative that names its exit code and step. No transparency-log evidence fails
(step ``tlog``) unless ``--insecure-ignore-tlog``, whose verdict says WEAKER.

sigstore-python 4.5.1 cannot verify any of these formats offline: detached material needs an
online Rekor lookup (``sigstore verify --signature``), and its ``TransparencyLogEntry`` refuses an
entry without an inclusion proof, which an old bundle never has. The oracle test at the end uses
its pieces instead (SET, chain at the integrated time, SCT, identity, hashedrekord body).
"""

from __future__ import annotations

import base64
import datetime
import json
import pathlib
from typing import Any, Dict, List, Optional, Tuple

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from helpers import EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, ours, run_cli, run_json
from testinstance import _enc
from testinstance.bundle import SIGNED_AT
from testinstance.ca import DEFAULT_IDENTITY, DEFAULT_ISSUER, LeafSpec
from testinstance.catalog import OTHER_IDENTITY, OTHER_ISSUER
from testinstance.cosign import CosignMaterial, sign_blob
from testinstance.instance import TestInstance
from oracles import sigstore_rejections

ARTIFACT = b"a release tarball signed with cosign sign-blob\n"
IDENTITY = ["--cert-identity", DEFAULT_IDENTITY, "--cert-oidc-issuer", DEFAULT_ISSUER]
OPT_OUT = "--insecure-ignore-tlog"
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(scope="module")
def inst() -> TestInstance:
    return TestInstance(seed="cosign legacy formats")


@pytest.fixture(scope="module")
def root(inst: TestInstance, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("root") / "trusted_root.json"
    path.write_text(json.dumps(inst.trusted_root_json()))
    return path


def _root(inst: TestInstance, directory: pathlib.Path, **windows: Any) -> pathlib.Path:
    path = directory / "variant_root.json"
    path.write_text(json.dumps(inst.trusted_root_json(**windows)))
    return path


def _files(inst: TestInstance, directory: pathlib.Path, **options: Any) -> Dict[str, pathlib.Path]:
    return sign_blob(inst, ARTIFACT, **options).write(directory)


def _run(root: pathlib.Path, *argv: str) -> Tuple[int, List[Dict[str, Any]], str]:
    return run_json(["--trusted-root", str(root), *argv])


def _bundle_argv(files: Dict[str, pathlib.Path], *, key: bool = False) -> List[str]:
    who = ["--key", str(files["key"])] if key else IDENTITY
    return [*who, "--bundle", str(files["bundle"]), str(files["artifact"])]


def _detached_argv(files: Dict[str, pathlib.Path], *, chain: bool = False, timestamp: bool = False,
                   opt_out: bool = True, key: bool = False) -> List[str]:
    argv = ["--signature", str(files["signature"])]
    argv += ["--key", str(files["key"])] if key else [*IDENTITY, "--certificate", str(files["certificate"])]
    if chain:
        argv += ["--certificate-chain", str(files["chain"])]
    if timestamp:
        argv += ["--rfc3161-timestamp", str(files["timestamp"])]
    if opt_out:
        argv.append(OPT_OUT)
    return [*argv, str(files["artifact"])]


def _fails(result: Tuple[int, List[Dict[str, Any]], str], code: int, step: str) -> None:
    exit_code, records, err = result
    assert exit_code == code, err
    assert records and records[0]["verified"] is False and records[0]["step"] == step, (records, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def _passes(result: Tuple[int, List[Dict[str, Any]], str]) -> Dict[str, Any]:
    exit_code, records, err = result
    assert exit_code == 0, err
    assert records[0]["verified"] is True
    return records[0]


# --- the old bundle: valid ------------------------------------------------------------------------

@pytest.mark.parametrize("cert_form", ["base64-pem", "pem"])
def test_old_bundle_verifies_with_its_set(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path,
                                          cert_form: str) -> None:
    files = _files(inst, tmp_path, bundle_cert=cert_form)
    record = _passes(_run(root, *_bundle_argv(files)))
    assert record["bundle_media_type"] == "cosign-bundle"
    assert record["entry_kind"] == "hashedrekord 0.0.1" and record["log"] == "https://rekor.test"
    assert record["verified_times"] == [{"source": "tlog", "time": "2025-06-01T12:00:00Z"}]
    assert record["identity"] == DEFAULT_IDENTITY and record["issuer"] == DEFAULT_ISSUER
    assert "weaker" not in record and "tlog" not in record


def test_old_bundle_human_verdict(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path) -> None:
    files = _files(inst, tmp_path)
    code, out, err = run_cli(["--trusted-root", str(root), *_bundle_argv(files)])
    assert code == 0 and err == ""
    assert out.startswith(f"OK: {files['artifact']}  {DEFAULT_IDENTITY} ({DEFAULT_ISSUER})  rekor.test #")
    assert out.rstrip().endswith("2025-06-01T12:00:00Z") and "WEAKER" not in out


@pytest.mark.parametrize("cert_form", ["public-key", "absent"])
def test_old_bundle_of_a_managed_key(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path,
                                     cert_form: str) -> None:
    files = _files(inst, tmp_path, managed_key=True, bundle_cert=cert_form)
    record = _passes(_run(root, *_bundle_argv(files, key=True)))
    assert record["key"] is True and record["identity"] is None


def test_old_bundle_by_digest_and_at_the_default_path(inst: TestInstance, root: pathlib.Path,
                                                      tmp_path: pathlib.Path) -> None:
    material = sign_blob(inst, ARTIFACT)
    files = material.write(tmp_path)
    _passes(_run(root, *IDENTITY, "--bundle", str(files["bundle"]), material.digest))
    (tmp_path / "artifact.bin.sigstore").write_bytes(material.bundle_json())  # found by shape, not by name
    _passes(_run(root, *IDENTITY, str(files["artifact"])))


def test_old_bundle_with_a_timestamp_has_two_verified_times(inst: TestInstance, root: pathlib.Path,
                                                            tmp_path: pathlib.Path) -> None:
    files = _files(inst, tmp_path, timestamp=True)
    record = _passes(_run(root, *_bundle_argv(files)[:-1], "--rfc3161-timestamp", str(files["timestamp"]),
                          str(files["artifact"])))
    assert [t["source"] for t in record["verified_times"]] == ["timestamp", "tlog"]


def test_opt_out_changes_nothing_when_the_evidence_is_there(inst: TestInstance, root: pathlib.Path,
                                                            tmp_path: pathlib.Path) -> None:
    files = _files(inst, tmp_path)
    record = _passes(_run(root, *_bundle_argv(files)[:-1], OPT_OUT, str(files["artifact"])))
    assert "weaker" not in record and record["log"] == "https://rekor.test"
    # and evidence that is there is still checked
    bad = _files(inst, tmp_path / "bad", tamper={"set"})
    _fails(_run(root, *_bundle_argv(bad)[:-1], OPT_OUT, str(bad["artifact"])), 1, "set")


def test_opt_out_on_a_complete_sigstore_bundle_is_the_same_verdict() -> None:
    argv = ["--bundle", str(EXAMPLE_BUNDLE), "--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer",
            GITHUB_ISSUER, EXAMPLE_DIGEST]
    plain, weakened = run_json(argv)[1][0], run_json([OPT_OUT, *argv])[1][0]
    for record in (plain, weakened):
        record.pop("trust_root")
    assert plain == weakened and "weaker" not in plain


# --- the old bundle: one check broken at a time ----------------------------------------------------

BUNDLE_NEGATIVES: Dict[str, Tuple[Dict[str, Any], str]] = {
    "wrong-signature": ({"tamper": {"signature"}}, "signature"),
    "body-signature-mismatch": ({"tamper": {"body-signature"}}, "tlog-entry"),
    "body-cert-mismatch": ({"tamper": {"body-cert"}}, "tlog-entry"),
    "body-digest-mismatch": ({"tamper": {"body-digest"}}, "tlog-entry"),
    "set-over-another-payload": ({"tamper": {"set"}}, "set"),
    "set-signed-by-an-untrusted-key": ({"tamper": {"set-key"}}, "set"),
    "unknown-log-id": ({"tamper": {"log-id"}}, "tlog"),
    "expired-at-the-set-time": ({"tamper": {"integrated-time-late"}}, "certificate-chain"),
    "not-yet-valid-at-the-set-time": ({"tamper": {"integrated-time-early"}}, "certificate-chain"),
    "cert-not-from-a-trusted-ca": ({"leaf": LeafSpec(unrelated_ca=True)}, "certificate-chain"),
    "cert-without-code-signing": ({"leaf": LeafSpec(code_signing=False)}, "certificate-chain"),
    "sct-missing": ({"leaf": LeafSpec(sct="none")}, "sct"),
    "sct-from-an-unknown-log": ({"leaf": LeafSpec(sct="unknown-log")}, "sct"),
    "sct-bad-signature": ({"leaf": LeafSpec(sct="bad-signature")}, "sct"),
    "wrong-identity": ({"leaf": LeafSpec(identity=OTHER_IDENTITY)}, "identity"),
    "wrong-issuer": ({"leaf": LeafSpec(issuer=OTHER_ISSUER)}, "identity"),
    "no-rekor-bundle": ({"tlog": False}, "tlog"),
}


@pytest.mark.parametrize("name", sorted(BUNDLE_NEGATIVES))
def test_old_bundle_negative(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path, name: str) -> None:
    options, step = BUNDLE_NEGATIVES[name]
    _fails(_run(root, *_bundle_argv(_files(inst, tmp_path, **options))), 1, step)


def test_old_bundle_for_another_artifact(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path) -> None:
    files = _files(inst, tmp_path)
    other = tmp_path / "other.bin"
    other.write_bytes(ARTIFACT + b"tampered")
    _fails(_run(root, *IDENTITY, "--bundle", str(files["bundle"]), str(other)), 1, "signature")


@pytest.mark.parametrize("tamper, step", [("signature", "signature"), ("body-cert", "tlog-entry"),
                                          ("body-signature", "tlog-entry"), ("set", "set")])
def test_old_bundle_of_a_managed_key_negative(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path,
                                              tamper: str, step: str) -> None:
    files = _files(inst, tmp_path, managed_key=True, tamper={tamper})
    _fails(_run(root, *_bundle_argv(files, key=True)), 1, step)


def test_old_bundle_of_a_managed_key_with_another_key(inst: TestInstance, root: pathlib.Path,
                                                      tmp_path: pathlib.Path) -> None:
    files = _files(inst, tmp_path, managed_key=True)
    files["key"].write_bytes(_enc.pem_public_key(inst.other_managed_key))
    _fails(_run(root, *_bundle_argv(files, key=True)), 1, "signature")


def test_old_bundle_outside_the_log_keys_validity(inst: TestInstance, tmp_path: pathlib.Path) -> None:
    root = _root(inst, tmp_path, rekor_v1=(SIGNED_AT - 365 * 24 * HOUR, SIGNED_AT - HOUR))
    _fails(_run(root, *_bundle_argv(_files(inst, tmp_path))), 1, "tlog")


def test_old_bundle_outside_the_cas_validity(inst: TestInstance, tmp_path: pathlib.Path) -> None:
    root = _root(inst, tmp_path, fulcio=(SIGNED_AT + HOUR, None))
    _fails(_run(root, *_bundle_argv(_files(inst, tmp_path))), 1, "certificate-chain")


def test_old_bundle_with_no_log_entry_passes_only_as_weaker(inst: TestInstance, root: pathlib.Path,
                                                            tmp_path: pathlib.Path) -> None:
    files = _files(inst, tmp_path, tlog=False)
    result = _run(root, *_bundle_argv(files))
    _fails(result, 1, "tlog")
    assert "--insecure-ignore-tlog" in result[1][0]["hint"]
    record = _passes(_run(root, *_bundle_argv(files)[:-1], OPT_OUT, str(files["artifact"])))
    assert record["weaker"].startswith("no transparency-log evidence") and record["tlog"] is False


# --- detached signature and certificate ------------------------------------------------------------

@pytest.mark.parametrize("signature_form", ["base64", "raw"])
@pytest.mark.parametrize("certificate_form", ["base64-pem", "pem", "der"])
def test_detached_forms_verify_as_weaker(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path,
                                         signature_form: str, certificate_form: str) -> None:
    files = _files(inst, tmp_path, signature_form=signature_form, certificate_form=certificate_form)
    record = _passes(_run(root, *_detached_argv(files)))
    assert record["bundle_media_type"] == "cosign-detached-signature"
    assert record["tlog"] is False and record["log"] is None and record["log_index"] is None
    assert record["entry_kind"] is None and record["signed_at"] is None and record["verified_times"] == []
    assert "notBefore 2025-06-01T11:59:00Z (unverified)" in record["weaker"]


def test_detached_without_the_opt_out_fails_at_tlog(inst: TestInstance, root: pathlib.Path,
                                                    tmp_path: pathlib.Path) -> None:
    files = _files(inst, tmp_path)
    result = _run(root, *_detached_argv(files, opt_out=False))
    _fails(result, 1, "tlog")
    assert "no transparency-log evidence" in result[1][0]["error"]
    _fails(_run(root, *_detached_argv(_files(inst, tmp_path / "key", managed_key=True), opt_out=False, key=True)),
           1, "tlog")


def test_weaker_human_verdict_and_quiet(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path) -> None:
    files = _files(inst, tmp_path)
    code, out, err = run_cli(["--trusted-root", str(root), *_detached_argv(files)])
    assert code == 0 and err == ""
    assert out.startswith("OK (WEAKER: no transparency-log evidence; ") and "(unverified)" in out
    assert out.rstrip().endswith(f"{files['artifact']}  {DEFAULT_IDENTITY} ({DEFAULT_ISSUER})")
    # -q never hides a weaker verdict: it moves to stderr, and stdout stays empty.
    code, out, err = run_cli(["-q", "--trusted-root", str(root), *_detached_argv(files)])
    assert (code, out) == (0, "") and err.startswith("OK (WEAKER: no transparency-log evidence; ")
    # Nor does --json: the record says "weaker", and stderr says it to a human.
    code, out, err = run_cli(["--json", "--trusted-root", str(root), *_detached_argv(files)])
    assert code == 0 and json.loads(out)["weaker"] and err.startswith("OK (WEAKER: ")


def test_detached_with_a_chain(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path) -> None:
    for form in ("intermediate", "intermediate+root"):
        files = _files(inst, tmp_path / form, chain_form=form)
        _passes(_run(root, *_detached_argv(files, chain=True)))


def test_detached_with_a_timestamp_has_a_verified_time(inst: TestInstance, root: pathlib.Path,
                                                       tmp_path: pathlib.Path) -> None:
    files = _files(inst, tmp_path, timestamp=True)
    record = _passes(_run(root, *_detached_argv(files, timestamp=True)))
    assert record["verified_times"] == [{"source": "timestamp", "time": "2025-06-01T12:00:00Z"}]
    assert record["signed_at"] == "2025-06-01T12:00:00Z" and "RFC 3161 timestamp only" in record["weaker"]


def test_detached_managed_key(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path) -> None:
    files = _files(inst, tmp_path, managed_key=True)
    record = _passes(_run(root, *_detached_argv(files, key=True)))
    assert record["key"] is True and record["weaker"].endswith("(managed key)")
    files["key"].write_bytes(_enc.pem_public_key(inst.other_managed_key))
    _fails(_run(root, *_detached_argv(files, key=True)), 1, "signature")


def test_detached_by_digest(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path) -> None:
    material = sign_blob(inst, ARTIFACT)
    files = material.write(tmp_path)
    argv = _detached_argv(files)
    _passes(_run(root, *argv[:-1], material.digest))


DETACHED_NEGATIVES: Dict[str, Tuple[Dict[str, Any], Dict[str, bool], str]] = {
    "wrong-signature": ({"tamper": {"signature"}}, {}, "signature"),
    "cert-not-from-a-trusted-ca": ({"leaf": LeafSpec(unrelated_ca=True)}, {}, "certificate-chain"),
    "chain-of-another-ca": ({"chain_form": "unrelated"}, {"chain": True}, "certificate-chain"),
    "chain-without-the-intermediate": ({"chain_form": "root"}, {"chain": True}, "certificate-chain"),
    "sct-missing": ({"leaf": LeafSpec(sct="none")}, {}, "sct"),
    "sct-bad-signature": ({"leaf": LeafSpec(sct="bad-signature")}, {}, "sct"),
    "wrong-identity": ({"leaf": LeafSpec(identity=OTHER_IDENTITY)}, {}, "identity"),
    "wrong-issuer": ({"leaf": LeafSpec(issuer=OTHER_ISSUER)}, {}, "identity"),
    "timestamp-over-another-signature": ({"timestamp": True, "tamper": {"tsa-message"}}, {"timestamp": True},
                                         "timestamp"),
    "expired-at-the-timestamp": ({"timestamp": True, "tamper": {"tsa-late"}}, {"timestamp": True},
                                 "certificate-chain"),
}


@pytest.mark.parametrize("name", sorted(DETACHED_NEGATIVES))
def test_detached_negative(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path, name: str) -> None:
    """With the opt-out every other check still runs."""
    options, argv_options, step = DETACHED_NEGATIVES[name]
    _fails(_run(root, *_detached_argv(_files(inst, tmp_path, **options), **argv_options)), 1, step)


def test_detached_for_another_artifact(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path) -> None:
    files = _files(inst, tmp_path)
    files["artifact"].write_bytes(ARTIFACT + b"tampered")
    _fails(_run(root, *_detached_argv(files)), 1, "signature")


def test_detached_chain_must_be_the_issuers(inst: TestInstance, tmp_path: pathlib.Path) -> None:
    """Both CAs are trusted, the leaf comes from one, the chain given is the other's: refused,
    although the pipeline alone would accept the leaf."""
    document = inst.trusted_root_json()
    document["certificateAuthorities"].append(inst.unrelated_fulcio.trusted_root_entry(start=inst.not_before))
    root = tmp_path / "two_cas.json"
    root.write_text(json.dumps(document))
    files = _files(inst, tmp_path, chain_form="unrelated")
    _passes(_run(root, *_detached_argv(files)))
    _fails(_run(root, *_detached_argv(files, chain=True)), 1, "certificate-chain")


def test_detached_without_a_verified_time_checks_the_ca_at_not_before(inst: TestInstance,
                                                                      tmp_path: pathlib.Path) -> None:
    not_before = SIGNED_AT - datetime.timedelta(minutes=1)
    ends_before = _root(inst, tmp_path, fulcio=(SIGNED_AT - 365 * 24 * HOUR, not_before - datetime.timedelta(seconds=1)))
    files = _files(inst, tmp_path)
    _fails(_run(ends_before, *_detached_argv(files)), 1, "certificate-chain")
    ends_at = _root(inst, tmp_path, fulcio=(SIGNED_AT - 365 * 24 * HOUR, not_before))  # closed interval
    _passes(_run(ends_at, *_detached_argv(files)))


def test_sigstore_bundle_without_log_entries_and_the_opt_out(inst: TestInstance, root: pathlib.Path,
                                                             tmp_path: pathlib.Path) -> None:
    generated = inst.sign_artifact(ARTIFACT, tamper={"no-tlog-entry"}, timestamp=True)
    bundle = tmp_path / "b.sigstore.json"
    bundle.write_text(generated.json())
    argv = [*IDENTITY, "--bundle", str(bundle), generated.digest]
    _fails(_run(root, *argv), 1, "tlog")
    record = _passes(_run(root, OPT_OUT, *argv))
    assert record["weaker"].endswith("RFC 3161 timestamp only") and record["tlog"] is False


# --- usage errors (exit 2) -------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["--certificate", "c.crt", *IDENTITY, "a"],
    ["--certificate-chain", "c.pem", *IDENTITY, "a"],
    ["--signature", "s.sig", "--bundle", "b", *IDENTITY, "a"],
    ["--signature", "s.sig", *IDENTITY, "a"],
    ["--signature", "s.sig", "--certificate", "c.crt", "--key", "k.pem", "a"],
    ["--signature", "s.sig", "--key", "k.pem", "--certificate-chain", "c.pem", "a"],
    ["--signature", "s.sig", "--certificate", "c.crt", *IDENTITY, "a", "b"],
    ["--rfc3161-timestamp", "t.json", *IDENTITY, "a", "b"],
], ids=["certificate-alone", "chain-alone", "signature-and-bundle", "signature-without-signer",
        "certificate-and-key", "chain-without-certificate", "two-artifacts", "timestamp-two-artifacts"])
def test_usage_errors(argv: List[str]) -> None:
    code, _, err = run_cli(argv)
    assert code == 2 and len(err.strip().splitlines()) == 1, err


def test_timestamp_file_with_a_sigstore_bundle_is_a_usage_error(tmp_path: pathlib.Path) -> None:
    stamp = tmp_path / "t.json"
    stamp.write_text('{"SignedRFC3161Timestamp": "MAA="}')
    code, records, _ = run_json(["--bundle", str(EXAMPLE_BUNDLE), "--cert-identity", EXAMPLE_IDENTITY,
                                 "--cert-oidc-issuer", GITHUB_ISSUER, "--rfc3161-timestamp", str(stamp), EXAMPLE_DIGEST])
    assert code == 2 and records[0]["exit_code"] == 2


def test_old_bundle_with_a_certificate_and_a_key_is_a_usage_error(inst: TestInstance, root: pathlib.Path,
                                                                  tmp_path: pathlib.Path) -> None:
    files = _files(inst, tmp_path)
    files["key"] = tmp_path / "k.pem"
    files["key"].write_bytes(_enc.pem_public_key(inst.managed_key))
    code, _, _ = _run(root, *_bundle_argv(files, key=True))
    assert code == 2


# --- malformed input (exit 4) ----------------------------------------------------------------------

PEM_KEY = b"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"

SIGNATURE_FILES: Dict[str, bytes] = {
    "not-base64": b"this is not base64!\n",
    "bad-padding": b"QUJD=\n",
    "empty": b"",
    "white-space-only": b" \n\t\n",
    "huge": b"QUJD" * (256 * 1024 // 4 + 1),
}


@pytest.mark.parametrize("name", sorted(SIGNATURE_FILES))
def test_malformed_signature_file(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path, name: str) -> None:
    files = _files(inst, tmp_path)
    files["signature"].write_bytes(SIGNATURE_FILES[name])
    _fails(_run(root, *_detached_argv(files)), 4, "signature")


def _certificate_files(material: CosignMaterial) -> Dict[str, bytes]:
    assert material.leaf is not None
    pem = material.leaf.pem
    return {
        "not-pem-der-or-base64": b"hello, certificate\n",
        "base64-of-neither": base64.b64encode(b"hello"),
        "public-key-instead": PEM_KEY,
        "pem-with-bad-base64": b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        "pem-without-end": pem.rsplit(b"-----END", 1)[0],
        "text-before-pem": b"subject=whoever\n" + pem,
        "pem-not-ascii": pem.replace(b"-----BEGIN CERTIFICATE-----", b"-----BEGIN CERTIFICATE-----\xc3\xa9"),
        "der-not-a-certificate": bytes.fromhex("3003020101"),
        "two-certificates": pem + pem,
        "empty": b"",
        "huge": b"A" * (256 * 1024 + 1),
    }


CERTIFICATE_CASES = ["not-pem-der-or-base64", "base64-of-neither", "public-key-instead", "pem-with-bad-base64",
                     "pem-without-end", "text-before-pem", "pem-not-ascii", "der-not-a-certificate",
                     "two-certificates", "empty", "huge"]


@pytest.mark.parametrize("name", CERTIFICATE_CASES)
def test_malformed_certificate_file(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path, name: str) -> None:
    material = sign_blob(inst, ARTIFACT)
    files = material.write(tmp_path)
    files["certificate"].write_bytes(_certificate_files(material)[name])
    _fails(_run(root, *_detached_argv(files)), 4, "certificate")


def test_malformed_chain_file(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path) -> None:
    files = _files(inst, tmp_path)
    files["chain"].write_bytes(PEM_KEY)
    _fails(_run(root, *_detached_argv(files, chain=True)), 4, "certificate")


@pytest.mark.parametrize("kind, step", [("signature", "signature"), ("certificate", "certificate"),
                                        ("chain", "certificate"), ("timestamp", "timestamp")])
def test_missing_input_file(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path, kind: str,
                            step: str) -> None:
    files = _files(inst, tmp_path, timestamp=True)
    files[kind].unlink()
    _fails(_run(root, *_detached_argv(files, chain=True, timestamp=True)), 4, step)


@pytest.mark.parametrize("content", [b"junk", b'{"other": 1}', b'{"SignedRFC3161Timestamp": "!!"}',
                                     b'{"SignedRFC3161Timestamp": ""}', b'{"SignedRFC3161Timestamp": "MAA="}',
                                     b"\x30\x00"],
                         ids=["junk", "no-field", "bad-base64", "empty", "token-not-der", "der-not-a-token"])
def test_malformed_timestamp_file(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path,
                                  content: bytes) -> None:
    files = _files(inst, tmp_path, timestamp=True)
    files["timestamp"].write_bytes(content)
    argv = _bundle_argv(files)
    _fails(_run(root, *argv[:-1], "--rfc3161-timestamp", str(files["timestamp"]), argv[-1]), 4, "timestamp")


def _payload(path: str, value: Any) -> Any:
    def apply(document: Dict[str, Any]) -> None:
        target = document
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[key]
        if value is _DROP:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
    return apply


_DROP = object()
_B64 = _enc.b64
BUNDLE_MUTATIONS = {
    "signature-not-a-string": _payload("base64Signature", 12),
    "signature-bad-base64": _payload("base64Signature", "!!not base64!!"),
    "signature-empty": _payload("base64Signature", ""),
    "cert-not-a-string": _payload("cert", 5),
    "cert-bad-base64": _payload("cert", "!!"),
    "cert-base64-of-neither": _payload("cert", _B64(b"hello")),
    "cert-private-key-label": _payload("cert", _B64(b"-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n")),
    "cert-bad-public-key": _payload("cert", _B64(b"-----BEGIN PUBLIC KEY-----\nQUJD\n-----END PUBLIC KEY-----\n")),
    "rekor-bundle-not-an-object": _payload("rekorBundle", []),
    "set-missing": _payload("rekorBundle.SignedEntryTimestamp", _DROP),
    "set-empty": _payload("rekorBundle.SignedEntryTimestamp", ""),
    "payload-missing": _payload("rekorBundle.Payload", _DROP),
    "body-not-a-string": _payload("rekorBundle.Payload.body", {"kind": "hashedrekord"}),
    "body-bad-base64": _payload("rekorBundle.Payload.body", "!!"),
    "body-not-json": _payload("rekorBundle.Payload.body", _B64(b"not json")),
    "body-kind-not-a-string": _payload("rekorBundle.Payload.body", _B64(b'{"kind": 1, "apiVersion": "0.0.1"}')),
    "integrated-time-not-a-number": _payload("rekorBundle.Payload.integratedTime", "soon"),
    "integrated-time-zero": _payload("rekorBundle.Payload.integratedTime", 0),
    "integrated-time-huge": _payload("rekorBundle.Payload.integratedTime", 2**70),
    "log-index-negative": _payload("rekorBundle.Payload.logIndex", -1),
    "log-index-missing": _payload("rekorBundle.Payload.logIndex", _DROP),
    "log-id-not-hex": _payload("rekorBundle.Payload.logID", "xyz" * 21 + "z"),
    "log-id-short": _payload("rekorBundle.Payload.logID", "c0d2"),
    "log-id-not-a-string": _payload("rekorBundle.Payload.logID", 7),
}


@pytest.mark.parametrize("name", sorted(BUNDLE_MUTATIONS))
def test_malformed_old_bundle(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path, name: str) -> None:
    material = sign_blob(inst, ARTIFACT)
    files = material.write(tmp_path)
    document = json.loads(material.bundle_json())
    BUNDLE_MUTATIONS[name](document)
    files["bundle"].write_text(json.dumps(document))
    _fails(_run(root, *_bundle_argv(files)), 4, "bundle")


def test_old_bundle_with_a_duplicate_key_is_malformed(inst: TestInstance, root: pathlib.Path,
                                                      tmp_path: pathlib.Path) -> None:
    material = sign_blob(inst, ARTIFACT)
    files = material.write(tmp_path)
    signature = material.bundle["base64Signature"]
    files["bundle"].write_bytes(b'{"base64Signature": "%s", ' % signature.encode() + material.bundle_json()[1:])
    _fails(_run(root, *_bundle_argv(files)), 4, "bundle")


def test_shape_decides_the_format(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """A Sigstore bundle that mentions base64Signature is still a Sigstore bundle; a document with
    a mediaType is never read as cosign's."""
    material = sign_blob(inst, ARTIFACT)
    files = material.write(tmp_path)
    document = dict(material.bundle, mediaType="application/vnd.dev.sigstore.bundle.v0.3+json")
    files["bundle"].write_text(json.dumps(document))
    result = _run(root, *_bundle_argv(files))
    _fails(result, 4, "bundle")
    assert "cosign" not in result[1][0]["error"]


# --- decoders (unit) -------------------------------------------------------------------------------

def test_decoders_accept_what_cosign_writes(inst: TestInstance) -> None:
    from sigstore_offline import cosign

    material = sign_blob(inst, ARTIFACT)
    assert material.leaf is not None
    for form in (material.leaf.pem, base64.b64encode(material.leaf.pem), material.leaf.der,
                 base64.b64encode(material.leaf.der), base64.encodebytes(material.leaf.pem)):
        assert cosign.decode_certificates(form, "c") == [ours(material.leaf.cert)]
    assert cosign.decode_signature(base64.b64encode(material.signature) + b"\n", "s") == material.signature
    assert cosign.decode_signature(material.signature, "s") == material.signature  # --b64=false


def test_der_certificate_is_never_stripped(inst: TestInstance) -> None:
    """A DER certificate whose last byte is a white-space character must load as it is."""
    from sigstore_offline import cosign

    # The last byte is the signature's (random) last byte: white space 6 times in 256, so 3000 tries
    # all miss with a chance of about 1e-31. Not a skip: this case must run every time.
    for _ in range(3000):
        leaf = inst.issue_leaf()
        if leaf.der[-1:] in (b"\n", b" ", b"\t", b"\r", b"\x0b", b"\x0c"):
            assert cosign.decode_certificates(leaf.der, "c") == [ours(leaf.cert)]
            return
    pytest.fail("no leaf ending in a white-space byte in 3000 tries")


def test_certificate_with_an_unknown_string_tag_in_a_name_is_malformed(inst: TestInstance, root: pathlib.Path,
                                                                      tmp_path: pathlib.Path) -> None:
    """cryptography 38 raises KeyError (not ValueError) for a name attribute whose ASN.1 string tag
    it does not know; it must be exit 4, not a bug (found by the fuzzing below in the Debian lane)."""
    material = sign_blob(inst, ARTIFACT)
    assert material.leaf is not None
    der = bytearray(material.leaf.der)
    name = inst.fulcio.intermediate.subject.public_bytes()  # the leaf's issuer, as encoded in the leaf
    at = bytes(der).index(name)
    tag = bytes(der).index(bytes([0x0C]), at + 2)  # the first UTF8String value in that name
    der[tag] = 0x2C  # a tag no string type uses
    files = material.write(tmp_path, name="bad-name")
    files["certificate"].write_bytes(bytes(der))
    _fails(_run(root, *_detached_argv(files)), 4, "certificate")


# --- sigstore-python's pieces as an oracle ---------------------------------------------------------

def _oracle(material: CosignMaterial, root: pathlib.Path) -> Optional[str]:
    """sigstore-python's verdict on the old bundle, from its own SET, chain, SCT, identity and
    hashedrekord code (it has no API for a log entry without an inclusion proof). Only
    sigstore-python's own rejections count (``oracles.sigstore_rejections``); any other exception
    propagates."""
    rejections = sigstore_rejections()
    import rekor_types
    from cryptography.exceptions import InvalidSignature
    from sigstore import models
    from sigstore._internal.rekor import _hashedrekord_from_parts
    from sigstore._internal.sct import verify_sct
    from sigstore._internal.timestamp import (
        TimestampSource,
        TimestampVerificationResult,
    )
    from sigstore._internal.trust import KeyringPurpose
    from sigstore.hashes import Hashed
    from sigstore.verify import Verifier, policy
    from sigstore_models.common.v1 import HashAlgorithm
    from sigstore_models.rekor.v1 import TransparencyLogEntry as InnerEntry

    try:
        trusted = models.TrustedRoot.from_file(str(root))
        promise, payload = material.bundle["rekorBundle"]["SignedEntryTimestamp"], material.bundle["rekorBundle"]["Payload"]
        body = json.loads(base64.b64decode(payload["body"]))
        inner = InnerEntry.from_json(json.dumps({
            "logIndex": str(payload["logIndex"]), "logId": {"keyId": _B64(bytes.fromhex(payload["logID"]))},
            "kindVersion": {"kind": body["kind"], "version": body["apiVersion"]},
            "integratedTime": str(payload["integratedTime"]),
            "inclusionPromise": {"signedEntryTimestamp": promise}, "canonicalizedBody": payload["body"],
            # The model requires a proof; an old bundle has none. _verify_set never reads this one.
            "inclusionProof": {"logIndex": "0", "rootHash": _B64(bytes(32)), "treeSize": "1", "hashes": [],
                               "checkpoint": {"envelope": "unused"}},
        }))
        entry = models.TransparencyLogEntry.__new__(models.TransparencyLogEntry)
        entry._inner = inner  # not __init__, whose checks are about the proof; only the SET is used
        entry._verify_set(trusted.rekor_keyring(KeyringPurpose.VERIFY))
        cert = x509.load_pem_x509_certificate(base64.b64decode(material.bundle["cert"]))
        when = datetime.datetime.fromtimestamp(payload["integratedTime"], tz=datetime.timezone.utc)
        chain = Verifier(trusted_root=trusted)._verify_chain_at_time(
            cert, TimestampVerificationResult(source=TimestampSource.TRANSPARENCY_SERVICE, time=when))
        verify_sct(cert, chain, trusted.ct_keyring(KeyringPurpose.VERIFY))
        policy.Identity(identity=DEFAULT_IDENTITY, issuer=DEFAULT_ISSUER).verify(cert)
        signature = base64.b64decode(material.bundle["base64Signature"])
        digest = _enc.sha256(material.artifact)
        try:
            cert.public_key().verify(signature, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        except InvalidSignature:
            return "signature does not verify with the certificate's key"
        expected = _hashedrekord_from_parts(cert, signature, Hashed(algorithm=HashAlgorithm.SHA2_256, digest=digest))
        if expected != rekor_types.Hashedrekord.model_validate_json(base64.b64decode(payload["body"])):
            return "log entry is inconsistent with the other materials"
    except rejections as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


# Every old-bundle negative but the two these pieces do not cover: no rekorBundle at all, and the
# code-signing EKU (sigstore-python checks it outside the pieces used here).
ORACLE_CASES = {
    "valid": ({}, None),
    **{name: (options, step) for name, (options, step) in BUNDLE_NEGATIVES.items()
       if name not in ("no-rekor-bundle", "cert-without-code-signing")},
}


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(ORACLE_CASES))
def test_sigstore_python_pieces_agree(inst: TestInstance, root: pathlib.Path, tmp_path: pathlib.Path,
                                      name: str) -> None:
    options, step = ORACLE_CASES[name]
    material = sign_blob(inst, ARTIFACT, **options)
    verdict = _oracle(material, root)
    ours = _run(root, *_bundle_argv(material.write(tmp_path)))
    if step is None:
        assert verdict is None, verdict
        assert ours[0] == 0, ours[2]
    else:
        assert verdict is not None, f"sigstore-python's pieces accept {name}"
        _fails(ours, 1, step)


@pytest.mark.oracle
def test_only_the_oracles_own_rejection_counts(inst: TestInstance, root: pathlib.Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """An error of the wrapper's own (here: an internal of sigstore-python changed its signature)
    propagates instead of being read as sigstore-python rejecting the bundle."""
    import sigstore._internal.sct as sct
    from sigstore.errors import VerificationError

    material = sign_blob(inst, ARTIFACT)
    assert _oracle(material, root) is None

    def rejects(*args: Any) -> None:
        raise VerificationError("the stand-in rejects")

    monkeypatch.setattr(sct, "verify_sct", rejects)
    assert _oracle(material, root) == "VerificationError: the stand-in rejects"
    monkeypatch.setattr(sct, "verify_sct", lambda cert: None)  # one argument where three are passed
    with pytest.raises(TypeError):
        _oracle(material, root)


# --- fuzzing ---------------------------------------------------------------------------------------

def test_decoders_and_parser_fail_only_as_documented(inst: TestInstance) -> None:
    """Requirement: whatever the bytes, the cosign decoders raise only ValueError and the bundle
    reader only InputError with step "bundle"; anything else escaping would be exit 5."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from sigstore_offline import cosign
    from sigstore_offline.errors import InputError

    material = sign_blob(inst, ARTIFACT, timestamp=True)
    genuine = material.bundle_json()
    seeds = [genuine, material.signature_file, material.certificate_file or b"", material.chain_file or b"",
             material.timestamp_file or b""]

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(seed=st.sampled_from(seeds), position=st.integers(min_value=0), value=st.integers(0, 255),
           cut=st.booleans())
    def check(seed: bytes, position: int, value: int, cut: bool) -> None:
        data = bytearray(seed)
        if data:
            index = position % len(data)
            data[index] = value
            if cut:
                del data[index:]
        raw = bytes(data)
        for decode in (cosign.decode_signature, cosign.decode_certificates, cosign.decode_timestamp):
            try:
                decode(raw, "fuzzed")
            except ValueError:
                pass
        try:
            cosign.parse_any_bundle(raw, source="fuzzed")
        except InputError as exc:
            assert exc.step == "bundle"

    check()
