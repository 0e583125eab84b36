"""Errors every Växel service raises from its domain; the gRPC layer maps them to status codes.

::

    VaxelError
    ├── InvalidArgument      -> INVALID_ARGUMENT (names the field)
    ├── NotFound             -> NOT_FOUND
    ├── AlreadyExists        -> ALREADY_EXISTS
    ├── FailedPrecondition   -> FAILED_PRECONDITION
    ├── PermissionDenied     -> PERMISSION_DENIED
    ├── Unauthenticated      -> UNAUTHENTICATED
    ├── Unavailable          -> UNAVAILABLE (a dependency is down; retry later)
    ├── ResourceExhausted    -> RESOURCE_EXHAUSTED (a limit of the caller's; retry after the delay given)
    └── DeadlineExceeded     -> DEADLINE_EXCEEDED (the call's deadline, or the service's work limit, passed)

    DecodeError              an event that cannot be decoded (goes to the dead-letter topic)
    ConfigurationError       a setting is invalid; the service stops at start
"""

from __future__ import annotations

__all__ = [
    "AlreadyExists",
    "ConfigurationError",
    "DeadlineExceeded",
    "DecodeError",
    "FailedPrecondition",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "VaxelError",
]


class VaxelError(Exception):
    """Base of the errors a domain raises towards its callers."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(VaxelError):  # noqa: N818  (named after the gRPC status it maps to)
    """A request field is invalid; ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFound(VaxelError):  # noqa: N818
    """The object does not exist, or belongs to another tenant."""


class AlreadyExists(VaxelError):  # noqa: N818
    """The object exists already."""


class FailedPrecondition(VaxelError):  # noqa: N818
    """The request is valid but not in the object's current state."""


class PermissionDenied(VaxelError):  # noqa: N818
    """The caller is known but may not do this."""


class Unauthenticated(VaxelError):  # noqa: N818
    """The caller could not be identified."""


class Unavailable(VaxelError):  # noqa: N818
    """A dependency (broker, database) is unreachable for now."""


class ResourceExhausted(VaxelError):  # noqa: N818
    """A limit of the caller's is reached; the same call may succeed after ``retry_after_seconds``.

    The gRPC layer sends the delay as google.rpc.RetryInfo in the status details and as the
    ``retry-after-ms`` trailing metadata entry. The message names the limit, never the request.
    """

    def __init__(self, message: str, retry_after_seconds: float) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class DeadlineExceeded(VaxelError):  # noqa: N818
    """The work a call asked for did not finish before its deadline (or the service's work limit)."""


class DecodeError(Exception):
    """An event's bytes could not be decoded into a valid Växel event."""


class ConfigurationError(Exception):
    """A setting is invalid. The message is one line naming the setting and the reason."""
