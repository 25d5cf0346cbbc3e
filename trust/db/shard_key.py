"""The stable hash a merchant's shard is taken from (see :mod:`trust.db.shards`): CRC-32 of the id, the same on every
machine and Python version, stored on ``merchants`` when a merchant is loaded."""

from __future__ import annotations

import zlib
from collections.abc import Iterable


def shard_key(merchant_id: str) -> int:
    """0 … 2³¹−1: CRC-32 of the id's UTF-8 bytes without its sign bit."""
    return zlib.crc32(str(merchant_id).encode("utf-8")) & 0x7FFFFFFF


def shard_keys(merchant_ids: Iterable[str]) -> list[int]:
    return [shard_key(m) for m in merchant_ids]
