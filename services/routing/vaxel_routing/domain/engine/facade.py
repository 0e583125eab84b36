"""RoutingEngine: one pool's engine, composed of its parts. Applies commands; answers reads.

Every part is a module of functions over the pool's :class:`EngineState`; this class owns the
state, sends each command to the part that decides it, and answers the runner's, the front
door's and the desks' questions. Dispatch is one dictionary look-up per command; the parts call
each other directly, so a decision costs no more than it did as one class.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

from vaxel_routing.domain.commands import (
    Abandon,
    Accept,
    CallbackDue,
    Command,
    DeskDropped,
    DeskGraceOver,
    End,
    EraseCustomer,
    LastAgentWaitOver,
    Login,
    Logout,
    OfferExpired,
    Outcome,
    Reject,
    RequestCallback,
    SetPresence,
    Submit,
    Timer,
    Transfer,
    UpsertAgent,
    Widen,
    WrapUp,
    WrapUpExpired,
)
from vaxel_routing.domain.engine import (
    agents,
    arrivals,
    callbacks,
    handling,
    lanes,
    offers,
    timers,
    transfers,
    widening,
)
from vaxel_routing.domain.engine._state import AgentState, EngineState
from vaxel_routing.domain.model import HistoryEntry, Offer, Presence, RoutingPolicy, Work
from vaxel_routing.domain.replies import PoolCounts


class RoutingEngine:
    """Routing state of one pool. Not thread-safe: one writer."""

    __slots__ = ("_handlers", "_state")

    def __init__(self, pool: str = "default", policy: RoutingPolicy | None = None) -> None:
        st = self._state = EngineState(pool, policy or RoutingPolicy())
        fired = partial(timers.fired, st)
        self._handlers: dict[type, Callable[[Any, Outcome], None]] = {
            Submit: partial(arrivals.submit, st),
            UpsertAgent: lambda c, out: agents.upsert_agent(st, c.profile, out),
            Login: lambda c, out: agents.login(st, c.agent_id, out),
            Logout: partial(agents.logout, st),
            SetPresence: partial(agents.set_presence, st),
            Accept: partial(offers.accept, st),
            Reject: partial(offers.reject, st),
            End: partial(handling.end, st),
            WrapUp: partial(handling.wrap_up, st),
            Transfer: partial(transfers.transfer, st),
            EraseCustomer: partial(handling.erase_customer, st),
            DeskDropped: partial(agents.desk_dropped, st),
            Abandon: partial(arrivals.abandon, st),
            RequestCallback: partial(callbacks.request_callback, st),
            OfferExpired: fired(offers.offer_expired),
            Widen: fired(widening.widen),
            CallbackDue: fired(callbacks.callback_due),
            WrapUpExpired: fired(handling.wrap_up_expired),
            LastAgentWaitOver: fired(widening.last_agent_wait_over),
            DeskGraceOver: fired(agents.desk_grace_over),
        }

    # ------------------------------------------------------------------ applying

    def apply(self, command: Command, at: float) -> Outcome:
        """Apply one command that happened at ``at`` (epoch seconds). Raises a VaxelError for a
        command that cannot apply; nothing has changed then."""
        st = self._state
        st.now = max(st.now, at)
        st.record_at = at
        out = Outcome()
        self._handlers[type(command)](command, out)
        return out

    # ------------------------------------------------------------------ reading

    @property
    def pool(self) -> str:
        return self._state.pool

    @property
    def policy(self) -> RoutingPolicy:
        return self._state.policy

    @property
    def now(self) -> float:
        return self._state.now

    def agent(self, agent_id: str) -> AgentState:
        return self._state.agent(agent_id)

    def logged_in_agents(self) -> list[str]:
        """The ids of the agents logged in (any presence but OFFLINE)."""
        return [a.profile.agent_id for a in self._state.agents.values() if a.logged_in]

    def work(self, interaction_id: str) -> Work | None:
        return self._state.work.get(interaction_id)

    def interactions(self) -> list[Work]:
        """Every interaction the engine holds (ended ones as compact markers), in arrival order."""
        return list(self._state.work.values())

    def offer(self, offer_id: str) -> Offer | None:
        return self._state.offers.get(offer_id)

    def open_offers(self) -> list[Offer]:
        """The offers not yet accepted, rejected or expired, oldest first."""
        return list(self._state.offers.values())

    def agent_work(self, agent_id: str) -> list[Work]:
        """The agent's offered and held work, oldest first (for a desk that reconnects)."""
        st = self._state
        return [st.work[i] for i in st.agent(agent_id).work]

    def tenant_work(self, interaction_id: str, tenant_id: str) -> Work:
        return arrivals.tenant_work(self._state, interaction_id, tenant_id)

    def timer_armed(self, timer_id: str) -> bool:
        """Whether the timer is still armed: firing one that is not changes nothing."""
        return timer_id in self._state.timers

    def pending_timers(self) -> list[Timer]:
        """Timers not yet fired, by due time: re-armed after a restart."""
        return sorted(self._state.timers.values(), key=lambda t: (t.due, type(t.command).__name__))

    def history(self, tenant_id: str, customer_ref: str) -> list[HistoryEntry]:
        held = self._state.history.get((tenant_id, customer_ref))
        return list(held) if held else []

    def waiting_count(self) -> int:
        return lanes.waiting_count(self._state)

    def position(self, work: Work) -> int:
        """1-based place in its lane (0 when not waiting)."""
        return lanes.position_of(self._state, work)

    def estimated_wait(self, work: Work) -> float:
        """Seconds: the work ahead, times the queue's handle time, over the agents staffed for it."""
        return lanes.estimated_wait(self._state, work)

    def snapshot(self) -> PoolCounts:
        """Counts for the live view and metrics."""
        st = self._state
        by_presence = Counter(agent.shown_presence() for agent in st.agents.values())
        return PoolCounts(
            waiting=self.waiting_count(),
            offered=len(st.offers),
            agents=len(st.agents),
            by_presence=tuple(
                (presence, by_presence[presence]) for presence in Presence if presence in by_presence
            ),
        )


__all__ = ["RoutingEngine"]
