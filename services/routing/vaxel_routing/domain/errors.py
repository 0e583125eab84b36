"""Routing's own domain errors, each a kind of a :mod:`vaxel_common.errors` error (so the shared
interceptor and the desk's replies map them to their gRPC status)::

    FailedPrecondition (vaxel_common)
    └── TransferRefused    -> FAILED_PRECONDITION, naming the Ineligibility of the target agent
    ResourceExhausted (vaxel_common)
    └── TenantLimited      -> RESOURCE_EXHAUSTED with a retry delay, naming the tenant's limit hit
"""

from __future__ import annotations

from enum import StrEnum

from vaxel_common.errors import FailedPrecondition, ResourceExhausted


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


class TenantLimited(ResourceExhausted):
    """A submission over one of the tenant's limits (``limit``: "rate" or "concurrency", of value
    ``bound``); the same submission may pass after ``retry_after_seconds``."""

    def __init__(self, limit: str, bound: float, retry_after_seconds: float) -> None:
        what = (
            f"the tenant's submission rate limit ({bound:g} per second)"
            if limit == "rate"
            else f"the tenant's limit of {bound:g} submissions in flight"
        )
        super().__init__(
            f"{what} is reached; retry after {max(1, round(retry_after_seconds * 1000))} ms",
            retry_after_seconds,
        )
        self.limit = limit
        # Refusals of the tenant to report with this one (log line); 0: not due (see limits.py).
        self.report = 0


__all__ = ["Ineligibility", "TenantLimited", "TransferRefused"]
