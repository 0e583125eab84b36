"""A queue's service-level terms, as the queue's configuration and the tenant's contract version in
force set them (from the configuration replica).

:meth:`QueueTerms.at` gives the terms that judge one instant: with the contract version in force on
its local date (:mod:`vaxel_sla.domain.contracts`), or the queue's own configuration when the
tenant has no version in force then. The book resolves every interval that way, so live figures,
reports and replays judge each interval by the same version.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from vaxel_sla.domain.contracts import ContractBook, ContractHistory, ContractTerms
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
    # The target of a channel the queue sets none for (the contract's, once resolved by at()).
    default_target: ChannelTarget = ChannelTarget()
    # The tenant's contract versions, until at() resolved them; the version that judges, after.
    contracts: ContractHistory | None = None
    contract: ContractTerms | None = None

    def target_for(self, channel: int) -> ChannelTarget:
        """The channel's target; a queue with one unspecified-channel target applies it to all."""
        return self.targets.get(channel) or self.targets.get(0) or self.default_target

    def at(self, instant: datetime) -> QueueTerms:
        """The terms that judge ``instant``: the contract version in force on its local date (in the
        tenant's zone) sets the formula and the default target; none in force: the queue's own."""
        if self.contracts is None:
            return self
        contract = self.contracts.at(instant, self.time_zone)
        if contract is None:
            return replace(self, contracts=None)
        return self.under(contract)

    def under(self, contract: ContractTerms) -> QueueTerms:
        """These terms judged by ``contract``."""
        return replace(
            self,
            formula=contract.formula,
            default_target=ChannelTarget(contract.target, contract.threshold_seconds),
            contracts=None,
            contract=contract,
        )


class TermsReplica:
    """Every queue's terms, newest version wins; hours and the tenants' contract versions kept apart
    (they are their own entities) and attached when terms are read."""

    def __init__(self, contracts: ContractBook | None = None) -> None:
        self._queues: dict[str, QueueTerms] = {}
        self._hours: dict[str, tuple[BusinessHours, int]] = {}
        self.contracts = contracts if contracts is not None else ContractBook()

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
        return replace(
            terms, hours=hours[0] if hours else terms.hours, contracts=self.contracts.history(tenant_id)
        )

    def all(self, tenant_id: str | None = None) -> list[QueueTerms]:
        return [
            t
            for q in sorted(self._queues)
            if (t := self.get(self._queues[q].tenant_id, q)) is not None
            and (tenant_id is None or t.tenant_id == tenant_id)
        ]

    def __len__(self) -> int:
        return len(self._queues)
