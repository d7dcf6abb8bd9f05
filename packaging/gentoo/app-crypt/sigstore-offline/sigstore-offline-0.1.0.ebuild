# Copyright 2026 sigstore-offline developers
# Distributed under the terms of the GNU General Public License v2
# SPDX-License-Identifier: GPL-2.0-only

EAPI=8

DISTUTILS_USE_PEP517=hatchling
PYTHON_COMPAT=( python3_{11..14} )

inherit distutils-r1 pypi

DESCRIPTION="Offline, fail-closed verification of Sigstore bundles for build sandboxes"
HOMEPAGE="https://pypi.org/project/sigstore-offline/"

LICENSE="Apache-2.0"
SLOT="0"
KEYWORDS="~amd64 ~arm64"

# The verifier's only runtime dependency is cryptography; the trust root comes
# from sec-keys/sigstore-trusted-root instead of the copy inside the wheel.
RDEPEND="
	>=dev-python/cryptography-3.4.8[${PYTHON_USEDEP}]
	sec-keys/sigstore-trusted-root
"
BDEPEND="
	test? (
		dev-python/hypothesis[${PYTHON_USEDEP}]
	)
"

distutils_enable_tests pytest

python_test() {
	# The suite skips what needs ../shared (the project's external vectors).
	epytest -m "not oracle and not slow" tests
}

python_install() {
	distutils-r1_python_install
	# Use the snapshot of sec-keys/sigstore-trusted-root, not the wheel's copy.
	local package=$(python_get_sitedir)/sigstore_offline
	rm -r "${D}${package}/trust_roots" || die
	dosym -r /usr/share/sigstore-offline/trust-roots "${package}/trust_roots"
}

python_install_all() {
	distutils-r1_python_install_all
	local page
	for page in man/*.[1-8]; do
		# dh_sigstore_verify(1) documents Debian's debhelper addon.
		[[ ${page} == man/dh_sigstore_verify.1 ]] || doman "${page}"
	done
}
