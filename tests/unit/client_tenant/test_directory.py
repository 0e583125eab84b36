"""Tenants and queues: validation names the field; tenants never see each other's queues."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vaxel_client_tenant.domain import Channel, InMemoryTenantRepository, TenantDirectory
from vaxel_common.errors import InvalidArgument, NotFound


@pytest.fixture
def directory() -> TenantDirectory:
    return TenantDirectory(InMemoryTenantRepository(), clock=lambda: datetime(2026, 11, 25, tzinfo=UTC))


class TestCreateTenant:
    @pytest.mark.parametrize(
        ("name", "country", "zone", "languages", "field"),
        [
            ("", "SE", "Europe/Stockholm", ["sv"], "name"),
            ("Telia", "Sweden", "Europe/Stockholm", ["sv"], "country"),
            ("Telia", "SE", "Mars/Olympus", ["sv"], "time_zone"),
            ("Telia", "SE", "Europe/Stockholm", [], "languages"),
            ("Telia", "SE", "Europe/Stockholm", ["svenska!"], "languages"),
        ],
    )
    def test_invalid_input_names_the_field(
        self, directory: TenantDirectory, name: str, country: str, zone: str, languages: list[str], field: str
    ) -> None:
        with pytest.raises(InvalidArgument) as err:
            directory.create_tenant(name, country, zone, languages)
        assert err.value.field == field

    def test_created_tenant_is_readable(self, directory: TenantDirectory) -> None:
        tenant = directory.create_tenant("Telia", "SE", "Europe/Stockholm", ["sv-SE"])
        assert directory.tenant(tenant.tenant_id) == tenant
        assert tenant.created_at == datetime(2026, 11, 25, tzinfo=UTC)


class TestQueues:
    def test_zone_defaults_to_the_tenants(self, directory: TenantDirectory) -> None:
        tenant = directory.create_tenant("Qantas", "AU", "Australia/Sydney", ["en-AU"])
        queue = directory.create_queue(tenant.tenant_id, "Bookings", [Channel.VOICE], "en-AU", "", 0)
        assert queue.time_zone == "Australia/Sydney"

    def test_another_tenants_queue_is_not_found(self, directory: TenantDirectory) -> None:
        a = directory.create_tenant("A", "SE", "Europe/Stockholm", ["sv"])
        b = directory.create_tenant("B", "DE", "Europe/Berlin", ["de"])
        queue = directory.create_queue(a.tenant_id, "Support", [Channel.CHAT], "sv", "", 0)
        with pytest.raises(NotFound):
            directory.queue(b.tenant_id, queue.queue_id)

    def test_out_of_range_priority(self, directory: TenantDirectory) -> None:
        tenant = directory.create_tenant("A", "SE", "Europe/Stockholm", ["sv"])
        with pytest.raises(InvalidArgument) as err:
            directory.create_queue(tenant.tenant_id, "Q", [Channel.CHAT], "sv", "", 1000)
        assert err.value.field == "priority"

    def test_cursor_pagination_walks_every_queue_once_in_order(self, directory: TenantDirectory) -> None:
        tenant = directory.create_tenant("A", "SE", "Europe/Stockholm", ["sv"])
        other = directory.create_tenant("B", "SE", "Europe/Stockholm", ["sv"])
        made = {
            directory.create_queue(tenant.tenant_id, f"Q{i}", [Channel.EMAIL], "sv", "", 0).queue_id
            for i in range(5)
        }
        directory.create_queue(other.tenant_id, "theirs", [Channel.EMAIL], "sv", "", 0)
        seen: list[str] = []
        cursor = ""
        while True:
            page, cursor = directory.queues(tenant.tenant_id, 2, cursor)
            assert len(page) <= 2
            seen += [q.queue_id for q in page]
            if not cursor:
                break
        assert seen == sorted(made)
