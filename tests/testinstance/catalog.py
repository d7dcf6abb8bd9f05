# SPDX-License-Identifier: Apache-2.0
"""Named cases over the test instance: every valid bundle shape, and negatives that each break one
check (a ``LeafSpec`` knob, a ``TAMPERS`` fault, a missing part, or a trust-root window).

``VALID`` and ``NEGATIVE`` map a case name to a ``Case``. Each negative names the verifier step
that must reject it (the ``step`` of the raised error, the ``step`` key of ``verify-offline
--json``) and the exit code (1, or 4 where the fault makes nested input malformed), so that a case
that starts failing for some other reason is caught. ``tests/test_generated.py`` runs every case
through verify-offline, the oracle test (``tests/test_testinstance_oracle.py``) runs all of them
through sigstore-python, and ``tests/gen_testinstance.py`` writes them out.

Test helper, not product code.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any, Dict, Mapping, Optional, Tuple

from .bundle import SIGNED_AT, TAMPERS, BundleOptions
from .ca import DEFAULT_IDENTITY, DEFAULT_ISSUER, LeafSpec, github_claims

ARTIFACT = b"sigstore-offline generated artifact\n"
HOUR = datetime.timedelta(hours=1)
OTHER_IDENTITY = "https://github.com/attacker/fork/.github/workflows/release.yml@refs/heads/main"
OTHER_ISSUER = "https://accounts.example.test"


@dataclasses.dataclass(frozen=True)
class Case:
    """One bundle to generate and what verifying it should do."""

    options: BundleOptions
    why: str
    expect_valid: bool
    root: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # TestInstance.trusted_root_json kwargs
    policy_identity: Optional[str] = None  # default: the leaf's identity (None for managed keys)
    policy_issuer: Optional[str] = None
    step: Optional[str] = None  # negatives: the step that rejects the bundle
    exit_code: int = 0  # 0 for valid cases; negatives: 1 (verification failed) or 4 (malformed input)

    def __post_init__(self) -> None:
        if self.expect_valid != (self.step is None) or self.expect_valid != (self.exit_code == 0):
            raise ValueError(f"{self.why}: a valid case has no step and exit code 0, a negative has both")

    @property
    def identity(self) -> Optional[str]:
        if self.options.managed_key:
            return None
        return self.policy_identity or self.options.leaf.identity

    @property
    def issuer(self) -> Optional[str]:
        if self.options.managed_key:
            return None
        return self.policy_issuer or self.options.leaf.issuer or DEFAULT_ISSUER

    def root_key(self) -> Tuple[Tuple[str, Any], ...]:
        """A hashable key for the trusted root this case needs."""
        return tuple(sorted((k, tuple(v) if isinstance(v, (list, tuple, set, frozenset)) else v)
                            for k, v in self.root.items()))


def _o(**kw: Any) -> BundleOptions:
    return BundleOptions(**kw)


BASES: Dict[str, BundleOptions] = {
    "rekor1": _o(),
    "rekor2": _o(rekor=2),
    "dsse-rekor1": _o(content="dsse"),
    "dsse-rekor2": _o(content="dsse", rekor=2),
}

VALID: Dict[str, Case] = {name: Case(opts, why, True, root=root) for name, (opts, why, root) in {
    "v0.1-rekor1": (_o(version="0.1"), "v0.1, x509CertificateChain [leaf], SET + proof + checkpoint", {}),
    "v0.1-chain-with-intermediate": (_o(version="0.1", chain=2), "v0.1 chain of leaf + intermediate", {}),
    "v0.1-set-only": (_o(version="0.1", with_proof=False), "v0.1: SET, no inclusion proof (allowed)", {}),
    "v0.2-rekor1": (_o(version="0.2"), "v0.2, x509CertificateChain, SET + proof", {}),
    "v0.3-rekor1": (_o(), "v0.3 (bundle.v0.3+json), certificate, hashedrekord 0.0.1", {}),
    "v0.3-legacy-media-type": (_o(version="0.3-legacy"), "v0.3 under the bundle+json;version=0.3 spelling", {}),
    "v0.3-rekor1-with-timestamp": (_o(timestamp=True), "Rekor v1 entry plus an RFC 3161 timestamp", {}),
    "v0.3-rekor1-cosigned": (_o(witnesses=2), "Rekor v1 checkpoint with two witness cosignatures", {}),
    "v0.3-rekor1-entry-is-last-leaf": (_o(entries_after=0), "the entry is the tree's last leaf", {}),
    "v0.3-rekor2": (_o(rekor=2), "Rekor v2 hashedrekord 0.0.2 + RFC 3161 timestamp", {}),
    "v0.3-rekor2-larger-tree": (_o(rekor=2, entries_after=700), "700 entries logged after this one", {}),
    "v0.3-rekor2-tsa-certs-embedded": (_o(rekor=2, tsa_embed_certs=True), "timestamp token embeds the TSA chain", {}),
    "v0.3-rekor2-cosigned": (_o(rekor=2, witnesses=2), "Rekor v2 checkpoint with two witness cosignatures", {}),
    "v0.3-rekor2-witness-first": (_o(rekor=2, witnesses=1, witness_first=True), "witness line before the log's", {}),
    "v0.2-dsse-rekor1": (_o(version="0.2", content="dsse"), "v0.2 DSSE, dsse 0.0.1", {}),
    "v0.3-dsse-rekor1": (_o(content="dsse"), "DSSE in-toto statement, dsse 0.0.1 entry", {}),
    "v0.3-dsse-rekor2": (_o(content="dsse", rekor=2), "DSSE on Rekor v2: hashedrekord 0.0.2 over SHA-256(PAE)", {}),
    "email-identity": (_o(leaf=LeafSpec(identity="signer@example.test", san="email",
                                        issuer="https://accounts.example.test")), "SAN rfc822Name", {}),
    "github-claims": (_o(leaf=LeafSpec(claims=github_claims())), "leaf with GitHub workflow claims ...1.2-1.22", {}),
    "issuer-legacy-extension-only": (_o(leaf=LeafSpec(issuer_extensions=("legacy",))), "only ...57264.1.1", {}),
    "issuer-v2-extension-only": (_o(leaf=LeafSpec(issuer_extensions=("v2",))), "only ...57264.1.8", {}),
    "managed-key-rekor1": (_o(managed_key=True), "publicKey hint, hashedrekord 0.0.1 with a PEM key", {}),
    "managed-key-rekor2": (_o(managed_key=True, rekor=2), "publicKey hint, hashedrekord 0.0.2 with a key", {}),
    "ca-validity-end-inclusive": (_o(), "CA validFor.end == signing time (closed interval)",
                                  {"fulcio": (SIGNED_AT - 365 * 24 * HOUR, SIGNED_AT)}),
    "tsa-validity-end-inclusive": (_o(rekor=2), "TSA validFor.end == genTime (closed interval)",
                                   {"tsa": (SIGNED_AT - 365 * 24 * HOUR, SIGNED_AT)}),
}.items()}

_CHAIN, _SCT, _IDENTITY = "certificate-chain", "sct", "identity"
_LEAF_NEGATIVES: Dict[str, Tuple[LeafSpec, str, str]] = {
    "leaf-is-ca": (LeafSpec(is_ca=True), "the leaf has basicConstraints CA:TRUE", _CHAIN),
    "leaf-without-code-signing": (LeafSpec(code_signing=False), "EKU serverAuth, not codeSigning", _CHAIN),
    "leaf-without-digital-signature": (LeafSpec(digital_signature=False), "KU lacks digitalSignature", _CHAIN),
    "leaf-expired-at-signing": (LeafSpec(not_before=SIGNED_AT - 20 * datetime.timedelta(minutes=1)),
                                "the leaf expired 10 minutes before the signing time", _CHAIN),
    "leaf-not-yet-valid": (LeafSpec(not_before=SIGNED_AT + datetime.timedelta(minutes=1)),
                           "the leaf becomes valid a minute after the signing time", _CHAIN),
    "leaf-from-unrelated-ca": (LeafSpec(unrelated_ca=True), "issued by another CA with the same names", _CHAIN),
    "sct-missing": (LeafSpec(sct="none"), "no embedded SCT", _SCT),
    "sct-unknown-log": (LeafSpec(sct="unknown-log"), "SCT from a CT log not in the trust root", _SCT),
    "sct-bad-signature": (LeafSpec(sct="bad-signature"), "SCT signature does not verify", _SCT),
    "wrong-identity": (LeafSpec(identity=OTHER_IDENTITY), "SAN is not the expected identity", _IDENTITY),
    "wrong-issuer": (LeafSpec(issuer=OTHER_ISSUER), "both issuer extensions name another issuer", _IDENTITY),
    "wrong-issuer-v2-extension-only": (LeafSpec(issuer=OTHER_ISSUER, issuer_extensions=("v2",)),
                                       "only ...1.8, naming another issuer", _IDENTITY),
    "disagreeing-issuers": (LeafSpec(legacy_issuer=OTHER_ISSUER), "...1.1 and ...1.8 disagree", _IDENTITY),
}

# Which bases each fault applies to.
_ALL = ("rekor1", "rekor2", "dsse-rekor1", "dsse-rekor2")
_MESSAGE = ("rekor1", "rekor2")
_TAMPER_BASES: Dict[str, Tuple[str, ...]] = {
    "signature": _ALL, "body-signature": _ALL, "body-cert": _ALL, "body-digest": _ALL, "body-malformed": _ALL,
    "message-digest": _MESSAGE,
    "proof-hash": _MESSAGE, "proof-short": _MESSAGE, "proof-long": _MESSAGE, "proof-index": _MESSAGE,
    "checkpoint-key": _MESSAGE, "checkpoint-signer": _MESSAGE, "checkpoint-size": _MESSAGE,
    "checkpoint-root": _MESSAGE, "checkpoint-origin-missing": _MESSAGE, "checkpoint-origin": _MESSAGE,
    "log-id": _MESSAGE, "no-tlog-entry": _MESSAGE,
    "set": ("rekor1", "dsse-rekor1"),
    "integrated-time-late": ("rekor1", "dsse-rekor1"), "integrated-time-early": ("rekor1",),
    "tsa-late": ("rekor2", "dsse-rekor2"), "tsa-message": ("rekor2", "dsse-rekor2"), "tsa-untrusted": ("rekor2",),
    "tsa-malformed": ("rekor2", "dsse-rekor2"),
    "dsse-subject": ("dsse-rekor1", "dsse-rekor2"), "dsse-payload-type": ("dsse-rekor1", "dsse-rekor2"),
    "dsse-two-signatures": ("dsse-rekor1",),
}

# The step that rejects each fault, on every base it applies to.
TAMPER_STEPS: Dict[str, str] = {
    "signature": "signature", "message-digest": "signature",
    "dsse-subject": "signature", "dsse-payload-type": "signature", "dsse-two-signatures": "signature",
    "body-signature": "tlog-entry", "body-cert": "tlog-entry", "body-digest": "tlog-entry", "body-malformed": "tlog-entry",
    "proof-hash": "inclusion-proof", "proof-short": "inclusion-proof", "proof-long": "inclusion-proof",
    "proof-index": "inclusion-proof",
    "checkpoint-key": "checkpoint", "checkpoint-signer": "checkpoint", "checkpoint-size": "checkpoint",
    "checkpoint-root": "checkpoint", "checkpoint-origin-missing": "checkpoint", "checkpoint-origin": "checkpoint",
    "set": "set",
    "log-id": "tlog", "no-tlog-entry": "tlog",
    # A log time or genTime outside the leaf's validity: the chain does not hold at that time.
    "integrated-time-late": _CHAIN, "integrated-time-early": _CHAIN, "tsa-late": _CHAIN,
    "tsa-message": "timestamp", "tsa-untrusted": "timestamp", "tsa-malformed": "timestamp",
}

# Faults that make nested input malformed rather than wrong: exit 4 (InputError), not 1, at the step
# that parses the nested format (docs/adr/0002-exit-codes.md, "Nested formats"). A checkpoint without its
# origin line is not a checkpoint that fails to verify, it is a signed note whose body cannot be
# parsed as a checkpoint at all (C2SP tlog-checkpoint: origin, size, root hash), the same class as
# any other unparsable field inside the bundle; likewise a log entry body that is not the kind it
# declares and an RFC 3161 token that is not DER. The step still says where.
TAMPER_EXIT_CODES: Dict[str, int] = {"checkpoint-origin-missing": 4, "body-malformed": 4, "tsa-malformed": 4}

def _negatives() -> Dict[str, Case]:
    cases: Dict[str, Case] = {}
    for name, (spec, why, step) in _LEAF_NEGATIVES.items():
        for base in ("rekor1", "rekor2"):
            cases[f"{name}.{base}"] = Case(dataclasses.replace(BASES[base], leaf=spec), why, False,
                                           policy_identity=DEFAULT_IDENTITY, policy_issuer=DEFAULT_ISSUER,
                                           step=step, exit_code=1)
    for tamper, bases in _TAMPER_BASES.items():
        for base in bases:
            cases[f"{tamper}.{base}"] = Case(dataclasses.replace(BASES[base], tamper=frozenset([tamper])),
                                             TAMPERS[tamper], False, step=TAMPER_STEPS[tamper],
                                             exit_code=TAMPER_EXIT_CODES.get(tamper, 1))
    for tamper in ("signature", "body-cert", "body-signature"):
        cases[f"{tamper}.managed-key"] = Case(_o(managed_key=True, tamper=frozenset([tamper])), TAMPERS[tamper], False,
                                              step=TAMPER_STEPS[tamper], exit_code=1)
    missing = {
        # Without the SET a v0.1 bundle's log entry proves no time, and nothing else does either.
        "v0.1-without-set": (_o(version="0.1", with_set=False), "v0.1 needs the SET", "time"),
        "v0.2-without-proof": (_o(version="0.2", with_proof=False), "v0.2+ needs the inclusion proof",
                               "inclusion-proof"),
        "v0.3-without-proof": (_o(with_proof=False), "v0.2+ needs the inclusion proof", "inclusion-proof"),
        "v0.3-without-checkpoint": (_o(with_checkpoint=False), "an inclusion proof needs its checkpoint",
                                    "checkpoint"),
        "rekor1-without-set-or-timestamp": (_o(with_set=False), "no SET and no timestamp: no verified time", "time"),
        "rekor2-without-timestamp": (_o(rekor=2, timestamp=False), "Rekor v2 has no time of its own", "time"),
        "rekor2-dsse-without-timestamp": (_o(rekor=2, content="dsse", timestamp=False), "no verified time", "time"),
        "v0.1-chain-with-root": (_o(version="0.1", chain=3), "the chain carries the root CA", _CHAIN),
    }
    for name, (opts, why, step) in missing.items():
        cases[name] = Case(opts, why, False, step=step, exit_code=1)
    before, after = SIGNED_AT - HOUR, SIGNED_AT + HOUR
    year = 365 * 24 * HOUR
    just_before = SIGNED_AT - datetime.timedelta(seconds=1)
    roots: Dict[str, Tuple[BundleOptions, Dict[str, Any], str, str]] = {
        "ca-validity-ended": (_o(), {"fulcio": (SIGNED_AT - year, before)}, "the CA's validFor ended before signing",
                              _CHAIN),
        # With ca-validity-end-inclusive (VALID): the window's end is exact to the second.
        "ca-validity-ended-a-second-before": (_o(), {"fulcio": (SIGNED_AT - year, just_before)},
                                              "the CA's validFor ended one second before signing", _CHAIN),
        "ca-validity-not-started": (_o(), {"fulcio": (after, None)}, "the CA's validFor starts after signing", _CHAIN),
        "ct-log-not-trusted": (_o(), {"omit": ("ct_log",)}, "no CT log in the trust root", _SCT),
        "ct-log-validity-ended": (_o(), {"ct_log": (SIGNED_AT - year, before)}, "the CT key expired before the SCT",
                                  _SCT),
        "rekor1-validity-ended": (_o(), {"rekor_v1": (SIGNED_AT - year, before)},
                                  "the Rekor v1 key's validFor ended before integratedTime", "tlog"),
        "rekor2-not-trusted": (_o(rekor=2), {"omit": ("rekor_v2",)}, "the Rekor v2 log is not in the trust root",
                               "tlog"),
        "rekor2-validity-not-started": (_o(rekor=2), {"rekor_v2": (after, None)},
                                        "the Rekor v2 key's validFor starts after the timestamp", "tlog"),
        "tsa-validity-ended": (_o(rekor=2), {"tsa": (SIGNED_AT - year, before)},
                               "the TSA's validFor ended before genTime", "timestamp"),
        "tsa-not-trusted": (_o(rekor=2), {"omit": ("tsa",)}, "no TSA in the trust root", "timestamp"),
    }
    for name, (opts, root, why, step) in roots.items():
        cases[name] = Case(opts, why, False, root=root, step=step, exit_code=1)
    # The Rekor v2 specification dropped dsse 0.0.2: v2 logs DSSE as hashedrekord 0.0.2 over the PAE
    # (v0.3-dsse-rekor2 in VALID). sigstore-python and sigstore-java reject it too.
    cases["dsse-0.0.2-entry.dsse-rekor2"] = Case(_o(content="dsse", rekor=2, dsse_entry="dsse"),
                                                 "DSSE on Rekor v2 logged as dsse 0.0.2", False,
                                                 step="tlog-entry", exit_code=1)
    return cases


NEGATIVE: Dict[str, Case] = _negatives()
