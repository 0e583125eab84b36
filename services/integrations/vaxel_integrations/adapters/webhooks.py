"""What the WebhookService does, over the store, the endpoint book and the dispatcher."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from vaxel_common.errors import InvalidArgument, NotFound, ResourceExhausted
from vaxel_common.logging import get_logger
from vaxel_integrations.adapters.addresses import check_url
from vaxel_integrations.adapters.dispatcher import Dispatcher
from vaxel_integrations.adapters.store import IntegrationsStore
from vaxel_integrations.domain.model import (
    Delivery,
    DeliveryState,
    Endpoint,
    EndpointBook,
    check_description,
    check_event_types,
)
from vaxel_integrations.domain.signature import new_secret

__all__ = ["Created", "Webhooks"]

MAX_LIST = 500
DEFAULT_LIST = 50


@dataclass(frozen=True, slots=True)
class Created:
    endpoint: Endpoint
    secret: str


class Webhooks:
    def __init__(
        self,
        store: IntegrationsStore,
        book: EndpointBook,
        dispatcher: Dispatcher,
        deliverable: frozenset[str],
        *,
        allow_loopback: bool,
        max_endpoints: int,
    ) -> None:
        self._store = store
        self._book = book
        self._dispatcher = dispatcher
        self._deliverable = deliverable
        self._allow_loopback = allow_loopback
        self._max_endpoints = max_endpoints
        self._log = get_logger("vaxel.integrations.webhooks")

    async def create(self, tenant_id: str, url: str, event_types: list[str], description: str) -> Created:
        types = check_event_types(event_types, self._deliverable)
        check_description(description)
        checked = await check_url(url, allow_loopback=self._allow_loopback)
        if len(self._book.of_tenant(tenant_id)) >= self._max_endpoints:
            raise ResourceExhausted(f"at most {self._max_endpoints} endpoints per tenant", 3600)
        endpoint = Endpoint(
            str(uuid.uuid4()), tenant_id, checked.url, types, description, time.time(), new_secret()
        )
        self._store.add_endpoint(endpoint)
        self._book.put(endpoint)
        self._dispatcher.add(endpoint)
        self._log.info("webhook_endpoint_created", tenant_id=tenant_id, endpoint_id=endpoint.endpoint_id)
        return Created(endpoint, endpoint.secret)

    def endpoints(self, tenant_id: str) -> list[Endpoint]:
        return sorted(self._book.of_tenant(tenant_id), key=lambda e: (e.created_at, e.endpoint_id))

    def _endpoint(self, tenant_id: str, endpoint_id: str) -> Endpoint:
        if not endpoint_id:
            raise InvalidArgument("endpoint_id", "required")
        endpoint = self._book.get(tenant_id, endpoint_id)
        if endpoint is None:
            raise NotFound("endpoint not found")
        return endpoint

    async def delete(self, tenant_id: str, endpoint_id: str) -> None:
        endpoint = self._endpoint(tenant_id, endpoint_id)
        await self._dispatcher.remove(endpoint.endpoint_id)
        self._book.remove(tenant_id, endpoint.endpoint_id)
        self._store.delete_endpoint(tenant_id, endpoint.endpoint_id)
        self._log.info("webhook_endpoint_deleted", tenant_id=tenant_id, endpoint_id=endpoint_id)

    def deliveries(
        self, tenant_id: str, endpoint_id: str, state: DeliveryState | None, limit: int
    ) -> list[Delivery]:
        if endpoint_id:
            self._endpoint(tenant_id, endpoint_id)
        if limit > MAX_LIST:
            raise InvalidArgument("limit", f"at most {MAX_LIST}")
        return self._store.deliveries(tenant_id, endpoint_id, state, limit or DEFAULT_LIST)

    def replay(self, tenant_id: str, endpoint_id: str, start: float, end: float, *, failed_only: bool) -> int:
        endpoint = self._endpoint(tenant_id, endpoint_id)
        if end <= start:
            raise InvalidArgument("to", "must be after from")
        count = self._store.replay(endpoint.endpoint_id, start, end, failed_only=failed_only, now=time.time())
        self._dispatcher.wake([endpoint.endpoint_id])
        self._log.info("webhook_deliveries_replayed", tenant_id=tenant_id, deliveries=count)
        return count
