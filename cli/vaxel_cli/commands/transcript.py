"""``vaxel transcript``: an interaction's messages, in order, as the conversation service keeps them."""

from __future__ import annotations

from typing import Annotated

import typer

from vaxel.conversation.v1 import conversation_pb2
from vaxel_cli.commands._common import JsonOption, TenantOption, settings_of
from vaxel_cli.connection import Connection, run
from vaxel_cli.output import console, emit_json, message_dict, timestamp

__all__ = ["transcript_command"]

_AUTHORS = {
    conversation_pb2.AUTHOR_KIND_CUSTOMER: "customer",
    conversation_pb2.AUTHOR_KIND_AGENT: "agent",
    conversation_pb2.AUTHOR_KIND_SYSTEM: "system",
    conversation_pb2.AUTHOR_KIND_INTERNAL_NOTE: "note",
}


def _author(message: conversation_pb2.Message) -> str:
    kind = _AUTHORS.get(message.author_kind, "?")
    if message.author_kind in (
        conversation_pb2.AUTHOR_KIND_AGENT,
        conversation_pb2.AUTHOR_KIND_INTERNAL_NOTE,
    ):
        return f"{kind} {message.author_id}"
    return kind


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def transcript_command(
    ctx: typer.Context,
    interaction_id: Annotated[str, typer.Argument(help="The interaction id.")],
    tenant: TenantOption = "",
    json_output: JsonOption = False,
) -> None:
    """An interaction's transcript: customer, agent and system messages and internal notes, in order
    (times in UTC). Needs interactions:read, or the ops key with --tenant."""

    async def work(connection: Connection) -> conversation_pb2.GetTranscriptResponse:
        tenant_id = await connection.tenant_scope(tenant)
        reply: conversation_pb2.GetTranscriptResponse = await connection.conversation().GetTranscript(
            conversation_pb2.GetTranscriptRequest(tenant_id=tenant_id, interaction_id=interaction_id),
            metadata=connection.metadata,
            timeout=connection.timeout,
        )
        return reply

    transcript = run(settings_of(ctx), work)
    if json_output:
        for message in transcript.messages:
            emit_json(message_dict(message))
        return
    out = console()
    out.print(
        f"interaction {transcript.interaction_id}  queue {transcript.queue_id or '-'}  "
        f"{len(transcript.messages)} messages",
        markup=False,
    )
    width = max((len(_author(m)) for m in transcript.messages), default=8)
    for message in transcript.messages:
        lines = message.text.splitlines() or [""]
        head = f"{timestamp(message.sent_at)}  {_author(message):<{width}}  "
        out.print(head + lines[0], markup=False)
        for line in lines[1:]:
            out.print(" " * len(head) + line, markup=False)
        for item in message.attachments:
            out.print(
                " " * len(head) + f"[attachment] {item.name} ({item.media_type}, {_size(item.size_bytes)},"
                f" sha256 {item.sha256[:12]}…)",
                markup=False,
            )
