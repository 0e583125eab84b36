"""Checks shared by the configuration rules: time zones, languages, countries, currencies."""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import available_timezones

import pycountry

from vaxel_common.errors import InvalidArgument
from vaxel_vocabulary.limits import excerpt

COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _countries() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def _currencies() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def validate_time_zone(field: str, name: str) -> str:
    """An IANA zone name, or InvalidArgument naming ``field``."""
    if not name or name not in _zones():
        raise InvalidArgument(field, f"unknown IANA time zone {excerpt(name)}")
    return name


def validate_language(field: str, tag: str) -> str:
    """A BCP 47 language tag such as ``sv-SE``, or InvalidArgument naming ``field``."""
    if len(tag) > 35 or not _LANGUAGE.match(tag):
        raise InvalidArgument(field, f"not a BCP 47 language tag: {excerpt(tag)}")
    return tag


def validate_country(field: str, code: str) -> str:
    """An ISO 3166-1 alpha-2 code (pycountry's list), or InvalidArgument naming ``field``."""
    if not COUNTRY.match(code) or code not in _countries():
        raise InvalidArgument(field, f"ISO 3166-1 alpha-2 code expected, e.g. 'SE'; got {excerpt(code)}")
    return code


def validate_currency(field: str, code: str) -> str:
    """An ISO 4217 alphabetic code (pycountry's list), or InvalidArgument naming ``field``."""
    if code not in _currencies():
        raise InvalidArgument(field, f"ISO 4217 code expected, e.g. 'SEK'; got {excerpt(code)}")
    return code
