# Copyright 2026 sigstore-offline developers
# Distributed under the terms of the GNU General Public License v2
# SPDX-License-Identifier: GPL-2.0-only

# @ECLASS: verify-sig.eclass
# @MAINTAINER:
# sigstore-offline developers <sigstore-offline@example.org>
# @SUPPORTED_EAPIS: 7 8
# @BLURB: Verify upstream signatures on distfiles; Sigstore bundles offline
# @DESCRIPTION:
# An overlay eclass with the interface of ::gentoo's verify-sig.eclass
# (VERIFY_SIG_METHOD, verify-sig_verify_detached, verify-sig_src_unpack and the
# checksum helpers), whose VERIFY_SIG_METHOD=sigstore runs verify-offline from
# app-crypt/sigstore-offline against the trust-root snapshot installed by
# sec-keys/sigstore-trusted-root.  Nothing is copied into ${HOME}, nothing is
# fetched: verify-offline never reads ${HOME} and never opens a socket, so it
# runs inside Portage's network-sandbox.
#
# The sigstore branch of verify-sig_verify_detached is the part meant for
# ::gentoo: it is the sigstore-python command line with "sigstore" replaced by
# "verify-offline", without the ${HOME} set-up.  A signature file named
# *.provenance is PyPI's PEP 740 provenance of an sdist or wheel (as pypi.eclass
# fetches them), checked with "verify-offline pypi" against the Trusted
# Publisher.  One named *.jsonl holds GitHub's artifact attestations of the
# file, as "gh attestation download" writes them, checked with sigstoreverify.
# The openpgp and signify branches run the same programs as ::gentoo's eclass.
#
# See docs/packagers.md (Gentoo) of sigstore-offline, and sigstoreverify(1).
#
# @EXAMPLE:
# CPython 3.14 publishes a Sigstore bundle per release file:
#
# @CODE
# VERIFY_SIG_METHOD=sigstore
# VERIFY_SIG_CERT_IDENTITY=hugo@python.org
# VERIFY_SIG_CERT_OIDC_ISSUER=https://github.com/login/oauth
# inherit verify-sig
#
# SRC_URI="
#   https://www.python.org/ftp/python/${PV}/Python-${PV}.tar.xz
#   verify-sig? (
#     https://www.python.org/ftp/python/${PV}/Python-${PV}.tar.xz.sigstore
#   )
# "
#
# src_unpack() {
#   if use verify-sig; then
#     verify-sig_verify_detached "${DISTDIR}"/Python-${PV}.tar.xz{,.sigstore}
#   fi
#   default
# }
# @CODE
#
# An sdist from PyPI, uploaded with Trusted Publishing from GitHub Actions: its
# provenance comes from PyPI's Integrity API, renamed to FILENAME.provenance,
# and the publisher is the repository and workflow (no release tag to update).
# verify-sig_src_unpack pairs FILENAME with FILENAME.provenance by itself:
#
# @CODE
# VERIFY_SIG_METHOD=sigstore
# VERIFY_SIG_REPOSITORY=trailofbits/pypi-attestations
# VERIFY_SIG_WORKFLOW=release.yml
# inherit verify-sig
#
# MY_P=pypi_attestations-${PV}
# SRC_URI="
#   https://files.pythonhosted.org/packages/source/p/pypi-attestations/${MY_P}.tar.gz
#   verify-sig? (
#     https://pypi.org/integrity/pypi-attestations/${PV}/${MY_P}.tar.gz/provenance
#       -> ${MY_P}.tar.gz.provenance
#   )
# "
# @CODE

case ${EAPI} in
	7|8) ;;
	*) die "${ECLASS}: EAPI ${EAPI:-0} not supported" ;;
esac

if [[ -z ${_VERIFY_SIG_ECLASS} ]]; then
_VERIFY_SIG_ECLASS=1

IUSE="verify-sig"

