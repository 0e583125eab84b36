"""API scopes: what an API key may do. Every servicer and client names them from here."""

from __future__ import annotations

from typing import Final, Literal

Scope = Literal[
    "config:read", "config:write", "interactions:read", "interactions:write", "reports:read", "chat:public"
]

CONFIG_READ: Final = "config:read"
CONFIG_WRITE: Final = "config:write"
INTERACTIONS_READ: Final = "interactions:read"
INTERACTIONS_WRITE: Final = "interactions:write"
REPORTS_READ: Final = "reports:read"
# In the order a person reads them (the CLI's default for a new key).
ALL_SCOPES: Final[tuple[Scope, ...]] = (
    CONFIG_READ,
    CONFIG_WRITE,
    INTERACTIONS_READ,
    INTERACTIONS_WRITE,
    REPORTS_READ,
)
# A tenant's public chat key (on its web site, so anybody holds it): start and continue chats, nothing
# else. It is issued alone, never with another scope (client-tenant refuses the mix).
CHAT_PUBLIC: Final = "chat:public"
SCOPES: Final = frozenset((*ALL_SCOPES, CHAT_PUBLIC))
# The platform operator's role: every tenant, every scope.
ADMIN: Final = "admin"

__all__ = [
    "ADMIN",
    "ALL_SCOPES",
    "CHAT_PUBLIC",
    "CONFIG_READ",
    "CONFIG_WRITE",
    "INTERACTIONS_READ",
    "INTERACTIONS_WRITE",
    "REPORTS_READ",
    "SCOPES",
    "Scope",
]
