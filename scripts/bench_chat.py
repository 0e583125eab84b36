"""Chat messages through the conversation service, for ``make bench`` (issue 15's figure).

A tenant with one chat queue, agents on desks (routing's AgentDeskService) that accept every offer, and
``chats`` customers who start a chat with the public chat key and join it. Each agent's desk watches the
transcript (``WatchTranscript``). Then, open loop for ``seconds``: each customer sends a message every
``chats / rate`` seconds; the desk that sees it answers at once (``PostMessage``). Measured per message:

- **customer → desk**: from the customer's send to the desk's watch seeing it;
- **round trip**: from the customer's send to the agent's answer on the customer's stream;
- the acknowledgement of the customer's send (on Kafka, in the transcript).

Customers, desks and the clock share one process and the machine's cores with the platform: the figures
include the client's own time. Run alone: ``python -m scripts.bench_chat [--chats 100] [--rate 250]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc import aio

from scripts._bench_results import Results
from vaxel.conversation.v1 import conversation_pb2 as pb
from vaxel.conversation.v1 import conversation_pb2_grpc as pb_grpc
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import Platform

__all__ = ["ChatFigures", "measure", "report"]

SECTION = "conversation: chat"
CHATS_PER_AGENT = 3  # routing's default chat capacity


@dataclass(frozen=True, slots=True)
class ChatFigures:
    chats: int
    rate: float
    sent: int
    answered: int
    ack_p50_ms: float
    ack_p99_ms: float
    to_desk_p50_ms: float
    to_desk_p99_ms: float
    round_trip_p50_ms: float
    round_trip_p99_ms: float
    setup_seconds: float


@dataclass
class _Run:
    sent_at: dict[str, float] = field(default_factory=dict)  # customer message text -> send time
    acks: list[float] = field(default_factory=list)
    to_desk: list[float] = field(default_factory=list)
    round_trip: list[float] = field(default_factory=list)
    answered: int = 0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1000 if ordered else 0.0


async def _tenant(platform: Platform) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    async with aio.insecure_channel(platform.processes["client-tenant"].grpc_target) as channel:
        admin = tenant_pb2_grpc.AdminServiceStub(channel)
        created = await admin.CreateTenant(
            tenant_pb2.CreateTenantRequest(
                name=f"Chat bench {uuid.uuid4().hex[:6]}",
                country="SE",
                time_zone="Europe/Stockholm",
                languages=["sv-SE"],
            ),
            metadata=platform.admin_metadata,
        )
        tenant_id = created.tenant.tenant_id
        queue = await tenant_pb2_grpc.TenantServiceStub(channel).CreateQueue(
            tenant_pb2.CreateQueueRequest(
                tenant_id=tenant_id, name="Chat", channels=[types_pb2.CHANNEL_CHAT], language="sv-SE"
            ),
            metadata=platform.admin_metadata,
        )
        key = await admin.IssueApiKey(
            tenant_pb2.IssueApiKeyRequest(tenant_id=tenant_id, scopes=["chat:public"]),
            metadata=platform.admin_metadata,
        )
    return tenant_id, queue.queue.queue_id, (("authorization", f"Bearer {key.api_key}"),)


async def _desk(
    channel: aio.Channel,
    agent_id: str,
    ops: tuple[tuple[str, str], ...],
    accepted: asyncio.Queue[tuple[str, str]],
) -> None:
    """An agent's desk: log in, become available, accept every offer ((interaction, agent) to ``accepted``)."""
    requests: asyncio.Queue[routing_pb2.ConnectRequest] = asyncio.Queue()
    await requests.put(
        routing_pb2.ConnectRequest(request_id="login", login=routing_pb2.Login(agent_id=agent_id))
    )
    await requests.put(
        routing_pb2.ConnectRequest(
            request_id="ready", set_presence=routing_pb2.SetPresence(presence=types_pb2.PRESENCE_AVAILABLE)
        )
    )

    async def feed() -> AsyncIterator[routing_pb2.ConnectRequest]:
        while True:
            yield await requests.get()

    call = routing_pb2_grpc.AgentDeskServiceStub(channel).Connect(feed(), metadata=ops)
    async for update in call:
        if update.WhichOneof("update") == "offer":
            offer = update.offer
            await requests.put(
                routing_pb2.ConnectRequest(
                    request_id=offer.offer_id, accept_offer=routing_pb2.AcceptOffer(offer_id=offer.offer_id)
                )
            )
            await accepted.put((offer.interaction_id, agent_id))


