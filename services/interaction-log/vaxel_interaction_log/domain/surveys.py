"""Customer surveys: one request when an interaction ends with an agent, and its first answer.

- A survey is *due* for an interaction answered by an agent whose handling has ended, within
  ``within`` of its end (no survey about a call from last month when the log is rebuilt). The
  survey.sent event's id is derived from the tenant and interaction, so a repeated request (a
  redelivered batch, a rebuilt store) carries the same id and every consumer drops it.
- An *answer* needs a survey sent, a score of 1-5 and at most 2,000 characters of comment. The
  first answer counts: the store claims the interaction's answer once (score and time); a repeat
  with the same score is a retry and gets the same event (same id, same time), another score is
  ALREADY_EXISTS. The survey.answered event's id is derived from the interaction too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from vaxel_common.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from vaxel_common.ids import deterministic_id
from vaxel_interaction_log.domain.ports import InteractionReader, SurveyLedger
from vaxel_interaction_log.domain.search import from_micros, text_filter, to_micros
from vaxel_interaction_log.domain.timeline import InteractionRecord, Outcome, project

__all__ = [
    "MAX_COMMENT",
    "SurveyAnswer",
    "SurveyDesk",
    "SurveyRequest",
    "survey_answered_id",
    "survey_due",
    "survey_sent_id",
]

MAX_COMMENT = 2000
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def survey_sent_id(tenant_id: str, interaction_id: str) -> str:
    return deterministic_id("survey.sent", tenant_id, interaction_id)


def survey_answered_id(tenant_id: str, interaction_id: str) -> str:
    return deterministic_id("survey.answered", tenant_id, interaction_id)


@dataclass(frozen=True, slots=True)
class SurveyRequest:
    """A survey to send by the interaction's channel."""

    tenant_id: str
    interaction_id: str
    channel: int
    agent_id: str

    @property
    def event_id(self) -> str:
        return survey_sent_id(self.tenant_id, self.interaction_id)


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    tenant_id: str
    interaction_id: str
    score: int
    comment: str
    answered_at: datetime
    agent_id: str
    customer_ref: str = ""  # whose key seals the comment on the topic

    @property
    def event_id(self) -> str:
        return survey_answered_id(self.tenant_id, self.interaction_id)

    @property
    def request_event_id(self) -> str:
        return survey_sent_id(self.tenant_id, self.interaction_id)


def survey_due(record: InteractionRecord, now: datetime, within: timedelta) -> SurveyRequest | None:
    """The survey to send for ``record``, if one is due (see the module docstring)."""
    if record.outcome is not Outcome.ANSWERED or record.ended_at is None:
        return None
    if now - record.ended_at > within:
        return None
    return SurveyRequest(record.tenant_id, record.interaction_id, record.channel, record.agent_id)


def _check_answer(interaction_id: str, score: int, comment: str) -> None:
    if not interaction_id:
        raise InvalidArgument("interaction_id", "required")
    text_filter("interaction_id", interaction_id)
    if not 1 <= score <= 5:
        raise InvalidArgument("score", "1 to 5")
    if len(comment) > MAX_COMMENT:
        raise InvalidArgument("comment", f"at most {MAX_COMMENT:,} characters")
    if any(ord(c) < 32 and c not in _ALLOWED_CONTROLS for c in comment):
        raise InvalidArgument("comment", "no control characters")


_ANSWERED_ALREADY = "the survey was answered already; the first answer counts"


class SurveyDesk:
    """Records answers against the interaction whose survey was sent."""

    def __init__(self, reader: InteractionReader, ledger: SurveyLedger) -> None:
        self._reader = reader
        self._ledger = ledger

    def answer(
        self, tenant_id: str, interaction_id: str, score: int, comment: str, now: datetime
    ) -> SurveyAnswer:
        """The answer to publish (first answer wins); raises for bad input or state."""
        _check_answer(interaction_id, score, comment)
        events = self._reader.events_of(tenant_id, interaction_id)
        if not events:
            raise NotFound("interaction not found")
        record = project(interaction_id, tenant_id, events)
        if record.outcome is not Outcome.ANSWERED or record.ended_at is None:
            raise FailedPrecondition("no survey: the interaction has not ended with an agent")
        sent = any(e.event_type == "survey.sent" for e in record.timeline)
        if not sent and not self._ledger.survey_requested(tenant_id, interaction_id):
            raise FailedPrecondition("no survey was sent for this interaction")
        logged = [e for e in record.timeline if e.event_type == "survey.answered"]
        if logged:  # answered before, as the history says (a store rebuilt by replay has no ledger rows)
            first = min(logged, key=lambda e: (e.occurred_at, e.event_id))
            if first.survey_score != score:
                raise AlreadyExists(_ANSWERED_ALREADY)
            return SurveyAnswer(
                tenant_id,
                interaction_id,
                score,
                first.survey_comment,
                first.occurred_at,
                record.agent_id,
                record.customer_ref,
            )
        held_score, held_us = self._ledger.claim_answer(tenant_id, interaction_id, score, to_micros(now))
        if held_score != score:
            raise AlreadyExists(_ANSWERED_ALREADY)
        return SurveyAnswer(
            tenant_id,
            interaction_id,
            score,
            comment,
            from_micros(held_us),
            record.agent_id,
            record.customer_ref,
        )
