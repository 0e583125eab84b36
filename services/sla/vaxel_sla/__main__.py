"""``python -m vaxel_sla``: run the SLA service."""

from __future__ import annotations

import asyncio

from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel_common.api_keys import ReplicatedKeys
from vaxel_common.service import ServiceRuntime, run_main
from vaxel_common.topics import AGENT_EVENTS, INTERACTION_EVENTS, SLA_ALERTS, TENANT_CONFIG
from vaxel_sla import SERVICE_NAME
from vaxel_sla.adapters.events import AlertEventHandler, ConfigHandler, InteractionEventHandler
from vaxel_sla.adapters.monitor import Monitor
from vaxel_sla.adapters.servicers import SlaServicer
from vaxel_sla.domain.alerts import AlertBook
from vaxel_sla.domain.book import ServiceLevelBook
from vaxel_sla.domain.outlook import ForecastCache
from vaxel_sla.domain.terms import TermsReplica
from vaxel_sla.metrics import SlaMetrics
from vaxel_sla.settings import SlaSettings


def build(settings: SlaSettings) -> ServiceRuntime:
    admin_key = settings.admin_api_key.get_secret_value() if settings.admin_api_key else None
    keys = ReplicatedKeys(admin_key)
    runtime = ServiceRuntime(SERVICE_NAME, settings, authenticator=keys)
    metrics = SlaMetrics.create(runtime.registry)
    book = ServiceLevelBook(fcr_days=settings.fcr_days)
    terms = TermsReplica()
    alerts = AlertBook()
    # The book is a function of the events: every start reads the topics from their beginning
    # (no group, nothing committed), so a restart rebuilds today's figures, and more.
    consumers = [
        runtime.consume([TENANT_CONFIG.name], ConfigHandler(terms, keys), commit=False),
        runtime.consume(
            [INTERACTION_EVENTS.name, AGENT_EVENTS.name], InteractionEventHandler(book, metrics), commit=False
        ),
        runtime.consume([SLA_ALERTS.name], AlertEventHandler(alerts), commit=False),
    ]
    forecasts = ForecastCache()  # the monitor's projections and GetQueueStatistics share the day forecasts
    monitor = Monitor(book, terms, alerts, runtime.publisher, metrics, settings, forecasts)
    tasks: list[asyncio.Task[None]] = []

    async def caught_up() -> None:
        for consumer in consumers:
            await asyncio.wait_for(
                consumer.caught_up.wait(), timeout=settings.dependency_timeout_seconds + 600
            )
        runtime.log.info("sla_book_loaded", queues=len(terms), interactions=len(book))
        tasks.append(asyncio.create_task(monitor.run(), name="sla-monitor"))

    async def stop() -> None:
        monitor.stop()
        for task in tasks:
            await asyncio.wait_for(task, timeout=10)

    runtime.on_ready(caught_up)
    runtime.on_stop(stop)
    runtime.grpc.add(
        sla_pb2_grpc.add_SlaServiceServicer_to_server,
        SlaServicer(
            book,
            terms,
            alerts,
            max_work_seconds=settings.max_work_seconds,
            default_aht_seconds=settings.default_aht_seconds,
            forecasts=forecasts,
            forecast_method=settings.forecast_method,
        ),
        sla_pb2.DESCRIPTOR.services_by_name["SlaService"].full_name,
    )
    return runtime


if __name__ == "__main__":
    raise SystemExit(run_main(SERVICE_NAME, SlaSettings, build))