# @ECLASS_VARIABLE: VERIFY_SIG_METHOD
# @PRE_INHERIT
# @DESCRIPTION:
# The signature method:
#
# - openpgp -- OpenPGP signatures, app-crypt/gnupg through app-portage/gemato
#   (the default)
# - signify -- signify signatures, app-crypt/signify
# - sigstore -- Sigstore bundles (*.sigstore, *.sigstore.json), GitHub artifact
#   attestations (*.jsonl, from gh attestation download) and PyPI provenance
#   (*.provenance: PEP 740 attestations of an sdist or wheel),
#   app-crypt/sigstore-offline, offline, against sec-keys/sigstore-trusted-root
: "${VERIFY_SIG_METHOD:=openpgp}"

case ${VERIFY_SIG_METHOD} in
	openpgp)
		BDEPEND="
			verify-sig? (
				app-crypt/gnupg
				>=app-portage/gemato-20
			)
		"
		;;
	signify)
		BDEPEND="verify-sig? ( app-crypt/signify )"
		;;
	sigstore)
		BDEPEND="
			verify-sig? (
				app-crypt/sigstore-offline
				sec-keys/sigstore-trusted-root
			)
		"
		;;
	*)
		die "${ECLASS}: unknown method '${VERIFY_SIG_METHOD}'"
		;;
esac

# @ECLASS_VARIABLE: VERIFY_SIG_OPENPGP_KEY_PATH
# @DEFAULT_UNSET
# @DESCRIPTION:
# The key file for openpgp and signify.  Not used by sigstore.

# @ECLASS_VARIABLE: VERIFY_SIG_OPENPGP_KEYSERVER
# @DEFAULT_UNSET
# @DESCRIPTION:
# The keyserver to refresh keys from (openpgp only).

# @ECLASS_VARIABLE: VERIFY_SIG_OPENPGP_KEY_REFRESH
# @USER_VARIABLE
# @DESCRIPTION:
# "yes" to refresh OpenPGP keys online (openpgp only; needs network).
: "${VERIFY_SIG_OPENPGP_KEY_REFRESH:=no}"

# @ECLASS_VARIABLE: VERIFY_SIG_CERT_IDENTITY
# @DEFAULT_UNSET
# @DESCRIPTION:
# sigstore: the exact identity the signing certificate must name, an e-mail
# address or a URI (for example hugo@python.org).  For PyPI provenance it is
# passed to verify-offline pypi as --cert-identity: the certificate alone is
# checked and the provenance's publisher records are ignored (a Google Cloud
# publisher is its service account here, with https://accounts.google.com).

# @ECLASS_VARIABLE: VERIFY_SIG_CERT_OIDC_ISSUER
# @DEFAULT_UNSET
# @DESCRIPTION:
# sigstore: the exact OIDC issuer of that identity (for example
# https://github.com/login/oauth).

# @ECLASS_VARIABLE: VERIFY_SIG_REPOSITORY
# @DEFAULT_UNSET
# @DESCRIPTION:
# sigstore: instead of an identity, the GitHub repository (OWNER/REPO) whose
# Actions workflow signed the release, or https://gitlab.com/NAMESPACE/PROJECT;
# matched on the certificate's own claims, so it survives release tags.  For
# PyPI provenance, the Trusted Publisher (verify-offline pypi --repository):
# the certificate's claims and the provenance's publisher record must both
# name it.

# @ECLASS_VARIABLE: VERIFY_SIG_WORKFLOW
# @DEFAULT_UNSET
# @DESCRIPTION:
# sigstore, with VERIFY_SIG_REPOSITORY: the workflow file (release.yml; for a
# GitLab publisher of PyPI provenance, the CI file's path, .gitlab-ci.yml).

# @ECLASS_VARIABLE: VERIFY_SIG_REF
# @DEFAULT_UNSET
# @DESCRIPTION:
# sigstore, with VERIFY_SIG_REPOSITORY: the git ref the workflow ran on, or a
# glob such as refs/tags/v* (for example refs/tags/v${PV}).  For PyPI
# provenance (*.provenance) too: verify-offline pypi --ref matches it against
# the certificate of every attestation.

# @ECLASS_VARIABLE: VERIFY_SIG_PYPI_FILENAME
# @DEFAULT_UNSET
# @DESCRIPTION:
# sigstore, PyPI provenance only: the file's name on PyPI, when the distfile
# was renamed (SRC_URI "-> ${P}.tar.gz").  The signed statement names the file
# as PyPI does; the default is the distfile's own name.

