"""Cursor pagination for the tenant API's lists.

A page token is opaque to the caller: it carries the sort key of the last item handed out, so a
page is stable under inserts and deletes elsewhere in the list (no offsets that shift). The same
page size rules hold on every list.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from vaxel_common.errors import InvalidArgument

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def page_size_of(requested: int) -> int:
    """The page size to use for ``requested`` (0 means the default)."""
    if not 0 <= requested <= MAX_PAGE_SIZE:
        raise InvalidArgument("page_size", f"must be between 0 and {MAX_PAGE_SIZE}")
    return requested or DEFAULT_PAGE_SIZE


def encode_token(key: Sequence[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[str, ...]:
    """The sort key inside ``token``; () for the first page."""
    if not token:
        return ()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidArgument("page_token", "not a token from a previous page") from exc
    if not isinstance(key, list) or not key or not all(isinstance(k, str) for k in key):
        raise InvalidArgument("page_token", "not a token from a previous page")
    return tuple(key)


def paginate(
    items: Sequence[T], sort_key: Callable[[T], tuple[str, ...]], page_size: int, page_token: str
) -> tuple[list[T], str]:
    """One page of ``items`` (any order) by ``sort_key``, and the next page's token ('' at the end).

    The sort key must be unique per item (end it with the item's id).
    """
    size = page_size_of(page_size)
    after = decode_token(page_token)
    ordered = sorted(items, key=sort_key)
    rest = [item for item in ordered if sort_key(item) > after] if after else ordered
    page = rest[:size]
    return page, encode_token(sort_key(page[-1])) if len(rest) > size else ""
