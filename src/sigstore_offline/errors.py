"""One exception hierarchy; each class carries its exit code.

Split by whose fault it is (see docs/adr/0002-exit-codes.md):

* :class:`VerificationError` -- the input is well formed but must not be trusted (exit 1).
* :class:`UsageError` -- the command line is wrong (exit 2).
* :class:`TrustRootError` -- the operator's trust material is missing, corrupt or too old (exit 3).
* :class:`InputError` -- a bundle, artifact or key is unreadable or malformed (exit 4).
* anything else is a bug (exit 5).
"""

from __future__ import annotations

from typing import Optional

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TRUST_ROOT = 3
EXIT_INPUT = 4
EXIT_BUG = 5


class SigstoreOfflineError(Exception):
    """Base class. ``exit_code`` says how the CLI ends; ``step`` names where it happened."""

    exit_code = EXIT_BUG

    def __init__(self, message: str, *, step: str = "", hint: Optional[str] = None) -> None:
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


def _rebuild(cls: type, message: str, step: str, hint: Optional[str]) -> SigstoreOfflineError:
    error: SigstoreOfflineError = cls(message, step=step, hint=hint)
    return error
