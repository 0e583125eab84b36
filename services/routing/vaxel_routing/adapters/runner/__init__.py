"""The routing engines' runner, one job per module: the inputs log (:mod:`.consumer`), offset commits
(:mod:`.commits`), timers (:mod:`.timers`), desk notices (:mod:`.notices`), the events of applied
inputs (:mod:`.events`), gauges (:mod:`.gauges`), and the runner that composes them (:mod:`.runner`)."""

from vaxel_routing.adapters.runner.consumer import GROUP
from vaxel_routing.adapters.runner.runner import EngineRunner

__all__ = ["GROUP", "EngineRunner"]
