"""``vaxel webhooks``: a tenant's webhook endpoints, their deliveries and replays; ``stream``: its events."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from vaxel.integrations.v1 import integrations_pb2 as pb
from vaxel_cli.commands._common import JsonOption, TenantOption, parse_instant, settings_of
from vaxel_cli.connection import Connection, run
from vaxel_cli.output import console, emit_json, message_dict, timestamp, to_timestamp

app = typer.Typer(
    help="Webhooks: register endpoints, list them and their deliveries, replay, and stream events.",
    no_args_is_help=True,
)

_STATES = {
    "pending": pb.DELIVERY_STATE_PENDING,
    "delivered": pb.DELIVERY_STATE_DELIVERED,
    "failed": pb.DELIVERY_STATE_FAILED,
}


@app.command("add")
def add_command(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="https://... (the endpoint that receives the POSTs)")],
    events: Annotated[
        list[str] | None,
        typer.Option(
            "--event", "-e", help="An event type to deliver, e.g. interaction.ended; repeat (default: all)."
        ),
    ] = None,
    description: Annotated[str, typer.Option("--description", help="A note for people.")] = "",
    tenant: TenantOption = "",
    json_output: JsonOption = False,
) -> None:
    """Register an endpoint (needs config:write). Prints its signing secret: shown this once, keep it."""

    async def work(connection: Connection) -> pb.CreateEndpointResponse:
        tenant_id = await connection.tenant_scope(tenant)
        return await connection.webhooks().CreateEndpoint(
            pb.CreateEndpointRequest(
                tenant_id=tenant_id, url=url, event_types=events or [], description=description
            ),
            metadata=connection.metadata,
            timeout=connection.timeout,
        )

    reply = run(settings_of(ctx), work)
    if json_output:
        emit_json(message_dict(reply))
        return
    out = console()
    out.print(f"endpoint {reply.endpoint.endpoint_id} -> {reply.endpoint.url}")
    out.print(f"signing secret (shown once): {reply.secret}")


@app.command("list")
def list_command(ctx: typer.Context, tenant: TenantOption = "", json_output: JsonOption = False) -> None:
    """The tenant's endpoints (needs config:read)."""

    async def work(connection: Connection) -> pb.ListEndpointsResponse:
        tenant_id = await connection.tenant_scope(tenant)
        return await connection.webhooks().ListEndpoints(
            pb.ListEndpointsRequest(tenant_id=tenant_id),
            metadata=connection.metadata,
            timeout=connection.timeout,
        )

    reply = run(settings_of(ctx), work)
    if json_output:
        for endpoint in reply.endpoints:
            emit_json(message_dict(endpoint))
        return
    table = Table("endpoint id", "url", "event types", "description", "created")
    for e in reply.endpoints:
        table.add_row(
            e.endpoint_id, e.url, ", ".join(e.event_types) or "all", e.description, timestamp(e.created_at)
        )
    console().print(table)


@app.command("delete")
def delete_command(
    ctx: typer.Context,
    endpoint_id: Annotated[str, typer.Argument(help="The endpoint's id (vaxel webhooks list).")],
    tenant: TenantOption = "",
) -> None:
    """Remove an endpoint and its deliveries (needs config:write)."""

    async def work(connection: Connection) -> None:
        tenant_id = await connection.tenant_scope(tenant)
        await connection.webhooks().DeleteEndpoint(
            pb.DeleteEndpointRequest(tenant_id=tenant_id, endpoint_id=endpoint_id),
            metadata=connection.metadata,
            timeout=connection.timeout,
        )

    run(settings_of(ctx), work)
    console().print(f"deleted {endpoint_id}")


