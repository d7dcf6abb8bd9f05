# SPDX-License-Identifier: Apache-2.0
"""Public means listed and documented: ``__all__`` in every public module, an identity policy that
cannot be built half-configured, and the pipeline in one function per numbered step."""

from __future__ import annotations

import ast
import importlib
import inspect
import pathlib
import pickle
import re
from typing import List

import pytest

from sigstore_offline.errors import Step, VerificationError
from sigstore_offline.policy import CertificateIdentity, Identity

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "sigstore_offline"
PUBLIC_MODULES = sorted(
    ".".join(("sigstore_offline",) + path.relative_to(SRC).with_suffix("").parts).replace(".__init__", "")
    for path in SRC.rglob("*.py")
    if not path.name.startswith("_") or path.name == "__init__.py"
    if not any(part.startswith("_") and part != "__init__.py" for part in path.relative_to(SRC).parts)
)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_module_lists_its_names(name: str) -> None:
    path = SRC.joinpath(*name.split(".")[1:])
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    listed = [node for node in tree.body
              if isinstance(node, (ast.Assign, ast.AnnAssign))
              and any(isinstance(t, ast.Name) and t.id == "__all__"
                      for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))]
    assert listed, f"{name} has no __all__"
    module = importlib.import_module(name)
    missing = [item for item in module.__all__ if not hasattr(module, item)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"
    assert not [item for item in module.__all__ if item.startswith("_") and item != "__version__"]


def test_public_verify_functions_say_what_they_raise() -> None:
    undocumented: List[str] = []
    for name in PUBLIC_MODULES:
        if name.startswith("sigstore_offline.cli"):
            continue
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", ()):
            item = getattr(module, attr)
            if attr.startswith("verify") and inspect.isfunction(item) and item.__module__ == name:
                doc = inspect.getdoc(item) or ""
                if "Raises" not in doc and "Raises nothing" not in doc:
                    undocumented.append(f"{name}.{attr}")
    assert not undocumented, undocumented


def test_public_named_tuples_of_the_verify_path_are_documented() -> None:
    from sigstore_offline import model
    from sigstore_offline.trust import trusted_root
    from sigstore_offline.verify import checkpoint, pipeline, rfc3161

    for module in (model, trusted_root, pipeline, checkpoint, rfc3161):
        for attr in module.__all__:
            item = getattr(module, attr)
            if isinstance(item, type) and issubclass(item, tuple) and hasattr(item, "_fields"):
                assert item.__doc__ and item.__doc__ != f"{attr}({', '.join(item._fields)})", f"{module.__name__}.{attr}"
    for sentinel in ("public_key_hint", "None", '""'):
        assert sentinel in (model.Bundle.__doc__ or "")
    assert "integrated_time" in (model.TlogEntry.__doc__ or "") and "None" in (model.TlogEntry.__doc__ or "")


# --- a value that can be built is valid ---------------------------------------------------


def test_identity_needs_both_forms() -> None:
    with pytest.raises(TypeError):
        Identity(san="a@example.org")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Identity(san=None, issuer="https://issuer")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Identity(san="a@example.org", issuer=b"https://issuer")  # type: ignore[arg-type]
    policy = Identity("a", "b")
    with pytest.raises(AttributeError):
        policy.issuer = None  # type: ignore[misc]
    assert policy == Identity(san="a", issuer="b") and hash(policy) == hash(Identity("a", "b"))


@pytest.mark.parametrize("fields", [
    {"san": "a", "san_regexp": "b", "issuer": "c"},
    {"san": "a"},
    {"issuer": "c"},
    {"san": "a", "issuer": "c", "issuer_regexp": "d"},
    {},
])
def test_identity_build_refuses_half_configured(fields: dict) -> None:
    with pytest.raises(ValueError):
        Identity.build(**fields)


def test_identity_forms_match_as_before() -> None:
    found = CertificateIdentity(sans=("x@example.org", "y@example.org"), issuer="https://issuer.example")
    Identity.build(san="y@example.org", issuer="https://issuer.example").check(found)
    Identity.build(san_regexp=r"y@.*", issuer_regexp=r"https://issuer\..*").check(found)
    policy = Identity(san=re.compile(r"z@.*"), issuer="https://issuer.example")
    with pytest.raises(VerificationError) as caught:
        policy.check(found)
    assert caught.value.step is Step.IDENTITY
    assert caught.value.message == "certificate identity is x@example.org, y@example.org, expected /z@.*/"
    with pytest.raises(VerificationError, match=r"OIDC issuer is https://issuer.example, expected /o.*/"):
        Identity.build(san="x@example.org", issuer_regexp="o.*").check(found)
    assert policy.describe() == "/z@.*/ (https://issuer.example)"
    assert pickle.loads(pickle.dumps(policy)) == policy


# --- the pipeline reads like its docstring ------------------------------------------------


def test_verify_calls_one_function_per_step_in_order() -> None:
    from sigstore_offline.verify import pipeline

    source = inspect.getsource(pipeline.verify)
    calls = re.findall(r"\b(_step\d_[a-z]+)\(", source)
    assert calls == ["_step3_times", "_step4_chain", "_step5_scts", "_step6_identity", "_step7_artifact",
                     "_step8_entries", "_step9_result"]
    for name in calls:
        assert name in (pipeline.__doc__ or ""), name
