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

# A timer written within this of its due time is stamped with its due time (on time); later, or armed
# already overdue (a restart, a record decided late), with the time it is written.
ON_TIME_SECONDS = 2.0

Append: TypeAlias = Callable[[str, inputs_pb2.RoutingInput], Awaitable[None]]


class Timers:
    def __init__(self, engines: Mapping[str, RoutingEngine], append: Append) -> None:
        """``engines``: the runner's engines by pool (read when a timer fires); ``append`` writes a
        record to a pool's log."""
        self._engines = engines
        self._append = append
        self._armed: dict[str, asyncio.TimerHandle] = {}
        self._overdue: set[str] = set()  # armed after their due time
        self._log = get_logger("vaxel.routing.engine")

    def arm(self, pool: str, timer: Timer) -> None:
        timer_id = timer.command.timer_id
        if timer_id in self._armed:
            return
        delay = timer.due - time.time()
        if delay <= 0:
            self._overdue.add(timer_id)
        loop = asyncio.get_running_loop()
        self._armed[timer_id] = loop.call_later(
            max(0.0, delay), lambda: loop.create_task(self._fire(pool, timer))
        )

    def cancel_all(self) -> None:
        for handle in self._armed.values():
            handle.cancel()
        self._armed.clear()
        self._overdue.clear()

    async def _fire(self, pool: str, timer: Timer) -> None:
        self._armed.pop(timer.command.timer_id, None)
        now = time.time()
        overdue = timer.command.timer_id in self._overdue or now - timer.due > ON_TIME_SECONDS
        self._overdue.discard(timer.command.timer_id)
        engine = self._engines.get(pool)
        if engine is not None and not engine.timer_armed(timer.command.timer_id):
            # Cancelled by what was applied since (an accepted offer's expiry, a wrap-up's timer):
            # its record would change nothing, so it costs the log nothing. Were it armed again by a
            # record not applied yet, applying that record arms it here again.
            return
        # On time, stamped with its due time; late (routing was down or paused when it came due, a
        # restart re-armed it), with the time written: the engine tells a late offer expiry from a miss.
        record = inputs_pb2.RoutingInput(
            input_id=timer.command.timer_id,
            pool=pool,
            occurred_at=ts(now if overdue else timer.due),
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
