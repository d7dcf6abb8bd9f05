# SPDX-License-Identifier: Apache-2.0
"""Publisher identities that survive releases: a CI repository, its workflow and a ref pattern.

An upstream released from GitHub Actions signs with an identity that names the tag
(``…/release.yml@refs/tags/v2.1.0``), so exact identities change at every release. A
:class:`Publisher` names what stays the same -- the repository, the workflow file, the kind of
ref -- and is matched against the Fulcio certificate's own claims (sigstore/fulcio
``docs/oid-info.md``), never against the SAN's text:

* the OIDC issuer (1.8) is GitHub Actions' (``https://token.actions.githubusercontent.com``) or
  GitLab's (``https://gitlab.com``), exactly;
* the Source Repository URI (1.12) is ``https://github.com/OWNER/REPO`` (GitLab:
  ``https://gitlab.com/NAMESPACE/PROJECT``), exactly;
* the Build Signer URI (1.9) -- the workflow that held the signing token -- lies in that same
  repository (a reusable workflow from elsewhere does not pass: its owner, not the repository's,
  wrote what was signed);
* with a workflow, the Build Config URI (1.18) -- the workflow the run started from -- is that
  file of the repository at the certificate's own ref or commit (``pypi.publishers``);
* with a ref, the Source Repository Ref (1.14) is that ref, or matches that ref pattern.

The one pattern: ``*`` in a ref matches any run of characters other than ``/``, and only after
``refs/KIND/`` (``refs/tags/v*``, never ``refs/*``). Git refs cannot contain ``*``, so a pattern
never collides with a real ref. What a ref pattern defends: which kind of ref the release was
built from (a tag, not a branch or a pull request), together with the repository and workflow.
What it does not: anyone who may push a matching tag to the repository signs as the publisher
(protect tags upstream); a tag can be moved to other code and built again; and it does not tie a
file to a version -- ``refs/tags/v*`` accepts an older release's genuine file in place of a newer
one. Pin an exact ref where that matters.

Importing this module costs nothing (no ``cryptography``): command lines build publishers while
parsing their options, and a malformed one is a usage error before anything is verified.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple, Optional, Tuple

if TYPE_CHECKING:
    from typing import Any

    from .policy import CertificateIdentity
    from .pypi.attestation import PublisherRecord

__all__ = ["GITHUB", "GITLAB", "Publisher", "RefPattern", "parse_ref", "parse_repository", "publisher"]

GITHUB = "github"
GITLAB = "gitlab"
_HOSTS = {GITHUB: "https://github.com", GITLAB: "https://gitlab.com"}
_GITHUB_SLUG = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_GITLAB_PATH = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+")
_REF_CHARS = re.compile(r"[\x21-\x7e]+")
_NOT_IN_REFS = set("~^:?[\\")


class RefPattern(NamedTuple):
    """A full ref (``refs/tags/v2.1.0``), or one with ``*`` after ``refs/KIND/``."""

    text: str

    @property
    def is_glob(self) -> bool:
        return "*" in self.text

    def matches(self, ref: str) -> bool:
        if not self.is_glob:
            return ref == self.text
        pattern = "[^/]*".join(re.escape(part) for part in self.text.split("*"))
        return re.fullmatch(pattern, ref) is not None


def parse_ref(text: str) -> RefPattern:
    """A ref or ref pattern; ``ValueError`` for anything else (an abbreviated ref, a ``*`` in
    ``refs/KIND/``, characters git refuses in refs, ``**``)."""
    if not text:
        raise ValueError("the ref is empty")
    if not _REF_CHARS.fullmatch(text) or _NOT_IN_REFS & set(text):
        raise ValueError(f"ref {text!r} has characters a git ref cannot contain (only * is a pattern)")
    parts = text.split("/")
    if len(parts) < 3 or parts[0] != "refs" or not all(parts):
        raise ValueError(f"ref {text!r}: give a full ref, refs/tags/NAME or refs/heads/NAME (a pattern may use *"
                         " after refs/KIND/)")
    if "*" in parts[1]:
        raise ValueError(f"ref {text!r}: the kind of ref (refs/tags/, refs/heads/) must be literal")
    if "**" in text:
        raise ValueError(f"ref {text!r}: ** is not a pattern here; * matches within one path component")
    return RefPattern(text)


def parse_repository(value: str) -> Tuple[str, str]:
    """``(forge, path)`` of ``OWNER/REPO``, ``https://github.com/OWNER/REPO`` or
    ``https://gitlab.com/NAMESPACE/PROJECT``; ``ValueError`` otherwise."""
    text = value.removesuffix("/")
    for forge in (GITLAB, GITHUB):
        prefix = _HOSTS[forge] + "/"
        if text.startswith(prefix):
            return repository(forge, text[len(prefix):])
    if "://" in text:
        raise ValueError(f"repository {value!r}: expected OWNER/REPO, https://github.com/OWNER/REPO or"
                         " https://gitlab.com/NAMESPACE/PROJECT")
    return repository(GITHUB, text)


