"""Routing's own domain errors, each a kind of a :mod:`vaxel_common.errors` error (so the shared
interceptor and the desk's replies map them to their gRPC status)::

    FailedPrecondition (vaxel_common)
    └── TransferRefused    -> FAILED_PRECONDITION, naming the Ineligibility of the target agent
"""

from __future__ import annotations

from enum import StrEnum

from vaxel_common.errors import FailedPrecondition


class Ineligibility(StrEnum):
    """Why an agent may not take an interaction: the rules routing itself applies."""

    TENANT = "tenant"  # not certified for the interaction's tenant
    LANGUAGE = "language"  # does not speak the queue's language
    CHANNEL = "channel"  # takes none of the interaction's channel (capacity 0)
    SKILLS = "skills"  # below the queue's minimum proficiency at the interaction's relax level


_EXPLAINED = {
    Ineligibility.TENANT: "is not certified for the interaction's tenant",
    Ineligibility.LANGUAGE: "does not speak the queue's language",
    Ineligibility.CHANNEL: "takes no work on the interaction's channel",
    Ineligibility.SKILLS: "is below the queue's minimum proficiency",
}


class TransferRefused(FailedPrecondition):
    """A transfer to an agent who may not take the interaction (``reason`` says why)."""

    def __init__(self, agent_id: str, reason: Ineligibility) -> None:
        super().__init__(f"to_agent_id: agent {agent_id!r} {_EXPLAINED[reason]} ({reason.value})")
        self.agent_id = agent_id
        self.reason = reason


__all__ = ["Ineligibility", "TransferRefused"]
