"""Desk notices: what an agent's open desks are told when the engine's notices concern that agent."""

from __future__ import annotations

from vaxel.routing.v1 import routing_pb2
from vaxel_routing.adapters.converters import offer_to_pb, presence_pb, work_item_to_pb
from vaxel_routing.adapters.desk_hub import DeskHub
from vaxel_routing.domain import notices as n
from vaxel_routing.domain.commands import Notice
from vaxel_routing.domain.engine import RoutingEngine
from vaxel_routing.domain.replica import ConfigReplica
from vaxel_routing.metrics import OFFER_OUTCOMES

__all__ = ["DeskNotices"]


class DeskNotices:
    def __init__(self, hub: DeskHub, replica: ConfigReplica) -> None:
        self._hub = hub
        self._replica = replica

    def notify(self, engine: RoutingEngine | None, notice: Notice) -> None:
        """Send the agent's desks what ``notice`` (applied by ``engine``) changes for them."""
        if engine is None or not notice.agent_id:
            return
        agent_id = notice.agent_id
        match notice:
            case n.InteractionOffered():
                offer = engine.offer(notice.offer_id)
                work = engine.work(notice.interaction_id)
                if offer is not None and work is not None:
                    message = offer_to_pb(
                        offer,
                        work,
                        self._replica.guidelines(work.queue_id),
                        engine.history(work.tenant_id, work.customer_ref) if work.customer_ref else [],
                    )
                    self._hub.send(agent_id, routing_pb2.ConnectResponse(offer=message))
            case n.OfferAccepted() | n.OfferRejected() | n.OfferTimedOut():
                how = "expired" if isinstance(notice, n.OfferTimedOut) else OFFER_OUTCOMES[type(notice)]
                closed = routing_pb2.OfferClosed(offer_id=notice.offer_id, how=how)
                self._hub.send(agent_id, routing_pb2.ConnectResponse(offer_closed=closed))
            case n.InteractionAbandoned():
                left = routing_pb2.CustomerLeft(interaction_id=notice.interaction_id)
                self._hub.send(agent_id, routing_pb2.ConnectResponse(customer_left=left))
            case n.InteractionEnded(reason="customer_left"):
                left = routing_pb2.CustomerLeft(interaction_id=notice.interaction_id)
                self._hub.send(agent_id, routing_pb2.ConnectResponse(customer_left=left))
            case n.AgentPresenceChanged():
                self._hub.send(
                    agent_id, routing_pb2.ConnectResponse(state=self.agent_state(engine, agent_id))
                )

    def agent_state(self, engine: RoutingEngine, agent_id: str) -> routing_pb2.AgentState:
        """What a desk shows: presence, held work, open offers with their context."""
        agent = engine.agent(agent_id)
        work = engine.agent_work(agent_id)
        state = routing_pb2.AgentState(
            agent_id=agent_id,
            presence=presence_pb(agent.shown_presence()),
            reason=agent.reason,
            work=[work_item_to_pb(w) for w in work],
        )
        for item in work:
            if item.offer is not None:
                history = engine.history(item.tenant_id, item.customer_ref) if item.customer_ref else []
                state.offers.append(
                    offer_to_pb(item.offer, item, self._replica.guidelines(item.queue_id), history)
                )
        return state
