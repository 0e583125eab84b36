"""Routing's domain: the engine of a pool, admission of new work, the configuration replica."""

from vaxel_routing.domain.engine import RoutingEngine
from vaxel_routing.domain.replica import ConfigReplica, QueueConfig

__all__ = ["ConfigReplica", "QueueConfig", "RoutingEngine"]
