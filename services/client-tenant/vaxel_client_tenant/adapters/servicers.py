"""gRPC servicers: convert the request, call the domain, publish the change, convert the reply."""

from __future__ import annotations

from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel_client_tenant.adapters.config_publisher import ConfigPublisher
from vaxel_client_tenant.adapters.converters import channels_from_pb, queue_to_pb, tenant_to_pb
from vaxel_client_tenant.domain import TenantDirectory
from vaxel_common.auth import current_principal
from vaxel_common.grpc_server import Context


class AdminServicer(tenant_pb2_grpc.AdminServiceServicer):
    """Provider ops: onboarding client companies."""

    def __init__(self, directory: TenantDirectory, config: ConfigPublisher) -> None:
        self._directory = directory
        self._config = config

    async def CreateTenant(  # noqa: N802  (gRPC method name)
        self, request: tenant_pb2.CreateTenantRequest, context: Context
    ) -> tenant_pb2.CreateTenantResponse:
        current_principal().require("admin")
        tenant = self._directory.create_tenant(
            request.name, request.country, request.time_zone, list(request.languages)
        )
        message = tenant_to_pb(tenant)
        await self._config.changed(tenant.tenant_id, "tenant", tenant.tenant_id, tenant.version, message)
        return tenant_pb2.CreateTenantResponse(tenant=message)

    async def GetTenant(  # noqa: N802
        self, request: tenant_pb2.GetTenantRequest, context: Context
    ) -> tenant_pb2.GetTenantResponse:
        tenant_id = current_principal().tenant_scope(request.tenant_id)
        return tenant_pb2.GetTenantResponse(tenant=tenant_to_pb(self._directory.tenant(tenant_id)))


class TenantServicer(tenant_pb2_grpc.TenantServiceServicer):
    """A client company's own setup."""

    def __init__(self, directory: TenantDirectory, config: ConfigPublisher) -> None:
        self._directory = directory
        self._config = config

    async def CreateQueue(  # noqa: N802
        self, request: tenant_pb2.CreateQueueRequest, context: Context
    ) -> tenant_pb2.CreateQueueResponse:
        tenant_id = current_principal().tenant_scope(request.tenant_id)
        queue = self._directory.create_queue(
            tenant_id,
            request.name,
            channels_from_pb("channels", list(request.channels)),
            request.language,
            request.time_zone,
            request.priority,
        )
        message = queue_to_pb(queue)
        await self._config.changed(tenant_id, "queue", queue.queue_id, queue.version, message)
        return tenant_pb2.CreateQueueResponse(queue=message)

    async def GetQueue(  # noqa: N802
        self, request: tenant_pb2.GetQueueRequest, context: Context
    ) -> tenant_pb2.GetQueueResponse:
        tenant_id = current_principal().tenant_scope(request.tenant_id)
        return tenant_pb2.GetQueueResponse(
            queue=queue_to_pb(self._directory.queue(tenant_id, request.queue_id))
        )

    async def ListQueues(  # noqa: N802
        self, request: tenant_pb2.ListQueuesRequest, context: Context
    ) -> tenant_pb2.ListQueuesResponse:
        tenant_id = current_principal().tenant_scope(request.tenant_id)
        queues, cursor = self._directory.queues(tenant_id, request.page_size, request.page_token)
        return tenant_pb2.ListQueuesResponse(queues=[queue_to_pb(q) for q in queues], next_page_token=cursor)
