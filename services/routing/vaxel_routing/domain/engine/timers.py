"""Timers the engine arms: fed back as commands at their due time; a timer fires once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vaxel_routing.domain.commands import Outcome, Timer, TimerCommand
from vaxel_routing.domain.engine._state import EngineState


def arm(st: EngineState, out: Outcome, due: float, command: TimerCommand) -> None:
    if command.timer_id in st.timers:
        return
    timer = Timer(due, command)
    st.timers[command.timer_id] = timer
    out.timers.append(timer)


def fired(
    st: EngineState, handler: Callable[[EngineState, Any, Outcome], None]
) -> Callable[[Any, Outcome], None]:
    """A timer fires once: a timer no longer armed (fired before, or cancelled) changes nothing."""

    def fire(command: TimerCommand, out: Outcome) -> None:
        if st.timers.pop(command.timer_id, None) is not None:
            handler(st, command, out)

    return fire


__all__ = ["arm", "fired"]
