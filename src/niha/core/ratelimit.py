"""Rate limits on the ``limits`` library: moving window, memory or Redis storage."""

from __future__ import annotations

from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from niha.core.errors import TooManyRequests


class RateLimiter:
    def __init__(self, redis_url: str | None = None) -> None:
        self.storage: Storage = (
            RedisStorage(
                redis_url.replace("redis://", "async+redis://", 1), implementation="redispy"
            )
            if redis_url
            else MemoryStorage()
        )
        self.limiter = MovingWindowRateLimiter(self.storage)

    async def hit(self, rule: str, *identifiers: str) -> bool:
        return bool(await self.limiter.hit(parse(rule), *identifiers))

    async def check(self, rule: str, *identifiers: str) -> None:
        """Count one hit; raise 429 ``rate_limited`` when over the limit."""
        if not await self.hit(rule, *identifiers):
            item = parse(rule)
            raise TooManyRequests(
                "Too many requests; try again later",
                headers={"Retry-After": str(item.get_expiry())},
            )

    async def reset(self) -> None:
        await self.storage.reset()