# @ECLASS_VARIABLE: VERIFY_SIG_SIGSTORE_MAX_AGE
# @USER_VARIABLE
# @DEFAULT_UNSET
# @DESCRIPTION:
# sigstore: refuse a trust-root snapshot refreshed more than this many days
# ago; unset, a snapshot older than 180 days only draws a warning.

# @FUNCTION: _verify-sig_signer
# @INTERNAL
# @USAGE: <caller>
# @DESCRIPTION:
# Fill the array "signer" (declared by the caller) with the signer options of
# VERIFY_SIG_REPOSITORY/_WORKFLOW/_REF or VERIFY_SIG_CERT_IDENTITY/_OIDC_ISSUER,
# and the array "age" with VERIFY_SIG_SIGSTORE_MAX_AGE's.
_verify-sig_signer() {
	local caller=${1}
	if [[ -n ${VERIFY_SIG_REPOSITORY} ]]; then
		[[ -z ${VERIFY_SIG_CERT_IDENTITY}${VERIFY_SIG_CERT_OIDC_ISSUER} ]] ||
			die "${caller}: set VERIFY_SIG_REPOSITORY or VERIFY_SIG_CERT_IDENTITY/VERIFY_SIG_CERT_OIDC_ISSUER, not both"
		signer=( --repository "${VERIFY_SIG_REPOSITORY}" )
		[[ -n ${VERIFY_SIG_WORKFLOW} ]] && signer+=( --workflow "${VERIFY_SIG_WORKFLOW}" )
		[[ -n ${VERIFY_SIG_REF} ]] && signer+=( --ref "${VERIFY_SIG_REF}" )
	else
		[[ -n ${VERIFY_SIG_CERT_IDENTITY} && -n ${VERIFY_SIG_CERT_OIDC_ISSUER} ]] ||
			die "${caller}: VERIFY_SIG_METHOD=sigstore needs VERIFY_SIG_CERT_IDENTITY and VERIFY_SIG_CERT_OIDC_ISSUER (or VERIFY_SIG_REPOSITORY)"
		signer=( --cert-identity "${VERIFY_SIG_CERT_IDENTITY}" --cert-oidc-issuer "${VERIFY_SIG_CERT_OIDC_ISSUER}" )
	fi
	age=()
	[[ -n ${VERIFY_SIG_SIGSTORE_MAX_AGE} ]] && age=( --max-trust-root-age "${VERIFY_SIG_SIGSTORE_MAX_AGE}" )
	return 0
}

# @FUNCTION: _verify-sig_sigstore
# @INTERNAL
# @USAGE: <file> <bundle>
# @DESCRIPTION:
# Verify <file> against the Sigstore bundle <bundle> with verify-offline and the
# snapshot of sec-keys/sigstore-trusted-root.  Dies with verify-offline's
# reason on failure.
_verify-sig_sigstore() {
	local file=${1} bundle=${2}

	local -a signer age
	_verify-sig_signer "${FUNCNAME[1]}"
	[[ ${file} != - ]] ||
		die "${FUNCNAME[1]}: sigstore cannot verify standard input"

	# The snapshot sec-keys/sigstore-trusted-root installed in the build root.
	local -x SIGSTORE_OFFLINE_TRUST_ROOTS=${BROOT}/usr/share/sigstore-offline/trust-roots
	# No user site-packages: nothing under ${HOME} can shadow the verifier's modules.
	local -x PYTHONNOUSERSITE=1
	verify-offline verify identity --offline \
		--bundle "${bundle}" \
		"${signer[@]}" "${age[@]}" \
		"${file}" ||
		die "Sigstore verification of ${file##*/} failed (verify-offline says why above)"
}

