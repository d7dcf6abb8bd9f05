"""Verification steps (pure functions over parsed data) and the pipeline that orders them."""