async def _agents(platform: Platform, channel: aio.Channel, tenant_id: str, count: int) -> list[str]:
    admin = routing_pb2_grpc.AgentAdminServiceStub(channel)
    ids = []
    for n in range(count):
        agent_id = f"bench-chat-{n}-{uuid.uuid4().hex[:6]}"
        await admin.UpsertAgent(
            routing_pb2.UpsertAgentRequest(
                agent=routing_pb2.Agent(
                    agent_id=agent_id,
                    site_id="sthlm",
                    time_zone="Europe/Stockholm",
                    languages=["sv"],
                    tenant_ids=[tenant_id],
                )
            ),
            metadata=platform.admin_metadata,
        )
        ids.append(agent_id)
    return ids


async def _start_chat(
    chat: pb_grpc.ChatServiceAsyncStub, key: tuple[tuple[str, str], ...], queue_id: str
) -> pb.StartChatResponse:
    deadline = time.monotonic() + 60
    while True:  # the public key and the queue reach the services over the configuration topic
        try:
            reply: pb.StartChatResponse = await chat.StartChat(
                pb.StartChatRequest(queue_id=queue_id, text="Hej", idempotency_key=uuid.uuid4().hex),
                metadata=key,
                timeout=30,
            )
            return reply
        except aio.AioRpcError as exc:
            if exc.code() not in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.NOT_FOUND):
                raise
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def measure(
    platform: Platform, chats: int = 100, rate: float = 250.0, seconds: float = 20.0
) -> ChatFigures:
    """``rate``: customer messages per second over all chats (each is answered: twice the messages)."""
    began = time.perf_counter()
    tenant_id, queue_id, key = await _tenant(platform)
    ops = tuple(platform.admin_metadata)
    async with (
        aio.insecure_channel(platform.processes["routing"].grpc_target) as routing,
        aio.insecure_channel(platform.processes["conversation"].grpc_target) as conv,
    ):
        agents = await _agents(platform, routing, tenant_id, -(-chats // CHATS_PER_AGENT))
        accepted: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        tasks = [asyncio.create_task(_desk(routing, a, ops, accepted)) for a in agents]
        chat_stub = pb_grpc.ChatServiceStub(conv)
        desk_stub = pb_grpc.ConversationServiceStub(conv)
        run = _Run()
        holder: dict[str, str] = {}
        try:
            started: list[pb.StartChatResponse] = []
            for _ in range(chats):
                started.append(await _start_chat(chat_stub, key, queue_id))
            while len(holder) < chats:  # which agent took which chat
                interaction_id, agent_id = await asyncio.wait_for(accepted.get(), timeout=120)
                holder[interaction_id] = agent_id
            customers = [_Customer(chat_stub, key, s, run) for s in started]
            for customer in customers:
                await customer.join()
            tasks += [
                asyncio.create_task(_watch(desk_stub, ops, tenant_id, i, a, run)) for i, a in holder.items()
            ]
            tasks += [asyncio.create_task(c.listen()) for c in customers]
            await asyncio.sleep(1.0)
            setup = time.perf_counter() - began
            every = chats / rate
            until = time.perf_counter() + seconds
            tasks += [asyncio.create_task(c.talk(every, until, n / rate)) for n, c in enumerate(customers)]
            await asyncio.sleep(seconds + 3.0)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return ChatFigures(
        chats=chats,
        rate=rate,
        sent=len(run.acks),
        answered=run.answered,
        ack_p50_ms=_pct(run.acks, 50),
        ack_p99_ms=_pct(run.acks, 99),
        to_desk_p50_ms=_pct(run.to_desk, 50),
        to_desk_p99_ms=_pct(run.to_desk, 99),
        round_trip_p50_ms=_pct(run.round_trip, 50),
        round_trip_p99_ms=_pct(run.round_trip, 99),
        setup_seconds=setup,
    )


async def _watch(
    desk: pb_grpc.ConversationServiceAsyncStub,
    ops: tuple[tuple[str, str], ...],
    tenant_id: str,
    interaction_id: str,
    agent_id: str,
    run: _Run,
) -> None:
    """The agent's side of one chat: every customer message seen is answered at once."""
    watch = desk.WatchTranscript(
        pb.WatchTranscriptRequest(tenant_id=tenant_id, interaction_id=interaction_id, agent_id=agent_id),
        metadata=ops,
    )
    async for update in watch:
        message = update.message
        if update.WhichOneof("update") != "message" or message.author_kind != pb.AUTHOR_KIND_CUSTOMER:
            continue
        sent = run.sent_at.get(message.text)
        if sent is None:
            continue
        run.to_desk.append(time.perf_counter() - sent)
        await desk.PostMessage(
            pb.PostMessageRequest(
                tenant_id=tenant_id,
                interaction_id=interaction_id,
                agent_id=agent_id,
                author_kind=pb.AUTHOR_KIND_AGENT,
                text=f"svar {message.text}",
                idempotency_key=message.message_id,
            ),
            metadata=ops,
            timeout=30,
        )


class _Customer:
    def __init__(
        self,
        stub: pb_grpc.ChatServiceAsyncStub,
        key: tuple[tuple[str, str], ...],
        started: pb.StartChatResponse,
        run: _Run,
    ) -> None:
        self._requests: asyncio.Queue[pb.ChatRequest] = asyncio.Queue()
        self._started = started
        self._run = run
        self._acks: dict[str, float] = {}
        self._call = stub.Chat(self._feed(), metadata=key)

    async def _feed(self) -> AsyncIterator[pb.ChatRequest]:
        while True:
            yield await self._requests.get()

    async def join(self) -> None:
        join = pb.Join(interaction_id=self._started.interaction_id, chat_token=self._started.chat_token)
        await self._requests.put(pb.ChatRequest(request_id="join", join=join))

    async def listen(self) -> None:
        async for update in self._call:
            kind = update.WhichOneof("update")
            if kind == "reply" and update.reply.request_id in self._acks:
                self._run.acks.append(time.perf_counter() - self._acks.pop(update.reply.request_id))
            elif kind == "message" and update.message.author_kind == pb.AUTHOR_KIND_AGENT:
                sent = self._run.sent_at.get(update.message.text.removeprefix("svar "))
                if sent is not None:
                    self._run.round_trip.append(time.perf_counter() - sent)
                    self._run.answered += 1

    async def talk(self, every: float, until: float, offset: float) -> None:
        await asyncio.sleep(offset % every)
        began = time.perf_counter()
        n = 0
        while time.perf_counter() < until:
            text = f"{self._started.interaction_id[:8]}-{n}"
            request_id = f"m{n}"
            now = time.perf_counter()
            self._run.sent_at[text] = now
            self._acks[request_id] = now
            await self._requests.put(pb.ChatRequest(request_id=request_id, send=pb.SendMessage(text=text)))
            n += 1
            await asyncio.sleep(max(0.0, began + n * every - time.perf_counter()))


def report(
    results: Results, platform: Platform, chats: tuple[int, ...] = (100, 1000), rate: float = 250.0
) -> None:
    for count in chats:
        figures = asyncio.run(measure(platform, count, rate))
        results.add(
            SECTION,
            f"{count} chats, {rate:.0f} customer messages/s + answers: sent",
            figures.sent,
            "messages",
        )
        results.add(SECTION, f"{count} chats: answered", figures.answered, "messages")
        results.add(SECTION, f"{count} chats: customer send acknowledged p50", figures.ack_p50_ms, "ms")
        results.add(SECTION, f"{count} chats: customer send acknowledged p99", figures.ack_p99_ms, "ms")
        results.add(SECTION, f"{count} chats: customer → desk p50", figures.to_desk_p50_ms, "ms")
        results.add(SECTION, f"{count} chats: customer → desk p99", figures.to_desk_p99_ms, "ms")
        results.add(
            SECTION, f"{count} chats: customer → desk → customer p50", figures.round_trip_p50_ms, "ms"
        )
        results.add(
            SECTION,
            f"{count} chats: customer → desk → customer p99",
            figures.round_trip_p99_ms,
            "ms",
            "target <= 100",
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--rate", type=float, default=250.0, help="customer messages per second, all chats")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform(Path(tmp))
        platform.start()
        try:
            print(asyncio.run(measure(platform, args.chats, args.rate, args.seconds)))
        finally:
            platform.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
