"""The tenant directory on a real SQLite file and a real PostgreSQL: same behaviour; survives a restart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest

from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_client_tenant.adapters.store import SqlTenantRepository
from vaxel_client_tenant.domain import Channel, TenantDirectory
from vaxel_common.db import connect
from vaxel_common.errors import NotFound
from vaxel_common.supervisor import SERVICES, Platform, wait_serving

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ct.sqlite3'}"
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture
def directory(database_url: str) -> Iterator[TenantDirectory]:
    db = connect(database_url)
    yield TenantDirectory(SqlTenantRepository(db))
    db.close()


class TestSqlTenantRepository:
    def test_tenant_and_queue_round_trip(self, directory: TenantDirectory) -> None:
        tenant = directory.create_tenant("Lufthansa", "DE", "Europe/Berlin", ["de-DE", "en-GB"])
        assert directory.tenant(tenant.tenant_id) == tenant
        queue = directory.create_queue(
            tenant.tenant_id, "Buchung", [Channel.VOICE, Channel.CHAT], "de-DE", "", 5
        )
        assert directory.queue(tenant.tenant_id, queue.queue_id) == queue
        assert tenant.created_at.tzinfo is not None
        assert tenant.created_at <= datetime.now(UTC)

    def test_pagination_and_tenancy(self, directory: TenantDirectory) -> None:
        a = directory.create_tenant("A", "SE", "Europe/Stockholm", ["sv"])
        b = directory.create_tenant("B", "SE", "Europe/Stockholm", ["sv"])
        made = sorted(
            directory.create_queue(a.tenant_id, f"Q{i}", [Channel.EMAIL], "sv", "", 0).queue_id
            for i in range(3)
        )
        first, cursor = directory.queues(a.tenant_id, 2, "")
        rest, end = directory.queues(a.tenant_id, 2, cursor)
        assert [q.queue_id for q in first + rest] == made
        assert end == ""
        with pytest.raises(NotFound):
            directory.queue(b.tenant_id, made[0])

    def test_reopening_keeps_the_data(self, database_url: str) -> None:
        db = connect(database_url)
        tenant = TenantDirectory(SqlTenantRepository(db)).create_tenant(
            "A", "US", "America/New_York", ["en-US"]
        )
        db.close()
        db = connect(database_url)
        assert (
            TenantDirectory(SqlTenantRepository(db)).tenant(tenant.tenant_id).time_zone == "America/New_York"
        )
        db.close()


def test_client_tenant_restart_keeps_tenants(platform: Platform, channels: dict[str, grpc.Channel]) -> None:
    admin = tenant_pb2_grpc.AdminServiceStub(channels["client-tenant"])
    tenant = admin.CreateTenant(
        tenant_pb2.CreateTenantRequest(
            name="Qantas", country="AU", time_zone="Australia/Sydney", languages=["en-AU"]
        ),
        metadata=platform.admin_metadata,
    ).tenant
    queue = (
        tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
        .CreateQueue(
            tenant_pb2.CreateQueueRequest(
                tenant_id=tenant.tenant_id,
                name="Bookings",
                channels=[types_pb2.CHANNEL_VOICE],
                language="en-AU",
            ),
            metadata=platform.admin_metadata,
        )
        .queue
    )
    spec = next(s for s in SERVICES if s.name == "client-tenant")
    assert platform.stop_service(spec.name) == 0
    proc = platform.start_service(spec)
    wait_serving(proc.grpc_target, 60, proc.process)
    with grpc.insecure_channel(proc.grpc_target) as channel:
        again = tenant_pb2_grpc.TenantServiceStub(channel).GetQueue(
            tenant_pb2.GetQueueRequest(tenant_id=tenant.tenant_id, queue_id=queue.queue_id),
            timeout=5,
            metadata=platform.admin_metadata,
        )
    assert again.queue == queue
