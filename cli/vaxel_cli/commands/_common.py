"""Options every command group shares, and the settings the root command built."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

import typer

from vaxel.types.v1 import types_pb2
from vaxel_cli.settings import CliSettings

__all__ = ["ChannelOption", "JsonOption", "TenantOption", "channel_value", "parse_instant", "settings_of"]

TenantOption = Annotated[
    str,
    typer.Option(
        "--tenant",
        metavar="TENANT_ID",
        help="The tenant to act on: required with the ops key; a tenant key acts on its own tenant.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object per line, for programs.")]
ChannelOption = Annotated[
    str,
    typer.Option(
        "--channel",
        metavar="CHANNEL",
        help="voice, chat, email, social, callback or outbound (default: all).",
    ),
]


def settings_of(ctx: typer.Context) -> CliSettings:
    """The settings the root command built from options, environment and config file."""
    settings = ctx.find_root().obj
    if not isinstance(settings, CliSettings):
        raise RuntimeError("the root callback builds the settings")
    return settings


def channel_value(name: str, option: str = "--channel") -> types_pb2.Channel.ValueType:
    """``voice`` -> CHANNEL_VOICE; empty -> CHANNEL_UNSPECIFIED (every channel)."""
    if not name:
        return types_pb2.CHANNEL_UNSPECIFIED
    try:
        return types_pb2.Channel.Value(f"CHANNEL_{name.strip().upper()}")
    except ValueError:
        choices = [n.removeprefix("CHANNEL_").lower() for n in types_pb2.Channel.keys()[1:]]
        raise typer.BadParameter(f"{name!r} is not one of {', '.join(choices)}", param_hint=option) from None


def parse_instant(text: str, option: str, now: datetime | None = None) -> datetime:
    """An instant from ``2026-05-04``, ``2026-05-04T10:00``, ``2026-05-04T10:00+02:00`` (no offset: UTC),
    ``now``, or a span ago: ``90m``, ``24h``, ``7d``."""
    now = now or datetime.now(UTC)
    value = text.strip().lower()
    if value == "now":
        return now
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    if value[-1:] in units and value[:-1].isdigit():
        return now - timedelta(**{units[value[-1]]: int(value[:-1])})
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), UTC)
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}: expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[+HH:MM], now, or a span ago such as 24h or 7d",
            param_hint=option,
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
