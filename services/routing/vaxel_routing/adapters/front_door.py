"""New work's way in, shared by the gRPC API and the inbound Kafka topic.

Validates against the configuration replica, answers from the FAQ where it can, applies
the after-hours action of a closed queue, and hands the rest to the pool's engine through
the routing log.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from vaxel.events.v1 import events_pb2
from vaxel.routing.v1 import inputs_pb2, routing_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.errors import InvalidArgument, PermissionDenied
from vaxel_common.events import deterministic_id, new_event
from vaxel_common.logging import get_logger
from vaxel_common.publisher import EventPublisher
from vaxel_common.topics import INTERACTION_EVENTS
from vaxel_routing import SERVICE_NAME
from vaxel_routing.adapters.converters import channel_of, channel_pb, ts
from vaxel_routing.adapters.personal import PersonalData
from vaxel_routing.adapters.runner import EngineRunner
from vaxel_routing.domain.admission import admit, callback_time, match_faq, urgency_of
from vaxel_routing.domain.errors import TenantLimited
from vaxel_routing.domain.limits import LimitBook, Permit, TenantLimiter
from vaxel_routing.domain.model import Channel
from vaxel_routing.domain.replica import ConfigReplica
from vaxel_routing.metrics import RoutingMetrics
from vaxel_vocabulary.business_hours import is_open, next_opening
from vaxel_vocabulary.contact_points import ContactKind, normalise
from vaxel_vocabulary.faq_matching import FaqOutcome

MAX_CUSTOMER_REF = 200

# Seconds of deadline per urgency point: an angry mention (10) jumps ten minutes of the queue.
URGENCY_PRIORITY = 60

_CONTACT_KINDS = {
    "phone_number": ContactKind.PHONE_NUMBER,
    "email_address": ContactKind.EMAIL_ADDRESS,
    "social_handle": ContactKind.SOCIAL_HANDLE,
}


class FrontDoor:
    def __init__(
        self,
        replica: ConfigReplica,
        runner: EngineRunner,
        publisher: EventPublisher,
        queue_messages: Mapping[str, tenant_pb2.Queue],
        tenant_pools: Mapping[str, str],
        limits: LimitBook,
        metrics: RoutingMetrics,
        personal: PersonalData,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._personal = personal
        self._replica = replica
        self._runner = runner
        self._publisher = publisher
        self._queue_messages = queue_messages
        self._pools = tenant_pools
        self._limits = limits
        self._limiter = TenantLimiter()
        self._metrics = metrics
        self._clock = clock
        self._log = get_logger("vaxel.routing.front_door")

    def pool_of(self, tenant_id: str) -> str:
        return self._pools.get(tenant_id, "default")

    def queue_message(self, tenant_id: str, queue_id: str) -> tenant_pb2.Queue:
        self._replica.queue(tenant_id, queue_id)
        return self._queue_messages[queue_id]

    async def submit(
        self, tenant_id: str, request: routing_pb2.SubmitInteractionRequest
    ) -> routing_pb2.SubmitInteractionResponse:
        """New work, within the tenant's limits (TenantLimited otherwise, before anything is written);
        the place it holds among the tenant's submissions in flight is given back however the call ends
        (answer, error, cancellation). Only a known queue of the tenant's gets that far, so a record
        naming a tenant that does not exist (the inbound topic's tenant ids are not authenticated)
        makes the limiter keep nothing for it."""
        if not request.queue_id:
            raise InvalidArgument("queue_id", "required")
        self._replica.queue(tenant_id, request.queue_id)
        with self._admit(tenant_id):
            return await self._submit(tenant_id, request)

    def _admit(self, tenant_id: str) -> Permit:
        limits = self._limits.in_force(tenant_id, datetime.now(UTC))
        try:
            return self._limiter.acquire(tenant_id, limits, self._clock())
        except TenantLimited as exc:
            self._metrics.refused.labels(exc.limit).inc()
            if exc.report:
                self._log.warning(
                    "tenant_limited",
                    tenant_id=tenant_id,
                    limit=exc.limit,
                    refusals=exc.report,
                    rate_per_second=limits.rate_per_second,
                    burst=limits.burst,
                    max_in_flight=limits.max_in_flight,
                )
            raise

    async def _submit(
        self, tenant_id: str, request: routing_pb2.SubmitInteractionRequest
    ) -> routing_pb2.SubmitInteractionResponse:
        if not request.queue_id:
            raise InvalidArgument("queue_id", "required")
        if self._replica.suspended(tenant_id):
            raise PermissionDenied("the tenant is suspended")
        queue = self._replica.queue(tenant_id, request.queue_id)
        channel = channel_of("channel", request.channel)
        if channel not in queue.spec.channels:
            raise InvalidArgument("channel", "the queue does not serve this channel")
        if not 0 <= request.urgency <= 10:
            raise InvalidArgument("urgency", "0 to 10")
        if len(request.customer_ref) > MAX_CUSTOMER_REF:
            raise InvalidArgument("customer_ref", f"at most {MAX_CUSTOMER_REF} characters")
        contact = _valid_contact(request.contact)
        interaction_id = (
            deterministic_id("interaction", tenant_id, request.idempotency_key)
            if request.idempotency_key
            else str(uuid.uuid4())
        )
        now = datetime.now(UTC)
        if channel in (Channel.CHAT, Channel.SOCIAL) and request.text and not request.escalate:
            found = match_faq(
                self._replica.faq_index(tenant_id), request.language or queue.spec.language, request.text
            )
            self._metrics.faq.labels(found.outcome.value).inc()
            if found.outcome is FaqOutcome.ANSWERED and found.entry is not None:
                entry, confidence = found.entry, found.confidence
                await self._announce(
                    tenant_id,
                    interaction_id,
                    request,
                    contact,
                    events_pb2.DeflectedByFaq(faq_id=entry.faq_id, confidence=confidence),
                    "deflected",
                )
                return routing_pb2.SubmitInteractionResponse(
                    interaction_id=interaction_id,
                    disposition=routing_pb2.DISPOSITION_DEFLECTED,
                    faq_answer=entry.answer,
                    faq_id=entry.faq_id,
                    queue_id=queue.queue_id,
                )
        admission = admit(self._replica, queue, now)
        if admission.disposition == "closed":
            await self._announce(
                tenant_id,
                interaction_id,
                request,
                contact,
                events_pb2.InteractionEnded(reason="closed"),
                "closed",
            )
            response = routing_pb2.SubmitInteractionResponse(
                interaction_id=interaction_id,
                disposition=routing_pb2.DISPOSITION_CLOSED,
                closed_message=admission.closed_message,
                queue_id=queue.queue_id,
            )
            if admission.next_opening is not None:
                response.next_opening.FromDatetime(admission.next_opening)
            return response
        target = admission.queue
        submit = inputs_pb2.SubmitInput(
            interaction_id=interaction_id,
            queue=self._queue_messages[target.queue_id],
            channel=channel_pb(channel),
            language=request.language or target.spec.language,
            customer_ref=request.customer_ref,
            priority=urgency_of(channel, request.text, request.urgency) * URGENCY_PRIORITY,
            kind=admission.kind,
            contact=contact,
            subject=request.subject,
        )
        if admission.not_before is not None:
            submit.not_before.FromDatetime(admission.not_before)
        self._personal.seal_submit(tenant_id, submit)
        outcome = await self._runner.execute(self.pool_of(tenant_id), inputs_pb2.RoutingInput(submit=submit))
        reply = outcome.placement()
        response = routing_pb2.SubmitInteractionResponse(
            interaction_id=interaction_id,
            position=reply.position,
            disposition={
                "queued": routing_pb2.DISPOSITION_QUEUED,
                "scheduled": routing_pb2.DISPOSITION_SCHEDULED,
                "overflowed": routing_pb2.DISPOSITION_OVERFLOWED,
            }[admission.disposition],
            callback_offered=reply.callback_offered,
            queue_id=target.queue_id,
        )
        response.estimated_wait.FromNanoseconds(round(reply.estimated_wait * 1e9))
        if admission.next_opening is not None:
            response.next_opening.FromDatetime(admission.next_opening)
        return response

    async def _announce(
        self,
        tenant_id: str,
        interaction_id: str,
        request: routing_pb2.SubmitInteractionRequest,
        contact: types_pb2.Contact,
        outcome: events_pb2.DeflectedByFaq | events_pb2.InteractionEnded,
        step: str,
    ) -> None:
        """Work that never waits: its created event and its outcome, straight to the interaction log."""
        created = events_pb2.InteractionCreated(
            queue_id=request.queue_id,
            channel=request.channel,
            language=request.language,
            customer_ref=request.customer_ref,
            contact=contact,
            subject=request.subject,
            attributes={"kind": "inbound"},
        )
        self._personal.seal_event(tenant_id, interaction_id, created, None)
        await self._publisher.publish(
            INTERACTION_EVENTS,
            *(
                new_event(
                    payload,
                    tenant_id=tenant_id,
                    producer=SERVICE_NAME,
                    interaction_id=interaction_id,
                    event_id=deterministic_id(interaction_id, name),
                )
                for payload, name in ((created, "created"), (outcome, step))
            ),
        )

    def status(self, tenant_id: str, interaction_id: str) -> routing_pb2.GetInteractionStatusResponse:
        engine = self._runner.engine(self.pool_of(tenant_id))
        work = engine.tenant_work(interaction_id, tenant_id)
        response = routing_pb2.GetInteractionStatusResponse(
            interaction_id=interaction_id,
            state=work.state,
            position=engine.position(work),
            queue_id=work.queue_id,
        )
        response.estimated_wait.FromNanoseconds(round(engine.estimated_wait(work) * 1e9))
        return response

    def routed_queue(self, tenant_id: str, queue_id: str) -> routing_pb2.GetRoutedQueueResponse:
        if not queue_id:
            raise InvalidArgument("queue_id", "required")
        queue = self._replica.queue(tenant_id, queue_id)
        hours = self._replica.hours(queue_id)
        now = datetime.now(UTC)
        response = routing_pb2.GetRoutedQueueResponse(
            queue_id=queue_id,
            queue_version=queue.version,
            business_hours_version=self._replica.hours_version(queue_id),
            call_guidelines_version=self._replica.guidelines_version(queue_id),
            open=hours is None or is_open(hours, now),
        )
        opening = None if response.open or hours is None else next_opening(hours, now)
        if opening is not None:
            response.next_opening.FromDatetime(opening)
        return response

    def seal_desk_input(self, pool: str, desk: inputs_pb2.AgentInput) -> None:
        """A wrap-up's notes sealed with the key of the interaction's customer."""
        if desk.request.WhichOneof("action") != "wrap_up":
            return
        interaction_id = desk.request.wrap_up.interaction_id
        work = self._runner.engine(pool).work(interaction_id)
        tenant_id, customer_ref = (work.tenant_id, work.customer_ref) if work is not None else ("", "")
        self._personal.seal_notes(tenant_id, customer_ref, interaction_id, desk)

    async def erase_customer(self, tenant_id: str, customer_ref: str) -> None:
        """Through the pool's log: the engine forgets the customer, then their keys are destroyed."""
        if not customer_ref:
            raise InvalidArgument("customer_ref", "required")
        if len(customer_ref) > MAX_CUSTOMER_REF:
            raise InvalidArgument("customer_ref", f"at most {MAX_CUSTOMER_REF} characters")
        record = inputs_pb2.RoutingInput(erase=self._personal.erasure(tenant_id, customer_ref))
        await self._runner.execute(self.pool_of(tenant_id), record)

    async def abandon(self, tenant_id: str, interaction_id: str) -> None:
        if not interaction_id:
            raise InvalidArgument("interaction_id", "required")
        record = inputs_pb2.RoutingInput(
            abandon=inputs_pb2.AbandonInput(interaction_id=interaction_id, tenant_id=tenant_id)
        )
        await self._runner.execute(self.pool_of(tenant_id), record)

    async def request_callback(
        self, tenant_id: str, interaction_id: str, wanted: datetime | None
    ) -> datetime:
        if not interaction_id:
            raise InvalidArgument("interaction_id", "required")
        work = self._runner.engine(self.pool_of(tenant_id)).tenant_work(interaction_id, tenant_id)
        now = datetime.now(UTC)
        when = callback_time(self._replica.hours(work.queue_id), max(wanted or now, now))
        callback = inputs_pb2.CallbackInput(interaction_id=interaction_id, tenant_id=tenant_id)
        if when > now:
            callback.not_before.CopyFrom(ts(when.timestamp()))
        await self._runner.execute(
            self.pool_of(tenant_id), inputs_pb2.RoutingInput(request_callback=callback)
        )
        return when


def _valid_contact(contact: types_pb2.Contact) -> types_pb2.Contact:
    """The contact with its address in canonical form; INVALID_ARGUMENT naming the field if malformed."""
    which = contact.WhichOneof("address")
    if which is None or which == "chat_session_id":
        return contact
    try:
        canonical, _ = normalise(_CONTACT_KINDS[which], getattr(contact, which))
    except InvalidArgument as exc:
        raise InvalidArgument(f"contact.{which}", exc.reason) from None
    clean = types_pb2.Contact()
    setattr(clean, which, canonical)
    return clean
