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

src_compile() {
	# The snapshot manifest sigstore-offline checks before it trusts trusted_root.json
	# (sigstore-offline-snapshot(5)): every file pinned by sha256 and length.
	local tr="${DISTDIR}/${P}.trusted_root.json" rt="${DISTDIR}/${P}.root.json"
	local tr_sum rt_sum
	tr_sum=$(sha256sum "${tr}" | cut -d' ' -f1) || die
	rt_sum=$(sha256sum "${rt}" | cut -d' ' -f1) || die
	[[ ${tr_sum} == "${TRUSTED_ROOT_SHA256}" ]] || die "trusted_root.json is not the TUF target ${TRUSTED_ROOT_SHA256}"
	cat > manifest.json <<-EOF || die
	{"format": "sigstore-offline-trust-root/1", "instance": "sigstore",
	 "tuf_url": "https://tuf-repo-cdn.sigstore.dev", "source": "${CATEGORY}/${PF}",
	 "refreshed_at": "2026-08-21T00:00:00Z", "tool_version": "", "tuf_versions": {"root": ${TUF_ROOT_VERSION}},
	 "files": {
	  "trusted_root.json": {"sha256": "${tr_sum}", "length": $(stat -c %s "${tr}"), "tuf_proven": false},
	  "root.json": {"sha256": "${rt_sum}", "length": $(stat -c %s "${rt}"), "tuf_proven": false}}}
	EOF
}

src_install() {
	# The layout app-crypt/sigstore-offline and verify-sig.eclass read:
	# /usr/share/sigstore-offline/trust-roots/<instance>/.
	insinto /usr/share/sigstore-offline/trust-roots/sigstore
	newins "${DISTDIR}/${P}.trusted_root.json" trusted_root.json
	newins "${DISTDIR}/${P}.root.json" root.json
	doins manifest.json
}
