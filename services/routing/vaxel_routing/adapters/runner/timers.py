"""The engines' timers (offer expiries, widening steps, callbacks due, wrap-up ends, last-agent waits),
armed on the event loop.

A timer that comes due is appended to the routing-inputs log as a record like any other, so that its
effect is in the log's order and a replay repeats it; the engine decides what it changes when applied.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeAlias

from vaxel.routing.v1 import inputs_pb2
from vaxel_common.errors import Unavailable
from vaxel_common.logging import get_logger
from vaxel_routing.adapters.converters import timer_input, ts
from vaxel_routing.adapters.runner.consumer import INPUT_SCHEMA_VERSION
from vaxel_routing.domain.commands import Timer
from vaxel_routing.domain.engine import RoutingEngine

__all__ = ["Timers"]

Append: TypeAlias = Callable[[str, inputs_pb2.RoutingInput], Awaitable[None]]


class Timers:
    def __init__(self, engines: Mapping[str, RoutingEngine], append: Append) -> None:
        """``engines``: the runner's engines by pool (read when a timer fires); ``append`` writes a
        record to a pool's log."""
        self._engines = engines
        self._append = append
        self._armed: dict[str, asyncio.TimerHandle] = {}
        self._log = get_logger("vaxel.routing.engine")

    def arm(self, pool: str, timer: Timer) -> None:
        timer_id = timer.command.timer_id
        if timer_id in self._armed:
            return
        delay = max(0.0, timer.due - time.time())
        loop = asyncio.get_running_loop()
        self._armed[timer_id] = loop.call_later(delay, lambda: loop.create_task(self._fire(pool, timer)))

    def cancel_all(self) -> None:
        for handle in self._armed.values():
            handle.cancel()
        self._armed.clear()

    async def _fire(self, pool: str, timer: Timer) -> None:
        self._armed.pop(timer.command.timer_id, None)
        engine = self._engines.get(pool)
        if engine is not None and not engine.timer_armed(timer.command.timer_id):
            # Cancelled by what was applied since (an accepted offer's expiry, a wrap-up's timer):
            # its record would change nothing, so it costs the log nothing. Were it armed again by a
            # record not applied yet, applying that record arms it here again.
            return
        record = inputs_pb2.RoutingInput(
            input_id=timer.command.timer_id,
            pool=pool,
            occurred_at=ts(timer.due),
            schema_version=INPUT_SCHEMA_VERSION,
            timer=timer_input(timer.command),
        )
        for attempt in range(30):
            try:
                await self._append(pool, record)
                return
            except Unavailable:
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
        self._log.error("routing_timer_lost", timer_kind=record.timer.kind)
