"""Checking that a webhook really comes from GitHub."""

import hashlib
import hmac


def signature_is_valid(*, secret: str, body: bytes, header: str) -> bool:
    """X-Hub-Signature-256 is "sha256=" + the HMAC-SHA256 of the raw body; compared in constant time."""
    if not secret or not header.startswith("sha256=") or not header.isascii():
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.encode())


def sign(*, secret: str, body: bytes) -> str:
    """The header GitHub would send with `body` (for the stand-in GitHub and the tests)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
