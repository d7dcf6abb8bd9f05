# SPDX-License-Identifier: Apache-2.0
# Test stand-in for ::gentoo's distutils-r1.eclass in PEP 517 mode: see
# tests/gentoo-stand-in/README.md.  Only what app-crypt/sigstore-offline uses.

# @ECLASS: distutils-r1.eclass
# @BLURB: TEST STAND-IN: build a wheel with the PEP 517 backend, test, install

case ${EAPI} in
	8) ;;
	*) die "${ECLASS} (stand-in): EAPI ${EAPI:-0} not supported" ;;
esac

if [[ -z ${_DISTUTILS_R1_STAND_IN} ]]; then
_DISTUTILS_R1_STAND_IN=1

[[ -n ${DISTUTILS_USE_PEP517} ]] ||
	die "${ECLASS} (stand-in): only the PEP 517 mode: set DISTUTILS_USE_PEP517"

inherit python-r1

RDEPEND="${PYTHON_DEPS}"
BDEPEND="${PYTHON_DEPS}"
REQUIRED_USE="${PYTHON_REQUIRED_USE}"

# @FUNCTION: distutils_enable_tests
# @USAGE: pytest
# @DESCRIPTION:
# IUSE=test, RESTRICT="!test? ( test )"; python_test defaults to epytest.
distutils_enable_tests() {
	[[ ${1} == pytest ]] || die "${FUNCNAME} (stand-in): only pytest"
	IUSE+=" test"
	RESTRICT+=" !test? ( test )"
	BDEPEND+=" test? ( dev-python/pytest )"
	_DISTUTILS_TESTS=pytest
}

# @FUNCTION: distutils-r1_python_compile
# @DESCRIPTION:
# Build the wheel with the backend pyproject.toml names (called in-process, as
# gpep517 does) and install it with "installer" into ${BUILD_DIR}/install.
distutils-r1_python_compile() {
	local wheels=${BUILD_DIR}/wheel
	mkdir -p "${wheels}" || die
	"${EPYTHON}" - "${wheels}" <<-'EOF' || die "building the wheel failed"
		import importlib, sys, tomllib
		with open("pyproject.toml", "rb") as stream:
		    name = tomllib.load(stream)["build-system"]["build-backend"]
		module, _, attribute = name.partition(":")
		backend = importlib.import_module(module)
		for part in filter(None, attribute.split(".")):
		    backend = getattr(backend, part)
		print(backend.build_wheel(sys.argv[1]))
	EOF
	"${EPYTHON}" - "${wheels}" "${BUILD_DIR}/install" "$(python_get_sitedir)" \
		"${EPREFIX}/usr" "${EPREFIX}/usr/bin/${EPYTHON}" <<-'EOF' || die "installing the wheel failed"
		import glob, os, sys
		from installer import install
		from installer.destinations import SchemeDictionaryDestination
		from installer.sources import WheelFile
		wheels, root, sitedir, prefix, interpreter = sys.argv[1:]
		scheme = {"purelib": sitedir, "platlib": sitedir, "scripts": prefix + "/bin", "data": prefix,
		          "headers": prefix + "/include"}
		destination = SchemeDictionaryDestination(scheme, interpreter=interpreter, script_kind="posix",
		                                          destdir=root, bytecode_optimization_levels=())
		[wheel] = glob.glob(os.path.join(wheels, "*.whl"))
		with WheelFile.open(wheel) as source:
		    install(source, destination, {"INSTALLER": b"portage\n"})
	EOF
}

# @FUNCTION: distutils-r1_python_install
# @DESCRIPTION:
# Copy ${BUILD_DIR}/install into ${D}.
distutils-r1_python_install() {
	cp -a "${BUILD_DIR}/install/." "${D}/" || die
}

# @FUNCTION: distutils-r1_python_install_all
# @DESCRIPTION:
# einstalldocs.
distutils-r1_python_install_all() {
	einstalldocs
}

distutils-r1_src_prepare() {
	default
}

distutils-r1_src_configure() {
	:
}

distutils-r1_src_compile() {
	_distutils_compile() {
		pushd "${S}" >/dev/null || die
		if declare -f python_compile >/dev/null; then
			python_compile
		else
			distutils-r1_python_compile
		fi
		popd >/dev/null || die
	}
	python_foreach_impl _distutils_compile
}

distutils-r1_src_test() {
	_distutils_test() {
		pushd "${S}" >/dev/null || die
		local -x PYTHONPATH=${BUILD_DIR}/install$(python_get_sitedir)
		local -x PATH=${BUILD_DIR}/install${EPREFIX}/usr/bin:${PATH}
		local -x PYTHONDONTWRITEBYTECODE=1
		if declare -f python_test >/dev/null; then
			python_test
		else
			epytest
		fi
		popd >/dev/null || die
	}
	python_foreach_impl _distutils_test
}

distutils-r1_src_install() {
	_distutils_install() {
		pushd "${S}" >/dev/null || die
		if declare -f python_install >/dev/null; then
			python_install
		else
			distutils-r1_python_install
		fi
		popd >/dev/null || die
	}
	python_foreach_impl _distutils_install
	pushd "${S}" >/dev/null || die
	if declare -f python_install_all >/dev/null; then
		python_install_all
	else
		distutils-r1_python_install_all
	fi
	popd >/dev/null || die
}

fi

EXPORT_FUNCTIONS src_prepare src_configure src_compile src_test src_install
