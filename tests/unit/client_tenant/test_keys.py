"""API keys: the plaintext once, only a hash kept, scopes, revocation, suspended tenants."""

from __future__ import annotations

import pytest

from vaxel_client_tenant.domain import InMemoryTenantRepository, TenantDirectory, TenantStatus
from vaxel_client_tenant.domain.keys import ApiKeys
from vaxel_common.errors import InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from vaxel_vocabulary.scopes import CONFIG_READ


@pytest.fixture
def setup() -> tuple[TenantDirectory, ApiKeys, str]:
    repository = InMemoryTenantRepository()
    directory = TenantDirectory(repository)
    tenant = directory.create_tenant("Telia", "SE", "Europe/Stockholm", ["sv-SE"])
    return directory, ApiKeys(repository), tenant.tenant_id


class TestApiKeys:
    def test_issued_key_authenticates_as_its_tenant_with_its_scopes(
        self, setup: tuple[TenantDirectory, ApiKeys, str]
    ) -> None:
        _, keys, tenant_id = setup
        key, plaintext = keys.issue(tenant_id, [CONFIG_READ])
        principal = keys.principal(plaintext)
        assert principal.tenant_id == tenant_id
        assert principal.scopes == frozenset({CONFIG_READ})
        assert plaintext.split("_", 2)[2] not in key.secret_sha256

    def test_wrong_secret_and_garbage_are_unauthenticated(
        self, setup: tuple[TenantDirectory, ApiKeys, str]
    ) -> None:
        _, keys, tenant_id = setup
        _, plaintext = keys.issue(tenant_id, [CONFIG_READ])
        for bad in (plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B"), "vx__", "nonsense", ""):
            with pytest.raises(Unauthenticated):
                keys.principal(bad)

    def test_revoked_key_is_refused(self, setup: tuple[TenantDirectory, ApiKeys, str]) -> None:
        _, keys, tenant_id = setup
        key, plaintext = keys.issue(tenant_id, [CONFIG_READ])
        assert keys.revoke(key.key_id).revoked_at is not None
        with pytest.raises(Unauthenticated):
            keys.principal(plaintext)

    def test_suspended_tenant_is_refused(self, setup: tuple[TenantDirectory, ApiKeys, str]) -> None:
        directory, keys, tenant_id = setup
        _, plaintext = keys.issue(tenant_id, [CONFIG_READ])
        directory.set_status(tenant_id, TenantStatus.SUSPENDED)
        with pytest.raises(PermissionDenied):
            keys.principal(plaintext)
        directory.set_status(tenant_id, TenantStatus.ACTIVE)
        assert keys.principal(plaintext).tenant_id == tenant_id

    def test_unknown_scope_and_tenant(self, setup: tuple[TenantDirectory, ApiKeys, str]) -> None:
        _, keys, tenant_id = setup
        with pytest.raises(InvalidArgument) as err:
            keys.issue(tenant_id, ["admin"])
        assert err.value.field == "scopes"
        with pytest.raises(NotFound):
            keys.issue("no-such-tenant", [CONFIG_READ])
