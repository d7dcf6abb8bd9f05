# SPDX-License-Identifier: Apache-2.0
# Test stand-in for ::gentoo's python-r1.eclass (and python-utils-r1): see
# tests/gentoo-stand-in/README.md.  Only what app-crypt/sigstore-offline uses.

# @ECLASS: python-r1.eclass
# @BLURB: TEST STAND-IN: one Python implementation from PYTHON_COMPAT, in BROOT

case ${EAPI} in
	8) ;;
	*) die "${ECLASS} (stand-in): EAPI ${EAPI:-0} not supported" ;;
esac

if [[ -z ${_PYTHON_R1_STAND_IN} ]]; then
_PYTHON_R1_STAND_IN=1

[[ ${#PYTHON_COMPAT[@]} -gt 0 ]] || die "${ECLASS} (stand-in): PYTHON_COMPAT is empty"

_python_impls=()
_python_flags=()
_impl=
for _impl in "${PYTHON_COMPAT[@]}"; do
	[[ ${_impl} =~ ^python3_[0-9]+$ ]] ||
		die "${ECLASS} (stand-in): unknown implementation ${_impl}"
	_python_impls+=( "${_impl}" )
	_python_flags+=( "python_targets_${_impl}(-)?" )
done
unset _impl

IUSE="${_python_impls[*]/#/python_targets_}"
PYTHON_USEDEP=$(IFS=,; echo "${_python_flags[*]}")
PYTHON_DEPS="dev-lang/python"
PYTHON_REQUIRED_USE="|| ( ${IUSE} )"
unset _python_flags

# @FUNCTION: python_setup
# @DESCRIPTION:
# Set EPYTHON and PYTHON to the first implementation of PYTHON_COMPAT enabled
# in PYTHON_TARGETS whose interpreter is in ${BROOT}/usr/bin.  (::gentoo's
# python-r1 runs every enabled one in turn.)
python_setup() {
	local impl
	for impl in "${_python_impls[@]}"; do
		use "python_targets_${impl}" || continue
		if [[ -x ${BROOT}/usr/bin/${impl/_/.} ]]; then
			export EPYTHON=${impl/_/.}
			export PYTHON=${BROOT}/usr/bin/${EPYTHON}
			return 0
		fi
	done
	die "${ECLASS} (stand-in): no implementation of PYTHON_TARGETS (${PYTHON_COMPAT[*]}) in ${BROOT}/usr/bin"
}

# @FUNCTION: python_get_sitedir
# @DESCRIPTION:
# The site-packages directory of EPYTHON, with EPREFIX (Gentoo's layout).
python_get_sitedir() {
	[[ -n ${EPYTHON} ]] || die "${FUNCNAME}: no EPYTHON (call python_setup)"
	echo "${EPREFIX}/usr/lib/${EPYTHON}/site-packages"
}

# @FUNCTION: python_foreach_impl
# @USAGE: <command> [<args>...]
# @DESCRIPTION:
# Run <command> for the one implementation python_setup picks, with BUILD_DIR.
python_foreach_impl() {
	python_setup
	local -x BUILD_DIR=${WORKDIR}/${P}-${EPYTHON/./_}
	mkdir -p "${BUILD_DIR}" || die
	"${@}"
}

# @FUNCTION: epytest
# @USAGE: [<pytest args>...]
# @DESCRIPTION:
# Run pytest with EPYTHON; die when it fails.
epytest() {
	local args=( -vv -ra -p no:cacheprovider "${@}" )
	einfo "${EPYTHON} -m pytest ${args[*]}"
	"${EPYTHON}" -m pytest "${args[@]}" || die -n "pytest failed with ${EPYTHON}"
}

fi
