#!/usr/bin/env bash
# The whole test suite, as README.md gives it. It sets up its own environments:
#   1. .venv        -- the default Python with the project and its test extra (pytest, hypothesis,
#                      and the sigstore-python / pypi-attestations oracles);
#   2. .venv-debian -- Debian 12's /usr/bin/python3 with apt's python3-cryptography 38.0.4 and the
#                      project installed --no-deps, running the core suite (no oracle on the path).
# Both lanes run the official conformance harness (../shared/conformance-harness, read in place) from
# .venv-conformance, its own venv with its pinned requirements.txt (tests/test_conformance_harness.py).
# The second lane is skipped with a message when apt's packages are absent, unless
# SIGSTORE_OFFLINE_REQUIRE_ALL_LANES=1 (as in CI), where skipping is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

echo "== lane 1: $($PY --version) with the test extra"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'
harness=../shared/conformance-harness
if [ -f "$harness/requirements.txt" ]; then  # absent: the harness test skips (fails in CI)
  [ -x .venv-conformance/bin/python ] || "$PY" -m venv .venv-conformance
  .venv-conformance/bin/python -m pip install -q -r "$harness/requirements.txt"
fi
# Portage from PyPI (pure Python, with ebuild.sh and its helpers) for tests/test_packaging_portage.py:
# ebuild(1) runs packaging/gentoo's eclass and ebuilds. A venv of its own: Portage treats its
# sys.prefix as the build host's prefix.
if [ ! -x .venv-portage/bin/python ] || ! .venv-portage/bin/python -c 'import portage' 2>/dev/null; then
  rm -rf .venv-portage
  "$PY" -m venv .venv-portage
  .venv-portage/bin/python -m pip install -q portage==3.0.83 || echo "warning: could not install Portage (the Portage tests will skip, or fail in CI)"
fi
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"

echo "== lane 2: Debian 12 system Python with python3-cryptography"
sys_py=/usr/bin/python3
if ! "$sys_py" -c 'import cryptography, pytest, hypothesis, hatchling' 2>/dev/null; then
  msg="lane 2 needs /usr/bin/python3 with apt's python3-cryptography, python3-pytest, python3-hypothesis, python3-hatchling"
  if [ "${SIGSTORE_OFFLINE_REQUIRE_ALL_LANES:-0}" = 1 ]; then echo "FAIL: $msg" >&2; exit 1; fi
  echo "SKIP: $msg"; exit 0
fi
rm -rf .venv-debian
"$sys_py" -m venv --system-site-packages .venv-debian
# A real (non-editable) install: proves the wheel carries the trust roots; --no-deps and no
# build isolation: nothing from PyPI reaches this lane.
.venv-debian/bin/python -m pip install -q --no-deps --no-build-isolation --no-index . 2>&1 | grep -v "^$" || true
.venv-debian/bin/python - <<'PY'
import cryptography, sys
import sigstore_offline
print("lane 2: python", sys.version.split()[0], "cryptography", cryptography.__version__, "from", sigstore_offline.__file__)
if "site-packages" not in sigstore_offline.__file__:
    sys.exit("lane 2 must test the installed package, not the source tree")
PY
# The core suite, run from the repository: src/ is not on sys.path, so every import resolves to
# the installed package (checked by tests/test_sandbox.py::test_lane_uses_what_it_should).
SIGSTORE_OFFLINE_LANE=debian12 .venv-debian/bin/python -m pytest -q -p no:cacheprovider -m "not oracle" tests "$@"
