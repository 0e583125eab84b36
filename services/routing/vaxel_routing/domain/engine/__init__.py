"""The routing engine of one pool: agents, waiting work, offers. Pure and deterministic.

One writer applies commands in log order (:meth:`RoutingEngine.apply`). Decisions depend
only on the commands and their times, never on a clock, a random number or the order of a
set, so replaying the log rebuilds the same state and the same decisions, and the ids of
offers and events come out the same (duplicates are recognisable downstream).

The engine in parts, each a module of functions over one :class:`EngineState`:

- ``lanes``: where waiting work sits, ordered by deadline; positions and estimated waits.
- ``eligibility``: which lanes an agent serves (tenant, language, skills per relax level).
- ``matching``: the heaps of free agents per lane; new work meets an agent, a free agent meets work.
- ``offers``: offers, accepts, rejects, expiry, and the capacity an offer holds.
- ``agents``: profiles, login, logout, presence.
- ``arrivals``: submissions and abandons.
- ``handling``: end, wrap-up, the customer history.
- ``callbacks``: callbacks requested and scheduled.
- ``widening``: overflow rules (relax a level, move to another queue), the last-agent wait.
- ``transfers``: to a queue or to one agent.
- ``timers``: timers armed, and firing once.
- ``facade``: :class:`RoutingEngine`, which owns the state and composes the parts.

A decision touches one lane (new work) or the lanes of one agent (an agent frees up): its
cost grows with neither the number of agents nor the number of waiting interactions.
"""

from vaxel_routing.domain.engine._state import AgentState, EngineState, stable_id
from vaxel_routing.domain.engine.facade import RoutingEngine

__all__ = ["AgentState", "EngineState", "RoutingEngine", "stable_id"]
