"""The pure core of routing."""

from vaxel_routing.domain.intake import Intake, Submission, Submitted
from vaxel_routing.domain.replica import QueueConfig, QueueReplica

__all__ = ["Intake", "QueueConfig", "QueueReplica", "Submission", "Submitted"]
