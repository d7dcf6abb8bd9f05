# SPDX-License-Identifier: Apache-2.0
"""Every size limit the verifier applies, in one place.

Real Sigstore bundles are a few kilobytes; these limits are generous and exist so that
hostile input cannot make the verifier allocate without bound.
"""

__all__ = [
    "MAX_BUNDLE_BYTES", "MAX_JSON_VALUES", "MAX_MANIFEST_JSON_VALUES", "MAX_TRUSTED_ROOT_BYTES", "MAX_KEY_BYTES",
    "MAX_TLOG_ENTRIES", "MAX_TIMESTAMPS", "MAX_CHAIN_CERTIFICATES", "MAX_PROOF_HASHES", "MAX_CHECKPOINT_BYTES",
    "MAX_CHECKPOINT_SIGNATURES", "MAX_DSSE_PAYLOAD_BYTES", "MAX_INTEGER", "HASH_CHUNK_BYTES",
    "MAX_ATTESTATION_FILE_BYTES", "MAX_ATTESTATIONS", "MAX_COSIGN_FILE_BYTES", "MAX_POLICY_BYTES",
    "MAX_POLICY_PATTERNS", "MAX_POLICY_KEYS", "MAX_POLICY_SIGNERS", "MAX_MANIFEST_BYTES", "MAX_MANIFEST_ENTRIES",
]

# Real bundles are a few kilobytes (a CPython bundle ~10 KB, a GitHub attestation with many
# subjects some hundreds); 4 MiB leaves room for big DSSE payloads and bounds what hostile input
# costs (benchmarks/memory.py measures it).
MAX_BUNDLE_BYTES = 4 * 1024 * 1024
# Arrays, objects and members in one JSON document (manifests have their own limit): bounds the
# objects the parser creates, so memory is a small multiple of the input's size.
MAX_JSON_VALUES = 100_000
MAX_MANIFEST_JSON_VALUES = 2_000_000
MAX_TRUSTED_ROOT_BYTES = 16 * 1024 * 1024
MAX_KEY_BYTES = 64 * 1024
MAX_TLOG_ENTRIES = 32
MAX_TIMESTAMPS = 32
MAX_CHAIN_CERTIFICATES = 10
MAX_PROOF_HASHES = 64
MAX_CHECKPOINT_BYTES = 64 * 1024
MAX_CHECKPOINT_SIGNATURES = 64
MAX_DSSE_PAYLOAD_BYTES = 3 * 1024 * 1024
MAX_INTEGER = 2**63 - 1
HASH_CHUNK_BYTES = 1024 * 1024
# PEP 740: one attestation or provenance file, and the attestations verified for one distribution.
MAX_ATTESTATION_FILE_BYTES = 16 * 1024 * 1024
MAX_ATTESTATIONS = 64
# cosign's detached files: a signature, a certificate, a certificate chain, an RFC 3161 timestamp.
MAX_COSIGN_FILE_BYTES = 256 * 1024
# Upstream policy files (sigstore-offline-policy(5)).
MAX_POLICY_BYTES = 1024 * 1024
MAX_POLICY_PATTERNS = 64
MAX_POLICY_KEYS = 4096
MAX_POLICY_SIGNERS = 64
# Batch manifests (sigstore-offline-manifest(5)).
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_MANIFEST_ENTRIES = 100_000
