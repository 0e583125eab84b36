"""``vaxel interactions``: search the interaction log, show one interaction, export a period."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.table import Table

from vaxel.interactions.v1 import interactions_pb2
from vaxel_cli.commands._common import (
    ChannelOption,
    JsonOption,
    TenantOption,
    channel_value,
    parse_instant,
    settings_of,
)
from vaxel_cli.connection import Connection, run
from vaxel_cli.output import channel_name, console, duration, emit_json, message_dict, timestamp, to_timestamp

app = typer.Typer(help="The interaction log: search, show, export.", no_args_is_help=True)

FromOption = Annotated[
    str,
    typer.Option(
        "--from", help="Began at or after: YYYY-MM-DD[THH:MM[+HH:MM]] (UTC unless given), or 24h, 7d ago."
    ),
]
ToOption = Annotated[str, typer.Option("--to", help="Began before (same forms as --from).")]
QueueOption = Annotated[str, typer.Option("--queue", "-q", help="A queue name or id.")]
OutcomeOption = Annotated[
    str, typer.Option("--outcome", help="waiting, answered, abandoned, deflected or closed.")
]
AgentOption = Annotated[str, typer.Option("--agent", help="Handled by (or last offered to) this agent id.")]
TagOption = Annotated[str, typer.Option("--tag", help="Wrapped up with this tag.")]
DispositionOption = Annotated[str, typer.Option("--disposition", help="Wrapped up with this disposition.")]
CustomerOption = Annotated[str, typer.Option("--customer-ref", help="The tenant's own customer reference.")]


def _period(start: str, end: str) -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    begin = parse_instant(start, "--from", now) if start else now - timedelta(hours=24)
    until = parse_instant(end, "--to", now) if end else now + timedelta(minutes=1)
    if until <= begin:
        raise typer.BadParameter("must be after --from", param_hint="--to")
    return begin, until


def _outcome(name: str) -> interactions_pb2.Outcome.ValueType:
    if not name:
        return interactions_pb2.OUTCOME_UNSPECIFIED
    try:
        return interactions_pb2.Outcome.Value(f"OUTCOME_{name.strip().upper()}")
    except ValueError:
        raise typer.BadParameter(
            f"{name!r} is not one of waiting, answered, abandoned, deflected, closed", param_hint="--outcome"
        ) from None


async def _filter(
    connection: Connection,
    tenant_id: str,
    queue: str,
    channel: str,
    outcome: str,
    agent: str,
    tag: str,
    disposition: str,
    customer_ref: str,
) -> interactions_pb2.InteractionFilter:
    return interactions_pb2.InteractionFilter(
        queue_id=await connection.queue_id(tenant_id, queue) if queue else "",
        channel=channel_value(channel),
        outcome=_outcome(outcome),
        agent_id=agent,
        tag=tag,
        disposition=disposition,
        customer_ref=customer_ref,
    )


def _waited(interaction: interactions_pb2.Interaction) -> str:
    """The wait once it is over (answered or abandoned); ``-`` while it lasts."""
    over = interaction.HasField("connected_at") or interaction.HasField("abandoned_at")
    return duration(interaction.waiting_seconds) if over else "-"


def _outcome_name(value: int) -> str:
    return interactions_pb2.Outcome.Name(value).removeprefix("OUTCOME_").lower()  # type: ignore[arg-type]


@app.command("search")
def search_command(
    ctx: typer.Context,
    start: FromOption = "",
    end: ToOption = "",
    queue: QueueOption = "",
    channel: ChannelOption = "",
    outcome: OutcomeOption = "",
    agent: AgentOption = "",
    tag: TagOption = "",
    disposition: DispositionOption = "",
    customer_ref: CustomerOption = "",
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many.")] = 100,
    tenant: TenantOption = "",
    json_output: JsonOption = False,
) -> None:
    """Interactions that began within a period (default: the last 24 hours), oldest first. Needs
    interactions:read."""
    begin, until = _period(start, end)

    async def work(connection: Connection) -> list[interactions_pb2.Interaction]:
        tenant_id = await connection.tenant_scope(tenant)
        found: list[interactions_pb2.Interaction] = []
        request = interactions_pb2.SearchInteractionsRequest(
            tenant_id=tenant_id,
            filter=await _filter(
                connection, tenant_id, queue, channel, outcome, agent, tag, disposition, customer_ref
            ),
            page_size=min(limit, 1000),
        )
        getattr(request, "from").CopyFrom(to_timestamp(begin))
        request.to.CopyFrom(to_timestamp(until))
        while len(found) < limit:
            reply = await connection.interactions().SearchInteractions(
                request, metadata=connection.metadata, timeout=connection.timeout
            )
            found += reply.interactions
            if not reply.next_page_token:
                break
            request.page_token = reply.next_page_token
        return found[:limit]

    found = run(settings_of(ctx), work)
    if json_output:
        for interaction in found:
            emit_json(message_dict(interaction))
        return
    table = Table(
        "began (UTC)",
        "interaction id",
        "queue id",
        "channel",
        "outcome",
        "agent",
        "waited",
        "handled",
        "disposition",
        "tags",
        "customer",
        title=f"{len(found)} interactions from {begin:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC",
        title_justify="left",
    )
    for i in found:
        table.add_row(
            timestamp(i.created_at),
            i.interaction_id,
            i.queue_id,
            channel_name(i.channel),
            _outcome_name(i.outcome),
            i.agent_id or "-",
            _waited(i),
            duration(i.handle_seconds) if i.handle_seconds else "-",
            i.disposition or "-",
            ", ".join(i.tags) or "-",
            i.customer_ref or "-",
        )
    console().print(table)


@app.command("show")
def show_command(
    ctx: typer.Context,
    interaction_id: Annotated[str, typer.Argument(help="The interaction id.")],
    tenant: TenantOption = "",
    json_output: JsonOption = False,
) -> None:
    """One interaction: its record and its timeline. Needs interactions:read."""

    async def work(connection: Connection) -> interactions_pb2.Interaction:
        tenant_id = await connection.tenant_scope(tenant)
        reply = await connection.interactions().GetInteraction(
            interactions_pb2.GetInteractionRequest(tenant_id=tenant_id, interaction_id=interaction_id),
            metadata=connection.metadata,
            timeout=connection.timeout,
        )
        return reply.interaction

    interaction = run(settings_of(ctx), work)
    if json_output:
        emit_json(message_dict(interaction))
        return
    out = console()
    i = interaction
    record = Table.grid(padding=(0, 2))
    for name, value in (
        ("interaction", i.interaction_id),
        ("queue", i.queue_id),
        ("channel", channel_name(i.channel)),
        ("language", i.language or "-"),
        ("outcome", _outcome_name(i.outcome)),
        ("agent", i.agent_id or "-"),
        ("customer", i.customer_ref or "-"),
        ("subject", i.subject or "-"),
        ("began", timestamp(i.created_at)),
        ("waited", _waited(i)),
        ("talked", duration(i.talk_seconds) if i.talk_seconds else "-"),
        ("handled", duration(i.handle_seconds) if i.handle_seconds else "-"),
        ("disposition", i.disposition or "-"),
        ("tags", ", ".join(i.tags) or "-"),
        ("notes", i.notes or "-"),
        ("survey", f"{i.survey_score}/5 {i.survey_comment}".strip() if i.survey_score else "-"),
    ):
        record.add_row(f"[bold]{name}[/bold]", value)
    out.print(record)
    timeline = Table("occurred at (UTC)", "event", "agent", title="timeline", title_justify="left")
    for entry in i.timeline:
        timeline.add_row(timestamp(entry.occurred_at), entry.event_type, entry.agent_id or "-")
    out.print(timeline)


@app.command("export")
def export_command(
    ctx: typer.Context,
    start: FromOption = "",
    end: ToOption = "",
    export_format: Annotated[
        str, typer.Option("--format", "-f", help="csv (RFC 4180 with a header) or jsonl (JSON Lines).")
    ] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: standard output).")
    ] = None,
    queue: QueueOption = "",
    channel: ChannelOption = "",
    outcome: OutcomeOption = "",
    agent: AgentOption = "",
    tag: TagOption = "",
    disposition: DispositionOption = "",
    customer_ref: CustomerOption = "",
    tenant: TenantOption = "",
) -> None:
    """Every interaction that began within a period (default: the last 24 hours), streamed as CSV or
    JSON Lines. Needs interactions:read."""
    formats = {"csv": interactions_pb2.EXPORT_FORMAT_CSV, "jsonl": interactions_pb2.EXPORT_FORMAT_JSON_LINES}
    if export_format not in formats:
        raise typer.BadParameter(f"{export_format!r} is not csv or jsonl", param_hint="--format")
    begin, until = _period(start, end)

    async def work(connection: Connection) -> int:
        tenant_id = await connection.tenant_scope(tenant)
        request = interactions_pb2.ExportInteractionsRequest(
            tenant_id=tenant_id,
            format=formats[export_format],
            filter=await _filter(
                connection, tenant_id, queue, channel, outcome, agent, tag, disposition, customer_ref
            ),
        )
        getattr(request, "from").CopyFrom(to_timestamp(begin))
        request.to.CopyFrom(to_timestamp(until))
        rows = 0
        sink: BinaryIO | None = None  # the file is opened on the first chunk: a refusal leaves none
        try:
            async for chunk in connection.interactions().ExportInteractions(
                request, metadata=connection.metadata, timeout=max(connection.timeout, 300)
            ):
                if sink is None:
                    sink = output.open("wb") if output is not None else sys.stdout.buffer
                sink.write(chunk.data)
                rows += chunk.rows
            if sink is None and output is not None:
                output.write_bytes(b"")
        finally:
            if sink is not None:
                sink.flush()
                if output is not None:
                    sink.close()
        return rows

    rows = run(settings_of(ctx), work)
    where = f" to {output}" if output is not None else ""
    print(f"{rows} interactions exported{where}", file=sys.stderr)
