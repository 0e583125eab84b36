"""Settings of routing (environment variables ``VAXEL_ROUTING_*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from vaxel_common.settings import ServiceSettings
from vaxel_routing.domain.limits import Limits
from vaxel_routing.domain.model import RoutingPolicy, Strategy
from vaxel_vocabulary.content import MAX_BURST, MAX_IN_FLIGHT, MAX_RATE_PER_SECOND


class RoutingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VAXEL_ROUTING_", extra="ignore", frozen=True)

    # The store of the data keys that seal personal fields on routing's log (sqlite:///PATH, created
    # 0600, or postgresql://user@host:port/db); losing it makes every sealed field unreadable.
    database_url: str = "sqlite:///var/routing-keys.sqlite3"
    # Which routing pool serves a tenant (JSON object); tenants not named use "default".
    tenant_pools: dict[str, str] = Field(default_factory=dict)
    strategy: Literal["longest_idle", "most_skilled", "least_occupied"] = "longest_idle"
    offer_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    not_ready_after_missed_offer: bool = True
    # Seconds a returning customer waits for their last agent before anyone else may take them; 0: off.
    last_agent_wait_seconds: float = Field(default=0.0, ge=0, le=600)
    # Seconds after an agent's last desk stream ends without a sign-out before the agent is logged out
    # (NOT_READY while holding work) and their offers go back to the queue; a reconnect within it
    # changes nothing. Long enough for a browser reload or a gateway restart.
    desk_disconnect_grace_seconds: float = Field(default=30.0, gt=0, le=3600)
    # Seconds an API call waits for the engine to apply its request.
    reply_timeout_seconds: float = Field(default=10.0, gt=0)
    # How long a fetch of the routing log waits for records appended by other replicas (those appended
    # by this one are applied on their acknowledgement): their latency, against idle fetches.
    log_fetch_wait_ms: int = Field(default=100, ge=1, le=1000)
    # Each tenant's limits on submissions (API and inbound topic) per routing process, where its
    # contract sets none (docs/operations.md, "Per-tenant limits"): sustained rate, burst, in flight.
    # Twice the share of one of make bench's four tenants at 1,000/s; 2,500 in flight is that share
    # for the whole reply timeout (10 s) and a quarter of the process's call limit (MAX_CONCURRENT_RPCS).
    tenant_rate_per_second: float = Field(default=500.0, gt=0, le=MAX_RATE_PER_SECOND)
    tenant_burst: int = Field(default=1000, ge=1, le=MAX_BURST)
    tenant_max_in_flight: int = Field(default=2500, ge=1, le=MAX_IN_FLIGHT)

    def tenant_limits(self) -> Limits:
        return Limits(self.tenant_rate_per_second, self.tenant_burst, self.tenant_max_in_flight)

    def policy(self) -> RoutingPolicy:
        return RoutingPolicy(
            strategy=Strategy[self.strategy.upper()],
            offer_timeout_seconds=self.offer_timeout_seconds,
            not_ready_after_missed_offer=self.not_ready_after_missed_offer,
            last_agent_wait_seconds=self.last_agent_wait_seconds,
        )
