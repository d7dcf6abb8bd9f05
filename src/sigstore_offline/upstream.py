# SPDX-License-Identifier: Apache-2.0
"""Upstream identity policies: which signer an upstream's file must carry, chosen by its file name.

A policy file (``sigstore-offline-policy(5)``, format ``sigstore-offline-policy/1``) maps file
names to a key through full-match regular expressions with one named group ``key`` (for CPython:
``Python-3.13.0.tgz`` -> ``3.13``), and each key to the signers allowed for it (identity and OIDC
issuer pairs). ``--policy cpython`` loads the policy shipped in ``sigstore_offline/policies/``;
``--policy ./mine.json`` loads the user's own.

Loading problems are usage errors (exit 2): the policy is the operator's configuration. A file
name the policy cannot place is a verification failure at step ``policy``: nothing says who may
have signed it.
"""

from __future__ import annotations

import pathlib
import re
from typing import Dict, List, Mapping, NamedTuple, Pattern, Tuple

from . import _encoding as enc
from .errors import Step, UsageError, VerificationError
from .inputs import read_input
from .limits import MAX_POLICY_BYTES, MAX_POLICY_KEYS, MAX_POLICY_PATTERNS, MAX_POLICY_SIGNERS
from .policy import CertificateIdentity, Identity, SignerPolicy

__all__ = ["FORMAT", "SHIPPED", "STEP", "AnySigner", "UpstreamPolicy", "parse_policy", "shipped_names", "load_policy"]

FORMAT = "sigstore-offline-policy/1"
SHIPPED = pathlib.Path(__file__).resolve().parent / "policies"
STEP = Step.POLICY
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_TOP_KEYS = frozenset({"format", "name", "description", "source", "artifacts", "signers"})
_SIGNER_KEYS = frozenset({"identity", "identity_regexp", "issuer", "issuer_regexp"})
_PUBLISHER_KEYS = frozenset({"repository", "workflow", "ref"})


class AnySigner(NamedTuple):
    """Passes when the certificate matches one of ``signers``; used as ``pipeline.verify(policy=...)``."""

    signers: Tuple[SignerPolicy, ...]  # Identity or publisher.Publisher
    context: str  # e.g. "policy cpython, 3.13"

    def describe(self) -> str:
        return " or ".join(signer.describe() for signer in self.signers)

    def check(self, found: CertificateIdentity) -> None:
        for signer in self.signers:
            try:
                signer.check(found)
            except VerificationError:
                continue
            return
        raise VerificationError(
            f"certificate names {', '.join(found.sans) or '(no identity)'} ({found.issuer or 'no issuer'}),"
            f" but {self.context} expects {self.describe()}",
            step=Step.IDENTITY,
        )


def _series_order(key: str) -> Tuple[int, ...]:
    parts = key.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else (1 << 30,)


class UpstreamPolicy(NamedTuple):
    name: str
    description: str
    source: str
    patterns: Tuple[Pattern[str], ...]
    signers: Dict[str, Tuple[SignerPolicy, ...]]
    origin: str  # where it was loaded from

    def known(self) -> str:
        keys = sorted(self.signers, key=lambda k: (_series_order(k), k))
        if len(keys) > 3 and all(_series_order(k)[0] != 1 << 30 for k in keys):
            return f"{keys[0]} to {keys[-1]}"
        return ", ".join(keys)

    def for_artifact(self, artifact_name: str) -> AnySigner:
        """The signers allowed for ``artifact_name`` (a bare file name, not a path)."""
        base = artifact_name.rsplit("/", 1)[-1]
        for pattern in self.patterns:
            match = pattern.fullmatch(base)
            if match is None:
                continue
            key = match.group("key")
            signers = self.signers.get(key)
            if signers is None:
                raise VerificationError(
                    f"policy {self.name} has no signer for {key} ({base}); it knows {self.known()}",
                    step=STEP,
                    hint="a newer policy may know it; or write your own policy file (sigstore-offline-policy(5))",
                )
            return AnySigner(signers, f"policy {self.name} for {key}")
        raise VerificationError(
            f"policy {self.name} does not cover the file name {base!r} (it covers: {self.description})",
            step=STEP,
            hint="give the upstream file name when verifying a digest or a renamed file",
        )


