"""Rate limit per principal: an in-process token bucket (429 + Retry-After).

Each principal may burst `burst` requests and then `per_minute` a minute. The buckets
live in the process: with N API processes a principal gets up to N times the rate. No
Redis client is a pinned dependency, so a shared (Redis) limiter is not provided; put a
gateway limit in front when running several processes.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from app.errors import DomainError

MAX_TRACKED = 50_000  # buckets kept before idle (full) ones are dropped


class TooManyRequests(DomainError):  # noqa: N818 (HTTP status names read best)
    status, title = 429, "Too many requests"

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            f"rate limit exceeded; retry in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )


class TokenBucketLimiter:
    def __init__(
        self, *, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = per_minute / 60.0  # tokens per second
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def wait_time(self, key: str) -> float:
        """Take one token for `key`: 0.0 when allowed, else seconds until one is available."""
        if not self.enabled:
            return 0.0
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                self._prune(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def retry_after(self, key: str) -> float:
        """Seconds until `key` has a token again (0.0 when it has one); takes nothing."""
        if not self.enabled:
            return 0.0
        with self._lock:
            tokens, at = self._buckets.get(key, (self.burst, self._clock()))
            tokens = min(self.burst, tokens + (self._clock() - at) * self.rate)
            return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def check(self, key: str) -> None:
        """Raise TooManyRequests when `key` is over its rate."""
        wait = self.wait_time(key)
        if wait > 0:
            raise TooManyRequests(wait)

    def _prune(self, now: float) -> None:
        if len(self._buckets) <= MAX_TRACKED:
            return
        refill = self.burst / self.rate
        self._buckets = {
            key: (tokens, at) for key, (tokens, at) in self._buckets.items() if now - at < refill
        }
