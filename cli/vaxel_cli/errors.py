"""What the CLI reports instead of a traceback, and the exit code each gives.

::

    CliError                 exit_code; printed as one line per problem on stderr
    ├── UsageError           2: a missing setting (no target, no API key), a bad option value
    ├── SpecError            2: the onboarding file is not valid (every problem, each naming its field)
    └── OnboardingError      1: the platform refused a step; says which, and what was created already

A status from the platform (``grpc.RpcError``) is printed as ``error: CODE: detail`` with exit code 1
by :func:`vaxel_cli.connection.run`; so are broker errors while tailing events.
"""

from __future__ import annotations

__all__ = ["CliError", "OnboardingError", "SpecError", "UsageError"]


class CliError(Exception):
    """An error the user can act on; ``lines`` are printed to stderr, then the CLI exits."""

    exit_code = 1

    def __init__(self, *lines: str) -> None:
        super().__init__(lines[0] if lines else "")
        self.lines = lines


class UsageError(CliError):
    """The command line or the settings are incomplete or wrong."""

    exit_code = 2


class SpecError(CliError):
    """An onboarding file with problems; each names its field, e.g. ``queues[0].channels[1]``."""

    exit_code = 2

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(
            f"error: {source} is not a valid onboarding file ({len(problems)} problem"
            f"{'' if len(problems) == 1 else 's'}); nothing was created:",
            *(f"  {p}" for p in problems),
        )
        self.source = source
        self.problems = problems


class OnboardingError(CliError):
    """A step of onboarding failed on the platform, after the steps before it succeeded."""

    def __init__(self, step: str, code: str, detail: str, created: list[str]) -> None:
        lines = [f"error: {code}: {detail} (onboarding stopped at {step})"]
        lines += [f"  already created: {c}" for c in created]
        super().__init__(*lines)
        self.step = step
        self.code = code
        self.detail = detail
        self.created = created
