# SPDX-License-Identifier: Apache-2.0
"""Command-line entry points. Only here is I/O done and the exit code decided."""

__all__: "list[str]" = []
