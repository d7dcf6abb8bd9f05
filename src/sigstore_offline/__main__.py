# SPDX-License-Identifier: Apache-2.0
"""``python -m sigstore_offline`` runs ``verify-offline``."""

from .cli.verify_offline import entry

entry()