@app.command("deliveries")
def deliveries_command(
    ctx: typer.Context,
    endpoint_id: Annotated[str, typer.Option("--endpoint", help="One endpoint's (default: all).")] = "",
    state: Annotated[str, typer.Option("--state", help="pending, delivered or failed (default: all).")] = "",
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="At most this many.")] = 50,
    tenant: TenantOption = "",
    json_output: JsonOption = False,
) -> None:
    """Recent deliveries, newest first: state, attempts, last answer (needs config:read)."""
    if state and state not in _STATES:
        raise typer.BadParameter(f"{state!r} is not one of {', '.join(_STATES)}", param_hint="--state")

    async def work(connection: Connection) -> pb.ListDeliveriesResponse:
        tenant_id = await connection.tenant_scope(tenant)
        return await connection.webhooks().ListDeliveries(
            pb.ListDeliveriesRequest(
                tenant_id=tenant_id,
                endpoint_id=endpoint_id,
                state=_STATES.get(state, pb.DELIVERY_STATE_UNSPECIFIED),
                limit=limit,
            ),
            metadata=connection.metadata,
            timeout=connection.timeout,
        )

    reply = run(settings_of(ctx), work)
    if json_output:
        for delivery in reply.deliveries:
            emit_json(message_dict(delivery))
        return
    table = Table("delivery id", "event type", "state", "attempts", "last", "created", "next attempt")
    for d in reply.deliveries:
        last = d.last_error or (str(d.last_status) if d.last_status else "-")
        table.add_row(
            d.delivery_id,
            d.event_type,
            pb.DeliveryState.Name(d.state).removeprefix("DELIVERY_STATE_").lower(),
            str(d.attempts),
            last,
            timestamp(d.created_at),
            timestamp(d.next_attempt_at),
        )
    console().print(table)


@app.command("replay")
def replay_command(
    ctx: typer.Context,
    endpoint_id: Annotated[str, typer.Argument(help="The endpoint's id.")],
    since: Annotated[str, typer.Option("--from", help="Start: 2026-05-04T10:00, 24h (ago), ...")] = "24h",
    until: Annotated[str, typer.Option("--to", help="End (excluded): a time or 'now'.")] = "now",
    failed_only: Annotated[bool, typer.Option("--failed-only", help="Only the failed deliveries.")] = False,
    tenant: TenantOption = "",
) -> None:
    """Deliver again what the endpoint got (or failed to get) in a period (needs config:write)."""
    start, end = parse_instant(since, "--from"), parse_instant(until, "--to")

    async def work(connection: Connection) -> pb.ReplayDeliveriesResponse:
        tenant_id = await connection.tenant_scope(tenant)
        request = pb.ReplayDeliveriesRequest(
            tenant_id=tenant_id, endpoint_id=endpoint_id, to=to_timestamp(end), failed_only=failed_only
        )
        getattr(request, "from").CopyFrom(to_timestamp(start))  # "from" is a Python keyword
        return await connection.webhooks().ReplayDeliveries(
            request, metadata=connection.metadata, timeout=connection.timeout
        )

    reply = run(settings_of(ctx), work)
    console().print(f"{reply.requeued} deliveries queued again")


@app.command("stream")
def stream_command(
    ctx: typer.Context,
    events: Annotated[
        list[str] | None, typer.Option("--event", "-e", help="An event type; repeat (default: all).")
    ] = None,
    cursor: Annotated[
        str, typer.Option("--cursor", help="Resume after this cursor (printed with each event).")
    ] = "",
    earliest: Annotated[
        bool, typer.Option("--earliest", help="Without a cursor: from the oldest event kept.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Stop after this many events (0: never).")] = 0,
    tenant: TenantOption = "",
) -> None:
    """The tenant's own events as they happen, one JSON object per line with its resume cursor
    (needs interactions:read). Ctrl-C stops; --cursor resumes without gap or duplicate."""

    async def work(connection: Connection) -> None:
        tenant_id = await connection.tenant_scope(tenant)
        start = pb.STREAM_START_EARLIEST if earliest else pb.STREAM_START_LATEST
        call = connection.tenant_events().StreamEvents(
            pb.StreamEventsRequest(tenant_id=tenant_id, cursor=cursor, start=start, event_types=events or []),
            metadata=connection.metadata,
        )
        seen = 0
        async for reply in call:
            if not reply.HasField("event"):
                continue
            emit_json({"cursor": reply.cursor, "event": message_dict(reply.event)})
            seen += 1
            if limit and seen >= limit:
                call.cancel()
                return

    run(settings_of(ctx), work)
