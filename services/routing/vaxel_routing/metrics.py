"""Routing's own instruments. Labels are bounded: pools come from configuration, presences, offer
outcomes and refusal reasons are enums; never agent, customer or interaction ids (nor tenant ids:
no routing metric carries one; the refusal log line names the tenant)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from vaxel_routing.domain import notices as n
from vaxel_routing.domain.model import Presence
from vaxel_vocabulary.faq_matching import FaqOutcome

__all__ = ["GAUGED_PRESENCES", "OFFER_OUTCOMES", "RoutingMetrics"]

# The presences an agent shows (WRAP_UP is not one routing shows): a bounded label set.
GAUGED_PRESENCES = (Presence.OFFLINE, Presence.AVAILABLE, Presence.BUSY, Presence.BREAK, Presence.NOT_READY)

# The ``outcome`` label of each notice that opens or closes an offer.
OFFER_OUTCOMES: dict[type[n.Notice], str] = {
    n.InteractionOffered: "offered",
    n.OfferAccepted: "accepted",
    n.OfferRejected: "rejected",
    n.OfferTimedOut: "timed_out",
}


@dataclass(slots=True)
class RoutingMetrics:
    decisions: Histogram
    offers: Counter
    waiting: Gauge
    agents: Gauge
    replayed: Counter
    refused: Counter
    faq: Counter
    desks_dropped: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> RoutingMetrics:
        return cls(
            decisions=Histogram(
                "vaxel_routing_decision_duration_seconds",
                "Time the engine takes to apply one input (match, offer, re-queue).",
                buckets=(0.00001, 0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1),
                registry=registry,
            ),
            offers=Counter(
                "vaxel_routing_offers_total",
                "Offers made and how they closed (offered, accepted, rejected, timed_out).",
                ["outcome"],
                registry=registry,
            ),
            waiting=Gauge(
                "vaxel_routing_waiting_interactions",
                "Interactions waiting for an agent, by routing pool.",
                ["pool"],
                registry=registry,
            ),
            agents=Gauge(
                "vaxel_routing_agents",
                "Agents by routing pool and presence as routing sees it.",
                ["pool", "presence"],
                registry=registry,
            ),
            replayed=Counter(
                "vaxel_routing_inputs_replayed_total",
                "Routing inputs applied again at start to rebuild state.",
                registry=registry,
            ),
            refused=Counter(
                "vaxel_routing_submissions_refused_total",
                "Submissions refused (API) or held back (inbound topic) by a tenant's limit: rate or"
                " concurrency.",
                ["reason"],
                registry=registry,
            ),
            faq=_faq_counter(registry),
            desks_dropped=Counter(
                "vaxel_routing_desks_dropped_total",
                "Agents whose last desk stream ended without a sign-out, written to the log (the agent is"
                " logged out after the grace unless a desk logs in again).",
                registry=registry,
            ),
        )

    def count_offer(self, notice: n.Notice) -> None:
        """Count ``notice`` under its offer outcome, when it opens or closes an offer."""
        outcome = OFFER_OUTCOMES.get(type(notice))
        if outcome:
            self.offers.labels(outcome).inc()


def _faq_counter(registry: CollectorRegistry) -> Counter:
    counter = Counter(
        "vaxel_routing_faq_decisions_total",
        "Chat and social submissions checked against the tenant's FAQ, by decision (answered,"
        " no_match, person_requested).",
        ["outcome"],
        registry=registry,
    )
    for outcome in FaqOutcome:  # every outcome at 0 from the start, so increase() sees the first
        counter.labels(outcome.value)
    return counter
