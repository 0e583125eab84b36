"""``python -m vaxel_interaction_log``: run the interaction-log service."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from vaxel.events.v1 import events_pb2
from vaxel.interactions.v1 import interactions_pb2, interactions_pb2_grpc
from vaxel_common.api_keys import ReplicatedKeys
from vaxel_common.db import connect
from vaxel_common.service import ServiceRuntime, run_main
from vaxel_common.topics import AGENT_EVENTS, INTERACTION_EVENTS, TENANT_CONFIG
from vaxel_interaction_log import SERVICE_NAME
from vaxel_interaction_log.adapters.config import ConfigHandler
from vaxel_interaction_log.adapters.report_store import SqlReports, SqlSurveyLedger
from vaxel_interaction_log.adapters.servicers import InteractionLogServicer
from vaxel_interaction_log.adapters.store import SqlInteractionStore
from vaxel_interaction_log.adapters.surveys import SurveyAnswers, SurveyDispatch
from vaxel_interaction_log.domain.queries import InteractionQueries, Privacy
from vaxel_interaction_log.domain.reports import Reports
from vaxel_interaction_log.domain.surveys import SurveyDesk
from vaxel_interaction_log.domain.usage import TenantBook
from vaxel_interaction_log.metrics import InteractionLogMetrics
from vaxel_interaction_log.settings import InteractionLogSettings


def build(settings: InteractionLogSettings) -> ServiceRuntime:
    admin_key = settings.admin_api_key.get_secret_value() if settings.admin_api_key else None
    keys = ReplicatedKeys(admin_key)
    runtime = ServiceRuntime(SERVICE_NAME, settings, authenticator=keys)
    metrics = InteractionLogMetrics.create(runtime.registry)
    store = SqlInteractionStore(connect(settings.store_url, timeout=settings.dependency_timeout_seconds))
    database = store.dialect
    tenants = TenantBook()
    ledger = SqlSurveyLedger(store.database)
    surveys = SurveyDispatch(
        ledger, runtime.publisher, metrics, timedelta(hours=settings.survey_within_hours)
    )

    async def handle(event: events_pb2.Event) -> None:
        surveys.note(event)
        if not store.add(event):
            metrics.events_skipped.inc()

    async def flush() -> None:
        # One transaction per consumed batch, committed before the Kafka offsets; the store stays on
        # the loop's thread (one connection, no concurrent use).
        started = time.perf_counter()
        written = store.flush()
        metrics.flush_seconds.labels(database).observe(time.perf_counter() - started)
        metrics.events_stored.labels(database).inc(written.events)
        metrics.records_written.labels(database).inc(written.interactions)
        await surveys.send_due()  # after the store's commit, before the Kafka commit

    config = runtime.consume([TENANT_CONFIG.name], ConfigHandler(keys, tenants), commit=False)
    runtime.consume([INTERACTION_EVENTS.name, AGENT_EVENTS.name], handle, flush=flush)

    async def keys_loaded() -> None:
        await asyncio.wait_for(config.caught_up.wait(), timeout=settings.dependency_timeout_seconds + 600)

    async def close() -> None:
        store.close()

    runtime.on_ready(keys_loaded)
    runtime.on_stop(close)
    runtime.grpc.add(
        interactions_pb2_grpc.add_InteractionLogServiceServicer_to_server,
        InteractionLogServicer(
            InteractionQueries(store),
            Privacy(store),
            surveys=SurveyAnswers(SurveyDesk(store, ledger), runtime.publisher, metrics),
            reports=Reports(SqlReports(store.database), tenants),
        ),
        interactions_pb2.DESCRIPTOR.services_by_name["InteractionLogService"].full_name,
    )
    return runtime


if __name__ == "__main__":
    raise SystemExit(run_main(SERVICE_NAME, InteractionLogSettings, build))
