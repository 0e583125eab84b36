"""``vaxel sla``: service levels now (a live table) and open alerts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.live import Live
from rich.table import Column, Table

from vaxel.sla.v1 import sla_pb2
from vaxel_cli.commands._common import JsonOption, TenantOption, settings_of
from vaxel_cli.connection import Connection, run
from vaxel_cli.output import (
    channel_name,
    console,
    duration,
    emit_json,
    message_dict,
    percent,
    span,
    timestamp,
)

app = typer.Typer(help="Service levels: watch the queues, list open alerts.", no_args_is_help=True)

Snapshot = list[tuple[str, sla_pb2.QueueStatistics]]  # (queue name, statistics)


@app.command("watch")
def watch_command(
    ctx: typer.Context,
    queues: Annotated[
        list[str] | None,
        typer.Option("--queue", "-q", help="A queue name or id; repeat for more (default: every queue)."),
    ] = None,
    tenant: TenantOption = "",
    interval: Annotated[
        float, typer.Option("--interval", min=0.2, help="Seconds between refreshes of the live table.")
    ] = 1.0,
    once: Annotated[bool, typer.Option("--once", help="Print the table once and exit.")] = False,
    json_output: JsonOption = False,
) -> None:
    """The current interval of each queue and channel (offered, answered, abandoned, service level
    against target, speed of answer), the last hour, who waits now and open alerts; refreshed every
    second until Ctrl-C. Needs reports:read (and config:read to find the queues by name)."""

    async def work(connection: Connection) -> None:
        tenant_id = await connection.tenant_scope(tenant)
        names = await connection.queues(tenant_id, queues or [])
        if once or json_output:
            while True:
                snapshot = await _snapshot(connection, tenant_id, names)
                if json_output:
                    for _, stats in snapshot:
                        emit_json(message_dict(stats))
                else:
                    console().print(render(snapshot))
                if once:
                    return
                await asyncio.sleep(interval)
        with Live(
            render(await _snapshot(connection, tenant_id, names)),
            console=console(),
            auto_refresh=False,
        ) as live:
            while True:
                await asyncio.sleep(interval)
                live.update(render(await _snapshot(connection, tenant_id, names)), refresh=True)

    run(settings_of(ctx), work)


async def _snapshot(connection: Connection, tenant_id: str, names: dict[str, str]) -> Snapshot:
    sla = connection.sla()
    replies = await asyncio.gather(
        *(
            sla.GetQueueStatistics(
                sla_pb2.GetQueueStatisticsRequest(tenant_id=tenant_id, queue_id=queue_id),
                metadata=connection.metadata,
                timeout=connection.timeout,
            )
            for queue_id in names
        )
    )
    return [(names[r.statistics.queue_id], r.statistics) for r in replies]


def render(snapshot: Snapshot, now: datetime | None = None) -> Table:
    """One row per queue and channel of the current interval; waiting and alerts per queue."""
    now = now or datetime.now(UTC)
    table = Table(
        Column("queue", no_wrap=True, overflow="ellipsis", max_width=24),
        Column("channel", no_wrap=True),
        "offered",
        "answered",
        "abandoned",
        Column("SL", no_wrap=True),
        Column("target", no_wrap=True),
        "ASA",
        "AHT",
        Column("SL 1h", no_wrap=True),
        "waiting",
        "est. wait",
        "longest",
        "alerts",
        title=(
            f"Service level (SL) of the current interval and of the last hour (SL 1h), {now:%H:%M:%S} UTC;"
            " Ctrl-C stops"
        ),
        title_justify="left",
    )
    for name, stats in snapshot:
        hour = {f.channel: f for f in stats.rolling_hour}
        alerts = ", ".join(
            f"{sla_pb2.AlertKind.Name(a.kind).removeprefix('ALERT_KIND_').lower()} {channel_name(a.channel)}"
            for a in stats.open_alerts
        )
        queue_cells = (
            f"{stats.waiting}",
            duration(stats.estimated_wait_seconds),
            duration(stats.longest_waiting_seconds),
            alerts or "-",
        )
        if not stats.current:
            table.add_row(name, "-", *["-"] * 8, *queue_cells)
        for n, figures in enumerate(stats.current):
            level = figures.service_level if figures.HasField("service_level") else None
            below = level is not None and level < figures.target
            last = hour.get(figures.channel)
            table.add_row(
                name if n == 0 else "",
                channel_name(figures.channel),
                str(figures.offered),
                str(figures.answered),
                str(figures.abandoned),
                f"[red]{percent(level)}[/red]" if below else percent(level),
                f"{percent(figures.target)} in {span(figures.threshold_seconds)}",
                duration(figures.asa_seconds if figures.HasField("asa_seconds") else None),
                duration(figures.aht_seconds if figures.HasField("aht_seconds") else None),
                percent(last.service_level if last is not None and last.HasField("service_level") else None),
                *(queue_cells if n == 0 else ("",) * len(queue_cells)),
            )
    return table


@app.command("alerts")
def alerts_command(ctx: typer.Context, tenant: TenantOption = "", json_output: JsonOption = False) -> None:
    """Alerts open now: breaches and predicted breaches (the ops key without --tenant: every tenant)."""

    async def work(connection: Connection) -> sla_pb2.ListAlertsResponse:
        return await connection.sla().ListAlerts(
            sla_pb2.ListAlertsRequest(tenant_id=tenant),
            metadata=connection.metadata,
            timeout=connection.timeout,
        )

    reply = run(settings_of(ctx), work)
    if json_output:
        for alert in reply.alerts:
            emit_json(message_dict(alert))
        return
    table = Table("raised at (UTC)", "tenant", "queue", "channel", "kind", "service level", "target")
    for alert in reply.alerts:
        table.add_row(
            timestamp(alert.raised_at),
            alert.tenant_id,
            alert.queue_id,
            channel_name(alert.channel),
            sla_pb2.AlertKind.Name(alert.kind).removeprefix("ALERT_KIND_").lower(),
            percent(alert.service_level),
            percent(alert.target),
        )
    console().print(table if reply.alerts else "No open alerts.")
