"""Which webhook URLs are acceptable, and which addresses a delivery may connect to (pure: the
adapters resolve names and hand the addresses in).

HTTPS only; ``http://`` only to a loopback host where the service allows loopback (development and
tests). Addresses that are private, loopback (unless allowed), link-local, multicast, reserved or
unspecified are refused, so a tenant cannot aim the platform at the provider's own network.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from vaxel_common.errors import InvalidArgument

__all__ = ["MAX_URL_LENGTH", "EndpointUrl", "address_allowed", "check_addresses", "parse_url"]

MAX_URL_LENGTH = 2048
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@dataclass(frozen=True, slots=True)
class EndpointUrl:
    url: str
    scheme: str
    host: str
    port: int

    @property
    def literal_address(self) -> bool:
        """Whether the host is an IP address (nothing to resolve)."""
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True


def parse_url(url: str, *, allow_loopback: bool) -> EndpointUrl:
    """The URL checked for its form (not yet its addresses); INVALID_ARGUMENT naming ``url``."""
    if not url:
        raise InvalidArgument("url", "required")
    if len(url) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 32 for c in url):
        raise InvalidArgument("url", "not a valid URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidArgument("url", "not a valid URL") from exc
    host = (parts.hostname or "").lower()
    if not host:
        raise InvalidArgument("url", "no host")
    if parts.username is not None or parts.password is not None:
        raise InvalidArgument("url", "credentials in the URL are not allowed (the signature authenticates)")
    if parts.fragment:
        raise InvalidArgument("url", "no fragment allowed")
    loopback = host in _LOOPBACK_NAMES or _is_loopback_literal(host)
    if parts.scheme == "http":
        if not (allow_loopback and loopback):
            raise InvalidArgument("url", "must be https")
    elif parts.scheme != "https":
        raise InvalidArgument("url", "must be https")
    if loopback and not allow_loopback:
        raise InvalidArgument("url", "loopback addresses are not allowed")
    default = 443 if parts.scheme == "https" else 80
    return EndpointUrl(url, parts.scheme, host, port or default)


def _is_loopback_literal(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def address_allowed(address: str, *, allow_loopback: bool) -> bool:
    """Whether a delivery may connect to ``address`` (an IP literal)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return not (
        ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def check_addresses(addresses: list[str], *, allow_loopback: bool) -> None:
    """INVALID_ARGUMENT naming ``url`` unless the host resolved, and to allowed addresses only."""
    if not addresses:
        raise InvalidArgument("url", "the host does not resolve")
    if not all(address_allowed(a, allow_loopback=allow_loopback) for a in addresses):
        raise InvalidArgument("url", "the host resolves to a private, loopback or reserved address")
