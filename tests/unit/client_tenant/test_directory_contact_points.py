"""Contact points in the directory: one queue per address on the whole platform."""

from __future__ import annotations

import pytest

from vaxel_client_tenant.domain import Channel, InMemoryTenantRepository, TenantDirectory
from vaxel_common.errors import InvalidArgument, NotFound
from vaxel_vocabulary.contact_points import ContactKind


class TestDirectoryContactPoints:
    def test_an_address_belongs_to_one_queue_on_the_platform(self) -> None:
        directory = TenantDirectory(InMemoryTenantRepository())
        a = directory.create_tenant("A", "SE", "Europe/Stockholm", ["sv"])
        b = directory.create_tenant("B", "SE", "Europe/Stockholm", ["sv"])
        qa = directory.create_queue(a.tenant_id, "Q", [Channel.VOICE], "sv", "", 0)
        qb = directory.create_queue(b.tenant_id, "Q", [Channel.VOICE], "sv", "", 0)
        point = directory.add_contact_point(
            a.tenant_id, qa.queue_id, ContactKind.PHONE_NUMBER, "08-123 456 78"
        )
        assert point.address == "+46812345678", "the tenant's country is the hint"
        with pytest.raises(InvalidArgument) as err:
            directory.add_contact_point(b.tenant_id, qb.queue_id, ContactKind.PHONE_NUMBER, "+46812345678")
        assert err.value.field == "address"
        assert directory.contact_points(b.tenant_id) == []
        with pytest.raises(NotFound):
            directory.delete_contact_point(b.tenant_id, point.contact_point_id)
        directory.delete_contact_point(a.tenant_id, point.contact_point_id)
        assert directory.contact_points(a.tenant_id) == []
