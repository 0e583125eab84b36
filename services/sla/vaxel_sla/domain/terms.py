"""A queue's service-level terms, as the tenant's contract sets them (from the configuration replica)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from vaxel_sla.domain.intervals import Formula
from vaxel_vocabulary.business_hours import BusinessHours

__all__ = ["ChannelTarget", "QueueTerms", "TermsReplica"]


@dataclass(frozen=True, slots=True)
class ChannelTarget:
    """``target`` (0..1) of interactions answered within ``threshold_seconds``; e-mail and social
    usually count their first response on the business-hours clock."""

    target: float = 0.8
    threshold_seconds: float = 20.0
    business_clock: bool = False


@dataclass(frozen=True, slots=True)
class QueueTerms:
    tenant_id: str
    queue_id: str
    time_zone: str = "UTC"
    formula: Formula = Formula.ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED
    short_abandon_seconds: float = 5.0
    targets: dict[int, ChannelTarget] = field(default_factory=dict)
    channels: tuple[int, ...] = ()
    hours: BusinessHours | None = None
    version: int = 0

    def target_for(self, channel: int) -> ChannelTarget:
        """The channel's target; a queue with one unspecified-channel target applies it to all."""
        return self.targets.get(channel) or self.targets.get(0) or ChannelTarget()


class TermsReplica:
    """Every queue's terms, newest version wins; hours kept apart (they are their own entity)."""

    def __init__(self) -> None:
        self._queues: dict[str, QueueTerms] = {}
        self._hours: dict[str, tuple[BusinessHours, int]] = {}

    def apply_queue(self, terms: QueueTerms) -> None:
        held = self._queues.get(terms.queue_id)
        if held is None or held.version < terms.version:
            self._queues[terms.queue_id] = terms

    def remove_queue(self, queue_id: str, version: int) -> None:
        held = self._queues.get(queue_id)
        if held is not None and held.version <= version:
            del self._queues[queue_id]

    def apply_hours(self, queue_id: str, hours: BusinessHours, version: int) -> None:
        held = self._hours.get(queue_id)
        if held is None or held[1] < version:
            self._hours[queue_id] = (hours, version)

    def get(self, tenant_id: str, queue_id: str) -> QueueTerms | None:
        """The queue's terms if it belongs to ``tenant_id`` (None also for another tenant's queue)."""
        terms = self._queues.get(queue_id)
        if terms is None or terms.tenant_id != tenant_id:
            return None
        hours = self._hours.get(queue_id)
        return replace(terms, hours=hours[0]) if hours else terms

    def all(self, tenant_id: str | None = None) -> list[QueueTerms]:
        return [
            t
            for q in sorted(self._queues)
            if (t := self.get(self._queues[q].tenant_id, q)) is not None
            and (tenant_id is None or t.tenant_id == tenant_id)
        ]

    def __len__(self) -> int:
        return len(self._queues)
