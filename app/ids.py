"""Identifiers of every resource: UUID text whose first 48 bits are the creation time in
milliseconds (the UUIDv7 layout), so the keyset order of ids is the order of creation."""

from __future__ import annotations

import os
import time
import uuid


def time_ordered_uuid() -> str:
    millis = time.time_ns() // 1_000_000
    value = (millis & (2**48 - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    value &= ~(0xF << 76)
    value |= 0x7 << 76  # version 7
    value &= ~(0x3 << 62)
    value |= 0x2 << 62  # RFC 4122 variant
    return str(uuid.UUID(int=value))
