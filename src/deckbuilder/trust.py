"""The user's cache key: what a build reads back from the project's `.cache/` is used only when
it carries a signature made with this key.

The cache sits inside the project, where a pull request could plant entries (hostile HTML, a
record claiming an old package is current). The key sits outside it, in the user's own cache
folder, created on first use and readable by the user alone; an entry signed with another key or
none is a miss, so cached output never needs checking again.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_NAME = "cache-key"
KEY_BYTES = 32


def default_key_dir() -> Path:
    return Path.home() / ".cache" / "deckbuilder"


def load_key(folder: Path) -> bytes | None:
    """The key in `folder`, made there if missing; None if it can be neither read nor made
    (then nothing is cached)."""
    path = folder / KEY_NAME
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # O_EXCL: two builds starting at once must not both write a key and sign with different ones
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
    try:
        key = path.read_bytes()
    except OSError:
        return None
    return key if len(key) == KEY_BYTES else None


def sign(key: bytes, *parts: bytes) -> str:
    """A signature over `parts` (joined so that no two different lists sign alike)."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        mac.update(len(part).to_bytes(8, "big") + part)
    return mac.hexdigest()


def verify(key: bytes, signature: object, *parts: bytes) -> bool:
    return isinstance(signature, str) and hmac.compare_digest(signature, sign(key, *parts))
