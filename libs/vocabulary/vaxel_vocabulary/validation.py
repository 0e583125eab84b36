"""Checks shared by the configuration rules: time zones, languages, countries."""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import available_timezones

from vaxel_common.errors import InvalidArgument

COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_time_zone(field: str, name: str) -> str:
    """An IANA zone name, or InvalidArgument naming ``field``."""
    if not name or name not in _zones():
        raise InvalidArgument(field, f"unknown IANA time zone {name!r}")
    return name


def validate_language(field: str, tag: str) -> str:
    """A BCP 47 language tag such as ``sv-SE``, or InvalidArgument naming ``field``."""
    if not _LANGUAGE.match(tag):
        raise InvalidArgument(field, f"not a BCP 47 language tag: {tag!r}")
    return tag
