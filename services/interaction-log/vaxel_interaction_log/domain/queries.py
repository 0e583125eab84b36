"""The read side: one interaction, searches, a customer's history and exports, over the store port."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from vaxel_common.errors import InvalidArgument, NotFound
from vaxel_interaction_log.domain.ports import (
    ErasureJournal,
    InteractionReader,
    PersonalDataEraser,
    RoutingErasure,
)
from vaxel_interaction_log.domain.search import (
    Filter,
    Search,
    cursor_of,
    next_token,
    parse_cursor,
    period,
    size_of,
    text_filter,
)
from vaxel_interaction_log.domain.timeline import InteractionRecord, project

__all__ = ["EXPORT_PAGE", "InteractionQueries", "Page", "Privacy"]

EXPORT_PAGE = 1000
Page = tuple[list[InteractionRecord], str]


class InteractionQueries:
    def __init__(self, reader: InteractionReader) -> None:
        self._reader = reader

    def get(self, tenant_id: str, interaction_id: str) -> InteractionRecord:
        """The record with its timeline; NotFound for an unknown id or another tenant's."""
        if not interaction_id:
            raise InvalidArgument("interaction_id", "required")
        text_filter("interaction_id", interaction_id)
        events = self._reader.events_of(tenant_id, interaction_id)
        if not events:
            raise NotFound("interaction not found")
        return project(interaction_id, tenant_id, events)

    def search(
        self,
        tenant_id: str,
        start: datetime | None,
        end: datetime | None,
        where: Filter,
        page_size: int,
        page_token: str,
    ) -> Page:
        first, last = period(start, end)
        size = size_of(page_size)
        query = Search(tenant_id, first, last, where, size, parse_cursor(page_token))
        return next_token(self._reader.search(query), size)

    def customer_history(self, tenant_id: str, customer_ref: str, page_size: int, page_token: str) -> Page:
        if not customer_ref:
            raise InvalidArgument("customer_ref", "required")
        where = Filter(customer_ref=text_filter("customer_ref", customer_ref))
        size = size_of(page_size)
        query = Search(tenant_id, None, None, where, size, parse_cursor(page_token))
        return next_token(self._reader.search(query), size)

    def export(
        self, tenant_id: str, start: datetime | None, end: datetime | None, where: Filter
    ) -> Iterator[list[InteractionRecord]]:
        """Every matching record, a page at a time (checked before the first page is read)."""
        first, last = period(start, end)

        def pages() -> Iterator[list[InteractionRecord]]:
            query = Search(tenant_id, first, last, where, EXPORT_PAGE)
            while True:
                rows = self._reader.search(query)
                page = rows[:EXPORT_PAGE]
                if page:
                    yield page
                if len(rows) <= EXPORT_PAGE:
                    return
                query = Search(tenant_id, first, last, where, EXPORT_PAGE, cursor_of(page[-1]))

        return pages()


class Privacy:
    """A data subject's erasure (GDPR art. 17): the store forgets the customer's personal data.

    Routing forgets the customer first (their data keys destroyed: every copy of their personal fields on
    routing's log stays sealed; their history gone from its memory); it is idempotent, so a retry after
    any later failure does it again harmlessly. Then the erasure is journaled (an ``interaction.erased``
    event per interaction on the interactions' topic, after the interaction's own events), then applied:
    a rebuild of the store from the topic erases again, and if the store's part fails, consuming the
    journal finishes it.
    """

    def __init__(self, eraser: PersonalDataEraser, journal: ErasureJournal, routing: RoutingErasure) -> None:
        self._eraser = eraser
        self._journal = journal
        self._routing = routing

    async def erase_customer(self, tenant_id: str, customer_ref: str) -> int:
        if not customer_ref:
            raise InvalidArgument("customer_ref", "required")
        customer = text_filter("customer_ref", customer_ref)
        await self._routing.forget_customer(tenant_id, customer)
        ids = await self._eraser.customer_interactions(tenant_id, customer)
        if not ids:
            return 0
        await self._journal.erased(tenant_id, ids)
        return await self._eraser.erase_interactions(tenant_id, ids)
