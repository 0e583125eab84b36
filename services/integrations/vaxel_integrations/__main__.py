"""``python -m vaxel_integrations``: run the integrations service (webhooks and the tenant stream)."""

from __future__ import annotations

import asyncio

from vaxel.integrations.v1 import integrations_pb2, integrations_pb2_grpc
from vaxel_common.api_keys import ReplicatedKeys
from vaxel_common.service import ServiceRuntime, run_main
from vaxel_common.topics import INTERACTION_EVENTS, SLA_ALERTS, TENANT_CONFIG
from vaxel_integrations import SERVICE_NAME
from vaxel_integrations.adapters.config import ConfigHandler
from vaxel_integrations.adapters.converters import DELIVERABLE_TYPES
from vaxel_integrations.adapters.dispatcher import Dispatcher
from vaxel_integrations.adapters.intake import Intake
from vaxel_integrations.adapters.sender import LaneSettings
from vaxel_integrations.adapters.servicers import TenantEventsServicer, WebhookServicer
from vaxel_integrations.adapters.store import open_store
from vaxel_integrations.adapters.stream import EventStreams
from vaxel_integrations.adapters.webhooks import Webhooks
from vaxel_integrations.domain.model import EndpointBook
from vaxel_integrations.domain.retry import RetryPolicy
from vaxel_integrations.metrics import IntegrationsMetrics
from vaxel_integrations.settings import IntegrationsSettings

# What the delivery worker and the stream read: the tenants' interactions (surveys included) and alerts.
EVENT_TOPICS = (INTERACTION_EVENTS.name, SLA_ALERTS.name)


def build(settings: IntegrationsSettings) -> ServiceRuntime:
    admin_key = settings.admin_api_key.get_secret_value() if settings.admin_api_key else None
    keys = ReplicatedKeys(admin_key)
    runtime = ServiceRuntime(SERVICE_NAME, settings, authenticator=keys)
    metrics = IntegrationsMetrics.create(runtime.registry)
    store = open_store(settings.store_url, timeout=settings.dependency_timeout_seconds)
    book = EndpointBook(store.endpoints())
    lanes = LaneSettings(
        policy=RetryPolicy(
            settings.retry_initial_seconds, settings.retry_max_seconds, settings.retry_for_seconds
        ),
        timeout_seconds=settings.request_timeout_seconds,
        concurrency=settings.endpoint_concurrency,
        batch=settings.lane_batch,
        allow_loopback=settings.allow_loopback_urls,
    )
    dispatcher = Dispatcher(store, metrics, lanes, settings.keep_deliveries_days * 86_400)
    config = ConfigHandler(keys)
    intake = Intake(store, book, dispatcher, metrics, DELIVERABLE_TYPES)
    config_reader = runtime.consume([TENANT_CONFIG.name], config, commit=False)
    # Group "integrations": offsets committed after each batch's deliveries are stored (intake.flush).
    runtime.consume(list(EVENT_TOPICS), intake, flush=intake.flush)
    webhooks = Webhooks(
        store,
        book,
        dispatcher,
        DELIVERABLE_TYPES,
        allow_loopback=settings.allow_loopback_urls,
        max_endpoints=settings.max_endpoints_per_tenant,
    )
    streams = EventStreams(
        settings.kafka_bootstrap,
        EVENT_TOPICS,
        runtime.provenance,
        metrics,
        heartbeat_seconds=settings.stream_heartbeat_seconds,
        max_per_tenant=settings.max_streams_per_tenant,
        client_options=runtime.kafka_options,
    )

    async def ready() -> None:
        await asyncio.wait_for(
            config_reader.caught_up.wait(), timeout=settings.dependency_timeout_seconds + 600
        )
        dispatcher.start(book.all())
        runtime.log.info("integrations_ready", endpoints=len(book), tenants=len(config.tenants))

    async def stop() -> None:
        await dispatcher.stop()
        store.close()

    def known(tenant_id: str) -> bool:
        return tenant_id in config.tenants

    runtime.on_ready(ready)
    runtime.on_stop(stop)
    runtime.grpc.add(
        integrations_pb2_grpc.add_WebhookServiceServicer_to_server,
        WebhookServicer(webhooks, known),
        integrations_pb2.DESCRIPTOR.services_by_name["WebhookService"].full_name,
    )
    runtime.grpc.add(
        integrations_pb2_grpc.add_TenantEventsServiceServicer_to_server,
        TenantEventsServicer(streams, known, DELIVERABLE_TYPES),
        integrations_pb2.DESCRIPTOR.services_by_name["TenantEventsService"].full_name,
    )
    return runtime


if __name__ == "__main__":
    raise SystemExit(run_main(SERVICE_NAME, IntegrationsSettings, build))
