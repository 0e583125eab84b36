"""What a tenant gives agents and customers: FAQ entries, call guidelines, and its contract.

FAQ entries (per language) let routing answer chats and social mentions first. Call
guidelines travel with each offer to the agent. The contract has a version history:
each version applies from its effective date (in the tenant's zone) until the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from vaxel_common.errors import InvalidArgument
from vaxel_vocabulary.model import Channel, ServiceLevelFormula
from vaxel_vocabulary.validation import validate_currency, validate_language

MAX_TEXT = 20_000


@dataclass(frozen=True, slots=True)
class FaqEntry:
    faq_id: str
    tenant_id: str
    language: str
    question: str
    answer: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CallGuidelines:
    queue_id: str
    # Markdown shown to the agent with each offer.
    text: str
    version: int


class BillingUnit(Enum):
    PER_HANDLED_MINUTE = "per_handled_minute"
    PER_INTERACTION = "per_interaction"


@dataclass(frozen=True, slots=True)
class BillingRate:
    channel: Channel
    unit: BillingUnit
    # Minor units of the contract's currency (e.g. öre, cents) per unit.
    amount_minor: int


# Upper bounds of what a contract may set as the tenant's limits (see TenantLimits).
MAX_RATE_PER_SECOND = 100_000.0
MAX_BURST = 1_000_000
MAX_IN_FLIGHT = 100_000


@dataclass(frozen=True, slots=True)
class TenantLimits:
    """What a tenant may submit into routing, per routing process; 0 in a field: routing's default.

    ``submissions_per_second`` refills a token bucket of ``burst`` submissions; ``max_in_flight``
    bounds the tenant's submissions being handled at once (received, not yet answered).
    """

    submissions_per_second: float = 0.0
    burst: int = 0
    max_in_flight: int = 0


@dataclass(frozen=True, slots=True)
class ContractVersion:
    tenant_id: str
    effective_from: date
    currency: str
    service_level_formula: ServiceLevelFormula
    # Default target for queues that set none: percent within seconds.
    target_percent: float
    threshold_seconds: int
    rates: tuple[BillingRate, ...]
    credits: tuple[CreditRule, ...] = ()
    limits: TenantLimits = TenantLimits()


@dataclass(frozen=True, slots=True)
class CreditRule:
    """A service credit: a period below ``below_percent`` earns ``credit_percent`` of its charges
    plus ``amount_minor``; ``channel`` None applies to every channel."""

    channel: Channel | None
    below_percent: float
    credit_percent: float
    amount_minor: int = 0


def validate_faq(entry: FaqEntry) -> None:
    validate_language("language", entry.language)
    if not entry.question.strip():
        raise InvalidArgument("question", "required")
    if not entry.answer.strip():
        raise InvalidArgument("answer", "required")
    if len(entry.question) > 1000 or len(entry.answer) > MAX_TEXT:
        raise InvalidArgument("answer", "question at most 1,000 and answer at most 20,000 characters")
    if any(not k.strip() for k in entry.keywords):
        raise InvalidArgument("keywords", "empty keyword")


def validate_guidelines(text: str) -> None:
    if len(text) > MAX_TEXT:
        raise InvalidArgument("text", "at most 20,000 characters")


def validate_contract(contract: ContractVersion) -> None:
    validate_currency("currency", contract.currency)
    if not 0 < contract.target_percent <= 100:
        raise InvalidArgument("target_percent", "must be above 0 and at most 100")
    if not 0 < contract.threshold_seconds <= 30 * 24 * 3600:
        raise InvalidArgument("threshold", "must be above 0 and at most 30 days")
    seen: set[Channel] = set()
    for i, rate in enumerate(contract.rates):
        if rate.channel in seen:
            raise InvalidArgument(f"rates[{i}].channel", "one rate per channel")
        seen.add(rate.channel)
        if rate.amount_minor < 0:
            raise InvalidArgument(f"rates[{i}].amount_minor", "must not be negative")
    for i, credit in enumerate(contract.credits):
        if not 0 < credit.below_percent <= 100:
            raise InvalidArgument(f"credits[{i}].below_percent", "must be above 0 and at most 100")
        if not 0 <= credit.credit_percent <= 100:
            raise InvalidArgument(f"credits[{i}].credit_percent", "must be between 0 and 100")
        if credit.amount_minor < 0:
            raise InvalidArgument(f"credits[{i}].amount_minor", "must not be negative")
    validate_limits(contract.limits)


def validate_limits(limits: TenantLimits) -> None:
    """Each limit between 0 (routing's default) and its maximum; InvalidArgument naming the field."""
    # ``not a <= x <= b`` also refuses NaN.
    if not 0 <= limits.submissions_per_second <= MAX_RATE_PER_SECOND:
        raise InvalidArgument(
            "limits.submissions_per_second", f"between 0 (the default) and {MAX_RATE_PER_SECOND:,.0f}"
        )
    if not 0 <= limits.burst <= MAX_BURST:
        raise InvalidArgument("limits.burst", f"between 0 (the default) and {MAX_BURST:,}")
    if not 0 <= limits.max_in_flight <= MAX_IN_FLIGHT:
        raise InvalidArgument("limits.max_in_flight", f"between 0 (the default) and {MAX_IN_FLIGHT:,}")


def effective_contract(history: list[ContractVersion], on: date) -> ContractVersion | None:
    """The version in force on local date ``on``: the latest with effective_from <= on."""
    applicable = [c for c in history if c.effective_from <= on]
    return max(applicable, key=lambda c: c.effective_from) if applicable else None
