"""Contact points: where customers reach a queue (phone numbers per country, e-mail, chat, social).

An address maps to one queue on the whole platform, so inbound traffic finds its tenant.
Phone numbers are validated and normalised to E.164 with the country detected. Addresses
are personal data of sorts: error messages never repeat them (they may reach logs).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import Enum

import phonenumbers

from vaxel_common.errors import InvalidArgument

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HANDLE = re.compile(r"^@[A-Za-z0-9_.]{1,64}$")
_HASHTAG = re.compile(r"^#\w{1,100}$", re.UNICODE)
_WIDGET = re.compile(r"^[A-Za-z0-9_-]{3,64}$")


class ContactKind(Enum):
    PHONE_NUMBER = "phone_number"
    EMAIL_ADDRESS = "email_address"
    CHAT_WIDGET = "chat_widget"
    SOCIAL_HANDLE = "social_handle"
    HASHTAG = "hashtag"


@dataclass(frozen=True, slots=True)
class ContactPoint:
    contact_point_id: str
    tenant_id: str
    queue_id: str
    kind: ContactKind
    address: str
    # ISO 3166-1 alpha-2 of a phone number; "" for the other kinds.
    country: str


def normalise(kind: ContactKind, address: str, country_hint: str = "") -> tuple[str, str]:
    """The canonical address and its country; InvalidArgument("address", ...) when malformed."""
    text = address.strip()
    if kind is ContactKind.PHONE_NUMBER:
        try:
            number = phonenumbers.parse(text, country_hint or None)
        except phonenumbers.NumberParseException:
            raise InvalidArgument(
                "address", "not a phone number (write it in E.164: + country code and number)"
            ) from None
        if not phonenumbers.is_valid_number(number):
            raise InvalidArgument("address", "not a valid phone number for its country")
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return e164, phonenumbers.region_code_for_number(number) or ""
    pattern = {
        ContactKind.EMAIL_ADDRESS: _EMAIL,
        ContactKind.SOCIAL_HANDLE: _HANDLE,
        ContactKind.HASHTAG: _HASHTAG,
        ContactKind.CHAT_WIDGET: _WIDGET,
    }[kind]
    if not pattern.match(text):
        raise InvalidArgument("address", f"not a valid {kind.value.replace('_', ' ')}")
    canonical = text if kind is ContactKind.CHAT_WIDGET else text.lower()
    return canonical, ""


def new_contact_point(
    tenant_id: str, queue_id: str, kind: ContactKind, address: str, country_hint: str = ""
) -> ContactPoint:
    canonical, country = normalise(kind, address, country_hint)
    return ContactPoint(str(uuid.uuid4()), tenant_id, queue_id, kind, canonical, country)
