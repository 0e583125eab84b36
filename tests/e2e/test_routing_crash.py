"""kill -9 of routing under load: afterwards every interaction is assigned exactly once, no agent double-booked."""

from __future__ import annotations

import queue
import signal
import threading
import time
from collections import Counter, defaultdict

import grpc
import pytest

from tests.fixtures.platform import eventually
from tests.fixtures.routing import Desk, interaction_events, routed_tenant, upsert_agent
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import SERVICES, Platform, wait_serving

pytestmark = pytest.mark.e2e

N = 90


class Bot(threading.Thread):
    """An agent who takes every offer and wraps it up at once; reconnects when routing goes away."""

    def __init__(self, platform: Platform, agent_id: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.platform = platform
        self.agent_id = agent_id
        self.stop = stop
        self.accepted: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            target = self.platform.processes["routing"].grpc_target
            try:
                with grpc.insecure_channel(target) as channel:
                    desk = Desk(channel, self.agent_id, self.platform.admin_metadata)
                    try:
                        self._work(desk)
                    finally:
                        desk.close()
            except (grpc.RpcError, TimeoutError, AssertionError):
                time.sleep(0.3)

    def _work(self, desk: Desk) -> None:
        desk.send(set_presence=routing_pb2.SetPresence(presence=types_pb2.PRESENCE_AVAILABLE))
        while not self.stop.is_set():
            if desk.error is not None:
                raise TimeoutError("stream broke")
            try:
                update = desk.updates.get(timeout=0.2)
            except queue.Empty:
                continue
            kind = update.WhichOneof("update")
            offers = (
                [update.offer] if kind == "offer" else list(update.state.offers) if kind == "state" else []
            )
            for offer in offers:
                self.accepted.append(offer.offer_id)
                desk.send(accept_offer=routing_pb2.AcceptOffer(offer_id=offer.offer_id))
                desk.send(wrap_up=routing_pb2.WrapUp(interaction_id=offer.interaction_id, disposition="ok"))
            if kind == "state":  # after a reconnect: finish what the desk held when routing went away
                for held in update.state.work:
                    if held.state in ("connected", "wrap_up"):
                        desk.send(
                            wrap_up=routing_pb2.WrapUp(interaction_id=held.interaction_id, disposition="ok")
                        )
            if kind == "state" and update.state.presence == types_pb2.PRESENCE_NOT_READY:
                desk.send(set_presence=routing_pb2.SetPresence(presence=types_pb2.PRESENCE_AVAILABLE))


def test_routing_killed_mid_traffic_assigns_everything_exactly_once(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    tenant = routed_tenant(platform, channels, channels_served=(types_pb2.CHANNEL_VOICE,))
    agents = [upsert_agent(channels, platform, tenant, f"bot{i}") for i in range(4)]
    stop = threading.Event()
    bots = [Bot(platform, a, stop) for a in agents]
    for bot in bots:
        bot.start()
    ids: list[str] = []
    spec = next(s for s in SERVICES if s.name == "routing")
    try:
        for i in range(N):
            if i == N // 3:
                platform.stop_service("routing", sig=signal.SIGKILL)
                proc = platform.start_service(spec)
            if i == N // 3 + 5:
                wait_serving(proc.grpc_target, 90, proc.process)
            ids.append(_submit_until_accepted(platform, tenant.key, tenant.queue_id, f"crash-{i}"))
            time.sleep(0.05)
        states = _wait_all_done(platform, tenant.key, ids)
    finally:
        stop.set()
        for bot in bots:
            bot.join(timeout=10)
    assert states == {"done": N}, states

    events = interaction_events(
        platform,
        set(ids),
        lambda found: len({e.interaction_id for e in found if e.HasField("interaction_wrapped_up")}) == N,
        timeout=30,
    )
    unique = {e.event_id: e for e in events}
    accepted = Counter(e.interaction_id for e in unique.values() if e.HasField("offer_accepted"))
    assert set(accepted) == set(ids)
    assert max(accepted.values()) == 1, "an interaction was assigned twice"
    # Replay each agent's offers and completions in time order: never more than one call at once.
    holding: dict[str, int] = defaultdict(int)
    for event in sorted(unique.values(), key=lambda e: (e.occurred_at.ToNanoseconds(), e.event_id)):
        payload = event.WhichOneof("payload")
        if payload == "interaction_offered":
            holding[event.agent_id] += 1
            assert holding[event.agent_id] <= 1, f"{event.agent_id} was double-booked"
        elif payload in ("interaction_wrapped_up", "offer_rejected", "offer_timed_out"):
            holding[event.agent_id] -= 1


def _submit_until_accepted(
    platform: Platform, key: tuple[tuple[str, str], ...], queue_id: str, idem: str
) -> str:
    deadline = time.monotonic() + 120
    while True:
        try:
            with grpc.insecure_channel(platform.processes["routing"].grpc_target) as channel:
                reply = routing_pb2_grpc.RoutingServiceStub(channel).SubmitInteraction(
                    routing_pb2.SubmitInteractionRequest(
                        queue_id=queue_id,
                        channel=types_pb2.CHANNEL_VOICE,
                        language="sv-SE",
                        idempotency_key=idem,
                    ),
                    metadata=key,
                    timeout=10,
                )
                return str(reply.interaction_id)
        except grpc.RpcError as err:
            if err.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _wait_all_done(platform: Platform, key: tuple[tuple[str, str], ...], ids: list[str]) -> dict[str, int]:
    deadline = time.monotonic() + 90
    while True:
        with grpc.insecure_channel(platform.processes["routing"].grpc_target) as channel:
            stub = routing_pb2_grpc.RoutingServiceStub(channel)
            states = Counter(
                stub.GetInteractionStatus(
                    routing_pb2.GetInteractionStatusRequest(interaction_id=i), metadata=key, timeout=10
                ).state
                for i in ids
            )
        if states == {"done": len(ids)} or time.monotonic() > deadline:
            return dict(states)
        time.sleep(0.5)


def test_an_offer_that_expires_while_routing_is_down_is_no_miss_and_is_offered_again(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    tenant = routed_tenant(platform, channels, channels_served=(types_pb2.CHANNEL_VOICE,))
    agent_id = upsert_agent(channels, platform, tenant, "sleeper")
    with grpc.insecure_channel(platform.processes["routing"].grpc_target) as channel:
        desk = Desk(channel, agent_id, platform.admin_metadata)
        try:
            desk.ready()
            interaction_id = _submit_until_accepted(platform, tenant.key, tenant.queue_id, "down-1")
            first = desk.offer()
            assert first.interaction_id == interaction_id
        finally:
            desk.close()
    spec = next(s for s in SERVICES if s.name == "routing")
    platform.stop_service("routing", sig=signal.SIGKILL)
    time.sleep(max(0.0, first.expires_at.ToSeconds() - time.time()) + 2)  # it expires while routing is down
    proc = platform.start_service(spec)
    wait_serving(proc.grpc_target, 90, proc.process)
    with grpc.insecure_channel(proc.grpc_target) as channel:
        desk = Desk(channel, agent_id, platform.admin_metadata)
        try:
            # the only agent: offered again only while AVAILABLE, so not sent NOT_READY for the miss
            again = _new_offer(desk, first.offer_id)
            assert again.interaction_id == interaction_id
            assert again.expires_at.ToSeconds() > time.time()  # never shown already expired
            assert desk.do(accept_offer=routing_pb2.AcceptOffer(offer_id=again.offer_id)).code == 0
        finally:
            desk.close()
    events = interaction_events(
        platform, {interaction_id}, lambda found: any(e.HasField("offer_accepted") for e in found), timeout=30
    )
    kinds = [e.WhichOneof("payload") for e in {e.event_id: e for e in events}.values()]
    assert "offer_timed_out" not in kinds, "the agent could not have answered while routing was down"
    assert kinds.count("interaction_offered") == 2
    agent_events = [e for e in events if e.agent_id == agent_id and e.HasField("offer_rejected")]
    assert [e.offer_rejected.reason for e in agent_events][:1] == ["expired unseen"]


def _new_offer(desk: Desk, old_offer_id: str) -> routing_pb2.Offer:
    """The next offer other than ``old_offer_id``: pushed, or listed in the state a reconnect gets."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            update = desk.updates.get(timeout=0.5)
        except queue.Empty:
            continue
        kind = update.WhichOneof("update")
        offers = [update.offer] if kind == "offer" else list(update.state.offers) if kind == "state" else []
        for offer in offers:
            if offer.offer_id != old_offer_id:
                return offer
    raise TimeoutError("not offered again")


def test_a_desk_that_does_not_come_back_after_routing_is_killed_is_logged_out(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    """kill -9 writes no drop for the desks it cuts: the restarted routing finds the agent logged in with
    no desk, and past the grace (3 s in the test platform) logs them out; their offer goes to another."""
    tenant = routed_tenant(platform, channels, channels_served=(types_pb2.CHANNEL_VOICE,))
    gone = upsert_agent(channels, platform, tenant, "gone")
    stays = upsert_agent(channels, platform, tenant, "stays")
    channel = grpc.insecure_channel(platform.processes["routing"].grpc_target)
    desk = Desk(channel, gone, platform.admin_metadata)
    try:
        desk.ready()
        interaction_id = _submit_until_accepted(platform, tenant.key, tenant.queue_id, f"gone-{gone}")
        assert desk.offer().interaction_id == interaction_id
        spec = next(s for s in SERVICES if s.name == "routing")
        platform.stop_service("routing", sig=signal.SIGKILL)  # the desk's stream breaks with it
    finally:
        desk.close()
        channel.close()
    proc = platform.start_service(spec)
    wait_serving(proc.grpc_target, 90, proc.process)
    with grpc.insecure_channel(proc.grpc_target) as channel:
        admin = routing_pb2_grpc.AgentAdminServiceStub(channel)

        def logged_out() -> routing_pb2.GetAgentResponse:
            reply: routing_pb2.GetAgentResponse = admin.GetAgent(
                routing_pb2.GetAgentRequest(agent_id=gone), metadata=platform.admin_metadata, timeout=10
            )
            assert reply.presence == types_pb2.PRESENCE_OFFLINE
            return reply

        # Logged out for the desk that never came back (a missed offer would be NOT_READY "missed offer").
        assert eventually(logged_out, timeout=60).presence_reason == "desk disconnected"
        other = Desk(channel, stays, platform.admin_metadata)
        try:
            # Not other.ready(): the offer arrives before the reply, and waiting for the reply skips it.
            other.send(set_presence=routing_pb2.SetPresence(presence=types_pb2.PRESENCE_AVAILABLE))
            assert _new_offer(other, "").interaction_id == interaction_id
        finally:
            other.close()
