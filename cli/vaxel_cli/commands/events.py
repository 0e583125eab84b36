"""``vaxel events tail``: decoded events from the broker, one line each, personal data masked."""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING, Annotated

import typer

from vaxel_cli.commands._common import JsonOption, settings_of
from vaxel_cli.connection import Connection, exit_with, run
from vaxel_cli.errors import CliError, UsageError
from vaxel_cli.events import EVENT_TOPICS, event_line, masked, topic_names
from vaxel_cli.output import emit_json, message_dict
from vaxel_common.errors import DecodeError
from vaxel_common.events import decode_event

if TYPE_CHECKING:
    from aiokafka import AIOKafkaConsumer, TopicPartition

app = typer.Typer(help="Events on the broker, decoded.", no_args_is_help=True)


@app.command("tail")
def tail_command(
    ctx: typer.Context,
    topics: Annotated[
        list[str] | None,
        typer.Option(
            "--topic",
            "-t",
            help=f"{', '.join(EVENT_TOPICS)} or a full topic name; repeat for more"
            " (default: interactions, agents, config, alerts).",
        ),
    ] = None,
    tenant: Annotated[
        str,
        typer.Option(
            "--tenant",
            metavar="TENANT_ID",
            help="Only this tenant (the ops key; a tenant key sees only its own).",
        ),
    ] = "",
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--type", help="Only event types starting with this, e.g. interaction. or agent.logged_in."
        ),
    ] = None,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at the oldest retained event, not at the newest.")
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="Stop after this many events (0: no limit).")
    ] = 0,
    follow: Annotated[
        bool, typer.Option("--follow/--no-follow", help="Keep waiting for new events, or stop at the end.")
    ] = True,
    json_output: JsonOption = False,
) -> None:
    """Print events as they arrive on the broker. The key decides what shows: a tenant key its own
    tenant's events (it needs config:read, so the tenant API can say whose key it is), the ops key
    every tenant's. Customer references, contacts, subjects, notes, comments and message text are
    masked (***) for everyone. Needs VAXEL_KAFKA_BOOTSTRAP (or --kafka-bootstrap)."""
    settings = settings_of(ctx)
    try:
        names = topic_names(topics or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--topic") from None
    if not settings.kafka_bootstrap:
        raise exit_with(
            UsageError(
                "error: no broker address: pass --kafka-bootstrap HOST:PORT, set VAXEL_KAFKA_BOOTSTRAP"
                " or put kafka_bootstrap in the --config file"
            )
        )

    async def work(connection: Connection) -> None:
        from aiokafka.errors import KafkaError  # noqa: PLC0415  (Kafka clients load for this command only)

        caller = await connection.caller()
        if caller.tenant_id == "":
            raise CliError(
                "error: PERMISSION_DENIED: events tail needs a key with config:read (to learn its tenant)"
            )
        if caller.tenant_id is not None and tenant and tenant != caller.tenant_id:
            raise CliError("error: PERMISSION_DENIED: the key is not valid for that tenant")
        only = caller.tenant_id or tenant or None
        reader = _Tail(settings.kafka_bootstrap, names, only, types or [], limit, json_output)
        try:
            await reader.run(from_beginning, follow)
        except KafkaError as exc:  # its str() starts with the class name already
            raise CliError(f"error: Kafka at {settings.kafka_bootstrap}: {exc}") from None

    run(settings, work)


class _Tail:
    def __init__(
        self,
        bootstrap: str,
        topics: list[str],
        tenant: str | None,
        types: list[str],
        limit: int,
        as_json: bool,
    ) -> None:
        self.bootstrap = bootstrap
        self.topics = topics
        self.tenant = tenant
        self.types = tuple(types)
        self.limit = limit
        self.as_json = as_json
        self.shown = 0
        self.undecodable = 0
        self.not_before_ms = 0

    async def run(self, from_beginning: bool, follow: bool) -> None:
        from vaxel_common.kafka import aio_consumer  # noqa: PLC0415  (as above)

        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # failures are reported as one line
        consumer = aio_consumer(self.bootstrap, None, client_id="vaxel-cli", request_timeout_ms=10_000)
        try:
            await consumer.start()
            partitions = await self._partitions(consumer)
            consumer.assign(partitions)
            began_ms = int(time.time() * 1000)
            end = await consumer.end_offsets(partitions)
            start = await consumer.beginning_offsets(partitions) if from_beginning else end
            for partition in partitions:
                consumer.seek(partition, start[partition])
            # From the end: a record stamped before the tail began is not new. (The embedded Tansu
            # broker reports a partition's end as the start of its last batch plus one, so seeking
            # there can return the rest of that batch.)
            self.not_before_ms = 0 if from_beginning else began_ms
            while not self._done():
                batch = await consumer.getmany(timeout_ms=500)
                records = [r for part in batch.values() for r in part]
                for record in records:
                    if self._done():
                        break
                    if record.timestamp >= self.not_before_ms:
                        self._show(record.topic, record.partition, record.offset, record.value)
                if not follow and all([await consumer.position(tp) >= end[tp] for tp in partitions]):
                    break
        finally:
            await consumer.stop()
        if self.undecodable:
            print(f"({self.undecodable} records were not Växel events and were skipped)", file=sys.stderr)

    async def _partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        existing = await consumer.topics()
        missing = [t for t in self.topics if t not in existing]
        if missing:
            raise UsageError(f"error: no such topic on {self.bootstrap}: {', '.join(missing)}")
        from aiokafka import TopicPartition  # noqa: PLC0415  (as above)

        return [
            TopicPartition(topic, p)
            for topic in self.topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]

    def _done(self) -> bool:
        return bool(self.limit) and self.shown >= self.limit

    def _show(self, topic: str, partition: int, offset: int, value: bytes | None) -> None:
        try:
            event = decode_event(value)
        except DecodeError:
            self.undecodable += 1
            return
        if self.tenant is not None and event.tenant_id != self.tenant:
            return
        if self.types and not event.event_type.startswith(self.types):
            return
        event = masked(event)
        if self.as_json:
            emit_json({"topic": topic, "partition": partition, "offset": offset, **message_dict(event)})
        else:
            print(event_line(event), flush=True)
        self.shown += 1
