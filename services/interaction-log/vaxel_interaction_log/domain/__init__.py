"""The pure core of the interaction log: records from histories, and the queries over them."""

from vaxel_interaction_log.domain.timeline import InteractionRecord, LoggedEvent, Outcome, project

__all__ = ["InteractionRecord", "LoggedEvent", "Outcome", "project"]
