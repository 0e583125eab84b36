"""Resolving endpoint hosts, and refusing private addresses at registration and at every connection.

Registration resolves the host once and refuses the URL when any address is not allowed
(:func:`check_url`). Deliveries connect through :class:`GuardedResolver`: aiohttp asks it for the
addresses of each new connection and gets only allowed ones, so a name that later resolves to a
private address (DNS rebinding) connects nowhere instead of into the provider's network. IP literals
are checked at registration (aiohttp does not resolve them, and they cannot change).
"""

from __future__ import annotations

import asyncio
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from vaxel_common.errors import InvalidArgument
from vaxel_integrations.domain.urls import EndpointUrl, address_allowed, check_addresses, parse_url

__all__ = ["GuardedResolver", "check_url"]

_RESOLVE_TIMEOUT_SECONDS = 5.0


async def check_url(url: str, *, allow_loopback: bool) -> EndpointUrl:
    """The URL checked for its form and for the addresses its host resolves to now."""
    parsed = parse_url(url, allow_loopback=allow_loopback)
    if parsed.literal_address:
        check_addresses([parsed.host], allow_loopback=allow_loopback)
        return parsed
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(parsed.host, parsed.port, type=socket.SOCK_STREAM), _RESOLVE_TIMEOUT_SECONDS
        )
    except (OSError, TimeoutError) as exc:
        raise InvalidArgument("url", "the host does not resolve") from exc
    check_addresses([str(info[4][0]) for info in infos], allow_loopback=allow_loopback)
    return parsed


class GuardedResolver(AbstractResolver):
    """aiohttp's threaded resolver with the addresses a delivery may not reach taken out."""

    def __init__(self, *, allow_loopback: bool) -> None:
        self._inner = ThreadedResolver()
        self._allow_loopback = allow_loopback

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        allowed = [r for r in found if address_allowed(r["host"], allow_loopback=self._allow_loopback)]
        if not allowed:
            raise OSError(f"{host} resolves to no address a webhook may reach")
        return allowed

    async def close(self) -> None:
        await self._inner.close()
