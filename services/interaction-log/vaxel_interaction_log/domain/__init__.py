"""The pure core of the interaction log."""

from vaxel_interaction_log.domain.timeline import InteractionRecord, StoredEvent, project

__all__ = ["InteractionRecord", "StoredEvent", "project"]
