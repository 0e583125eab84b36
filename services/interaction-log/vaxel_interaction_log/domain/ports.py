"""What the domain needs from storage (the SQL adapter implements it for SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Protocol

from vaxel_interaction_log.domain.search import Search
from vaxel_interaction_log.domain.timeline import InteractionRecord, LoggedEvent

__all__ = ["InteractionReader", "PersonalDataEraser", "SurveyLedger"]


class InteractionReader(Protocol):
    def events_of(self, tenant_id: str, interaction_id: str) -> list[LoggedEvent]:
        """The interaction's stored events (any order); [] when unknown to that tenant."""
        ...

    def search(self, query: Search) -> list[InteractionRecord]:
        """Up to ``query.page_size + 1`` records after ``query.after``, by (start, interaction id)."""
        ...


class PersonalDataEraser(Protocol):
    def erase_customer(self, tenant_id: str, customer_ref: str) -> int:
        """Erase the customer's personal data from records and stored events; the interactions erased."""
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