# @FUNCTION: _verify-sig_pypi
# @INTERNAL
# @USAGE: <file> <provenance>
# @DESCRIPTION:
# Verify the Python distribution <file> against <provenance>, PyPI's PEP 740
# provenance for it (https://pypi.org/integrity/PROJECT/VERSION/FILENAME/provenance),
# with verify-offline pypi: every attestation in it, its signed statement
# (naming VERIFY_SIG_PYPI_FILENAME, default the distfile's name, and the file's
# SHA-256), and the Trusted Publisher of VERIFY_SIG_REPOSITORY (+ _WORKFLOW) or
# the signer of VERIFY_SIG_CERT_IDENTITY/_OIDC_ISSUER (with VERIFY_SIG_REF, the
# ref too).  Dies with verify-offline's reason on failure.
_verify-sig_pypi() {
	local file=${1} provenance=${2}

	[[ ${file} != - ]] ||
		die "${FUNCNAME[1]}: PyPI provenance cannot verify standard input"
	local -a signer age
	_verify-sig_signer "${FUNCNAME[1]}"

	local -x SIGSTORE_OFFLINE_TRUST_ROOTS=${BROOT}/usr/share/sigstore-offline/trust-roots
	local -x PYTHONNOUSERSITE=1
	verify-offline pypi \
		--provenance "${provenance}" \
		--name "${VERIFY_SIG_PYPI_FILENAME:-${file##*/}}" \
		"${signer[@]}" "${age[@]}" \
		"${file}" ||
		die "PyPI provenance verification of ${file##*/} failed (verify-offline says why above)"
}

# @FUNCTION: _verify-sig_attestations
# @INTERNAL
# @USAGE: <file> <attestations>
# @DESCRIPTION:
# Verify <file> against <attestations>, GitHub's artifact attestations of it as
# JSON Lines (gh attestation download), with sigstoreverify and a signers file
# written from VERIFY_SIG_REPOSITORY/_WORKFLOW/_REF (a publisher line) or
# VERIFY_SIG_CERT_IDENTITY/_OIDC_ISSUER: one SLSA provenance attestation naming
# the file's digest must verify, against the production snapshot or the
# github one (GitHub's own instance) of sec-keys/sigstore-trusted-root.
_verify-sig_attestations() {
	local file=${1} attestations=${2} line

	[[ ${file} != - ]] ||
		die "${FUNCNAME[1]}: GitHub attestations cannot verify standard input"
	local -a signer age
	_verify-sig_signer "${FUNCNAME[1]}"  # checks the variables; the signers line says the same
	if [[ -n ${VERIFY_SIG_REPOSITORY} ]]; then
		case ${VERIFY_SIG_REPOSITORY} in
			https://gitlab.com/*) line="gitlab ${VERIFY_SIG_REPOSITORY#https://gitlab.com/}" ;;
			*) line="github ${VERIFY_SIG_REPOSITORY#https://github.com/}" ;;
		esac
		[[ -n ${VERIFY_SIG_WORKFLOW} ]] && line+=" workflow=${VERIFY_SIG_WORKFLOW}"
		[[ -n ${VERIFY_SIG_REF} ]] && line+=" ref=${VERIFY_SIG_REF}"
	else
		line="${VERIFY_SIG_CERT_IDENTITY} ${VERIFY_SIG_CERT_OIDC_ISSUER}"
	fi
	local signers=${T}/verify-sig-sigstore-signers
	printf '%s\n' "${line}" > "${signers}" || die

	local -x SIGSTORE_OFFLINE_TRUST_ROOTS=${BROOT}/usr/share/sigstore-offline/trust-roots
	local -x PYTHONNOUSERSITE=1
	sigstoreverify --keyring="${signers}" --signature="${attestations}" --data="${file}" "${age[@]}" ||
		die "GitHub attestation verification of ${file##*/} failed (sigstoreverify says why above)"
}

