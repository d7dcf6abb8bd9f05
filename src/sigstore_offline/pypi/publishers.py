"""Trusted Publisher policies: who may have signed a PyPI attestation, matched against the Fulcio
certificate's claims (``policy.CertificateIdentity.claims``, dotted OID -> value).

Each policy is duck-typed like :class:`sigstore_offline.policy.Identity` (``check(found)`` raises
:class:`VerificationError` with step ``identity``; ``describe()``), so the verify pipeline runs it
in its identity step. The claims used (sigstore/fulcio ``docs/oid-info.md``):

* 1.8 Issuer (V2), 1.9 Build Signer URI, 1.12 Source Repository URI, 1.13 Source Repository
  Digest, 1.14 Source Repository Ref, 1.18 Build Config URI.

GitHub: issuer ``https://token.actions.githubusercontent.com``; 1.12 is
``https://github.com/OWNER/REPO``; 1.18 is ``https://github.com/OWNER/REPO/.github/workflows/FILE@X``
where X is the certificate's own 1.13 or 1.14 (a Trusted Publisher names the workflow file, never
the ref it runs on) and FILE is the given workflow, or any file directly in ``.github/workflows/``.

GitLab: issuer ``https://gitlab.com``; 1.12 is ``https://gitlab.com/NAMESPACE/PROJECT``; 1.18 is
``https://gitlab.com/NAMESPACE/PROJECT//PATH@X`` (PATH the CI configuration file; X as above).

Google: the SAN is the service account's e-mail address; issuer ``https://accounts.google.com``.

CircleCI: issuer ``https://oidc.circleci.com``; 1.9 is
``https://circleci.com/api/v2/projects/PROJECT/pipeline-definitions/DEFINITION``; a provenance
record's ``vcs_origin`` / ``vcs_ref``, when present, must equal 1.12 / 1.14.

A provenance's publisher record (:class:`.attestation.PublisherRecord`) is unsigned;
:func:`check_record` makes it agree with the user's policy *and* makes the certificate satisfy
the record's own policy, so a record cannot misstate who signed. The GitHub/GitLab environment
exists only in that record (Fulcio certificates do not carry it): ``--environment`` is checked
there and nowhere else, a weaker check than the rest.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional, Union

from ..errors import VerificationError
from ..fulcio import (  # noqa: F401 -- re-exported: callers read them here
    BUILD_CONFIG_URI,
    BUILD_SIGNER_URI,
    CIRCLECI_ISSUER,
    GITHUB,
    GITHUB_ISSUER,
    GITLAB,
    GITLAB_ISSUER,
    GOOGLE_ISSUER,
    ISSUER_V2,
    SOURCE_REPOSITORY_DIGEST,
    SOURCE_REPOSITORY_REF,
    SOURCE_REPOSITORY_URI,
)
from ..policy import CertificateIdentity
from .attestation import PublisherRecord

STEP = "identity"
RECORD_STEP = "publisher"
CLAIM_NAMES = {
    ISSUER_V2: "OIDC issuer (1.8)",
    BUILD_SIGNER_URI: "Build Signer URI (1.9)",
    SOURCE_REPOSITORY_URI: "Source Repository URI (1.12)",
    SOURCE_REPOSITORY_DIGEST: "Source Repository Digest (1.13)",
    SOURCE_REPOSITORY_REF: "Source Repository Ref (1.14)",
    BUILD_CONFIG_URI: "Build Config URI (1.18)",
}


def _claim(found: CertificateIdentity, oid: str, expected: str, *, step: str = STEP) -> None:
    value = found.claims.get(oid)
    if value == expected:
        return
    shown = "absent or malformed" if value is None else repr(value)
    hint = None
    if value is not None and value.casefold() == expected.casefold():
        hint = f"names are compared exactly; the certificate spells it {value!r}"
    raise VerificationError(f"certificate {CLAIM_NAMES[oid]} is {shown}, expected {expected!r}", step=step, hint=hint)


def _build_config(found: CertificateIdentity, prefix: str, name: Optional[str], what: str, *, nested: bool) -> None:
    """1.18 must be ``prefix + NAME + "@" + X`` with X the certificate's 1.13 or 1.14 and NAME the
    given one, or (``name`` None) any non-empty one (without ``/`` unless ``nested``)."""
    suffixes = [found.claims[oid] for oid in (SOURCE_REPOSITORY_DIGEST, SOURCE_REPOSITORY_REF) if oid in found.claims]
    if not suffixes:
        raise VerificationError(
            "certificate has neither a Source Repository Digest (1.13) nor a Source Repository Ref (1.14)", step=STEP
        )
    config = found.claims.get(BUILD_CONFIG_URI)
    if config is not None and config.startswith(prefix):
        for suffix in suffixes:
            tail = "@" + suffix
            if not config.endswith(tail) or len(config) <= len(prefix) + len(tail):
                continue
            middle = config[len(prefix):-len(tail)]
            if name is not None and middle == name:
                return
            if name is None and (nested or "/" not in middle):
                return
    expected = f"{prefix}{name if name is not None else '<' + what + '>'}@<{' or '.join(suffixes)}>"
    shown = "absent or malformed" if config is None else repr(config)
    raise VerificationError(f"certificate {CLAIM_NAMES[BUILD_CONFIG_URI]} is {shown}, expected {expected}", step=STEP)


class GitHubPublisher(NamedTuple):
    """A GitHub Actions Trusted Publisher: ``repository`` is ``OWNER/REPO``."""

    repository: str
    workflow: Optional[str] = None
    environment: Optional[str] = None  # checked against the provenance record only

    @property
    def kind(self) -> str:
        return "GitHub"

    def describe(self) -> str:
        workflow = f"workflow {self.workflow}" if self.workflow else "any workflow"
        environment = f", environment {self.environment} (unsigned)" if self.environment else ""
        return f"GitHub {self.repository} ({workflow}{environment})"

    def check(self, found: CertificateIdentity) -> None:
        _claim(found, ISSUER_V2, GITHUB_ISSUER)
        repository = f"{GITHUB}/{self.repository}"
        _claim(found, SOURCE_REPOSITORY_URI, repository)
        _build_config(found, f"{repository}/.github/workflows/", self.workflow, "workflow", nested=False)

    def record_mismatch(self, record: PublisherRecord) -> Optional[str]:
        if record.get("repository") != self.repository:
            return f"repository {record.get('repository')!r}, expected {self.repository!r}"
        if self.workflow is not None and record.get("workflow") != self.workflow:
            return f"workflow {record.get('workflow')!r}, expected {self.workflow!r}"
        return None


class GitLabPublisher(NamedTuple):
    """A GitLab CI/CD Trusted Publisher: ``project`` is ``NAMESPACE/PROJECT`` (namespaces may nest)."""

    project: str
    workflow: Optional[str] = None  # the CI configuration file's path, e.g. .gitlab-ci.yml
    environment: Optional[str] = None

    @property
    def kind(self) -> str:
        return "GitLab"

    def describe(self) -> str:
        workflow = f"CI file {self.workflow}" if self.workflow else "any CI file"
        environment = f", environment {self.environment} (unsigned)" if self.environment else ""
        return f"GitLab {self.project} ({workflow}{environment})"

    def check(self, found: CertificateIdentity) -> None:
        _claim(found, ISSUER_V2, GITLAB_ISSUER)
        project = f"{GITLAB}/{self.project}"
        _claim(found, SOURCE_REPOSITORY_URI, project)
        _build_config(found, f"{project}//", self.workflow, "CI file", nested=True)

    def record_mismatch(self, record: PublisherRecord) -> Optional[str]:
        if record.get("repository") != self.project:
            return f"repository {record.get('repository')!r}, expected {self.project!r}"
        if self.workflow is not None and record.get("workflow_filepath") != self.workflow:
            return f"workflow_filepath {record.get('workflow_filepath')!r}, expected {self.workflow!r}"
        return None


class GooglePublisher(NamedTuple):
    """A Google Cloud service account."""

    email: str

    @property
    def kind(self) -> str:
        return "Google"

    @property
    def environment(self) -> Optional[str]:
        return None

    def describe(self) -> str:
        return f"Google service account {self.email}"

    def check(self, found: CertificateIdentity) -> None:
        if self.email not in found.sans:
            raise VerificationError(
                f"certificate identity is {', '.join(found.sans) or '(none)'}, expected {self.email}", step=STEP
            )
        if found.issuer != GOOGLE_ISSUER:
            raise VerificationError(f"certificate OIDC issuer is {found.issuer}, expected {GOOGLE_ISSUER}", step=STEP)

    def record_mismatch(self, record: PublisherRecord) -> Optional[str]:
        if record.get("email") != self.email:
            return f"email {record.get('email')!r}, expected {self.email!r}"
        return None


class CircleCIPublisher(NamedTuple):
    """A CircleCI pipeline definition; ``vcs_origin`` / ``vcs_ref`` come from a provenance record."""

    project_id: str
    pipeline_definition_id: str
    vcs_origin: Optional[str] = None
    vcs_ref: Optional[str] = None

    @property
    def kind(self) -> str:
        return "CircleCI"

    @property
    def environment(self) -> Optional[str]:
        return None

    def describe(self) -> str:
        return f"CircleCI project {self.project_id}, pipeline definition {self.pipeline_definition_id}"

    def check(self, found: CertificateIdentity) -> None:
        _claim(found, ISSUER_V2, CIRCLECI_ISSUER)
        _claim(found, BUILD_SIGNER_URI, f"https://circleci.com/api/v2/projects/{self.project_id}"
                                        f"/pipeline-definitions/{self.pipeline_definition_id}")
        if self.vcs_origin is not None:
            _claim(found, SOURCE_REPOSITORY_URI, self.vcs_origin)
        if self.vcs_ref is not None:
            _claim(found, SOURCE_REPOSITORY_REF, self.vcs_ref)

    def record_mismatch(self, record: PublisherRecord) -> Optional[str]:
        for field, mine in (("project_id", self.project_id), ("pipeline_definition_id", self.pipeline_definition_id)):
            if record.get(field) != mine:
                return f"{field} {record.get(field)!r}, expected {mine!r}"
        return None


Publisher = Union[GitHubPublisher, GitLabPublisher, GooglePublisher, CircleCIPublisher]
PUBLISHER_TYPES = (GitHubPublisher, GitLabPublisher, GooglePublisher, CircleCIPublisher)


def from_record(record: PublisherRecord) -> Optional[Publisher]:
    """The policy a provenance record states (None for a kind this tool does not know)."""
    if record.kind == "GitHub":
        return GitHubPublisher(record.fields["repository"] or "", record.fields["workflow"])
    if record.kind == "GitLab":
        return GitLabPublisher(record.fields["repository"] or "", record.fields["workflow_filepath"])
    if record.kind == "Google":
        return GooglePublisher(record.fields["email"] or "")
    if record.kind == "CircleCI":
        return CircleCIPublisher(record.fields["project_id"] or "", record.fields["pipeline_definition_id"] or "",
                                 record.get("vcs_origin"), record.get("vcs_ref"))
    return None


def check_record(policy: Any, record: PublisherRecord, found: CertificateIdentity, *, where: str) -> None:
    """A provenance's publisher record must agree with the user's Trusted Publisher ``policy``, the
    certificate must satisfy the record's own policy, and ``policy.environment`` (if any) must be
    the record's. Failures are step ``publisher``."""
    def fail(message: str, hint: Optional[str] = None) -> VerificationError:
        return VerificationError(f"{where}: PyPI's publisher record {message}", step=RECORD_STEP, hint=hint)

    if record.kind != policy.kind:
        raise fail(f"is of kind {record.kind!r}, expected {policy.kind!r}")
    mismatch = policy.record_mismatch(record)
    if mismatch is not None:
        raise fail(f"names {mismatch}")
    stated = from_record(record)
    if stated is None:  # pragma: no cover -- kinds equal one of ours, so known
        raise fail(f"has unknown kind {record.kind!r}")
    try:
        stated.check(found)
    except VerificationError as exc:
        raise fail(f"({stated.describe()}) does not describe the signing certificate: {exc.message}") from None
    if policy.environment is not None:
        recorded = record.get("environment")
        if recorded != policy.environment:
            raise fail(
                f"names environment {recorded!r}, expected {policy.environment!r}" if recorded is not None
                else f"names no environment, expected {policy.environment!r}",
                hint="the environment is PyPI's unsigned record, not part of the signed certificate",
            )
