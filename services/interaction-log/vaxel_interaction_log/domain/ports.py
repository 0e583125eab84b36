"""What the domain needs from storage (the SQL adapter implements it for SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Protocol

from vaxel_interaction_log.domain.search import Search
from vaxel_interaction_log.domain.timeline import InteractionRecord, LoggedEvent

__all__ = [
    "CustomerKeys",
    "ErasureJournal",
    "InteractionReader",
    "PersonalDataEraser",
    "RoutingErasure",
    "SurveyLedger",
]


class InteractionReader(Protocol):
    def events_of(self, tenant_id: str, interaction_id: str) -> list[LoggedEvent]:
        """The interaction's stored events (any order); [] when unknown to that tenant."""
        ...

    def search(self, query: Search) -> list[InteractionRecord]:
        """Up to ``query.page_size + 1`` records after ``query.after``, by (start, interaction id)."""
        ...


class PersonalDataEraser(Protocol):
    async def customer_interactions(self, tenant_id: str, customer_ref: str) -> list[str]:
        """The ids of the customer's interactions of this tenant."""
        ...

    async def erase_interactions(self, tenant_id: str, interaction_ids: list[str]) -> int:
        """Erase the personal data of these interactions from records and stored events (and of their
        later events); the interactions erased."""
        ...


class ErasureJournal(Protocol):
    async def erased(self, tenant_id: str, interaction_ids: list[str]) -> None:
        """Record durably that these interactions are erased, where a rebuild from history sees it."""
        ...


class RoutingErasure(Protocol):
    async def forget_customer(self, tenant_id: str, customer_ref: str) -> None:
        """Routing destroys the customer's data keys and forgets their history (idempotent); raises
        Unavailable when routing cannot be reached."""
        ...


class CustomerKeys(Protocol):
    async def customer_key(self, tenant_id: str, customer_ref: str) -> tuple[str, bytes]:
        """The customer's data key at routing (key id, key), created there if they had none; raises
        Unavailable when routing cannot be reached."""
        ...


class SurveyLedger(Protocol):
    def survey_requested(self, tenant_id: str, interaction_id: str) -> bool:
        """True once a survey request for the interaction was published."""
        ...

    def claim_answer(
        self, tenant_id: str, interaction_id: str, score: int, answered_us: int
    ) -> tuple[int, int]:
        """Claim the interaction's answer; the (score, answered_us) held: the first claim's."""
        ...
