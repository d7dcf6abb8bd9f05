# SPDX-License-Identifier: Apache-2.0
"""The trust-root refresh job and its offline audit (``sigstore-offline trust-root ...``).

Only the admin command imports this package; nothing on the verify path does. ``update`` and
``audit`` need the ``[refresh]`` extra (python-tuf, securesystemslib[crypto]) and import it
themselves; ``diff`` needs only the standard library and the trusted-root parser, so importing this
package never imports python-tuf.
"""

__all__: "list[str]" = []
