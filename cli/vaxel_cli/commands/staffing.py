"""``vaxel staffing plan``: forecast arrivals and the agents a queue needs, per interval of one day."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from vaxel.sla.v1 import sla_pb2
from vaxel_cli.commands._common import ChannelOption, JsonOption, TenantOption, channel_value, settings_of
from vaxel_cli.connection import Connection, run
from vaxel_cli.output import console, duration, emit_json, message_dict, percent

app = typer.Typer(help="Staffing: how many agents a queue needs.", no_args_is_help=True)

_MODELS = {"erlang-c": sla_pb2.STAFFING_MODEL_ERLANG_C, "erlang-a": sla_pb2.STAFFING_MODEL_ERLANG_A}


@app.command("plan")
def plan_command(
    ctx: typer.Context,
    queue: Annotated[str, typer.Option("--queue", "-q", help="A queue name or id.")],
    day: Annotated[
        str, typer.Option("--date", help="The local day planned, YYYY-MM-DD in the queue's zone.")
    ],
    channel: ChannelOption = "",
    interval_minutes: Annotated[int, typer.Option("--interval-minutes", help="15 or 30.")] = 15,
    history_weeks: Annotated[
        int, typer.Option("--history-weeks", min=0, help="Weeks of history the forecast averages (0: 4).")
    ] = 0,
    shrinkage: Annotated[
        float, typer.Option("--shrinkage", min=0, max=0.9, help="Share of paid time off the queue.")
    ] = 0.0,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=0, help="Chats an agent handles at once.")
    ] = 0,
    model: Annotated[
        str, typer.Option("--model", help="erlang-c (nobody abandons) or erlang-a.")
    ] = "erlang-c",
    max_asa: Annotated[
        float, typer.Option("--max-asa", min=0, help="At most this average speed of answer (s).")
    ] = 0,
    max_occupancy: Annotated[
        float, typer.Option("--max-occupancy", min=0, max=1, help="At most this occupancy.")
    ] = 0,
    busy_only: Annotated[
        bool, typer.Option("--busy-only", help="Leave out intervals needing nobody.")
    ] = False,
    tenant: TenantOption = "",
    json_output: JsonOption = False,
) -> None:
    """The forecast (the same weekday of past weeks), handle time, traffic, agents needed on the queue
    and to schedule (after shrinkage), and the service level, speed of answer and occupancy they give,
    for every interval of the day. Needs reports:read."""
    try:
        date.fromisoformat(day)
    except ValueError:
        raise typer.BadParameter(f"{day!r}: expected YYYY-MM-DD", param_hint="--date") from None
    if model not in _MODELS:
        raise typer.BadParameter(f"{model!r} is not erlang-c or erlang-a", param_hint="--model")

    async def work(connection: Connection) -> sla_pb2.GetStaffingPlanResponse:
        tenant_id = await connection.tenant_scope(tenant)
        return await connection.sla().GetStaffingPlan(
            sla_pb2.GetStaffingPlanRequest(
                tenant_id=tenant_id,
                queue_id=await connection.queue_id(tenant_id, queue),
                date=day,
                channel=channel_value(channel),
                interval_minutes=interval_minutes,
                history_weeks=history_weeks,
                shrinkage=shrinkage,
                concurrency=concurrency,
                model=_MODELS[model],
                max_asa_seconds=max_asa,
                max_occupancy=max_occupancy,
            ),
            metadata=connection.metadata,
            timeout=connection.timeout,
        )

    plan = run(settings_of(ctx), work)
    if json_output:
        emit_json(message_dict(plan))
        return
    rows = [i for i in plan.intervals if i.agents or i.forecast_arrivals or not busy_only]
    table = Table(
        "local start",
        "forecast",
        "AHT",
        "Erlangs",
        "agents",
        "scheduled",
        "service level",
        "ASA",
        "occupancy",
        "abandon",
        title=(
            f"Staffing of queue {plan.queue_id} on {day} ({plan.time_zone}): target {percent(plan.target)}"
            f" in {plan.threshold_seconds}s"
        ),
        title_justify="left",
    )
    for i in rows:
        table.add_row(
            i.local_start,
            f"{i.forecast_arrivals:.1f}",
            duration(i.aht_seconds),
            f"{i.traffic_erlangs:.2f}",
            str(i.agents),
            str(i.scheduled),
            percent(i.service_level),
            duration(i.asa_seconds),
            percent(i.occupancy),
            percent(i.abandon_probability),
        )
    out = console()
    out.print(table)
    hours = sum(i.scheduled for i in plan.intervals) * interval_minutes / 60
    peak = max((i.scheduled for i in plan.intervals), default=0)
    out.print(
        f"{len(plan.intervals)} intervals; peak {peak} agents scheduled; {hours:.1f} agent-hours to schedule"
    )
