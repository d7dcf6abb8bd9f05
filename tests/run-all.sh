#!/usr/bin/env bash
# The whole test suite, as README.md gives it. It sets up its own environments:
#   1. .venv        -- the default Python with the project and its test extra (pytest, hypothesis,
#                      and the sigstore-python / pypi-attestations oracles);
#   2. .venv-debian -- Debian 12's /usr/bin/python3 with apt's python3-cryptography 38.0.4 and the
#                      project installed --no-deps, running the core suite (no oracle on the path);
#   3-5. the build roots of docs/build-roots.md, each on a pyenv interpreter (found through
#      `pyenv root`) with that root's cryptography from PyPI installed first, as the distribution
#      has it, then the project's wheel installed by pip's resolver, which must keep it:
#        .venv-rhel9      Python 3.9  + cryptography 36.0.1 (RHEL 9, its rebuilds, Amazon Linux 2023)
#        .venv-ubuntu2204 Python 3.10 + cryptography 3.4.8  (Ubuntu 22.04)
#        .venv-newest     the newest Python pyenv has + the newest cryptography on PyPI
#      Each runs the core suite (no oracles, no distribution package builds, which lanes 1 and 2
#      cover) against the installed package, real vectors included. They share one wheel.
# Every lane runs the official conformance harness (../shared/conformance-harness, read in place) from
# .venv-conformance, its own venv with its pinned requirements.txt (tests/test_conformance_harness.py).
# A lane whose interpreter or packages are missing is skipped with a message, unless
# SIGSTORE_OFFLINE_REQUIRE_ALL_LANES=1 (as in CI), where skipping is a failure.
# SIGSTORE_OFFLINE_LANES="3 4" runs only the lanes named (for development; lane 1 still sets up
# .venv, which builds the shared wheel, but runs no tests).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
REQUIRE_ALL=${SIGSTORE_OFFLINE_REQUIRE_ALL_LANES:-0}
LANES=${SIGSTORE_OFFLINE_LANES:-1 2 3 4 5}
wanted() { [[ " $LANES " == *" $1 "* ]]; }

skip_lane() {
  if [ "$REQUIRE_ALL" = 1 ]; then echo "FAIL: $1" >&2; exit 1; fi
  echo "SKIP: $1"
}

lap() { echo "== $1 took $(( $(date +%s) - $2 ))s"; }

start=$(date +%s)
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
if wanted 1; then .venv/bin/python -m pytest -q -p no:cacheprovider "$@"; fi
lap "lane 1" "$start"

lane_debian12() {
  local start sys_py=/usr/bin/python3
  start=$(date +%s)
  echo "== lane 2: Debian 12 system Python with python3-cryptography"
  if ! "$sys_py" -c 'import cryptography, pytest, hypothesis, hatchling' 2>/dev/null; then
    skip_lane "lane 2 needs /usr/bin/python3 with apt's python3-cryptography, python3-pytest, python3-hypothesis, python3-hatchling"
    return 0
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
  lap "lane 2" "$start"
}
if wanted 2; then lane_debian12 "$@"; fi

# --- lanes 3-5: distribution build roots on pyenv interpreters --------------------------------

pyenv_root() {
  if command -v pyenv >/dev/null 2>&1; then pyenv root; else echo "${PYENV_ROOT:-$HOME/.pyenv}"; fi
}

pyenv_versions() {
  local root
  root=$(pyenv_root)
  [ -d "$root/versions" ] && echo "$root/versions"
  return 0
}

# The newest installed CPython X.Y.Z whose version starts with $1 ("3.9", "3.10", or "3" for the newest).
find_python() {
  local dir prefix=$1 found=""
  dir=$(pyenv_versions)
  [ -n "$dir" ] || return 0
  found=$(cd "$dir" && ls -d -- * 2>/dev/null | grep -E "^${prefix//./\\.}(\.[0-9]+)*$" | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | tail -n 1 || true)
  if [ -n "$found" ] && [ -x "$dir/$found/bin/python3" ]; then echo "$dir/$found/bin/python3"; fi
}

# pip's notes about this machine's unreachable extra index locations are noise here.
quiet_pip() { grep -v "is ignored: it is neither a file nor a directory" || true; }

WHEEL_DIR=build/lanes-wheel
build_wheel() {
  if [ -z "$(ls "$WHEEL_DIR"/*.whl 2>/dev/null)" ]; then
    rm -rf "$WHEEL_DIR"
    .venv/bin/python -m pip wheel -q --no-deps -w "$WHEEL_DIR" . >/dev/null
  fi
  ls "$WHEEL_DIR"/*.whl
}

# lane NUMBER NAME PYTHON-PREFIX CRYPTOGRAPHY-VERSION ("" = newest) -- pytest args
build_root_lane() {
  local number=$1 name=$2 prefix=$3 pin=$4 start py venv wheel want have
  shift 4
  wanted "$number" || return 0
  start=$(date +%s)
  echo "== lane $number: $name (Python $prefix, cryptography ${pin:-newest})"
  py=$(find_python "$prefix")
  if [ -z "$py" ]; then
    skip_lane "lane $number ($name) needs CPython $prefix.x from pyenv (\`pyenv install $prefix\`; looked in $(pyenv_root)/versions)"
    return 0
  fi
  venv=.venv-$name
  rm -rf "$venv"
  "$py" -m venv "$venv"
  # The distribution's cryptography first, as its build root has it ...
  if ! "$venv/bin/python" -m pip install -q "cryptography${pin:+==$pin}" pytest hypothesis 2> >(quiet_pip >&2); then
    skip_lane "lane $number ($name): could not install cryptography${pin:+==$pin}, pytest, hypothesis from the package index"
    return 0
  fi
  want=$("$venv/bin/python" -c 'import cryptography; print(cryptography.__version__)')
  # ... then the project with pip's resolver (no --no-deps): it must keep that cryptography.
  wheel=$(build_wheel)
  "$venv/bin/python" -m pip install -q "$wheel" 2> >(quiet_pip >&2)
  have=$("$venv/bin/python" -c 'import cryptography; print(cryptography.__version__)')
  if [ "$want" != "$have" ]; then
    echo "FAIL: lane $number: installing the project changed cryptography $want -> $have" >&2
    exit 1
  fi
  echo "lane $number: $("$venv/bin/python" --version) cryptography $have (kept by pip's resolver) from $py"
  SIGSTORE_OFFLINE_LANE=$name SIGSTORE_OFFLINE_LANE_CRYPTOGRAPHY=${pin:-newest} \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider -m "not oracle" \
      --ignore=tests/test_packaging_debian.py --ignore=tests/test_packaging_rpm.py \
      --ignore=tests/test_packaging_gentoo.py --ignore=tests/test_packaging_portage.py \
      --ignore=tests/test_packaging_rpm_spec.py --ignore=tests/test_release.py \
      --ignore=tests/test_conformance_harness.py tests "$@"
  lap "lane $number" "$start"
}

rm -rf "$WHEEL_DIR"
build_root_lane 3 rhel9 3.9 36.0.1 "$@"
build_root_lane 4 ubuntu2204 3.10 3.4.8 "$@"
build_root_lane 5 newest 3 "" "$@"
lap "all lanes" "$start"
