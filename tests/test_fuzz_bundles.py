# SPDX-License-Identifier: Apache-2.0
"""Hypothesis fuzzing of bundle parsing and of the whole pipeline on mutated real bundles.

Requirement under test: whatever the bytes, verify-offline ends with a documented exit code and a
one-line message, never a traceback, and never passes a bundle that differs in meaning from a
genuine one.
"""

from __future__ import annotations

import base64
import json
import pathlib
from typing import Any, List, Tuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import CONFORMANCE, EXAMPLE_BUNDLE, EXAMPLE_DIGEST, EXAMPLE_IDENTITY, GITHUB_ISSUER, run_cli
from sigstore_offline.errors import InputError
from sigstore_offline.model import MessageSignature, parse_bundle

DEFAULT_IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)


def _corpus() -> List[Tuple[bytes, List[str]]]:
    """(bundle bytes, argv without --bundle) for genuine bundles that verify."""
    corpus = [(EXAMPLE_BUNDLE.read_bytes(), ["--cert-identity", EXAMPLE_IDENTITY, "--cert-oidc-issuer", GITHUB_ISSUER,
                                             EXAMPLE_DIGEST])]
    if CONFORMANCE.is_dir():
        import hashlib

        digest = "sha256:" + hashlib.sha256((CONFORMANCE / "a.txt").read_bytes()).hexdigest()
        for name in ("happy-path-v0.1", "happy-path-v0.3", "rekor2-happy-path", "happy-path-intoto-in-dsse-v3"):
            case = CONFORMANCE / name
            argv = ["--cert-identity", DEFAULT_IDENTITY, "--cert-oidc-issuer", "https://token.actions.githubusercontent.com"]
            if (case / "trusted_root.json").exists():
                argv += ["--trusted-root", str(case / "trusted_root.json")]
            else:
                argv += ["--trusted-root", str(CONFORMANCE.parent / "production_trusted_root.json")]
            corpus.append(((case / "bundle.sigstore.json").read_bytes(), argv + [digest]))
    return corpus


CORPUS = _corpus()


def _run(tmp: pathlib.Path, data: bytes, argv: List[str]) -> Tuple[int, str, str]:
    path = tmp / "fuzzed.sigstore"
    path.write_bytes(data)
    return run_cli(["--bundle", str(path), *argv])


def _same_meaning(original: bytes, mutated: bytes) -> bool:
    """True when ``mutated`` is ``original`` with at most some optional evidence removed (a
    message digest, a v0.1 inclusion proof or its checkpoint, a SET, timestamps): such a bundle may
    still verify; any other difference must not."""
    try:
        before, after = parse_bundle(original), parse_bundle(mutated)
    except InputError:
        return False
    if isinstance(before.content, MessageSignature) and isinstance(after.content, MessageSignature):
        if after.content.digest is None:
            before = before._replace( content=before.content._replace( digest=None, digest_algorithm=None)
            )
    if not after.rfc3161_timestamps:
        before = before._replace( rfc3161_timestamps=())
    if len(before.tlog_entries) == len(after.tlog_entries):
        entries = []
        for old, new in zip(before.tlog_entries, after.tlog_entries):
            if new.inclusion_proof is None:
                old = old._replace( inclusion_proof=None)
            elif new.inclusion_proof.checkpoint is None and old.inclusion_proof is not None:
                old = old._replace( inclusion_proof=old.inclusion_proof._replace( checkpoint=None))
            if new.inclusion_promise is None:
                old = old._replace( inclusion_promise=None)
            entries.append(old)
        before = before._replace( tlog_entries=tuple(entries))
    return before == after


def _check(original: bytes, mutated: bytes, argv: List[str], tmp: pathlib.Path) -> None:
    code, out, err = _run(tmp, mutated, argv)
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 0:
        assert _same_meaning(original, mutated), "a bundle that differs from the genuine one verified"
    else:
        assert code in (1, 4), err
        assert len(err.strip().splitlines()) == 1 and not out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, len(CORPUS) - 1), data=st.data())
def test_byte_flips_never_crash_or_pass(tmp_path: pathlib.Path, which: int, data: st.DataObject) -> None:
    original, argv = CORPUS[which]
    position = data.draw(st.integers(0, len(original) - 1))
    value = data.draw(st.integers(0, 255))
    mutated = original[:position] + bytes([value]) + original[position + 1 :]
    _check(original, mutated, argv, tmp_path)


def _paths(node: Any, prefix: Tuple[Any, ...] = ()) -> List[Tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, prefix + (index,))
    return found


_REPLACEMENTS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**64), 2**64), st.text(max_size=20), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, len(CORPUS) - 1), data=st.data())
def test_structural_mutations_never_crash_or_pass(tmp_path: pathlib.Path, which: int, data: st.DataObject) -> None:
    original, argv = CORPUS[which]
    doc = json.loads(original)
    path = data.draw(st.sampled_from(_paths(doc)))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    action = data.draw(st.sampled_from(["replace", "delete", "bitflip"]))
    if action == "delete":
        del parent[path[-1]]
    elif action == "bitflip" and isinstance(parent[path[-1]], str):
        try:
            raw = base64.b64decode(parent[path[-1]], validate=True)
        except ValueError:
            raw = b""
        if raw:
            index = data.draw(st.integers(0, len(raw) - 1))
            raw = raw[:index] + bytes([raw[index] ^ (1 << data.draw(st.integers(0, 7)))]) + raw[index + 1 :]
            parent[path[-1]] = base64.b64encode(raw).decode()
        else:
            parent[path[-1]] = parent[path[-1]] + "x"
    else:
        parent[path[-1]] = data.draw(_REPLACEMENTS)
    _check(original, json.dumps(doc).encode(), argv, tmp_path)
