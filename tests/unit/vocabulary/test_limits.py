"""Sizes and characters of configuration strings: one walker over every string field of a request."""

from __future__ import annotations

import pytest

from vaxel.tenant.v1 import tenant_pb2
from vaxel_common.errors import InvalidArgument
from vaxel_vocabulary.limits import DEFAULT_LIMIT, EXCERPT, MAX_NAME, check_strings, check_text, excerpt
from vaxel_vocabulary.validation import validate_country, validate_currency


class TestCheckStrings:
    def test_names_the_nested_and_repeated_field(self) -> None:
        request = tenant_pb2.CreateFaqEntryRequest(
            entry=tenant_pb2.FaqEntry(language="sv", question="Q", answer="A", keywords=["ok", "b\x07"])
        )
        with pytest.raises(InvalidArgument) as err:
            check_strings(request)
        assert err.value.field == "entry.keywords[1]"

    def test_limit_by_field_name_and_default(self) -> None:
        check_strings(tenant_pb2.CreateTenantRequest(name="n" * MAX_NAME, country="SE"))
        with pytest.raises(InvalidArgument) as err:
            check_strings(tenant_pb2.CreateTenantRequest(name="n" * (MAX_NAME + 1)))
        assert err.value.field == "name"
        with pytest.raises(InvalidArgument) as err:
            check_strings(tenant_pb2.CreateTenantRequest(country="S" * (DEFAULT_LIMIT + 1)))
        assert err.value.field == "country"

    def test_line_breaks_only_in_long_text(self) -> None:
        check_strings(tenant_pb2.SetCallGuidelinesRequest(text="a\n\tb\r\n"))
        with pytest.raises(InvalidArgument):
            check_strings(tenant_pb2.CreateSkillRequest(name="a\nb"))
        with pytest.raises(InvalidArgument):
            check_strings(tenant_pb2.SetCallGuidelinesRequest(text="a\x00b"))

    def test_a_megabyte_is_not_echoed(self) -> None:
        with pytest.raises(InvalidArgument) as err:
            check_text("name", "x" * 1_000_000, MAX_NAME)
        assert len(str(err.value)) < 100

    def test_excerpt_is_bounded(self) -> None:
        assert len(excerpt("y" * 10_000)) <= EXCERPT + 5
        assert excerpt("ab") == "'ab'"


class TestCodes:
    @pytest.mark.parametrize("code", ["ZZ", "se", "SWE", ""])
    def test_country(self, code: str) -> None:
        with pytest.raises(InvalidArgument):
            validate_country("country", code)

    def test_known_codes(self) -> None:
        assert validate_country("country", "SE") == "SE"
        assert validate_currency("currency", "EUR") == "EUR"

    @pytest.mark.parametrize("code", ["XYZ", "sek", "SE", "x" * 1000])
    def test_currency(self, code: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            validate_currency("currency", code)
        assert len(str(err.value)) < 120
