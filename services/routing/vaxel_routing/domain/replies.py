"""The engine's answers: to a command's sender (the front door, a desk), one type per kind of answer;
and the counts it reports for metrics."""

from __future__ import annotations

from dataclasses import dataclass

from vaxel_routing.domain.model import Presence


@dataclass(frozen=True, slots=True)
class Placement:
    """Where work stands: the answer to a submission (``duplicate``: submitted before) and to a
    callback request."""

    interaction_id: str
    state: str
    position: int  # 1-based place in its lane; 0 when not waiting
    estimated_wait: float  # seconds
    callback_offered: bool
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class AgentVersion:
    """The agent profile version the engine holds after an upsert (a newer one it held wins)."""

    version: int


@dataclass(frozen=True, slots=True)
class LoggedIn:
    presence: Presence


@dataclass(frozen=True, slots=True)
class Accepted:
    interaction_id: str


Reply = Placement | AgentVersion | LoggedIn | Accepted


@dataclass(frozen=True, slots=True)
class PoolCounts:
    """One pool's counts for the gauges: waiting work, open offers, agents by the presence shown."""

    waiting: int
    offered: int
    agents: int
    by_presence: tuple[tuple[Presence, int], ...]  # every presence an agent shows, in enum order

    def agents_in(self, presence: Presence) -> int:
        return next((count for shown, count in self.by_presence if shown is presence), 0)


__all__ = ["Accepted", "AgentVersion", "LoggedIn", "Placement", "PoolCounts", "Reply"]
