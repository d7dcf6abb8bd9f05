# SPDX-License-Identifier: Apache-2.0
"""PEP 740 objects, parsed strictly: attestations, provenance, publisher records; and an
attestation as the Sigstore bundle it is.

An *attestation object* (PEP 740, "Attestation objects")::

    {"version": 1,
     "verification_material": {"certificate": base64(DER), "transparency_entries": [entry, ...]},
     "envelope": {"statement": base64(in-toto Statement JSON), "signature": base64(signature)}}

Each transparency entry is a Rekor ``TransparencyLogEntry`` in the JSON form a Sigstore bundle
uses. A *provenance object* (PEP 740, "Provenance objects"; what PyPI's Integrity API serves) is
``{"version": 1, "attestation_bundles": [{"publisher": {...}, "attestations": [...]}]}``. PyPI
writes the publisher's fields flat beside ``kind`` (``repository``, ``workflow``, ``environment``
for GitHub; ``repository``, ``workflow_filepath``, ``environment`` for GitLab; ``email`` for
Google; ``project_id``, ``pipeline_definition_id``, ``vcs_origin``, ``vcs_ref`` for CircleCI).
The publisher record is **not signed**: it is what PyPI says about the attestations.

Every problem is an :class:`InputError` (exit 4) with step ``attestation`` or ``provenance`` and
a message naming the field. Unknown fields are ignored, as :mod:`sigstore_offline.model` does.

:func:`to_bundle` turns an attestation into a Sigstore bundle v0.3 (certificate, every
transparency entry, a DSSE envelope of type ``application/vnd.in-toto+json`` with the one
signature) and parses it with :func:`sigstore_offline.model.parse_bundle`, so that the same
pipeline verifies it as any other bundle.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from .. import _encoding as enc
from ..errors import InputError, Step
from ..limits import (
    MAX_ATTESTATION_FILE_BYTES,
    MAX_ATTESTATIONS,
    MAX_DSSE_PAYLOAD_BYTES,
    MAX_TLOG_ENTRIES,
)
from ..model import Bundle, load_certificate, parse_bundle

__all__ = [
    "IN_TOTO_PAYLOAD_TYPE", "BUNDLE_MEDIA_TYPE", "PUBLISHER_FIELDS", "Attestation", "PublisherRecord",
    "AttestationBundle", "Provenance", "parse_attestation", "parse_provenance", "to_bundle",
]

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
# The publisher kinds PyPI serves, and each one's fields: (required, optional).
PUBLISHER_FIELDS: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {
    "GitHub": (("repository", "workflow"), ("environment",)),
    "GitLab": (("repository", "workflow_filepath"), ("environment",)),
    "Google": (("email",), ()),
    "CircleCI": (("project_id", "pipeline_definition_id"), ("vcs_origin", "vcs_ref")),
}


class Attestation(NamedTuple):
    """One PEP 740 attestation, its byte fields decoded."""

    where: str  # "FILE" or "FILE: attestation_bundles[0].attestations[1]", for messages
    certificate: bytes  # DER
    transparency_entries: Tuple[Mapping[str, Any], ...]  # bundle-JSON TransparencyLogEntry objects
    statement: bytes  # the DSSE payload: in-toto Statement JSON, as signed
    signature: bytes


class PublisherRecord(NamedTuple):
    """A provenance's (unsigned) publisher record: its kind and its string fields."""

    kind: str
    fields: Mapping[str, Optional[str]]

    def get(self, name: str) -> Optional[str]:
        return self.fields.get(name)

    def as_json(self) -> Dict[str, Any]:
        return {"kind": self.kind, **self.fields}


class AttestationBundle(NamedTuple):
    publisher: PublisherRecord
    attestations: Tuple[Attestation, ...]


class Provenance(NamedTuple):
    source: str
    bundles: Tuple[AttestationBundle, ...]


def _fail(step: Step, source: str, message: str) -> InputError:
    return InputError(f"{source}: {message}", step=step)


def _load(data: bytes, source: str, step: Step) -> Any:
    if len(data) > MAX_ATTESTATION_FILE_BYTES:
        raise _fail(step, source, f"larger than {MAX_ATTESTATION_FILE_BYTES} bytes")
    try:
        return enc.load_json(data)
    except ValueError as exc:
        raise _fail(step, source, str(exc)) from None


def _version(mapping: Mapping[str, Any], what: str) -> None:
    version = enc.req(mapping, "version", what)
    if isinstance(version, bool) or not isinstance(version, int) or version != 1:
        shown = json.dumps(version) if isinstance(version, (int, str)) else enc.type_name(version)
        raise ValueError(f"{what}.version: expected 1, found {shown}")


