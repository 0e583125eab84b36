"""Occupancy and utilisation per agent, per site and per tenant. Pure.

Agents are shared: one agent serves several tenants. A tenant's share of an agent is the handling
time of that tenant's interactions over the agent's available time (occupancy share) and over its
logged-in time (utilisation share). An agent handling two tenants' chats at once counts the overlap
for both tenants, so the shares of one agent may sum above its own occupancy (which counts the union
of its handling once).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["AgentFigures", "AgentUtilisation", "QueueAgents", "by_site", "by_tenant", "scoped_to"]


@dataclass(slots=True)
class AgentFigures:
    """Agent time in a period: occupancy = handling / available, utilisation = handling / logged in."""

    logged_in_seconds: float = 0.0
    available_seconds: float = 0.0
    handling_seconds: float = 0.0

    def add(self, other: AgentFigures) -> None:
        self.logged_in_seconds += other.logged_in_seconds
        self.available_seconds += other.available_seconds
        self.handling_seconds += other.handling_seconds

    @property
    def occupancy(self) -> float | None:
        return min(1.0, self.handling_seconds / self.available_seconds) if self.available_seconds else None

    @property
    def utilisation(self) -> float | None:
        return min(1.0, self.handling_seconds / self.logged_in_seconds) if self.logged_in_seconds else None


@dataclass(frozen=True, slots=True)
class QueueAgents:
    """Agents serving a queue now: logged in and not away (a shared agent by its share), and how many
    of those are available and free this moment."""

    serving: float = 0.0
    idle: float = 0.0


@dataclass(frozen=True, slots=True)
class AgentUtilisation:
    """One agent's time in a period, and its handling time per tenant."""

    agent_id: str
    site_id: str
    figures: AgentFigures
    tenant_handling_seconds: dict[str, float] = field(default_factory=dict)

    def tenant_figures(self, tenant_id: str) -> AgentFigures:
        """The agent's time with only ``tenant_id``'s handling: that tenant's share of the agent."""
        return AgentFigures(
            self.figures.logged_in_seconds,
            self.figures.available_seconds,
            self.tenant_handling_seconds.get(tenant_id, 0.0),
        )


def scoped_to(agents: Iterable[AgentUtilisation], tenant_id: str) -> list[AgentUtilisation]:
    """What a tenant may see: the agents that handled its work, with its handling only (no other
    tenant's figures, no other tenant named)."""
    return [
        AgentUtilisation(a.agent_id, a.site_id, a.tenant_figures(tenant_id), {tenant_id: seconds})
        for a in agents
        if (seconds := a.tenant_handling_seconds.get(tenant_id)) is not None
    ]


def by_site(agents: Iterable[AgentUtilisation]) -> dict[str, AgentFigures]:
    """Summed agent time per site ("" for agents whose site is not known)."""
    sites: dict[str, AgentFigures] = {}
    for agent in agents:
        sites.setdefault(agent.site_id, AgentFigures()).add(agent.figures)
    return sites


def by_tenant(agents: Iterable[AgentUtilisation]) -> dict[str, AgentFigures]:
    """Per tenant: its handling over the time of the agents that served it (its share of them)."""
    tenants: dict[str, AgentFigures] = {}
    for agent in agents:
        for tenant_id in agent.tenant_handling_seconds:
            tenants.setdefault(tenant_id, AgentFigures()).add(agent.tenant_figures(tenant_id))
    return tenants
