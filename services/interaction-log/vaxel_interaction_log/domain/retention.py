"""How long each tenant's interactions are kept, and from when that time counts (pure).

The tenant decides (client-tenant's ``SetDataRetention``, replicated from the configuration topic);
a tenant that did not, or set 0, gets the platform's default. An interaction expires when the
instant its retention counts from (:func:`retained_from`) is older than the tenant's horizon,
``now - days``. The store purges an expired interaction with all its events and remembers its id,
so that a late or redelivered event of it is dropped instead of starting a partial record.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from vaxel_interaction_log.domain.timeline import InteractionRecord

__all__ = ["RetentionPolicy", "retained_from"]


def retained_from(record: InteractionRecord) -> datetime | None:
    """The interaction's end: its wrap-up, else its end, else its abandonment, else its start.

    The store's purge query computes the same in SQL (``COALESCE(wrapped_up_us, ended_us,
    abandoned_us, started_us)``); both must change together.
    """
    return record.wrapped_up_at or record.ended_at or record.abandoned_at or record.started_at


class RetentionPolicy:
    """Days of retention per tenant, over a platform default."""

    def __init__(self, default_days: int) -> None:
        if default_days < 1:
            raise ValueError("the default retention is at least one day")
        self.default_days = default_days
        self._days: dict[str, int] = {}

    def set_tenant(self, tenant_id: str, days: int) -> bool:
        """The tenant's own setting (0: the default); True when its retention became shorter."""
        before = self.days_of(tenant_id)
        if days > 0:
            self._days[tenant_id] = days
        else:
            self._days.pop(tenant_id, None)
        return self.days_of(tenant_id) < before

    def days_of(self, tenant_id: str) -> int:
        return self._days.get(tenant_id, self.default_days)

    def horizon(self, tenant_id: str, now: datetime) -> datetime:
        """Interactions that ended before this instant are expired."""
        return now - timedelta(days=self.days_of(tenant_id))

    def expired(self, record: InteractionRecord, now: datetime) -> bool:
        end = retained_from(record)
        return end is not None and end < self.horizon(record.tenant_id, now)
