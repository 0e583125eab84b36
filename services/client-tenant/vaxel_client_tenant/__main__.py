"""``python -m vaxel_client_tenant``: run the client-tenant service."""

from __future__ import annotations

from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel_client_tenant import SERVICE_NAME
from vaxel_client_tenant.adapters.auth import ApiKeyAuthenticator
from vaxel_client_tenant.adapters.config_publisher import ConfigPublisher
from vaxel_client_tenant.adapters.outbox import ConfigOutbox, OutboxRelay
from vaxel_client_tenant.adapters.republish import ConfigRepublisher
from vaxel_client_tenant.adapters.servicers import AdminServicer, TenantServicer
from vaxel_client_tenant.adapters.store import SqlTenantRepository
from vaxel_client_tenant.adapters.writes import Writes
from vaxel_client_tenant.domain import TenantDirectory
from vaxel_client_tenant.domain.keys import ApiKeys
from vaxel_client_tenant.metrics import ClientTenantMetrics
from vaxel_client_tenant.settings import ClientTenantSettings
from vaxel_common.db import connect
from vaxel_common.kafka import read_whole
from vaxel_common.service import ServiceRuntime, run_main
from vaxel_common.signing import RecordSigner
from vaxel_common.topics import TENANT_CONFIG


def build(settings: ClientTenantSettings) -> ServiceRuntime:
    db = connect(settings.database_url, timeout=settings.dependency_timeout_seconds)
    repository = SqlTenantRepository(db)
    directory = TenantDirectory(repository)
    keys = ApiKeys(repository)
    signer = RecordSigner.load(settings.config_signing_key_file)
    runtime = ServiceRuntime(
        SERVICE_NAME,
        settings,
        authenticator=ApiKeyAuthenticator(keys, settings.admin_api_key),
        # Every configuration record is signed: its readers refuse any other (vaxel_common.signing).
        signer=signer,
    )

    metrics = ClientTenantMetrics.create(runtime.registry)
    outbox = ConfigOutbox(db)
    relay = OutboxRelay(outbox, runtime.publisher, metrics, paused=settings.outbox_relay_paused)
    republisher = ConfigRepublisher(
        outbox,
        runtime.publisher,
        lambda: read_whole(
            settings.kafka_bootstrap,
            TENANT_CONFIG.name,
            timeout=settings.dependency_timeout_seconds,
            **runtime.kafka_options,
        ),
        signer.verifier(),
        metrics,
    )
    writes = Writes(db, outbox, relay, settings.publish_wait_seconds)

    async def close() -> None:
        await relay.stop()
        db.close()

    # Before SERVING: the topic gets back what it lost (an emptied broker), then what a previous run
    # committed but did not publish goes out.
    runtime.on_ready(republisher.run)
    runtime.on_ready(relay.start)
    runtime.on_stop(close)
    config = ConfigPublisher(outbox)
    services = tenant_pb2.DESCRIPTOR.services_by_name
    runtime.grpc.add(
        tenant_pb2_grpc.add_AdminServiceServicer_to_server,
        AdminServicer(directory, keys, config, writes),
        services["AdminService"].full_name,
    )
    runtime.grpc.add(
        tenant_pb2_grpc.add_TenantServiceServicer_to_server,
        TenantServicer(directory, config, writes),
        services["TenantService"].full_name,
    )
    return runtime


if __name__ == "__main__":
    raise SystemExit(run_main(SERVICE_NAME, ClientTenantSettings, build))
