# SPDX-License-Identifier: Apache-2.0
"""Offline, fail-closed verification of Sigstore bundles.

The verify path (``model``, ``trust``, ``verify``, ``policy`` and the ``verify-offline``
command) imports only the standard library and ``cryptography``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
