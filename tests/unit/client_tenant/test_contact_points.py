"""Contact points: phone numbers validated, normalised to E.164 and country-detected; one queue per address."""

from __future__ import annotations

import pytest

from vaxel_client_tenant.domain import Channel, InMemoryTenantRepository, TenantDirectory
from vaxel_client_tenant.domain.contact_points import ContactKind, normalise
from vaxel_common.errors import InvalidArgument, NotFound


class TestNormalise:
    @pytest.mark.parametrize(
        ("raw", "hint", "e164", "country"),
        [
            ("+46 8 123 456 78", "", "+46812345678", "SE"),
            ("08-123 456 78", "SE", "+46812345678", "SE"),
            ("(212) 555-0123", "US", "+12125550123", "US"),
            ("+61 2 9374 4000", "", "+61293744000", "AU"),
            ("+49 30 901820", "", "+4930901820", "DE"),
        ],
    )
    def test_phone_numbers(self, raw: str, hint: str, e164: str, country: str) -> None:
        assert normalise(ContactKind.PHONE_NUMBER, raw, hint) == (e164, country)

    @pytest.mark.parametrize("raw", ["12345", "+46 8", "not a number", "+999 123 456"])
    def test_invalid_phone_numbers_do_not_echo_the_input(self, raw: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            normalise(ContactKind.PHONE_NUMBER, raw)
        assert err.value.field == "address"
        assert raw not in str(err.value)

    def test_other_kinds(self) -> None:
        assert normalise(ContactKind.EMAIL_ADDRESS, "Support@Example.COM") == ("support@example.com", "")
        assert normalise(ContactKind.SOCIAL_HANDLE, "@Qantas") == ("@qantas", "")
        assert normalise(ContactKind.HASHTAG, "#Flyg") == ("#flyg", "")
        with pytest.raises(InvalidArgument):
            normalise(ContactKind.EMAIL_ADDRESS, "nope")


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
