"""Deterministic ids are standard UUIDv5 values."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from vaxel_common.ids import _NAMESPACE, deterministic_id


@given(st.lists(st.text(max_size=20), min_size=1, max_size=4))
def test_equal_to_uuid5_of_the_joined_parts(parts: list[str]) -> None:
    assert deterministic_id(*parts) == str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def test_different_parts_give_different_ids() -> None:
    assert deterministic_id("a", "b") != deterministic_id("a", "c")
    assert deterministic_id("ab") != deterministic_id("a", "b")
