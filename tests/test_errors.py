# SPDX-License-Identifier: Apache-2.0
"""The error hierarchy as public interface: one name per step (``errors.Step``), raised with the
enumeration everywhere, listed in verify-offline(1), printed as its bare wire string; caught
errors are wrapped (``with_context``), never edited."""

from __future__ import annotations

import ast
import json
import pathlib
import pickle
import re
from typing import Iterator, List, Tuple

import pytest

from sigstore_offline.errors import InputError, SigstoreOfflineError, Step, VerificationError

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "sigstore_offline"
MAN = ROOT / "man" / "verify-offline.1"

# Steps that only other commands end at, with the command that does.
NOT_VERIFY_OFFLINE = {
    Step.TUF_REFRESH: "sigstore-offline trust-root refresh",
    Step.DOWNLOAD: "sigstore-offline trust-root refresh",
    Step.ATTESTATION: "verify-offline pypi",
    Step.PROVENANCE: "verify-offline pypi",
    Step.STATEMENT: "verify-offline pypi",
    Step.PUBLISHER: "verify-offline pypi",
    Step.PREDICATE: "verify-offline github",
}


def _sources() -> Iterator[Tuple[pathlib.Path, ast.AST]]:
    for path in sorted(SRC.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_wire_strings_are_unique_and_numbered() -> None:
    values = [step.value for step in Step]
    assert len(values) == len(set(values))
    for step in Step:
        assert re.fullmatch(r"[a-z][a-z0-9-]*", step.value), step
        assert 0 <= step.number <= 8, step
    assert Step.BUNDLE.number == 1 and Step.TRUST_ROOT.number == 2 and Step.TIMESTAMP.number == 3
    assert Step.CERTIFICATE_CHAIN.number == 4 and Step.SCT.number == 5 and Step.IDENTITY.number == 6
    assert Step.SIGNATURE.number == 7 and Step.INCLUSION_PROOF.number == 8


@pytest.mark.parametrize("step", list(Step), ids=lambda step: step.value)
def test_step_prints_as_its_bare_value(step: Step) -> None:
    assert str(step) == step.value
    assert f"{step}" == step.value and f"{step:>20}" == f"{step.value:>20}"
    assert "%s" % step == step.value
    assert json.dumps({"step": step}) == json.dumps({"step": step.value})
    assert step == step.value  # callers comparing with the wire string keep working


def test_error_prints_and_pickles_with_its_step() -> None:
    error = VerificationError("proof too short", step=Step.INCLUSION_PROOF, hint="look")
    assert str(error) == "inclusion-proof: proof too short (hint: look)"
    again = pickle.loads(pickle.dumps(error))
    assert again.step is Step.INCLUSION_PROOF and str(again) == str(error)


@pytest.mark.parametrize("step", ["tlog", "inclusion_proof", "TLOG", None, 8])
def test_a_step_that_is_not_a_member_fails_loudly(step: object) -> None:
    with pytest.raises(TypeError):
        VerificationError("x", step=step)  # type: ignore[arg-type]


def test_no_step_is_allowed() -> None:
    assert InputError("x").step == ""
    assert InputError("x", step="").step == ""


def test_no_string_literal_is_passed_as_a_step() -> None:
    found: List[str] = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    value = keyword.value
                    if keyword.arg == "step" and isinstance(value, ast.Constant) and isinstance(value.value, str) \
                            and value.value:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: step={value.value!r}")
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id.endswith("STEP"):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {target.id} = {node.value.value!r}")
    assert not found, "raise with errors.Step members:\n" + "\n".join(found)


def test_caught_errors_are_wrapped_not_edited() -> None:
    found: List[str] = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            targets: List[ast.AST] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            for target in targets:
                for part in ast.walk(target):
                    if isinstance(part, ast.Attribute) and part.attr in ("hint", "message", "args", "step") \
                            and not (isinstance(part.value, ast.Name) and part.value.id == "self"):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: assigns .{part.attr}")
    assert not found, "use exc.with_context(...) instead:\n" + "\n".join(found)


def test_with_context_makes_a_new_error() -> None:
    error = VerificationError("no entry", step=Step.TLOG)
    wrapped = error.with_context(prefix="a.whl: ", hint="try --staging")
    assert wrapped is not error and type(wrapped) is VerificationError
    assert (wrapped.step, wrapped.message, wrapped.hint) == (Step.TLOG, "a.whl: no entry", "try --staging")
    assert (error.message, error.hint) == ("no entry", None)
    assert isinstance(wrapped, SigstoreOfflineError)


def _diagnostics_steps() -> List[str]:
    text = MAN.read_text(encoding="utf-8")
    section = text[text.index(".Sh DIAGNOSTICS"):]
    section = section[:section.index("\n.Sh ", 1)]
    listing = section[section.index("The step is one of"):]
    listing = listing[:listing.index(" .\n") + 3]
    return re.findall(r"^\.Ql ([a-z-]+) [,.]$", listing, re.M)


def test_man_page_lists_every_step_verify_offline_can_end_at() -> None:
    listed = _diagnostics_steps()
    assert len(listed) == len(set(listed)), listed
    expected = {step.value for step in Step if step not in NOT_VERIFY_OFFLINE}
    assert set(listed) == expected, (sorted(expected - set(listed)), sorted(set(listed) - expected))


def test_the_library_example_in_verify_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import doctest

    import sigstore_offline.verify

    monkeypatch.chdir(ROOT)
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = finder.find(sigstore_offline.verify)
    assert tests and tests[0].examples
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
