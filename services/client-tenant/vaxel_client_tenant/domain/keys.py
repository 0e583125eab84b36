"""API keys of client companies: shown once, stored as a hash, scoped, revocable.

A key reads ``vx_<key id>_<secret>``. Only SHA-256 of the secret is stored: the secret
is 256 random bits, so a slow hash adds nothing. Keys of suspended tenants and
revoked keys are refused.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from vaxel_client_tenant.domain.ports import TenantRepository
from vaxel_common.api_keys import digest
from vaxel_common.auth import Principal
from vaxel_common.errors import InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from vaxel_vocabulary.model import TenantStatus
from vaxel_vocabulary.scopes import CHAT_PUBLIC, SCOPES


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    tenant_id: str
    scopes: frozenset[str]
    secret_sha256: str
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeys:
    """Issues, revokes and checks keys. Checked keys are remembered for ``cache_seconds``: a revocation or
    suspension made through this instance takes effect at once, one made by another replica within that time."""

    def __init__(
        self,
        repository: TenantRepository,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        cache_seconds: float = 5.0,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._ttl = timedelta(seconds=cache_seconds)
        self._checked: dict[str, tuple[Principal, datetime]] = {}

    def issue(self, tenant_id: str, scopes: Iterable[str]) -> tuple[ApiKey, str]:
        """A new key for the tenant and its plaintext (returned once, never stored)."""
        wanted = frozenset(scopes)
        if not wanted:
            raise InvalidArgument("scopes", f"at least one of {sorted(SCOPES)}")
        unknown = wanted - SCOPES
        if unknown:
            raise InvalidArgument("scopes", f"unknown scope {sorted(unknown)[0]!r}; known: {sorted(SCOPES)}")
        if CHAT_PUBLIC in wanted and len(wanted) > 1:
            raise InvalidArgument(
                "scopes", f"{CHAT_PUBLIC!r} (a public key) is issued alone, with no other scope"
            )
        if self._repository.get_tenant(tenant_id) is None:
            raise NotFound(f"tenant {tenant_id!r} not found")
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        key = ApiKey(key_id, tenant_id, wanted, digest(secret), self._clock())
        self._repository.add_key(key)
        return key, f"vx_{key_id}_{secret}"

    def revoke(self, key_id: str) -> ApiKey:
        key = self._repository.get_key(key_id)
        if key is None:
            raise NotFound(f"API key {key_id!r} not found")
        if key.revoked_at is None:
            key = replace(key, revoked_at=self._clock())
            self._repository.update_key(key)
        self._checked.clear()
        return key

    def forget(self) -> None:
        """Drop remembered checks (after a tenant's status changed)."""
        self._checked.clear()

    def principal(self, plaintext: str) -> Principal:
        """Who holds ``plaintext``; Unauthenticated or PermissionDenied otherwise (never saying which part failed)."""
        now = self._clock()
        remembered = self._checked.get(plaintext)
        if remembered is not None and remembered[1] > now:
            return remembered[0]
        principal = self._check(plaintext)
        if len(self._checked) > 10_000:
            self._checked.clear()
        self._checked[plaintext] = (principal, now + self._ttl)
        return principal

    def _check(self, plaintext: str) -> Principal:
        prefix, _, rest = plaintext.partition("_")
        key_id, _, secret = rest.partition("_")
        key = self._repository.get_key(key_id) if prefix == "vx" and key_id and secret else None
        if key is None or not hmac.compare_digest(key.secret_sha256, digest(secret)) or key.revoked_at:
            raise Unauthenticated("invalid or revoked API key")
        tenant = self._repository.get_tenant(key.tenant_id)
        if tenant is None or tenant.status is not TenantStatus.ACTIVE:
            raise PermissionDenied("the tenant is suspended")
        return Principal(subject=f"key:{key.key_id}", tenant_id=key.tenant_id, scopes=key.scopes)
