"""Connected agent desks: where the engine's updates for an agent go."""

from __future__ import annotations

import asyncio

from vaxel.routing.v1 import routing_pb2

_BACKLOG = 1000


class DeskHub:
    """agent id -> the outgoing queues of that agent's open desk streams (usually one)."""

    def __init__(self) -> None:
        self._desks: dict[str, list[asyncio.Queue[routing_pb2.ConnectResponse]]] = {}

    def attach(self, agent_id: str) -> asyncio.Queue[routing_pb2.ConnectResponse]:
        queue: asyncio.Queue[routing_pb2.ConnectResponse] = asyncio.Queue(maxsize=_BACKLOG)
        self._desks.setdefault(agent_id, []).append(queue)
        return queue

    def detach(self, agent_id: str, queue: asyncio.Queue[routing_pb2.ConnectResponse]) -> None:
        queues = self._desks.get(agent_id, [])
        if queue in queues:
            queues.remove(queue)
        if not queues:
            self._desks.pop(agent_id, None)

    def send(self, agent_id: str, update: routing_pb2.ConnectResponse) -> None:
        """Queue ``update`` for every open desk of the agent; a desk that stopped reading loses the
        oldest updates first (it gets the full state again when it reconnects)."""
        for queue in self._desks.get(agent_id, []):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(update)

    @staticmethod
    def wake(queue: asyncio.Queue[routing_pb2.ConnectResponse], marker: routing_pb2.ConnectResponse) -> None:
        """Put ``marker`` on one desk's queue (dropping the oldest update when full)."""
        if queue.full():
            queue.get_nowait()
        queue.put_nowait(marker)

    def connected(self, agent_id: str) -> bool:
        return agent_id in self._desks
