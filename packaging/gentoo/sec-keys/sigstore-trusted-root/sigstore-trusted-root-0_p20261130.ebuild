# Copyright 2026 sigstore-offline developers
# Distributed under the terms of the GNU General Public License v2
# SPDX-License-Identifier: GPL-2.0-only

EAPI=8

# The Sigstore trust-root snapshots sigstore-offline verifies against (production
# "sigstore" and staging "sigstage"), as `sigstore-offline trust-root refresh`
# wrote them on 2026-08-27 from the TUF repositories published on 2026-08-21
# (production: root v15, targets v14, timestamp v762; staging: root v14,
# targets v28, timestamp v703). Every file is TUF-proven except the anchor root
# each refresh started from; `sigstore-offline trust-root verify --at refreshed
# --require-fresh /usr/share/sigstore-offline/trust-roots/sigstore` re-checks it.
# The third snapshot, "github" (GitHub's own Sigstore instance, which
# `verify-offline github` reads), was imported on 2026-11-30 with
# `sigstore-offline trust-root import` from what the GitHub CLI distributes: it is
# not TUF-proven until a refresh job runs `trust-root refresh --instance github`.
#
# The distfile is packaging/refresh-job/snapshot-tarball's reproducible tar of
# the reviewed trust-roots/ directory (docs/trust-roots.md, "Gentoo"): anyone can
# rebuild it from the sigstore-offline repository and compare with the Manifest.
# The package version is the refresh date; an update is a new version, reviewed
# by the refresh diff, and reaches build roots with the next world update.
SNAPSHOT_DATE=${PV#0_p}
TRUSTED_ROOT_SHA256=6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66
TRUSTED_ROOT_SIZE=6787

DESCRIPTION="Sigstore trust-root snapshots for offline verification"
HOMEPAGE="
	https://www.sigstore.dev/
	https://github.com/sigstore/root-signing
"
SRC_URI="https://dev.gentoo.org/~sigstore-offline/distfiles/sigstore-offline-trust-roots-${SNAPSHOT_DATE}.tar"
S=${WORKDIR}

# MIT: github/ (GitHub's trust root, as the GitHub CLI distributes it).
LICENSE="Apache-2.0 MIT"
SLOT="0"
KEYWORDS="~amd64 ~arm64"

src_compile() {
	# The production trusted_root.json must be the TUF target this version names.
	# stat -L: the size of the file, never of a symlink to it (Portage links distfiles).
	local tr=sigstore/trusted_root.json sum size
	sum=$(sha256sum "${tr}" | cut -d' ' -f1) || die
	size=$(stat -L -c %s "${tr}") || die
	[[ ${sum} == "${TRUSTED_ROOT_SHA256}" && ${size} == "${TRUSTED_ROOT_SIZE}" ]] ||
		die "${tr} is not the TUF target ${TRUSTED_ROOT_SHA256} (${TRUSTED_ROOT_SIZE} bytes)"
	local instance
	for instance in sigstore sigstage; do
		[[ -f ${instance}/manifest.json && -f ${instance}/timestamp.json ]] ||
			die "${instance}: not a TUF-proven snapshot"
	done
	# Imported, not refreshed: a manifest and the two pinned files, no TUF timestamp.
	[[ -f github/manifest.json && -f github/trusted_root.json && -f github/root.json ]] ||
		die "github: not a snapshot"
}

src_install() {
	# The layout app-crypt/sigstore-offline and verify-sig.eclass read:
	# /usr/share/sigstore-offline/trust-roots/<instance>/, owned by this package.
	insinto /usr/share/sigstore-offline/trust-roots
	doins -r sigstore sigstage github
}
