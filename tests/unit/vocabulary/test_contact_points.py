"""Contact points: phone numbers validated, normalised to E.164 and country-detected."""

from __future__ import annotations

import pytest

from vaxel_common.errors import InvalidArgument
from vaxel_vocabulary.contact_points import ContactKind, normalise


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
