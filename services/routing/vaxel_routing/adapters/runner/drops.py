"""Dropped desks: an agent whose last desk stream is gone becomes a record on the log (``desk_dropped``),
and the engine logs the agent out after the grace unless a desk logs in again first
(``agents.desk_grace_over``).

Two ways a desk is gone: its stream ends without a Logout (the desk servicer calls :meth:`DeskDrops.drop`),
or routing started, or took its partitions over, and an agent the log says is logged in has no desk
here (:meth:`DeskDrops.absent`): the desks of a routing killed with ``kill -9`` wrote no drop, and those
that never reconnect would otherwise leave their agents logged in holding offers.

The check that no desk of the agent is open and the append follow each other with nothing in between,
and appends keep their order (:mod:`.consumer`): a desk that logs in after the check is in the log after
the drop, and its Login cancels the grace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeAlias

from vaxel.routing.v1 import inputs_pb2
from vaxel_common.errors import VaxelError
from vaxel_common.grpc_server import status_code_of
from vaxel_common.logging import get_logger
from vaxel_routing.adapters.converters import desk_dropped_input
from vaxel_routing.adapters.desk_hub import DeskHub
from vaxel_routing.domain.commands import Outcome
from vaxel_routing.domain.engine import RoutingEngine
from vaxel_routing.metrics import RoutingMetrics

__all__ = ["DeskDrops"]

Execute: TypeAlias = Callable[[str, inputs_pb2.RoutingInput], Awaitable[Outcome]]


class DeskDrops:
    def __init__(self, hub: DeskHub, execute: Execute, grace_seconds: float, metrics: RoutingMetrics) -> None:
        self._hub = hub
        self._execute = execute
        self._grace = grace_seconds
        self._metrics = metrics
        self._tasks: set[asyncio.Task[None]] = set()
        self._log = get_logger("vaxel.routing.desk")

    def drop(self, pool: str, agent_id: str) -> None:
        """A desk stream of the agent ended without a sign-out (however it ended: a task of its own)."""
        task = asyncio.get_running_loop().create_task(self._dropped(pool, agent_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def absent(self, engines: Mapping[str, RoutingEngine]) -> None:
        """The engines were rebuilt: every agent logged in with no desk here has dropped."""
        for pool, engine in engines.items():
            for agent_id in engine.logged_in_agents():
                if not self._hub.connected(agent_id):
                    self.drop(pool, agent_id)

    async def _dropped(self, pool: str, agent_id: str) -> None:
        if self._hub.connected(agent_id):
            return  # another desk of the agent is open, or one connected since
        record = inputs_pb2.RoutingInput(desk_dropped=desk_dropped_input(agent_id, self._grace))
        try:
            await self._execute(pool, record)
        except VaxelError as exc:  # routing stopping, or its log unavailable: the agent stays as it is
            self._log.warning("desk_drop_not_logged", agent_id=agent_id, code=status_code_of(exc).name)
            return
        self._metrics.desks_dropped.inc()
