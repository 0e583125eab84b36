"""The pure core of the SLA service."""

from vaxel_sla.domain.offered import OfferedCounts

__all__ = ["OfferedCounts"]
