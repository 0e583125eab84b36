"""The authentication hook: who is calling, bound for the duration of one RPC.

A service passes an :class:`Authenticator` to the gRPC bootstrap; the auth
interceptor calls it with the method and the request metadata, and the servicer
reads the result with :func:`current_principal`. API keys travel in the
``authorization: Bearer <key>`` or ``x-api-key`` metadata and never reach a log.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

from vaxel_common.errors import InvalidArgument, PermissionDenied, Unauthenticated

__all__ = [
    "AllowAll",
    "Authenticator",
    "Principal",
    "api_key_of",
    "caller_tenant",
    "current_principal",
    "principal_var",
]


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller. ``tenant_id`` is None for provider ops (all tenants)."""

    subject: str
    tenant_id: str | None
    scopes: frozenset[str] = field(default_factory=frozenset)

    def holds(self, scope: str) -> bool:
        """Whether the caller holds ``scope`` (or every scope)."""
        return scope in self.scopes or "*" in self.scopes

    def require(self, scope: str) -> None:
        """Raise PermissionDenied unless the caller holds ``scope``."""
        if not self.holds(scope):
            raise PermissionDenied(f"missing scope {scope!r}")

    def tenant_scope(self, requested_tenant_id: str) -> str:
        """The tenant a request may act on: its own; ops may name any."""
        if self.tenant_id is None:
            return requested_tenant_id
        if requested_tenant_id and requested_tenant_id != self.tenant_id:
            raise PermissionDenied("the key is not valid for that tenant")
        return self.tenant_id


ANONYMOUS = Principal(subject="anonymous", tenant_id=None, scopes=frozenset({"*"}))
principal_var: ContextVar[Principal] = ContextVar("vaxel_principal", default=ANONYMOUS)


def current_principal() -> Principal:
    """The caller of the RPC being served."""
    return principal_var.get()


def caller_tenant(requested: str, scope: str, *, all_allowed: bool = False) -> str:
    """The tenant the caller may act on with ``scope``: a tenant key its own, the ops key the one it names.

    PermissionDenied without the scope or for another tenant; INVALID_ARGUMENT naming ``tenant_id`` when
    the ops key names none (unless ``all_allowed``: then "" means every tenant).
    """
    principal = current_principal()
    principal.require(scope)
    tenant_id = principal.tenant_scope(requested)
    if not tenant_id and not all_allowed:
        raise InvalidArgument("tenant_id", "required with the ops key")
    return tenant_id


class Authenticator(Protocol):
    """Turns request metadata into a :class:`Principal`, or raises Unauthenticated."""

    async def authenticate(self, method: str, metadata: Mapping[str, str]) -> Principal: ...


class AllowAll:
    """Every caller is trusted with every tenant: for services behind an authenticating gateway
    and for the walking skeleton. Services with their own callers plug in a real authenticator."""

    async def authenticate(self, method: str, metadata: Mapping[str, str]) -> Principal:
        return ANONYMOUS


def api_key_of(metadata: Mapping[str, str]) -> str:
    """The API key carried by the request, or Unauthenticated."""
    auth = metadata.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    key = metadata.get("x-api-key", "")
    if not key:
        raise Unauthenticated("missing API key (authorization: Bearer <key>)")
    return key
