"""The hash that says a stored per-review result was computed from the text a review has now: CRC-32 of the text's
UTF-8 bytes (0 for no text), stored on ``reviews`` when a review is loaded, so the nightly review stage can tell which
texts it has read before without reading them again."""

from __future__ import annotations

import zlib
from collections.abc import Iterable


def text_hash(text) -> int:
    return zlib.crc32(text.encode("utf-8")) if isinstance(text, str) else 0


def text_hash_list(texts: Iterable) -> list[int]:
    return [text_hash(t) for t in texts]
