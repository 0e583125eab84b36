"""Surveys over Kafka: survey.sent after each committed batch, survey.answered from the API.

:class:`SurveyDispatch` notes the interactions a consumed batch connected or ended; after the
batch is committed to the store (the consumer's flush hook, before the Kafka commit) it asks
the store which of them are answered, ended and not surveyed yet, publishes one survey.sent
event each (deterministic id), then remembers them. A crash in between sends the same event
again on redelivery, which every consumer drops by its id.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from vaxel.events.v1 import events_pb2
from vaxel_common.publisher import EventPublisher
from vaxel_common.topics import INTERACTION_EVENTS
from vaxel_interaction_log.adapters.report_converters import survey_answered_event, survey_sent_event
from vaxel_interaction_log.adapters.report_store import SqlSurveyLedger
from vaxel_interaction_log.domain.ports import CustomerKeys
from vaxel_interaction_log.domain.surveys import SurveyAnswer, SurveyDesk, survey_due
from vaxel_interaction_log.metrics import InteractionLogMetrics

__all__ = ["SurveyAnswers", "SurveyDispatch"]

_TRIGGERS = frozenset({"interaction.connected", "interaction.ended"})
_CHANNELS = {1: "voice", 2: "chat", 3: "email", 4: "social", 5: "callback", 6: "outbound"}


class SurveyDispatch:
    def __init__(
        self,
        ledger: SqlSurveyLedger,
        publisher: EventPublisher,
        metrics: InteractionLogMetrics,
        within: timedelta,
    ) -> None:
        self._ledger = ledger
        self._publisher = publisher
        self._metrics = metrics
        self._within = within
        self._touched: dict[str, set[str]] = defaultdict(set)

    def note(self, event: events_pb2.Event) -> None:
        """Remember an interaction whose connection or end the batch carries."""
        if event.event_type in _TRIGGERS and event.interaction_id:
            self._touched[event.tenant_id].add(event.interaction_id)

    async def send_due(self) -> int:
        """Publish the surveys now due (after the batch's store commit); the number sent."""
        if not self._touched:
            return 0
        touched, self._touched = self._touched, defaultdict(set)
        try:
            now = datetime.now(UTC)
            due = [
                request
                for record in self._ledger.survey_candidates(touched)
                if (request := survey_due(record, now, self._within)) is not None
            ]
            if due:
                await self._publisher.publish(INTERACTION_EVENTS, *(survey_sent_event(r, now) for r in due))
                self._ledger.mark_requested(due, now)
        except BaseException:
            for tenant_id, ids in touched.items():  # the consumer retries the batch
                self._touched[tenant_id] |= ids
            raise
        for request in due:
            self._metrics.surveys_requested.labels(_CHANNELS.get(request.channel, "unspecified")).inc()
        return len(due)


class SurveyAnswers:
    """An answer from the API: checked and claimed by the domain, then published, its comment sealed
    under the customer's data key at routing (``keys``), so that erasing the customer shreds it on the
    topic too. Answers of interactions without a customer reference keep it in clear (retention only)."""

    def __init__(
        self,
        desk: SurveyDesk,
        publisher: EventPublisher,
        metrics: InteractionLogMetrics,
        keys: CustomerKeys | None = None,
    ) -> None:
        self._desk = desk
        self._publisher = publisher
        self._metrics = metrics
        self._keys = keys

    async def record(self, tenant_id: str, interaction_id: str, score: int, comment: str) -> SurveyAnswer:
        answer = self._desk.answer(tenant_id, interaction_id, score, comment, datetime.now(UTC))
        sealing: tuple[str, bytes] | None = None
        if answer.comment and answer.customer_ref and self._keys is not None:
            sealing = await self._keys.customer_key(tenant_id, answer.customer_ref)
        await self._publisher.publish(INTERACTION_EVENTS, survey_answered_event(answer, sealing))
        self._metrics.survey_answers.inc()
        return answer