def repository(forge: str, path: str) -> Tuple[str, str]:
    """``(forge, path)`` checked: GitHub's ``OWNER/REPO``, GitLab's ``NAMESPACE/PROJECT`` (nested)."""
    pattern = _GITHUB_SLUG if forge == GITHUB else _GITLAB_PATH
    path = path.removesuffix("/")
    if forge not in _HOSTS or not pattern.fullmatch(path) or any(part in (".", "..") for part in path.split("/")):
        shape = "OWNER/REPO" if forge == GITHUB else "NAMESPACE/PROJECT"
        raise ValueError(f"{forge} repository {path!r}: expected {shape}")
    return forge, path


class Publisher(NamedTuple):
    """A CI publisher: ``forge`` (:data:`GITHUB` or :data:`GITLAB`), its repository path, the
    workflow (GitHub: a file name in ``.github/workflows/``; GitLab: the CI file's path) and a ref
    or ref pattern; ``None``: any. Duck-typed as a ``policy.SignerPolicy``."""

    forge: str
    repository: str
    workflow: Optional[str] = None
    ref: Optional[RefPattern] = None
    environment: Optional[str] = None  # PyPI only: compared with a provenance's (unsigned) publisher record

    @property
    def url(self) -> str:
        return f"{_HOSTS[self.forge]}/{self.repository}"

    def describe(self) -> str:
        kind = "GitHub" if self.forge == GITHUB else "GitLab"
        workflow = f"workflow {self.workflow}" if self.workflow else "any workflow"
        ref = f"ref {self.ref.text}" if self.ref else "any ref"
        environment = f", environment {self.environment} (unsigned)" if self.environment else ""
        return f"{kind} {self.repository} ({workflow}, {ref}{environment})"

    @property
    def kind(self) -> str:
        """The PyPI Trusted Publisher kind this publisher is (``GitHub`` or ``GitLab``)."""
        return "GitHub" if self.forge == GITHUB else "GitLab"

    def _base(self) -> "Any":
        from .pypi import publishers

        return (publishers.GitHubPublisher(self.repository, self.workflow) if self.forge == GITHUB
                else publishers.GitLabPublisher(self.repository, self.workflow))

    def record_mismatch(self, record: "PublisherRecord") -> Optional[str]:
        """What in a PyPI provenance's publisher record disagrees with this publisher (``None``:
        nothing), so that a publisher can stand for a Trusted Publisher (``pypi.verify``)."""
        mismatch: Optional[str] = self._base().record_mismatch(record)
        return mismatch

    def check(self, found: "CertificateIdentity") -> None:
        from .errors import Step, VerificationError
        from .pypi import publishers

        self._base().check(found)  # issuer 1.8, Source Repository URI 1.12, Build Config URI 1.18
        signer = found.claims.get(publishers.BUILD_SIGNER_URI)
        if signer is None or not signer.startswith(self.url + "/"):
            shown = "absent or malformed" if signer is None else repr(signer)
            raise VerificationError(
                f"certificate Build Signer URI (1.9) is {shown}, not a workflow of {self.url}",
                step=Step.IDENTITY,
                hint="a reusable workflow of another repository signed; name it as the signer explicitly",
            )
        if self.ref is not None:
            ref = found.claims.get(publishers.SOURCE_REPOSITORY_REF)
            if ref is None or not self.ref.matches(ref):
                shown = "absent or malformed" if ref is None else repr(ref)
                what = "does not match" if self.ref.is_glob else "is not"
                raise VerificationError(f"certificate Source Repository Ref (1.14) is {shown}, which {what}"
                                        f" {self.ref.text!r}", step=Step.IDENTITY)


def publisher(repository_spec: str, *, workflow: Optional[str] = None, ref: Optional[str] = None,
              forge: Optional[str] = None, environment: Optional[str] = None) -> Publisher:
    """A checked :class:`Publisher` (``ValueError`` naming the bad value). ``forge`` None: taken
    from ``repository_spec`` (a GitLab URL, or GitHub)."""
    if forge is None:
        forge, path = parse_repository(repository_spec)
    else:
        forge, path = repository(forge, repository_spec)
    if workflow is not None:
        if forge == GITHUB and (not workflow or "/" in workflow or workflow in (".", "..")):
            raise ValueError(f"workflow {workflow!r}: a GitHub workflow is a file name in .github/workflows/"
                             " (e.g. release.yml)")
        if forge == GITLAB and (not workflow or workflow.startswith("/") or ".." in workflow.split("/")):
            raise ValueError(f"workflow {workflow!r}: a GitLab CI file path relative to the project root")
        if "@" in workflow or any(c.isspace() for c in workflow):
            raise ValueError(f"workflow {workflow!r}: a file name, without @ref (give the ref separately)")
    return Publisher(forge, path, workflow, parse_ref(ref) if ref is not None else None, environment)