def _publisher(mapping: Mapping[str, object], what: str) -> SignerPolicy:
    """A CI publisher signer: ``{"repository": ..., "workflow": ..., "ref": ...}``."""
    from .publisher import publisher

    unknown = sorted(set(mapping) - _PUBLISHER_KEYS)
    if unknown:
        raise ValueError(f"{what}: unknown field {unknown[0]!r} (a publisher has repository, workflow, ref)")
    fields = {k: enc.string(mapping[k], f"{what}.{k}") if mapping.get(k) is not None else None
              for k in _PUBLISHER_KEYS}
    try:
        return publisher(fields["repository"] or "", workflow=fields["workflow"], ref=fields["ref"])
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def _signer(value: object, what: str) -> SignerPolicy:
    mapping = enc.obj(value, what)
    if "repository" in mapping:
        return _publisher(mapping, what)
    unknown = sorted(set(mapping) - _SIGNER_KEYS)
    if unknown:
        raise ValueError(f"{what}: unknown field {unknown[0]!r}")
    fields = {k: enc.string(mapping[k], f"{what}.{k}") if mapping.get(k) is not None else None for k in _SIGNER_KEYS}
    if (fields["identity"] is None) == (fields["identity_regexp"] is None):
        raise ValueError(f"{what}: needs exactly one of 'identity' and 'identity_regexp'")
    if (fields["issuer"] is None) == (fields["issuer_regexp"] is None):
        raise ValueError(f"{what}: needs exactly one of 'issuer' and 'issuer_regexp'")
    try:
        return Identity.build(san=fields["identity"], san_regexp=fields["identity_regexp"],
                              issuer=fields["issuer"], issuer_regexp=fields["issuer_regexp"])
    except re.error as exc:
        raise ValueError(f"{what}: invalid regular expression: {exc}") from None


def parse_policy(raw: bytes, *, origin: str) -> UpstreamPolicy:
    """Parse a policy file strictly; raise ValueError naming the field."""
    document = enc.obj(enc.load_json(raw), "policy")
    unknown = sorted(set(document) - _TOP_KEYS)
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}")
    fmt = enc.string(enc.req(document, "format", "policy"), "format")
    if fmt != FORMAT:
        raise ValueError(f"format is {fmt!r}, expected {FORMAT!r}")
    name = enc.string(enc.req(document, "name", "policy"), "name")
    if not _NAME.fullmatch(name):
        raise ValueError(f"name {name!r} is not lower-case letters, digits, '.', '_' or '-'")
    description = enc.string(enc.req(document, "description", "policy"), "description")
    source = enc.string(document.get("source", ""), "source")
    patterns: List[Pattern[str]] = []
    for index, text in enumerate(enc.array(enc.req(document, "artifacts", "policy"), "artifacts",
                                           limit=MAX_POLICY_PATTERNS)):
        what = f"artifacts[{index}]"
        try:
            pattern = re.compile(enc.string(text, what))
        except re.error as exc:
            raise ValueError(f"{what}: invalid regular expression: {exc}") from None
        if "key" not in pattern.groupindex:
            raise ValueError(f"{what}: the pattern has no named group (?P<key>...)")
        patterns.append(pattern)
    if not patterns:
        raise ValueError("artifacts: the list is empty")
    table = enc.obj(enc.req(document, "signers", "policy"), "signers")
    if not table or len(table) > MAX_POLICY_KEYS:
        raise ValueError(f"signers: needs 1 to {MAX_POLICY_KEYS} keys, found {len(table)}")
    signers: Dict[str, Tuple[SignerPolicy, ...]] = {}
    for key, entries in table.items():
        listed = enc.array(entries, f"signers[{key!r}]", limit=MAX_POLICY_SIGNERS)
        if not listed:
            raise ValueError(f"signers[{key!r}]: the list is empty")
        signers[key] = tuple(_signer(entry, f"signers[{key!r}][{i}]") for i, entry in enumerate(listed))
    return UpstreamPolicy(name, description, source, tuple(patterns), signers, origin)


def shipped_names() -> List[str]:
    return sorted(path.stem for path in SHIPPED.glob("*.json"))


def load_policy(spec: str) -> UpstreamPolicy:
    """A shipped policy by name (``cpython``) or a policy file (a path with ``/`` or ending in ``.json``)."""
    if "/" in spec or spec.endswith(".json"):
        path = pathlib.Path(spec)
    elif _NAME.fullmatch(spec) and (SHIPPED / f"{spec}.json").is_file():
        path = SHIPPED / f"{spec}.json"
    else:
        raise UsageError(f"no shipped policy {spec!r} (shipped: {', '.join(shipped_names()) or 'none'});"
                         " a policy file is given by its path (./my-policy.json)", step=STEP)
    raw = read_input(str(path), limit=MAX_POLICY_BYTES, what="policy file", step=STEP, error=UsageError)
    try:
        return parse_policy(raw, origin=str(path))
    except ValueError as exc:
        raise UsageError(f"policy file {path}: {exc}", step=STEP) from None

