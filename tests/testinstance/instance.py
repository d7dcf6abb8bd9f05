# SPDX-License-Identifier: Apache-2.0
"""``TestInstance``: a whole in-memory Sigstore (Fulcio-like CA, CT log, Rekor v1 and v2, TSA) with
its own ``trusted_root.json``. See the package docstring for the tour.

Test helper, not product code.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any, Dict, Iterable, Optional, Tuple

from . import _enc
from .bundle import SIGNED_AT, BundleOptions, Generated, build
from .ca import DEFAULT_LEAF, FulcioCA, Leaf, LeafSpec
from .ctlog import CTLog
from .rekor import RekorLog

EPOCH = datetime.datetime(2025, 1, 1, tzinfo=_enc.UTC)  # every key and CA is valid from here
LIFETIME = datetime.timedelta(days=3650)
Window = Tuple[datetime.datetime, Optional[datetime.datetime]]
COMPONENTS = ("fulcio", "rekor_v1", "rekor_v2", "ct_log", "tsa")


class TestInstance:
    """Everything a bundle needs, generated with ``cryptography``; keys are derived from ``seed``."""

    __test__ = False  # not a pytest test class

    def __init__(self, *, seed: str = "sigstore-offline test instance", not_before: datetime.datetime = EPOCH,
                 not_after: Optional[datetime.datetime] = None, rekor_v1_prefill: int = 1000,
                 rekor_v1_shard_offset: int = 5_000_000, rekor_v2_prefill: int = 100) -> None:
        self.not_before = not_before
        self.not_after = not_after or not_before + LIFETIME
        self.keys = keys = _enc.Keys(seed)
        self.fulcio = FulcioCA(keys, label="fulcio", not_before=self.not_before, not_after=self.not_after)
        # Same names as the real CA, other keys: a chain that looks right and is not.
        self.unrelated_fulcio = FulcioCA(keys, label="unrelated-fulcio", not_before=self.not_before,
                                         not_after=self.not_after)
        self.ct_log = CTLog(keys.p256("ctlog"), url="https://ctfe.test")
        self.unknown_ct_log = CTLog(keys.p256("unknown-ctlog"), url="https://ctfe.unknown.test")
        self.rekor_v1 = RekorLog(keys.p256("rekor-v1"), version=1, name="rekor.test", tree_id=1234567890123,
                                 shard_offset=rekor_v1_shard_offset, prefill=rekor_v1_prefill)
        self.rekor_v2 = RekorLog(keys.ed25519("rekor-v2"), version=2, name="log2025-1.rekor.test",
                                 prefill=rekor_v2_prefill)
        self.managed_key = keys.p256("managed-key")
        self.other_managed_key = keys.p256("other-managed-key")
        self._tsa: Any = None
        self._untrusted_tsa: Any = None

    # --- parts -------------------------------------------------------------------------------------

    @property
    def tsa(self) -> Any:
        """The trusted ``tsa.TestTSA`` (imported on first use)."""
        if self._tsa is None:
            from .tsa import TestTSA

            self._tsa = TestTSA(name="tsa.test", not_before=self.not_before, not_after=self.not_after)
        return self._tsa

    @property
    def untrusted_tsa(self) -> Any:
        """A TSA with the same name that no trust root lists."""
        if self._untrusted_tsa is None:
            from .tsa import TestTSA

            self._untrusted_tsa = TestTSA(name="tsa.test", not_before=self.not_before, not_after=self.not_after)
        return self._untrusted_tsa

    def issue_leaf(self, spec: LeafSpec = DEFAULT_LEAF, *, at: datetime.datetime = SIGNED_AT) -> Leaf:
        """A signing certificate for ``spec`` (from the unrelated CA / unknown CT log if it says so)."""
        ca = self.unrelated_fulcio if spec.unrelated_ca else self.fulcio
        ct_log = self.unknown_ct_log if spec.sct == "unknown-log" else self.ct_log
        return ca.issue(spec, at=at, ct_log=ct_log)

    # --- trust root ----------------------------------------------------------------------------------

    def trusted_root_json(self, *, fulcio: Optional[Window] = None, rekor_v1: Optional[Window] = None,
                          rekor_v2: Optional[Window] = None, ct_log: Optional[Window] = None,
                          tsa: Optional[Window] = None, omit: Iterable[str] = ()) -> Dict[str, Any]:
        """``trusted_root.json`` as a dict. Each window is ``(start, end or None)`` for that part's
        ``validFor`` (default: from the instance's ``not_before``, open-ended); ``omit`` leaves parts
        out by name (``COMPONENTS``)."""
        omitted = set(omit)
        unknown = omitted - set(COMPONENTS)
        if unknown:
            raise ValueError(f"unknown components {sorted(unknown)}")
        default: Window = (self.not_before, None)

        def window(value: Optional[Window]) -> Dict[str, Any]:
            start, end = value or default
            return {"start": start, "end": end}

        root: Dict[str, Any] = {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log.trusted_root_entry(**window(w)) for name, log, w in
                      (("rekor_v1", self.rekor_v1, rekor_v1), ("rekor_v2", self.rekor_v2, rekor_v2))
                      if name not in omitted],
            "certificateAuthorities": [] if "fulcio" in omitted else [self.fulcio.trusted_root_entry(**window(fulcio))],
            "ctlogs": [] if "ct_log" in omitted else [self.ct_log.trusted_root_entry(**window(ct_log))],
            "timestampAuthorities": [] if "tsa" in omitted else [self.tsa.trusted_root_entry(**window(tsa))],
        }
        return root

    # --- bundles -------------------------------------------------------------------------------------

    def bundle(self, artifact: bytes, options: Optional[BundleOptions] = None, **changes: Any) -> Generated:
        """A bundle over ``artifact``: ``options`` (default ``BundleOptions()``) with ``changes``
        applied, e.g. ``inst.bundle(b"x", version="0.1", tamper={"set"})``."""
        opts = options or BundleOptions()
        if changes:
            opts = dataclasses.replace(opts, **changes)
        return build(self, artifact, opts)

    def sign_artifact(self, artifact: bytes, **changes: Any) -> Generated:
        """A messageSignature (hashedrekord) bundle."""
        return self.bundle(artifact, content="message", **changes)

    def sign_dsse(self, artifact: bytes, **changes: Any) -> Generated:
        """A DSSE bundle whose in-toto statement names ``artifact``."""
        return self.bundle(artifact, content="dsse", **changes)