# @FUNCTION: verify-sig_verify_detached
# @USAGE: <file> <sig-file> [<key-file>]
# @DESCRIPTION:
# Verify <file> against the detached signature <sig-file>: an OpenPGP or
# signify signature checked with <key-file> (default:
# VERIFY_SIG_OPENPGP_KEY_PATH), or, with VERIFY_SIG_METHOD=sigstore, a Sigstore
# bundle checked against VERIFY_SIG_CERT_IDENTITY and
# VERIFY_SIG_CERT_OIDC_ISSUER or VERIFY_SIG_REPOSITORY (no key file); a
# <sig-file> named *.provenance is PyPI's provenance of the sdist or wheel
# <file>, checked with verify-offline pypi; one named *.jsonl holds GitHub's
# artifact attestations of <file>, checked with sigstoreverify.  Dies if
# verification fails.
verify-sig_verify_detached() {
	local file=${1}
	local sig=${2}
	local key=${3:-${VERIFY_SIG_OPENPGP_KEY_PATH}}

	local filename=${file##*/}
	[[ ${file} == - ]] && filename='(stdin)'

	if [[ ${VERIFY_SIG_METHOD} == sigstore ]]; then
		[[ -z ${3} ]] ||
			die "${FUNCNAME}: sigstore takes no key file; set VERIFY_SIG_CERT_IDENTITY and VERIFY_SIG_CERT_OIDC_ISSUER"
		einfo "Verifying ${filename} ..."
		if [[ ${sig} == *.provenance ]]; then
			_verify-sig_pypi "${file}" "${sig}"
		elif [[ ${sig} == *.jsonl ]]; then
			_verify-sig_attestations "${file}" "${sig}"
		else
			_verify-sig_sigstore "${file}" "${sig}"
		fi
		return
	fi

	[[ -n ${key} ]] ||
		die "${FUNCNAME}: no key passed and VERIFY_SIG_OPENPGP_KEY_PATH unset"

	einfo "Verifying ${filename} ..."
	case ${VERIFY_SIG_METHOD} in
		openpgp)
			local args=()
			[[ ${VERIFY_SIG_OPENPGP_KEY_REFRESH} == yes ]] || args+=( -R )
			[[ -n ${VERIFY_SIG_OPENPGP_KEYSERVER} ]] &&
				args+=( --keyserver "${VERIFY_SIG_OPENPGP_KEYSERVER}" )
			addpredict /run/user
			local -x TMPDIR=/tmp
			gemato openpgp-verify-detached -K "${key}" "${args[@]}" "${sig}" "${file}" ||
				die "PGP signature verification failed"
			;;
		signify)
			signify -V -p "${key}" -m "${file}" -x "${sig}" ||
				die "Signify signature verification failed"
			;;
	esac
}

# @FUNCTION: verify-sig_verify_message
# @USAGE: <file> <output-file> [<key-file>]
# @DESCRIPTION:
# Verify a signed message (openpgp, signify) and write its content to
# <output-file>.  Sigstore bundles are detached only: not supported.
verify-sig_verify_message() {
	local file=${1}
	local output_file=${2}
	local key=${3:-${VERIFY_SIG_OPENPGP_KEY_PATH}}

	[[ ${VERIFY_SIG_METHOD} != sigstore ]] ||
		die "${FUNCNAME}: Sigstore bundles are detached; use verify-sig_verify_detached"
	[[ -n ${key} ]] ||
		die "${FUNCNAME}: no key passed and VERIFY_SIG_OPENPGP_KEY_PATH unset"

	einfo "Verifying ${file##*/} ..."
	case ${VERIFY_SIG_METHOD} in
		openpgp)
			local args=()
			[[ ${VERIFY_SIG_OPENPGP_KEY_REFRESH} == yes ]] || args+=( -R )
			addpredict /run/user
			local -x TMPDIR=/tmp
			gemato gpg-wrap -K "${key}" "${args[@]}" -- \
				gpg --verify --output="${output_file}" "${file}" ||
				die "PGP signature verification failed"
			;;
		signify)
			signify -V -e -p "${key}" -m "${output_file}" -x "${file}" ||
				die "Signify signature verification failed"
			;;
	esac
}

