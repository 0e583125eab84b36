"""A tenant sets how long its interactions are kept: stored, readable, published on the configuration
topic as the tenant's state (which interaction-log reads); bad values name the field."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import grpc
import pytest

from tests.fixtures.platform import onboard_tenant, tenant_events
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel_client_tenant.adapters.store import SqlTenantRepository
from vaxel_client_tenant.domain import TenantDirectory
from vaxel_common.db import connect
from vaxel_common.errors import InvalidArgument
from vaxel_common.supervisor import Platform
from vaxel_common.topics import TENANT_CONFIG

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ct.sqlite3'}"
    return str(request.getfixturevalue("postgres_database"))


class TestStored:
    def test_kept_across_a_restart_and_versioned_on_change_only(self, database_url: str) -> None:
        db = connect(database_url)
        directory = TenantDirectory(SqlTenantRepository(db))
        tenant = directory.create_tenant("Finnair", "FI", "Europe/Helsinki", ["fi-FI"])
        changed = directory.set_data_retention(tenant.tenant_id, 730)
        assert (changed.data_retention_days, changed.version) == (730, tenant.version + 1)
        assert directory.set_data_retention(tenant.tenant_id, 730).version == changed.version
        with pytest.raises(InvalidArgument) as err:
            directory.set_data_retention(tenant.tenant_id, 3651)
        assert err.value.field == "days"
        db.close()
        db = connect(database_url)
        try:
            again = TenantDirectory(SqlTenantRepository(db)).tenant(tenant.tenant_id)
            assert (again.data_retention_days, again.version) == (730, changed.version)
        finally:
            db.close()


def published_retention(platform: Platform, tenant_id: str, days: int) -> list[int]:
    """The data_retention_days of every published state of the tenant, once one carries ``days``."""
    deadline = time.monotonic() + 20
    while True:
        seen = []
        for event in tenant_events(platform, TENANT_CONFIG.name, {tenant_id}):
            change = event.tenant_config_changed
            if change.entity_type == "tenant" and change.entity_id == tenant_id:
                state = tenant_pb2.Tenant()
                change.state.Unpack(state)
                seen.append(state.data_retention_days)
        if days in seen or time.monotonic() > deadline:
            return seen
        time.sleep(0.3)


def test_a_tenant_sets_its_retention_and_it_is_published(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    tenant_id, key = onboard_tenant(
        platform, channels, f"Keep {uuid.uuid4().hex[:6]}", "SE", "Europe/Stockholm", "sv-SE"
    )
    admin = tenant_pb2_grpc.AdminServiceStub(channels["client-tenant"])
    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    before = admin.GetTenant(tenant_pb2.GetTenantRequest(), metadata=key).tenant
    assert before.data_retention_days == 0  # the platform's default until the tenant decides

    reply = tenants.SetDataRetention(tenant_pb2.SetDataRetentionRequest(days=90), metadata=key)
    assert reply.tenant.data_retention_days == 90
    assert admin.GetTenant(tenant_pb2.GetTenantRequest(), metadata=key).tenant.data_retention_days == 90
    assert published_retention(platform, tenant_id, 90)[-1] == 90

    back = tenants.SetDataRetention(tenant_pb2.SetDataRetentionRequest(days=0), metadata=key)
    assert back.tenant.data_retention_days == 0
    assert published_retention(platform, tenant_id, 0)[-1] == 0


@pytest.mark.parametrize("days", [3651, 100_000])
def test_out_of_range_days_name_the_field(
    platform: Platform, channels: dict[str, grpc.Channel], days: int
) -> None:
    _, key = onboard_tenant(platform, channels, "Range", "SE", "Europe/Stockholm", "sv-SE")
    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    with pytest.raises(grpc.RpcError) as err:
        tenants.SetDataRetention(tenant_pb2.SetDataRetentionRequest(days=days), metadata=key)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (err.value.details() or "").startswith("days")


def test_a_read_only_key_cannot_change_it(platform: Platform, channels: dict[str, grpc.Channel]) -> None:
    _, key = onboard_tenant(
        platform, channels, "ReadOnly", "SE", "Europe/Stockholm", "sv-SE", scopes=("config:read",)
    )
    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    with pytest.raises(grpc.RpcError) as err:
        tenants.SetDataRetention(tenant_pb2.SetDataRetentionRequest(days=30), metadata=key)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
