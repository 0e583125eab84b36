"""``vaxel queues``: a tenant's queues as they apply now."""

from __future__ import annotations

import typer
from rich.table import Table

from vaxel.tenant.v1 import tenant_pb2
from vaxel_cli.commands._common import JsonOption, TenantOption, settings_of
from vaxel_cli.connection import Connection, run
from vaxel_cli.output import channel_name, console, emit_json, message_dict, span

app = typer.Typer(help="Queues of a tenant.", no_args_is_help=True)

_DAYS = ("", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@app.command("list")
def list_command(ctx: typer.Context, tenant: TenantOption = "", json_output: JsonOption = False) -> None:
    """Every queue with its channels, zone, targets, business hours, whether it is open now, and its
    contact points (one read: TenantService.GetEffectiveConfiguration; needs config:read)."""

    async def work(connection: Connection) -> tenant_pb2.GetEffectiveConfigurationResponse:
        tenant_id = await connection.tenant_scope(tenant)
        return await connection.tenants().GetEffectiveConfiguration(
            tenant_pb2.GetEffectiveConfigurationRequest(tenant_id=tenant_id),
            metadata=connection.metadata,
            timeout=connection.timeout,
        )

    config = run(settings_of(ctx), work)
    if json_output:
        for effective in config.queues:
            emit_json(message_dict(effective))
        return
    table = Table(
        "queue", "queue id", "channels", "language", "time zone", "targets", "hours", "open", "contact points"
    )
    for effective in config.queues:
        queue = effective.queue
        table.add_row(
            queue.name,
            queue.queue_id,
            ", ".join(channel_name(c) for c in queue.channels),
            queue.language,
            queue.time_zone,
            ", ".join(
                f"{channel_name(t.channel)} {t.target_percent:g}% in {span(t.threshold.seconds)}"
                for t in queue.service_level_targets
            )
            or "-",
            hours_summary(effective.business_hours) if effective.HasField("business_hours") else "always",
            "open" if effective.open_now else "closed",
            ", ".join(p.address for p in effective.contact_points) or "-",
        )
    out = console()
    out.print(f"{config.tenant.name} ({config.tenant.tenant_id}): {len(config.queues)} queues")
    out.print(table)


def hours_summary(hours: tenant_pb2.BusinessHours) -> str:
    """``Mon-Fri 08:00-20:00; Sat 10:00-16:00; holidays SE``: equal days run together."""
    parts: list[str] = []
    days = sorted(hours.weekly, key=lambda d: d.iso_weekday)
    i = 0
    while i < len(days):
        shifts = ", ".join(f"{s.start}-{s.end}" for s in days[i].shifts)
        j = i
        while (
            j + 1 < len(days)
            and days[j + 1].iso_weekday == days[j].iso_weekday + 1
            and list(days[j + 1].shifts) == list(days[i].shifts)
        ):
            j += 1
        first, last = _DAYS[days[i].iso_weekday], _DAYS[days[j].iso_weekday]
        parts.append(f"{first}-{last} {shifts}" if j > i else f"{first} {shifts}")
        i = j + 1
    if hours.holidays_country:
        subdivision = f"-{hours.holidays_subdivision}" if hours.holidays_subdivision else ""
        parts.append(f"closed on {hours.holidays_country}{subdivision} holidays")
    if hours.exceptions:
        parts.append(f"{len(hours.exceptions)} special dates")
    return "; ".join(parts) or "closed"
