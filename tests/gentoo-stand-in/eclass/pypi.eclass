# SPDX-License-Identifier: Apache-2.0
# Test stand-in for ::gentoo's pypi.eclass: see tests/gentoo-stand-in/README.md.
# Only what app-crypt/sigstore-offline uses: the sdist URL and S.

# @ECLASS: pypi.eclass
# @BLURB: TEST STAND-IN: SRC_URI and S of a PyPI sdist

case ${EAPI} in
	8) ;;
	*) die "${ECLASS} (stand-in): EAPI ${EAPI:-0} not supported" ;;
esac

if [[ -z ${_PYPI_STAND_IN} ]]; then
_PYPI_STAND_IN=1

# @FUNCTION: pypi_normalize_name
# @USAGE: <name>
# @DESCRIPTION:
# The project name as sdist file names spell it: lower case, every run of
# "-", "_" and "." one "_".
pypi_normalize_name() {
	local name=${1,,} out= sep=
	local c i
	for (( i = 0; i < ${#name}; i++ )); do
		c=${name:i:1}
		if [[ ${c} == [-_.] ]]; then
			sep=_
		else
			out+=${sep}${c}
			sep=
		fi
	done
	echo "${out}"
}

# @FUNCTION: pypi_sdist_url
# @USAGE: [<project> [<version>]]
# @DESCRIPTION:
# The files.pythonhosted.org URL of the sdist (default: ${PN}, ${PV}).
pypi_sdist_url() {
	local project=${1-${PN}} version=${2-${PV}}
	echo "https://files.pythonhosted.org/packages/source/${project::1}/${project}/$(pypi_normalize_name "${project}")-${version}.tar.gz"
}

SRC_URI="$(pypi_sdist_url)"
S="${WORKDIR}/$(pypi_normalize_name "${PN}")-${PV}"

fi
