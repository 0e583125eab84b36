"""Cursor pagination: every item once, in order, stable when the list changes between pages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaxel_common.errors import InvalidArgument
from vaxel_vocabulary.pagination import decode_token, encode_token, paginate


def _key(item: str) -> tuple[str, ...]:
    return (item.lower(), item)


@given(st.sets(st.text(min_size=1, max_size=8), max_size=60), st.integers(min_value=1, max_value=7))
def test_walking_the_pages_yields_each_item_once_in_order(items: set[str], size: int) -> None:
    seen: list[str] = []
    token = ""
    while True:
        page, token = paginate(list(items), _key, size, token)
        assert len(page) <= size
        seen += page
        if not token:
            break
    assert seen == sorted(items, key=_key)


def test_an_insert_before_the_cursor_does_not_shift_the_next_page() -> None:
    items = ["b", "d", "f", "h"]
    first, token = paginate(items, _key, 2, "")
    assert first == ["b", "d"]
    second, token = paginate(["a", "c", *items], _key, 2, token)
    assert second == ["f", "h"]
    assert token == ""


def test_the_default_page_is_100_and_more_than_1000_is_refused() -> None:
    items = [f"{i:04}" for i in range(250)]
    page, token = paginate(items, _key, 0, "")
    assert len(page) == 100
    assert token
    with pytest.raises(InvalidArgument) as err:
        paginate(items, _key, 1001, "")
    assert err.value.field == "page_size"


@pytest.mark.parametrize("token", ["%%%", "bm90IGpzb24", encode_token([])[:-1] + "x"])
def test_a_forged_token_is_an_invalid_argument(token: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        decode_token(token)
    assert err.value.field == "page_token"
