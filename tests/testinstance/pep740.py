# SPDX-License-Identifier: Apache-2.0
"""PEP 740 attestations and provenance objects from the test instance.

``attestation(inst, statement_bytes, leaf=...)`` signs any in-toto statement (well formed or not)
as a DSSE envelope with a fresh leaf certificate, logs it in the instance's Rekor v1 log (dsse
0.0.1 body, SET, inclusion proof, checkpoint), and returns the PEP 740 attestation object.
``statement(name, digest, ...)`` writes the statement PyPI's publish attestation carries, with
knobs for every check a verifier makes on it. ``provenance(...)`` wraps attestations with a
publisher record. ``publisher_leaf(...)`` makes a Trusted Publisher's certificate claims.

Test helper, not product code.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from . import _enc, rekor
from .bundle import IN_TOTO, SIGNED_AT, STATEMENT_V1
from .ca import FULCIO_OID, LeafSpec, github_claims
from .instance import TestInstance

PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_ISSUER = "https://gitlab.com"
GOOGLE_ISSUER = "https://accounts.google.com"
CIRCLECI_ISSUER = "https://oidc.circleci.com"


def statement(name: str, digest: bytes, *, kind: str = STATEMENT_V1, predicate_type: str = PUBLISH_V1,
              extra_subjects: Sequence[Tuple[str, bytes]] = (), predicate: Any = None) -> bytes:
    """An in-toto statement naming ``name`` with SHA-256 ``digest`` (plus ``extra_subjects``)."""
    subjects = [{"name": n, "digest": {"sha256": d.hex()}} for n, d in [(name, digest), *extra_subjects]]
    return json.dumps({"_type": kind, "subject": subjects, "predicateType": predicate_type,
                       "predicate": predicate}).encode("utf-8")


def github_leaf(repository: str = "example/project", workflow: str = "release.yml",
                ref: str = "refs/tags/v1.0") -> LeafSpec:
    """A GitHub Actions leaf: SAN = the workflow URI, claims as Fulcio writes them."""
    claims = github_claims(repository=repository, ref=ref, workflow=f".github/workflows/{workflow}")
    return LeafSpec(identity=f"https://github.com/{repository}/.github/workflows/{workflow}@{ref}",
                    issuer=GITHUB_ISSUER, claims=claims)


def gitlab_leaf(project: str = "group/project", ci_file: str = ".gitlab-ci.yml", ref: str = "refs/heads/main",
                sha: str = "1" * 40) -> LeafSpec:
    uri = f"https://gitlab.com/{project}"
    config = f"{uri}//{ci_file}@{ref}"
    values = {9: config, 10: sha, 11: "gitlab-hosted", 12: uri, 13: sha, 14: ref, 18: config, 19: sha, 20: "push"}
    return LeafSpec(identity=config, issuer=GITLAB_ISSUER,
                    claims=tuple((FULCIO_OID + str(arc), v) for arc, v in values.items()))


def google_leaf(email: str = "builder@project.iam.gserviceaccount.com") -> LeafSpec:
    return LeafSpec(identity=email, san="email", issuer=GOOGLE_ISSUER)


def circleci_leaf(project_id: str = "p-1", definition_id: str = "d-1", origin: str = "github.com/org/repo",
                  ref: str = "refs/heads/main") -> LeafSpec:
    signer = f"https://circleci.com/api/v2/projects/{project_id}/pipeline-definitions/{definition_id}"
    values = {9: signer, 12: origin, 14: ref, 18: "https://circleci.com/api/v2/pipeline/x/config"}
    return LeafSpec(identity=signer, issuer=CIRCLECI_ISSUER,
                    claims=tuple((FULCIO_OID + str(arc), v) for arc, v in values.items()))


def attestation(inst: TestInstance, payload: bytes, *, leaf: Optional[LeafSpec] = None,
                at: datetime.datetime = SIGNED_AT, extra_entries: int = 0) -> Dict[str, Any]:
    """Sign ``payload`` (the statement bytes, as they are) and return a PEP 740 attestation object.
    ``extra_entries`` logs the same body again that many times, each a further transparency entry."""
    issued = inst.issue_leaf(leaf or github_leaf(), at=at)
    pae = _enc.pae(IN_TOTO, payload)
    signature = bytes(issued.key.sign(_enc.sha256(pae), ec.ECDSA(utils.Prehashed(hashes.SHA256()))))
    envelope = {"payload": _enc.b64(payload), "payloadType": IN_TOTO, "signatures": [{"sig": _enc.b64(signature)}]}
    body = rekor.dsse_v001(envelope, payload, [(signature, issued.pem)])
    log = inst.rekor_v1
    indices = [log.append(body) for _ in range(1 + extra_entries)]
    log.append_filler(3)
    entries: List[Dict[str, Any]] = [log.entry_json(body, index, kind="dsse", version="0.0.1", integrated_time=at)
                                     for index in indices]
    return {
        "version": 1,
        "verification_material": {"certificate": _enc.b64(issued.der), "transparency_entries": entries},
        "envelope": {"statement": _enc.b64(payload), "signature": _enc.b64(signature)},
    }


def provenance(*bundles: Tuple[Dict[str, Any], Sequence[Dict[str, Any]]]) -> Dict[str, Any]:
    """``provenance((publisher, [attestation, ...]), ...)``."""
    return {"version": 1, "attestation_bundles": [{"publisher": publisher, "attestations": list(attestations)}
                                                  for publisher, attestations in bundles]}


def pypi_release(inst: TestInstance, filename: str, data: bytes, *, repository: str = "example/project",
                 workflow: str = "release.yml", ref: str = "refs/tags/v1.0",
                 record: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """What PyPI's Integrity API serves for ``filename`` (contents ``data``) uploaded by a GitHub
    Trusted Publisher: one publish attestation signed by ``repository``'s ``workflow`` on ``ref``,
    under the publisher record ``record`` (default: the one PyPI writes for that publisher)."""
    digest = _enc.sha256(data)
    signed = attestation(inst, statement(filename, digest), leaf=github_leaf(repository, workflow, ref))
    if record is None:
        record = {"kind": "GitHub", "repository": repository, "workflow": workflow, "environment": None}
    return provenance((record, [signed]))
