"""``python -m vaxel_interaction_log``: run the interaction-log service.

``python -m vaxel_interaction_log replay [--database-url URL]`` rebuilds the store from the Kafka
topics instead (see :mod:`vaxel_interaction_log.replay`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from datetime import timedelta

from vaxel.events.v1 import events_pb2
from vaxel.interactions.v1 import interactions_pb2, interactions_pb2_grpc
from vaxel_common.api_keys import ReplicatedKeys
from vaxel_common.service import ServiceRuntime, run_main
from vaxel_common.topics import AGENT_EVENTS, INTERACTION_EVENTS, TENANT_CONFIG
from vaxel_interaction_log import SERVICE_NAME
from vaxel_interaction_log.adapters.config import ConfigHandler
from vaxel_interaction_log.adapters.ingest import Ingest, WriterThread
from vaxel_interaction_log.adapters.privacy import StoreEraser, TopicErasureJournal
from vaxel_interaction_log.adapters.report_store import SqlReports, SqlSurveyLedger
from vaxel_interaction_log.adapters.retention import Purger, apply_retention_change
from vaxel_interaction_log.adapters.routing_client import EventOpener, RoutingClient
from vaxel_interaction_log.adapters.servicers import InteractionLogServicer
from vaxel_interaction_log.adapters.store import open_store
from vaxel_interaction_log.adapters.surveys import SurveyAnswers, SurveyDispatch
from vaxel_interaction_log.domain.queries import InteractionQueries, Privacy
from vaxel_interaction_log.domain.reports import Reports
from vaxel_interaction_log.domain.retention import RetentionPolicy
from vaxel_interaction_log.domain.surveys import SurveyDesk
from vaxel_interaction_log.domain.usage import TenantBook
from vaxel_interaction_log.metrics import InteractionLogMetrics
from vaxel_interaction_log.settings import InteractionLogSettings


def build(settings: InteractionLogSettings) -> ServiceRuntime:
    admin_key = settings.admin_api_key.get_secret_value() if settings.admin_api_key else None
    keys = ReplicatedKeys(admin_key)
    runtime = ServiceRuntime(SERVICE_NAME, settings, authenticator=keys)
    metrics = InteractionLogMetrics.create(runtime.registry)
    store = open_store(
        settings.store_url,
        timeout=settings.dependency_timeout_seconds,
        cache_interactions=settings.write_cache_interactions,
    )
    writer = WriterThread()  # every write of the process, one at a time, off the event loop
    ingest = Ingest(store, metrics, writer)
    policy = RetentionPolicy(settings.retention_days)
    purger = Purger(store, writer, policy, metrics, interval_seconds=settings.purge_interval_seconds)
    tenants = TenantBook()
    tenant_config = ConfigHandler(keys, tenants)
    ledger = SqlSurveyLedger(store.database)
    surveys = SurveyDispatch(
        ledger, runtime.publisher, metrics, timedelta(hours=settings.survey_within_hours)
    )
    routing = RoutingClient(settings.routing_target, admin_key)
    opener = EventOpener(routing)
    tasks: list[asyncio.Task[None]] = []

    async def apply_config(event: events_pb2.Event) -> None:
        await tenant_config(event)  # key states, zones, contract versions
        if apply_retention_change(policy, event):
            purger.retention_shortened()

    async def handle(event: events_pb2.Event) -> None:
        await opener.open(event)  # routing's sealed fields, in clear for the tenant's reads
        surveys.note(event)
        await ingest.handle(event)

    async def flush() -> None:
        await ingest.flush()  # returns after the database commit
        await surveys.send_due()  # after the store's commit, before the Kafka commit

    config = runtime.consume([TENANT_CONFIG.name], apply_config, commit=False)
    # One transaction per consumed batch on the writer thread, committed before the Kafka offsets.
    runtime.consume(
        [INTERACTION_EVENTS.name, AGENT_EVENTS.name], handle, flush=flush, prepare=opener.prefetch
    )

    async def settings_loaded() -> None:
        await asyncio.wait_for(config.caught_up.wait(), timeout=settings.dependency_timeout_seconds + 600)
        # Purge only once every tenant's retention is known.
        tasks.append(asyncio.create_task(purger.run(), name="retention-purge"))

    async def close() -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        writer.close()
        store.close()
        await routing.close()

    runtime.on_ready(settings_loaded)
    runtime.on_stop(close)
    runtime.grpc.add(
        interactions_pb2_grpc.add_InteractionLogServiceServicer_to_server,
        InteractionLogServicer(
            InteractionQueries(store),
            Privacy(StoreEraser(store, writer), TopicErasureJournal(runtime.publisher), routing),
            surveys=SurveyAnswers(SurveyDesk(store, ledger), runtime.publisher, metrics, routing),
            reports=Reports(SqlReports(store.database), tenants),
        ),
        interactions_pb2.DESCRIPTOR.services_by_name["InteractionLogService"].full_name,
    )
    return runtime


def main(argv: list[str]) -> int:
    if argv[:1] == ["replay"]:
        from vaxel_interaction_log.replay import main as replay  # noqa: PLC0415  (only the command needs it)

        return replay(argv[1:])
    return run_main(SERVICE_NAME, InteractionLogSettings, build)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
