"""The customer's side: ``vaxel.conversation.v1.ChatService`` for a tenant's public chat key."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator

import grpc
import structlog

from vaxel.conversation.v1 import conversation_pb2 as pb
from vaxel.conversation.v1 import conversation_pb2_grpc as pb_grpc
from vaxel.routing.v1 import routing_pb2
from vaxel_common.auth import current_principal
from vaxel_common.errors import InvalidArgument, PermissionDenied, VaxelError
from vaxel_common.grpc_server import Context, status_code_of
from vaxel_common.ids import deterministic_id
from vaxel_common.logging import get_logger
from vaxel_conversation.adapters.conversations import Conversations
from vaxel_conversation.adapters.converters import attachments_from_pb, message_to_pb, read_state_from_pb
from vaxel_conversation.adapters.decoding import Undecodable, check
from vaxel_conversation.adapters.hub import Closed, ReadMarked, StageChanged, Typed
from vaxel_conversation.adapters.routing_client import RoutingClient
from vaxel_conversation.adapters.streams import read_mark_pb, typing_pb
from vaxel_conversation.domain.handling import Stage
from vaxel_conversation.domain.model import AuthorKind, ChatSession, Message
from vaxel_conversation.domain.rules import check_id, check_text, draft
from vaxel_conversation.metrics import ConversationMetrics
from vaxel_vocabulary.scopes import CHAT_PUBLIC

__all__ = ["ChatServicer"]

CUSTOMER = "customer"
JOIN_TIMEOUT_SECONDS = 30.0  # a stream that never joins is closed, not held
SYSTEM = "system"
_DISPOSITIONS = {
    routing_pb2.DISPOSITION_QUEUED: pb.DISPOSITION_QUEUED,
    routing_pb2.DISPOSITION_DEFLECTED: pb.DISPOSITION_DEFLECTED,
    routing_pb2.DISPOSITION_CLOSED: pb.DISPOSITION_CLOSED,
    routing_pb2.DISPOSITION_SCHEDULED: pb.DISPOSITION_SCHEDULED,
    routing_pb2.DISPOSITION_OVERFLOWED: pb.DISPOSITION_OVERFLOWED,
}
_WAITING = (Stage.WAITING, Stage.OFFERED)
_REASONS = {
    Stage.WRAP_UP: "ended",
    Stage.DONE: "ended",
    Stage.ABANDONED: "abandoned",
    Stage.DEFLECTED: "deflected",
}
_END = object()  # the reader's end, in the outbox


def _chat_tenant() -> str:
    principal = current_principal()
    if principal.tenant_id is None or not principal.holds(CHAT_PUBLIC):
        raise PermissionDenied(f"chats take a tenant's public chat key (scope {CHAT_PUBLIC!r})")
    return principal.tenant_id


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _wait_pb(status: routing_pb2.GetInteractionStatusResponse) -> pb.WaitStatus:
    wait = pb.WaitStatus(state=status.state, position=status.position)
    wait.estimated_wait.CopyFrom(status.estimated_wait)
    return wait


class ChatServicer(pb_grpc.ChatServiceServicer):
    def __init__(
        self,
        conversations: Conversations,
        routing: RoutingClient,
        metrics: ConversationMetrics,
        wait_poll_seconds: float,
    ) -> None:
        self._c = conversations
        self._routing = routing
        self._metrics = metrics
        self._poll = wait_poll_seconds
        self._log = get_logger("vaxel.conversation.chat")

    async def StartChat(  # noqa: N802  (gRPC method name)
        self, request: pb.StartChatRequest, context: Context
    ) -> pb.StartChatResponse:
        check(request)
        tenant_id = _chat_tenant()
        self._c.require_ready()
        queue_id = check_id("queue_id", request.queue_id)
        check_id("language", request.language, required=False)
        check_text("text", request.text, required=True)
        key = check_id("idempotency_key", request.idempotency_key, required=False)
        submitted = await self._routing.submit_chat(
            tenant_id,
            queue_id,
            request.language,
            request.text,
            f"chat:{key}" if key else secrets.token_hex(16),
        )
        interaction_id = submitted.interaction_id
        structlog.contextvars.bind_contextvars(interaction_id=interaction_id)
        drafts = [
            (
                deterministic_id("conversation.first", interaction_id),
                draft(tenant_id, interaction_id, AuthorKind.CUSTOMER, CUSTOMER, request.text),
            )
        ]
        system_text = submitted.faq_answer or submitted.closed_message
        if system_text:
            drafts.append(
                (
                    deterministic_id("conversation.system.start", interaction_id),
                    draft(tenant_id, interaction_id, AuthorKind.SYSTEM, SYSTEM, system_text[:2000]),
                )
            )
        token = secrets.token_urlsafe(32)
        session = ChatSession(interaction_id, tenant_id, submitted.queue_id or queue_id, request.language)
        messages = await self._c.start_chat(session, _digest(token), drafts)
        response = pb.StartChatResponse(
            interaction_id=interaction_id,
            chat_token=token,
            disposition=_DISPOSITIONS.get(submitted.disposition, pb.DISPOSITION_UNSPECIFIED),
            messages=[message_to_pb(m) for m in messages if m.author_kind.customer_sees],
            callback_offered=submitted.callback_offered,
        )
        response.wait.state = "waiting" if submitted.disposition == routing_pb2.DISPOSITION_QUEUED else ""
        response.wait.position = submitted.position
        response.wait.estimated_wait.CopyFrom(submitted.estimated_wait)
        return response

    async def Chat(  # noqa: N802
        self, request_iterator: AsyncIterator[pb.ChatRequest | Undecodable], context: Context
    ) -> AsyncIterator[pb.ChatResponse]:
        tenant_id = _chat_tenant()
        self._c.require_ready()
        try:
            first = await asyncio.wait_for(anext(aiter(request_iterator), None), timeout=JOIN_TIMEOUT_SECONDS)
        except TimeoutError:
            raise InvalidArgument("join", f"no Join within {JOIN_TIMEOUT_SECONDS:.0f} s") from None
        check(first)
        if not isinstance(first, pb.ChatRequest) or first.WhichOneof("action") != "join":
            raise InvalidArgument("join", "the first request on a chat stream is Join")
        interaction_id = check_id("join.interaction_id", first.join.interaction_id)
        structlog.contextvars.bind_contextvars(interaction_id=interaction_id)
        self._check_token(tenant_id, interaction_id, first.join.chat_token)
        outbox = self._c.hub.subscribe(interaction_id)  # before the backlog: nothing falls in between
        self._metrics.streams.labels("customer").inc()
        tasks: list[asyncio.Task[None]] = []
        try:
            backlog = self._backlog(tenant_id, interaction_id, first.join.last_message_id)
            yield pb.ChatResponse(reply=pb.ChatReply(request_id=first.request_id))
            view = _CustomerView()
            for message in backlog:
                response = view.show(message)
                if response is not None:
                    yield response
            handling = self._c.handling_of(interaction_id)
            if handling is not None and handling.stage.ended:
                yield pb.ChatResponse(ended=pb.ChatEnded(reason=_REASONS[handling.stage]))
                return
            reader = asyncio.create_task(self._read(tenant_id, interaction_id, request_iterator, outbox))
            reader.add_done_callback(lambda _: _put(outbox, _END))
            tasks = [reader, asyncio.create_task(self._watch_wait(tenant_id, interaction_id, outbox))]
            while not view.done:
                update = await outbox.get()
                if update is _END:
                    return
                if isinstance(update, Closed):
                    await context.abort(grpc.StatusCode.UNAVAILABLE, update.reason)
                response = view.show(update)
                if response is not None:
                    yield response
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self._c.hub.unsubscribe(interaction_id, outbox)
            self._metrics.streams.labels("customer").dec()

    def _check_token(self, tenant_id: str, interaction_id: str, token: str) -> None:
        session = self._c.book.chat(tenant_id, interaction_id)
        if not token or not any(hmac.compare_digest(_digest(token), d) for d in session.token_digests):
            raise PermissionDenied("join.chat_token: not a token of this chat")

    def _backlog(self, tenant_id: str, interaction_id: str, last_message_id: str) -> list[Message]:
        transcript = self._c.book.transcript(tenant_id, interaction_id)
        if last_message_id:
            seen = transcript.get(last_message_id)
            if seen is None or not seen.author_kind.customer_sees:
                raise InvalidArgument("join.last_message_id", "not a message of this chat")
        return transcript.after(last_message_id, field="join.last_message_id")

    async def _read(
        self,
        tenant_id: str,
        interaction_id: str,
        requests: AsyncIterator[pb.ChatRequest | Undecodable],
        outbox: asyncio.Queue[object],
    ) -> None:
        async for request in requests:
            reply = pb.ChatReply(request_id=request.request_id if isinstance(request, pb.ChatRequest) else "")
            leaving = False
            try:
                check(request)
                if not isinstance(request, pb.ChatRequest):  # check() raised for anything else
                    continue
                leaving = request.WhichOneof("action") == "leave"
                reply.message_id = await self._act(tenant_id, interaction_id, request)
            except VaxelError as exc:
                reply.code = status_code_of(exc).value[0]
                reply.message = exc.message
                leaving = False
            await outbox.put(pb.ChatResponse(reply=reply))
            if leaving:
                await outbox.put(pb.ChatResponse(ended=pb.ChatEnded(reason="abandoned")))
                return

    async def _act(self, tenant_id: str, interaction_id: str, request: pb.ChatRequest) -> str:
        action = request.WhichOneof("action")
        if action == "send":
            send = request.send
            self._c.handling.check_customer_post(interaction_id)
            message = draft(
                tenant_id,
                interaction_id,
                AuthorKind.CUSTOMER,
                CUSTOMER,
                send.text,
                attachments_from_pb(send.attachments),
                send.idempotency_key or (f"request:{request.request_id}" if request.request_id else ""),
                field_prefix="send.",
            )
            return (await self._c.post(message)).message_id
        if action == "typing":
            self._c.hub.publish(interaction_id, Typed(AuthorKind.CUSTOMER, CUSTOMER, request.typing.typing))
        elif action == "mark_read":
            mark = request.mark_read
            transcript = self._c.book.transcript(tenant_id, interaction_id)
            if transcript.get(mark.message_id) is None:
                raise InvalidArgument("mark_read.message_id", "not a message of this chat")
            state = read_state_from_pb(mark.state, "mark_read.state")
            self._c.hub.publish(
                interaction_id, ReadMarked(AuthorKind.CUSTOMER, CUSTOMER, mark.message_id, state)
            )
        elif action == "leave":
            await self._routing.abandon(tenant_id, interaction_id)
        elif action == "join":
            raise InvalidArgument("join", "already joined on this stream")
        else:
            raise InvalidArgument("action", "one of send, typing, mark_read, leave")
        return ""

    async def _watch_wait(self, tenant_id: str, interaction_id: str, outbox: asyncio.Queue[object]) -> None:
        """While the chat waits, its position and estimated wait as routing tells them, when they change."""
        shown: tuple[str, int, int] | None = None
        while True:
            handling = self._c.handling_of(interaction_id)
            if handling is not None and handling.stage not in _WAITING:
                return
            try:
                status = await self._routing.status(tenant_id, interaction_id)
            except VaxelError as exc:
                self._log.info("wait_unknown", reason=exc.message)
            else:
                if status.state not in ("waiting", "offered", "scheduled"):
                    return
                now = (status.state, status.position, round(status.estimated_wait.seconds / 5))
                if now != shown:
                    shown = now
                    await outbox.put(pb.ChatResponse(wait=_wait_pb(status)))
            await asyncio.sleep(self._poll)


class _CustomerView:
    """What the customer's stream shows of the updates: each message once, in order (a message of the
    backlog seen again live is skipped), never internal notes, the other side's typing and read marks,
    the connection, and the end."""

    def __init__(self) -> None:
        self.last = 0
        self.done = False

    def show(self, update: object) -> pb.ChatResponse | None:
        response: pb.ChatResponse | None = None
        if isinstance(update, Message):
            if update.sequence > self.last:
                self.last = update.sequence
                if update.author_kind.customer_sees:
                    response = pb.ChatResponse(message=message_to_pb(update))
        elif isinstance(update, Typed) and update.author_kind is not AuthorKind.CUSTOMER:
            response = pb.ChatResponse(typing=typing_pb(update))
        elif isinstance(update, ReadMarked) and update.author_kind is not AuthorKind.CUSTOMER:
            response = pb.ChatResponse(read_mark=read_mark_pb(update))
        elif isinstance(update, StageChanged):
            if update.stage.ended:
                response = pb.ChatResponse(ended=pb.ChatEnded(reason=_REASONS[update.stage]))
            elif update.stage is Stage.CONNECTED:
                response = pb.ChatResponse(wait=pb.WaitStatus(state="connected"))
        elif isinstance(update, pb.ChatResponse):
            response = update
        if response is not None and response.WhichOneof("update") == "ended":
            self.done = True
        return response


def _put(outbox: asyncio.Queue[object], item: object) -> None:
    with contextlib.suppress(asyncio.QueueFull):
        outbox.put_nowait(item)
