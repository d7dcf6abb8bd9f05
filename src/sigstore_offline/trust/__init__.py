"""Trust material: ``trusted_root.json`` parsing and the shipped trust-root snapshots."""
