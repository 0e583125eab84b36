"""What happens to new work before it waits: opening hours, after-hours action, FAQ deflection, urgency.

Decided by the front door with the configuration replica; the engine only sees the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from vaxel_routing.domain.model import Channel
from vaxel_routing.domain.replica import ConfigReplica, QueueConfig
from vaxel_vocabulary.business_hours import BusinessHours, is_open, next_opening
from vaxel_vocabulary.faq_matching import FaqDecision, FaqIndex

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Words that mark an angry or urgent mention, in the platform's languages (lower case).
_ANGRY = frozenset(
    {
        "angry",
        "furious",
        "worst",
        "terrible",
        "awful",
        "scam",
        "disgrace",
        "useless",
        "unacceptable",
        "cancel",
        "refund",
        "lawyer",
        "never",
        "again",
        "broken",
        "down",
        "outage",
        "arg",
        "besviken",
        "katastrof",
        "skandal",
        "värdelös",
        "bedrövlig",
        "uppsägning",
        "wütend",
        "katastrophe",
        "unverschämt",
        "betrug",
        "kündigen",
        "schlecht",
        "furioso",
        "estafa",
        "furieux",
        "arnaque",
        "nul",
    }
)


@dataclass(frozen=True, slots=True)
class Admission:
    """``disposition``: queued, closed, scheduled or overflowed."""

    disposition: str
    queue: QueueConfig
    kind: str = "inbound"
    not_before: datetime | None = None
    next_opening: datetime | None = None
    closed_message: str = ""


def admit(replica: ConfigReplica, queue: QueueConfig, at: datetime) -> Admission:
    """Open: queue. Closed: the queue's after-hours action (an overflow queue that is closed too
    gets that queue's action)."""
    hours = replica.hours(queue.queue_id)
    if hours is None or is_open(hours, at):
        return Admission("queued", queue)
    opening = next_opening(hours, at)
    match queue.after_hours_action:
        case "overflow" if queue.after_hours_queue_id:
            try:
                target = replica.queue(queue.tenant_id, queue.after_hours_queue_id)
            except LookupError:
                return Admission(
                    "closed", queue, next_opening=opening, closed_message=queue.after_hours_message
                )
            admitted = admit(replica, target, at) if target.queue_id != queue.queue_id else None
            if admitted is not None and admitted.disposition == "queued":
                return Admission("overflowed", target)
            return admitted or Admission("closed", queue, next_opening=opening)
        case "callback" | "voicemail" if opening is not None:
            return Admission(
                "scheduled", queue, kind=queue.after_hours_action, not_before=opening, next_opening=opening
            )
        case _:
            return Admission("closed", queue, next_opening=opening, closed_message=queue.after_hours_message)


def callback_time(hours: BusinessHours | None, wanted: datetime) -> datetime:
    """The first moment at or after ``wanted`` when the queue is open (any time without hours)."""
    if hours is None or is_open(hours, wanted):
        return wanted
    return next_opening(hours, wanted) or wanted


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if len(w) > 2}


def match_faq(index: FaqIndex, language: str, text: str) -> FaqDecision:
    """FAQ deflection: whether the tenant's FAQ answers ``text`` before it waits for a person.

    The rule lives in :mod:`vaxel_vocabulary.faq_matching` (stems, compounds, negation; a request for
    a person is never answered from the FAQ), shared with whatever answers from the FAQ while a chat
    waits; only an ANSWERED decision deflects.
    """
    return index.match(language, text)


def urgency_of(channel: Channel, text: str, stated: int) -> int:
    """0 to 10: what the channel states, raised for angry social mentions (words, shouting, '!!')."""
    urgency = max(0, min(10, stated))
    if channel is Channel.SOCIAL and text:
        angry = len(_words(text) & _ANGRY)
        shouting = sum(1 for w in _WORD.findall(text) if len(w) > 3 and w.isupper())
        urgency = max(urgency, min(10, 3 * angry + 2 * shouting + 2 * text.count("!!")))
    return urgency
