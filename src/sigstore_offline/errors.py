# SPDX-License-Identifier: Apache-2.0
"""One exception hierarchy; each class carries its exit code.

Split by whose fault it is (see docs/adr/0002-exit-codes.md):

* :class:`VerificationError` -- the input is well formed but must not be trusted (exit 1).
* :class:`UsageError` -- the command line is wrong (exit 2).
* :class:`TrustRootError` -- the operator's trust material is missing, corrupt or too old (exit 3).
* :class:`InputError` -- a bundle, artifact or key is unreadable or malformed (exit 4).
* anything else is a bug (exit 5).
"""

from __future__ import annotations

from enum import Enum
from typing import Dict, Optional, Union

__all__ = [
    "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_TRUST_ROOT", "EXIT_INPUT", "EXIT_BUG",
    "Step", "SigstoreOfflineError", "VerificationError", "UsageError", "TrustRootError", "InputError",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TRUST_ROOT = 3
EXIT_INPUT = 4
EXIT_BUG = 5


class Step(str, Enum):
    """Where a failure happened: the ``step`` of ``--json`` output and of verify-offline(1)'s DIAGNOSTICS.

    Each value is the wire string, stable across releases; :attr:`number` is the step's place in
    the verification order of ARCHITECTURE.md (0: the command itself, 1: reading an input,
    2: trust material, 3: verified times, 4: certificate chain, 5: SCTs, 6: identity policy,
    7: artifact binding, 8: log entry).  ``str()``, f-strings and :func:`json.dumps` give the bare value.
    """

    # 0. the command itself
    USAGE = "usage"
    INTERNAL = "internal"
    # 1. reading an input
    BUNDLE = "bundle"
    ARTIFACT = "artifact"
    KEY = "key"
    CERTIFICATE = "certificate"
    MANIFEST = "manifest"
    ATTESTATION = "attestation"
    PROVENANCE = "provenance"
    # 2. trust material
    TRUST_ROOT = "trust-root"
    TUF_REFRESH = "tuf-refresh"
    DOWNLOAD = "download"
    # 3. verified times
    TIMESTAMP = "timestamp"
    TIME = "time"
    # 4. certificate chain
    CERTIFICATE_CHAIN = "certificate-chain"
    # 5. SCTs
    SCT = "sct"
    # 6. identity policy
    POLICY = "policy"
    IDENTITY = "identity"
    PUBLISHER = "publisher"
    # 7. artifact binding
    SIGNATURE = "signature"
    STATEMENT = "statement"
    PREDICATE = "predicate"
    # 8. log entry
    TLOG = "tlog"
    TLOG_ENTRY = "tlog-entry"
    INCLUSION_PROOF = "inclusion-proof"
    CHECKPOINT = "checkpoint"
    SET = "set"

    @property
    def number(self) -> int:
        """The step's place in ARCHITECTURE.md's verification order (0 for the command itself)."""
        return _NUMBERS[self.value]

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


_NUMBERS: Dict[str, int] = {
    "usage": 0, "internal": 0,
    "bundle": 1, "artifact": 1, "key": 1, "certificate": 1, "manifest": 1, "attestation": 1, "provenance": 1,
    "trust-root": 2, "tuf-refresh": 2, "download": 2,
    "timestamp": 3, "time": 3,
    "certificate-chain": 4,
    "sct": 5,
    "policy": 6, "identity": 6, "publisher": 6,
    "signature": 7, "statement": 7, "predicate": 7,
    "tlog": 8, "tlog-entry": 8, "inclusion-proof": 8, "checkpoint": 8, "set": 8,
}


class SigstoreOfflineError(Exception):
    """Base class. ``exit_code`` says how the CLI ends; ``step`` names where it happened.

    Attributes:
        message: what was expected and what was found, without the step.
        step: a :class:`Step`, or ``""`` where no step applies (a caller's mistake outside verification).
        hint: what might help, or ``None``.

    Raises:
        TypeError: ``step`` is neither a :class:`Step` nor ``""`` (a typo must not pass silently).
    """

    exit_code = EXIT_BUG

    def __init__(self, message: str, *, step: Union[Step, str] = "", hint: Optional[str] = None) -> None:
        if not isinstance(step, Step) and step != "":
            raise TypeError(f"step must be an errors.Step or \"\", not {step!r}")
        super().__init__(message)
        self.message = message
        self.step = step
        self.hint = hint

    def __reduce__(self):  # type: ignore[no-untyped-def]
        """Pickle with step and hint (``--manifest`` workers send their errors to the parent)."""
        return _rebuild, (type(self), self.message, self.step, self.hint)

    def with_context(self, *, hint: Optional[str] = None, prefix: str = "") -> "SigstoreOfflineError":
        """A new error of the same class and step with ``prefix`` before the message and ``hint``
        added (where it had none): raise it ``from`` this one, never edit a caught error."""
        wrapped = type(self)(prefix + self.message, step=self.step, hint=self.hint if self.hint else hint)
        return wrapped

    def __str__(self) -> str:
        text = f"{self.step}: {self.message}" if self.step else self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class VerificationError(SigstoreOfflineError):
    """Well-formed input that fails a check: do not trust the artifact."""

    exit_code = EXIT_FAILED


class UsageError(SigstoreOfflineError):
    """The command line is inconsistent or incomplete."""

    exit_code = EXIT_USAGE


class TrustRootError(SigstoreOfflineError):
    """The trust material (trusted_root.json, snapshot) is unusable."""

    exit_code = EXIT_TRUST_ROOT


class InputError(SigstoreOfflineError):
    """A bundle, artifact or key is unreadable or malformed."""

    exit_code = EXIT_INPUT


def _rebuild(cls: type, message: str, step: Union[Step, str], hint: Optional[str]) -> SigstoreOfflineError:
    error: SigstoreOfflineError = cls(message, step=step, hint=hint)
    return error
