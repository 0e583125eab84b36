"""Erasure: routing first, then journaled, then applied; nothing journaled when the customer is unknown."""

from __future__ import annotations

import asyncio

import pytest

from vaxel_common.errors import InvalidArgument
from vaxel_interaction_log.domain.queries import Privacy


class Recorder:
    """Both ports in memory, recording the order of the calls."""

    def __init__(self, customers: dict[tuple[str, str], list[str]], fail_journal: bool = False) -> None:
        self.customers = customers
        self.fail_journal = fail_journal
        self.calls: list[tuple[str, str, tuple[str, ...]]] = []

    async def customer_interactions(self, tenant_id: str, customer_ref: str) -> list[str]:
        return list(self.customers.get((tenant_id, customer_ref), []))

    async def erase_interactions(self, tenant_id: str, interaction_ids: list[str]) -> int:
        self.calls.append(("erase", tenant_id, tuple(interaction_ids)))
        return len(interaction_ids)

    async def erased(self, tenant_id: str, interaction_ids: list[str]) -> None:
        if self.fail_journal:
            raise ConnectionError("broker away")
        self.calls.append(("journal", tenant_id, tuple(interaction_ids)))

    async def forget_customer(self, tenant_id: str, customer_ref: str) -> None:
        self.calls.append(("routing", tenant_id, (customer_ref,)))


def test_the_journal_comes_before_the_store() -> None:
    ports = Recorder({("t", "cust-1"): ["i1", "i2"]})
    assert asyncio.run(Privacy(ports, ports, ports).erase_customer("t", "cust-1")) == 2
    assert ports.calls == [
        ("routing", "t", ("cust-1",)),
        ("journal", "t", ("i1", "i2")),
        ("erase", "t", ("i1", "i2")),
    ]


def test_nothing_is_erased_when_the_journal_fails() -> None:
    ports = Recorder({("t", "cust-1"): ["i1"]}, fail_journal=True)
    with pytest.raises(ConnectionError):
        asyncio.run(Privacy(ports, ports, ports).erase_customer("t", "cust-1"))
    # The caller retries; routing's part is idempotent, nothing of the store's half done.
    assert ports.calls == [("routing", "t", ("cust-1",))]


def test_an_unknown_customer_erases_nothing() -> None:
    ports = Recorder({("other-tenant", "cust-1"): ["i9"]})
    assert asyncio.run(Privacy(ports, ports, ports).erase_customer("t", "cust-1")) == 0
    # Routing forgets the customer even so (it may hold their work before any of it was logged).
    assert ports.calls == [("routing", "t", ("cust-1",))]


@pytest.mark.parametrize(("customer_ref", "field"), [("", "customer_ref"), ("x" * 300, "customer_ref")])
def test_a_customer_is_required(customer_ref: str, field: str) -> None:
    ports = Recorder({})
    with pytest.raises(InvalidArgument) as err:
        asyncio.run(Privacy(ports, ports, ports).erase_customer("t", customer_ref))
    assert err.value.field == field
