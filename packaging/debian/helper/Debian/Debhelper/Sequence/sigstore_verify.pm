#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# dh sequence addon "sigstore-verify" (Build-Depends: dh-sequence-sigstore-verify):
# verify the orig tarball(s) against their Sigstore bundles before anything is built.
use strict;
use warnings;
use Debian::Debhelper::Dh_Lib;

insert_before('dh_update_autotools_config', 'dh_sigstore_verify');

1;
