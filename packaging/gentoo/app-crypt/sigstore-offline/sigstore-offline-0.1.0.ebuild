# Copyright 2026 sigstore-offline developers
# Distributed under the terms of the GNU General Public License v2
# SPDX-License-Identifier: GPL-2.0-only

EAPI=8

DISTUTILS_USE_PEP517=hatchling
PYTHON_COMPAT=( python3_{11..14} )

inherit distutils-r1 pypi

DESCRIPTION="Offline, fail-closed verification of Sigstore bundles for build sandboxes"
HOMEPAGE="https://pypi.org/project/sigstore-offline/"

# MIT: the imported GitHub trust root in the wheel (LICENSE.MIT).
LICENSE="Apache-2.0 MIT"
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
	# Smoke test: the built verify-offline, with the wheel's trust root, verifies a real
	# production bundle shipped in the sdist, by digest; no network, no ${HOME}.
	verify-offline \
		--bundle docs/examples/pypi_attestation_models-0.0.4a2.tar.gz.sigstore \
		--cert-identity https://github.com/trailofbits/pypi-attestation-models/.github/workflows/release.yml@refs/tags/v0.0.4a2 \
		--cert-oidc-issuer https://token.actions.githubusercontent.com \
		sha256:c9709ce6fd5b67b59b4a28758cf14d3f411803c4b89b6068b1f1a8e4ee94c8ef ||
		die "verify-offline smoke test failed"
	# The suite, as the RPM's %check runs it: not the oracles (sigstore-python,
	# pypi-attestations: not dependencies), the refresh job's tests (python-tuf),
	# the slow ones, the packaging and release tests (they build packages and the
	# sdist) and the random-input fuzz tests.  What needs the project's shared
	# test vectors (../shared) skips with its reason.
	epytest -m "not oracle and not slow" \
		--ignore-glob='tests/test_packaging_*.py' --ignore=tests/test_release.py \
		--ignore-glob='tests/test_refresh_*.py' --ignore=tests/test_fuzz_bundles.py \
		tests
}

python_install() {
	distutils-r1_python_install
	# Use the snapshot of sec-keys/sigstore-trusted-root, not the wheel's copy.
	# python_get_sitedir includes ${EPREFIX} (so ${D}, not ${ED}); dosym adds it.
	local package=$(python_get_sitedir)/sigstore_offline
	rm -r "${D}${package}/trust_roots" || die
	dosym -r /usr/share/sigstore-offline/trust-roots "${package#"${EPREFIX}"}/trust_roots"
}

python_install_all() {
	distutils-r1_python_install_all
	local page
	for page in man/*.[1-8]; do
		# dh_sigstore_verify(1) documents Debian's debhelper addon.
		[[ ${page} == man/dh_sigstore_verify.1 ]] || doman "${page}"
	done
}
