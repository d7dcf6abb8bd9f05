# SPDX-License-Identifier: Apache-2.0
"""Trust material: ``trusted_root.json`` parsing and the shipped trust-root snapshots."""

__all__: "list[str]" = []
