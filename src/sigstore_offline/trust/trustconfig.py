# SPDX-License-Identifier: Apache-2.0
"""sigstore-python's ClientTrustConfig file: a trusted root plus a signing config, in one JSON object.

``sigstore --trust-config FILE`` reads such a file (mediaType
``application/vnd.dev.sigstore.clienttrustconfig.v0.1+json``; fields ``trustedRoot`` and
``signingConfig``). Wherever a ``trusted_root.json`` is accepted, this project accepts one too and
verifies against its ``trustedRoot``; the signing config (where to sign) does not matter to an
offline verifier and is only checked to be present and of a signing-config media type.

The parse is strict: a JSON object with exactly those three fields, the one known media type,
objects for both parts; anything else is a :class:`TrustRootError` (exit 3). On the verify path:
standard library only, plus the trusted-root parser.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from .. import _encoding as enc
from ..errors import Step, TrustRootError
from .trusted_root import TrustedRoot, parse_trusted_root

__all__ = [
    "MEDIA_TYPE", "MEDIA_TYPE_FAMILY", "SIGNING_CONFIG_FAMILY", "FIELDS", "is_client_trust_config",
    "parse_client_trust_config", "parse_trust_file",
]

MEDIA_TYPE = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
MEDIA_TYPE_FAMILY = "application/vnd.dev.sigstore.clienttrustconfig"
SIGNING_CONFIG_FAMILY = "application/vnd.dev.sigstore.signingconfig"
FIELDS = frozenset({"mediaType", "trustedRoot", "signingConfig"})


def _is_config(doc: Any) -> bool:
    media = doc.get("mediaType") if isinstance(doc, dict) else None
    return isinstance(media, str) and media.startswith(MEDIA_TYPE_FAMILY)


def is_client_trust_config(data: bytes) -> bool:
    """Whether ``data`` claims to be a ClientTrustConfig (its top-level mediaType says so).

    Malformed JSON is not a claim: the trusted-root parser then reports it.
    """
    try:
        return _is_config(enc.load_json(data))
    except ValueError:
        return False


def _config(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    media = doc.get("mediaType")
    if media != MEDIA_TYPE:
        raise ValueError(f"unknown mediaType {media!r} (this version reads {MEDIA_TYPE})")
    unknown = sorted(set(doc) - FIELDS)
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(map(repr, unknown))}")
    root = enc.obj(enc.req(doc, "trustedRoot", "client trust config"), "trustedRoot")
    signing = enc.obj(enc.req(doc, "signingConfig", "client trust config"), "signingConfig")
    signing_media = enc.string(enc.req(signing, "mediaType", "signingConfig"), "signingConfig.mediaType")
    if not signing_media.startswith(SIGNING_CONFIG_FAMILY):
        raise ValueError(f"signingConfig.mediaType {signing_media!r} is not a Sigstore signing config")
    return root


def parse_client_trust_config(data: bytes, *, source: str, allow_no_logs: bool = False) -> TrustedRoot:
    """The trusted root inside a ClientTrustConfig file; TrustRootError naming the problem.

    The embedded ``trustedRoot`` is parsed by the ordinary trusted-root parser from its compact,
    key-sorted JSON serialization, so its ``sha256`` identifies the trusted root, not the file.
    """
    try:
        doc = enc.obj(enc.load_json(data), "client trust config")
        root = _config(doc)
    except ValueError as exc:
        raise TrustRootError(f"{source}: not a valid client trust config: {exc}", step=Step.TRUST_ROOT) from None
    embedded = json.dumps(root, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    return parse_trusted_root(embedded, source=f"{source} (trustedRoot of a client trust config)",
                              allow_no_logs=allow_no_logs)


def parse_trust_file(data: bytes, *, source: str, allow_no_logs: bool = False) -> TrustedRoot:
    """A ``trusted_root.json`` or a ClientTrustConfig file, told apart by the top-level mediaType.
    ``allow_no_logs``: the trusted root may list no transparency log (``verify-offline github``)."""
    if is_client_trust_config(data):
        return parse_client_trust_config(data, source=source, allow_no_logs=allow_no_logs)
    return parse_trusted_root(data, source=source, allow_no_logs=allow_no_logs)
