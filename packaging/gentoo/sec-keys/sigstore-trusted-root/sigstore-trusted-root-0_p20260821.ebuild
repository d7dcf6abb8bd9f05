# Copyright 2026 sigstore-offline developers
# Distributed under the terms of the GNU General Public License v2

EAPI=8

# The Sigstore public-good production trust root, as its TUF repository serves it
# (root-signing commit 60cf2ce8, 2026-08-21: root v15, targets v14). TUF names each
# target by its SHA-256, which the Manifest pins again; nothing is packed from a
# ${HOME}. Replaces the packed-${HOME} tarball this package used to carry.
TRUSTED_ROOT_SHA256=6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66
TUF_ROOT_VERSION=15

DESCRIPTION="Sigstore production trust root (trusted_root.json) for offline verification"
HOMEPAGE="
	https://www.sigstore.dev/
	https://github.com/sigstore/root-signing
"
SRC_URI="
	https://tuf-repo-cdn.sigstore.dev/targets/${TRUSTED_ROOT_SHA256}.trusted_root.json
		-> ${P}.trusted_root.json
	https://tuf-repo-cdn.sigstore.dev/${TUF_ROOT_VERSION}.root.json
		-> ${P}.root.json
"
S=${WORKDIR}

LICENSE="Apache-2.0"
SLOT="0"
KEYWORDS="~amd64 ~arm64"

src_unpack() {
	# JSON files: nothing to unpack.
	:
}

src_install() {
	# The layout app-crypt/sigstore-offline and verify-sig.eclass read:
	# /usr/share/sigstore-offline/trust-roots/<instance>/.
	insinto /usr/share/sigstore-offline/trust-roots/sigstore
	newins "${DISTDIR}/${P}.trusted_root.json" trusted_root.json
	newins "${DISTDIR}/${P}.root.json" root.json
}