# @FUNCTION: verify-sig_verify_unsigned_checksums
# @USAGE: <checksum-file> <algo> <files>
# @DESCRIPTION:
# Check the files of the space-separated list <files> against <checksum-file>
# ("-" for standard input) of "CHECKSUM FILENAME" lines; <algo> is sha256.
# Dies if a file does not match or is not listed.  This checks integrity only:
# verify <checksum-file> itself first.
verify-sig_verify_unsigned_checksums() {
	local checksum_file=${1}
	local algo=${2}
	local files=()
	read -r -d '' -a files <<<"${3}"

	[[ ${algo} == sha256 ]] || die "${FUNCNAME}: unknown checksum algo ${algo}"
	[[ ${checksum_file} == - ]] && checksum_file=/dev/stdin

	local checksum filename junk failed=0 found=()
	while read -r checksum filename junk; do
		[[ ${#checksum} -eq 64 && -z ${checksum//[0-9a-f]} && -z ${junk} ]] || continue
		has "${filename}" "${files[@]}" || continue
		if sha256sum -c --strict - <<<"${checksum}  ${filename}"; then
			found+=( "${filename}" )
		else
			failed=1
		fi
	done < "${checksum_file}"

	[[ ${failed} -eq 0 ]] ||
		die "${FUNCNAME}: at least one file did not verify successfully"
	local f
	for f in "${files[@]}"; do
		has "${f}" "${found[@]}" ||
			die "${FUNCNAME}: no checksum for ${f}"
	done
}

# @FUNCTION: verify-sig_verify_signed_checksums
# @USAGE: <checksum-file> <algo> <files> [<key-file>]
# @DESCRIPTION:
# Verify a signed checksum file (openpgp, signify), then the files against it.
verify-sig_verify_signed_checksums() {
	local checksum_file=${1}
	local algo=${2}
	local files=${3}
	local key=${4:-${VERIFY_SIG_OPENPGP_KEY_PATH}}

	case ${VERIFY_SIG_METHOD} in
		openpgp)
			verify-sig_verify_unsigned_checksums - "${algo}" "${files}" < <(
				verify-sig_verify_message "${checksum_file}" - "${key}"
			)
			;;
		signify)
			local names=()
			read -r -d '' -a names <<<"${files}"
			signify -C -p "${key}" -x "${checksum_file}" "${names[@]}" ||
				die "Signify signature verification failed"
			;;
		sigstore)
			die "${FUNCNAME}: verify the checksum file with verify-sig_verify_detached, then use verify-sig_verify_unsigned_checksums"
			;;
	esac
}

# @FUNCTION: _verify-sig_suffixes
# @INTERNAL
# @DESCRIPTION:
# The signature suffixes of VERIFY_SIG_METHOD.
_verify-sig_suffixes() {
	if [[ ${VERIFY_SIG_METHOD} == sigstore ]]; then
		echo .sigstore .sigstore.json .jsonl .provenance
	else
		echo .asc .sig
	fi
}

# @FUNCTION: verify-sig_src_unpack
# @DESCRIPTION:
# With USE=verify-sig, pair every distfile in ${A} with its signature
# (FILE.asc or FILE.sig; FILE.sigstore, FILE.sigstore.json, GitHub's
# FILE.jsonl or PyPI's FILE.provenance for sigstore),
# verify each pair, and die on an unsigned distfile or a stray signature.
# Then unpack.
verify-sig_src_unpack() {
	if use verify-sig; then
		local f suffix data
		local suffixes=( $(_verify-sig_suffixes) )
		local signatures=() unsigned=() stray=()

		for f in ${A}; do
			data=
			for suffix in "${suffixes[@]}"; do
				if [[ ${f} == *"${suffix}" ]]; then
					data=${f%"${suffix}"}
					break
				fi
			done
			if [[ -n ${data} ]]; then
				has "${data}" ${A} && signatures+=( "${f}" ) || stray+=( "${f}" )
				continue
			fi
			local signed=
			for suffix in "${suffixes[@]}"; do
				has "${f}${suffix}" ${A} && signed=1
			done
			[[ -n ${signed} ]] || unsigned+=( "${f}" )
		done

		if [[ ${#unsigned[@]} -gt 0 ]]; then
			eerror "The following distfiles lack detached signatures:"
			for f in "${unsigned[@]}"; do eerror "  ${f}"; done
			die "Unsigned distfiles found"
		fi
		if [[ ${#stray[@]} -gt 0 ]]; then
			eerror "The following signatures do not match any distfiles:"
			for f in "${stray[@]}"; do eerror "  ${f}"; done
			die "Unused signatures found"
		fi

		for f in "${signatures[@]}"; do
			for suffix in "${suffixes[@]}"; do
				if [[ ${f} == *"${suffix}" ]]; then
					verify-sig_verify_detached "${DISTDIR}/${f%"${suffix}"}" "${DISTDIR}/${f}"
					break
				fi
			done
		done
	fi

	default_src_unpack
}

fi

EXPORT_FUNCTIONS src_unpack
