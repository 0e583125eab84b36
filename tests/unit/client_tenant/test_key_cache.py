"""Remembered key checks expire, and revocation through the same instance applies at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vaxel_client_tenant.domain import InMemoryTenantRepository, TenantDirectory
from vaxel_client_tenant.domain.keys import ApiKeys
from vaxel_common.errors import Unauthenticated
from vaxel_vocabulary.scopes import CONFIG_READ


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_revocation_by_another_replica_applies_after_the_cache_time() -> None:
    repository = InMemoryTenantRepository()
    tenant = TenantDirectory(repository).create_tenant("A", "SE", "Europe/Stockholm", ["sv"])
    clock = Clock()
    here, other = ApiKeys(repository, clock, cache_seconds=5), ApiKeys(repository, clock, cache_seconds=5)
    key, plaintext = here.issue(tenant.tenant_id, [CONFIG_READ])
    assert here.principal(plaintext).tenant_id == tenant.tenant_id
    other.revoke(key.key_id)
    assert here.principal(plaintext).tenant_id == tenant.tenant_id, "still remembered"
    clock.now += timedelta(seconds=6)
    with pytest.raises(Unauthenticated):
        here.principal(plaintext)


def test_revocation_here_applies_at_once() -> None:
    repository = InMemoryTenantRepository()
    tenant = TenantDirectory(repository).create_tenant("A", "SE", "Europe/Stockholm", ["sv"])
    keys = ApiKeys(repository, Clock(), cache_seconds=60)
    key, plaintext = keys.issue(tenant.tenant_id, [CONFIG_READ])
    keys.principal(plaintext)
    keys.revoke(key.key_id)
    with pytest.raises(Unauthenticated):
        keys.principal(plaintext)