def _attestation(value: Any, what: str, where: str) -> Attestation:
    mapping = enc.obj(value, what)
    _version(mapping, what)
    material = enc.obj(enc.req(mapping, "verification_material", what), f"{what}.verification_material")
    vm = f"{what}.verification_material"
    certificate = enc.b64decode(enc.req(material, "certificate", vm), f"{vm}.certificate")
    if not certificate:
        raise ValueError(f"{vm}.certificate: empty")
    load_certificate(certificate, f"{vm}.certificate")
    entries = enc.array(enc.req(material, "transparency_entries", vm), f"{vm}.transparency_entries",
                        limit=MAX_TLOG_ENTRIES)
    if not entries:
        raise ValueError(f"{vm}.transparency_entries: empty (PEP 740 requires at least one)")
    for index, entry in enumerate(entries):
        enc.obj(entry, f"{vm}.transparency_entries[{index}]")
    envelope = enc.obj(enc.req(mapping, "envelope", what), f"{what}.envelope")
    statement = enc.b64decode(enc.req(envelope, "statement", f"{what}.envelope"), f"{what}.envelope.statement")
    if not statement:
        raise ValueError(f"{what}.envelope.statement: empty")
    if len(statement) > MAX_DSSE_PAYLOAD_BYTES:
        raise ValueError(f"{what}.envelope.statement: larger than {MAX_DSSE_PAYLOAD_BYTES} bytes")
    signature = enc.b64decode(enc.req(envelope, "signature", f"{what}.envelope"), f"{what}.envelope.signature")
    if not signature:
        raise ValueError(f"{what}.envelope.signature: empty")
    return Attestation(where, certificate, tuple(entries), statement, signature)


def parse_attestation(data: bytes, *, source: str) -> Attestation:
    """Parse one attestation object (a ``*.publish.attestation`` file)."""
    document = _load(data, source, Step.ATTESTATION)
    try:
        return _attestation(document, "attestation", source)
    except ValueError as exc:
        raise _fail(Step.ATTESTATION, source, str(exc)) from None


def _publisher(value: Any, what: str) -> PublisherRecord:
    mapping = enc.obj(value, what)
    kind = enc.string(enc.req(mapping, "kind", what), f"{what}.kind")
    required, optional = PUBLISHER_FIELDS.get(kind, ((), ()))
    fields: Dict[str, Optional[str]] = {}
    for name in required:
        fields[name] = enc.string(enc.req(mapping, name, what), f"{what}.{name}")
        if not fields[name]:
            raise ValueError(f"{what}.{name}: empty")
    for name in optional:
        item = enc.opt(mapping, name)
        fields[name] = enc.string(item, f"{what}.{name}") if item is not None else None
    return PublisherRecord(kind, fields)


def parse_provenance(data: bytes, *, source: str) -> Provenance:
    """Parse a provenance object (a ``*.provenance`` file: PyPI's Integrity API response)."""
    document = _load(data, source, Step.PROVENANCE)
    try:
        top = enc.obj(document, "provenance")
        _version(top, "provenance")
        raw = enc.array(enc.req(top, "attestation_bundles", "provenance"), "attestation_bundles",
                        limit=MAX_ATTESTATIONS)
        if not raw:
            raise ValueError("attestation_bundles: empty")
        bundles: List[AttestationBundle] = []
        total = 0
        for index, item in enumerate(raw):
            what = f"attestation_bundles[{index}]"
            mapping = enc.obj(item, what)
            publisher = _publisher(enc.req(mapping, "publisher", what), f"{what}.publisher")
            listed = enc.array(enc.req(mapping, "attestations", what), f"{what}.attestations",
                               limit=MAX_ATTESTATIONS)
            if not listed:
                raise ValueError(f"{what}.attestations: empty")
            total += len(listed)
            if total > MAX_ATTESTATIONS:
                raise ValueError(f"more than {MAX_ATTESTATIONS} attestations in all")
            attestations = tuple(
                _attestation(a, f"{what}.attestations[{i}]", f"{source}: {what}.attestations[{i}]")
                for i, a in enumerate(listed)
            )
            bundles.append(AttestationBundle(publisher, attestations))
    except ValueError as exc:
        raise _fail(Step.PROVENANCE, source, str(exc)) from None
    return Provenance(source, tuple(bundles))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def to_bundle(attestation: Attestation) -> Bundle:
    """The attestation as a Sigstore bundle v0.3, parsed by :func:`model.parse_bundle`."""
    document = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {
            "certificate": {"rawBytes": _b64(attestation.certificate)},
            "tlogEntries": list(attestation.transparency_entries),
        },
        "dsseEnvelope": {
            "payload": _b64(attestation.statement),
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "signatures": [{"sig": _b64(attestation.signature)}],
        },
    }
    raw = json.dumps(document).encode("utf-8")
    try:
        return parse_bundle(raw, source=attestation.where)
    except InputError as exc:
        # Name the attestation's own fields: the entries are the bundle's tlogEntries.
        message = exc.message.replace("tlogEntries[", "verification_material.transparency_entries[")
        raise InputError(message, step=Step.ATTESTATION) from None
