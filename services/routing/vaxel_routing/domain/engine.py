"""The routing engine of one pool: agents, waiting work, offers. Pure and deterministic.

One writer applies commands in log order (:meth:`RoutingEngine.apply`). Decisions depend
only on the commands and their times, never on a clock, a random number or the order of a
set, so replaying the log rebuilds the same state and the same decisions, and the ids of
offers and events come out the same (duplicates are recognisable downstream).

Work waits in *lanes*: (queue, relax level, channel), or an agent's personal lane for
transfers to them and last-agent routing. A lane keeps its waiting work ordered by
deadline (arrival + the queue's service-level threshold for the channel, less a bonus per
priority point): earliest deadline first means a queue whose threshold is near outranks
one with time to spare, a long wait always rises to the top (no starvation), and an
interaction keeps its place when an offer is rejected, when it overflows and when it
turns into a callback. Each lane also keeps a heap of the free agents eligible for it,
ordered by the pool's strategy. A decision touches one lane (new work) or the lanes of
one agent (an agent frees up): its cost grows with neither the number of agents nor the
number of waiting interactions.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sortedcontainers import SortedList

from vaxel_common.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from vaxel_common.ids import deterministic_id
from vaxel_routing.domain.commands import (
    Abandon,
    Accept,
    CallbackDue,
    Command,
    End,
    LastAgentWaitOver,
    Login,
    Logout,
    Notice,
    OfferExpired,
    Outcome,
    Reject,
    RequestCallback,
    SetPresence,
    Submit,
    Timer,
    TimerCommand,
    Transfer,
    UpsertAgent,
    Widen,
    WrapUp,
    WrapUpExpired,
)
from vaxel_routing.domain.model import (
    DEFAULT_CAPACITY,
    DEFAULT_HANDLE_SECONDS,
    AgentProfile,
    Channel,
    HistoryEntry,
    Offer,
    Presence,
    QueueSpec,
    RoutingPolicy,
    Strategy,
    Work,
)

Lane = tuple[str, int, int]  # (queue id, relax level, channel) or ("@" + agent id, 0, channel)

_MAX_QUEUE_MOVES = 3
_MAX_CUSTOMERS_REMEMBERED = 100_000


stable_id = deterministic_id


@dataclass(slots=True)
class AgentState:
    profile: AgentProfile
    presence: Presence = Presence.OFFLINE
    reason: str = ""
    load: dict[Channel, int] = field(default_factory=dict)
    work: dict[str, None] = field(default_factory=dict)  # interaction ids, offered or held
    idle_since: float = 0.0
    version: int = 0
    lanes: list[Lane] = field(default_factory=list)
    lanes_by_channel: dict[Channel, list[_LaneState]] = field(default_factory=dict)
    capacity: dict[Channel, int] = field(default_factory=dict)
    skill_score: dict[str, int] = field(default_factory=dict)

    @property
    def logged_in(self) -> bool:
        return self.presence is not Presence.OFFLINE

    def occupancy(self) -> float:
        capacity = self.capacity
        return sum(n / capacity[ch] for ch, n in self.load.items() if n)

    def channels_with_room(self) -> list[Channel]:
        """The channels one more piece of work fits on (none unless ready)."""
        if self.presence is not Presence.AVAILABLE:
            return []
        used = self.occupancy()
        capacity = self.capacity
        return [
            ch for ch in self.lanes_by_channel if capacity[ch] > 0 and used + 1 / capacity[ch] <= 1.0 + 1e-9
        ]

    def can_take(self, channel: Channel) -> bool:
        """Ready, and one more of ``channel`` fits: the shares of capacity in use add up to at most 1
        (one voice call fills an agent; two chats of three and one e-mail of five leave room)."""
        if self.presence is not Presence.AVAILABLE:
            return False
        cap = self.profile.capacity_of(channel)
        return cap > 0 and self.occupancy() + 1 / cap <= 1.0 + 1e-9

    def shown_presence(self) -> Presence:
        if self.presence is not Presence.AVAILABLE:
            return self.presence
        return Presence.BUSY if self.work else Presence.AVAILABLE


@dataclass(slots=True)
class _LaneState:
    lane: Lane
    work: SortedList = field(default_factory=SortedList)  # (key, seq, interaction id)
    agents: list[tuple[tuple[float, ...], int, int, str]] = field(default_factory=list)
    staffed: int = 0
    head: tuple[float, int, str] | None = None  # the most urgent waiting work, kept for quick looks

    def add(self, item: tuple[float, int, str]) -> None:
        self.work.add(item)
        if self.head is None or item < self.head:
            self.head = item

    def remove(self, item: tuple[float, int, str]) -> None:
        self.work.remove(item)
        if item == self.head:
            self.head = self.work[0] if self.work else None


class RoutingEngine:
    """Routing state of one pool. Not thread-safe: one writer."""

    def __init__(self, pool: str = "default", policy: RoutingPolicy | None = None) -> None:
        self.pool = pool
        self.policy = policy or RoutingPolicy()
        self._now = 0.0
        self._seq = 0
        self._queues: dict[str, QueueSpec] = {}
        self._tenant_queues: dict[str, dict[str, None]] = {}
        self._tenant_agents: dict[str, dict[str, None]] = {}
        self._agents: dict[str, AgentState] = {}
        self._work: dict[str, Work] = {}
        self._offers: dict[str, Offer] = {}
        self._lanes: dict[Lane, _LaneState] = {}
        self._timers: dict[str, Timer] = {}
        self._closed_offers: OrderedDict[str, tuple[str, str]] = (
            OrderedDict()
        )  # offer -> (interaction, agent)
        self._handle_ema: dict[tuple[str, Channel], float] = {}
        self._history: OrderedDict[tuple[str, str], deque[HistoryEntry]] = OrderedDict()
        self._handlers: dict[type, Callable[[Any, Outcome], None]] = {
            Submit: self._submit,
            UpsertAgent: lambda c, out: self._upsert_agent(c.profile, out),
            Login: lambda c, out: self._login(c.agent_id, out),
            Logout: self._logout,
            SetPresence: self._set_presence,
            Accept: self._accept,
            Reject: self._reject,
            End: self._end,
            WrapUp: self._wrap_up,
            Transfer: self._transfer,
            Abandon: self._abandon,
            RequestCallback: self._request_callback,
            OfferExpired: self._fired(self._offer_expired),
            Widen: self._fired(self._widen),
            CallbackDue: self._fired(self._callback_due),
            WrapUpExpired: self._fired(self._wrap_up_expired),
            LastAgentWaitOver: self._fired(self._last_agent_wait_over),
        }

    # ------------------------------------------------------------------ reading

    @property
    def now(self) -> float:
        return self._now

    def agent(self, agent_id: str) -> AgentState:
        state = self._agents.get(agent_id)
        if state is None:
            raise NotFound(f"agent {agent_id!r} not found")
        return state

    def work(self, interaction_id: str) -> Work | None:
        return self._work.get(interaction_id)

    def offer(self, offer_id: str) -> Offer | None:
        return self._offers.get(offer_id)

    def agent_work(self, agent_id: str) -> list[Work]:
        """The agent's offered and held work, oldest first (for a desk that reconnects)."""
        state = self.agent(agent_id)
        return [self._work[i] for i in state.work]

    def timer_armed(self, timer_id: str) -> bool:
        """Whether the timer is still armed: firing one that is not changes nothing."""
        return timer_id in self._timers

    def pending_timers(self) -> list[Timer]:
        """Timers not yet fired, by due time: re-armed after a restart."""
        return sorted(self._timers.values(), key=lambda t: (t.due, type(t.command).__name__))

    def history(self, tenant_id: str, customer_ref: str) -> list[HistoryEntry]:
        held = self._history.get((tenant_id, customer_ref))
        return list(held) if held else []

    def waiting_count(self) -> int:
        return sum(len(lane.work) for lane in self._lanes.values())

    def position(self, work: Work) -> int:
        """1-based place in its lane (0 when not waiting)."""
        if work.state != "waiting":
            return 0
        lane = self._lanes[self._lane_of(work)]
        return int(lane.work.bisect_left((work.key, work.seq, work.interaction_id))) + 1

    def estimated_wait(self, work: Work) -> float:
        """Seconds: the work ahead, times the queue's handle time, over the agents staffed for it."""
        if work.state == "scheduled":
            return max(0.0, work.not_before - self._now)
        return self._wait_at(work, self.position(work))

    def _wait_at(self, work: Work, position: int) -> float:
        if position == 0:
            return 0.0
        lane = self._lanes[self._lane_of(work)]
        slots = max(1, lane.staffed) * DEFAULT_CAPACITY[work.channel]
        return position * self._handle_seconds(work.queue_id, work.channel) / slots

    def _handle_seconds(self, queue_id: str, channel: Channel) -> float:
        return self._handle_ema.get((queue_id, channel), DEFAULT_HANDLE_SECONDS[channel])

    def snapshot(self) -> dict[str, int]:
        """Counts for the live view and metrics."""
        by_presence: dict[str, int] = {}
        for agent in self._agents.values():
            name = agent.shown_presence().name.lower()
            by_presence[name] = by_presence.get(name, 0) + 1
        return {
            "waiting": self.waiting_count(),
            "offered": len(self._offers),
            "agents": len(self._agents),
            **{f"agents_{k}": v for k, v in sorted(by_presence.items())},
        }

    # ------------------------------------------------------------------ applying

    def apply(self, command: Command, at: float) -> Outcome:
        """Apply one command that happened at ``at`` (epoch seconds). Raises a VaxelError for a
        command that cannot apply; nothing has changed then."""
        self._now = max(self._now, at)
        out = Outcome()
        self._handlers[type(command)](command, out)
        return out

    # ------------------------------------------------------------------ agents

    def _upsert_agent(self, profile: AgentProfile, out: Outcome) -> None:
        if not profile.agent_id:
            raise InvalidArgument("agent_id", "required")
        if profile.pool != self.pool:
            raise InvalidArgument("pool", f"this engine runs pool {self.pool!r}")
        held = self._agents.get(profile.agent_id)
        if held is not None and held.profile.version > profile.version:
            out.reply["version"] = held.profile.version
            return
        if held is None:
            held = AgentState(profile=profile, idle_since=self._now)
            self._agents[profile.agent_id] = held
        else:
            self._leave_lanes(held)
            for tenant in held.profile.tenants:
                self._tenant_agents.get(tenant, {}).pop(profile.agent_id, None)
            held.profile = profile
        for tenant in profile.tenants:
            self._tenant_agents.setdefault(tenant, {})[profile.agent_id] = None
        self._compute_lanes(held)
        self._join_lanes(held)
        self._changed(held, out)
        out.reply["version"] = profile.version

    def _compute_lanes(self, agent: AgentState) -> None:
        lanes: list[Lane] = [("@" + agent.profile.agent_id, 0, int(ch)) for ch in Channel]
        agent.skill_score = {}
        for tenant in agent.profile.tenants:
            for queue_id in self._tenant_queues.get(tenant, {}):
                queue = self._queues[queue_id]
                lanes += self._eligible_lanes(agent, queue)
        agent.lanes = lanes
        by_channel: dict[Channel, list[_LaneState]] = {}
        for lane in lanes:
            by_channel.setdefault(Channel(lane[2]), []).append(self._lane(lane))
        agent.lanes_by_channel = by_channel
        agent.capacity = {ch: agent.profile.capacity_of(ch) for ch in Channel}

    def _eligible_lanes(self, agent: AgentState, queue: QueueSpec) -> list[Lane]:
        profile = agent.profile
        if queue.tenant_id not in profile.tenants or not profile.serves_language(queue.language):
            return []
        channels = [*dict.fromkeys([*queue.channels, Channel.CALLBACK])]
        lanes: list[Lane] = []
        for level in range(queue.relaxations() + 1):
            minimums = queue.minimums(level)
            if all(profile.proficiency(skill) >= minimum for skill, minimum in minimums):
                lanes += [(queue.queue_id, level, int(ch)) for ch in channels]
        if lanes:
            agent.skill_score[queue.queue_id] = sum(
                profile.proficiency(r.skill_id) for r in queue.required_skills
            )
        return lanes

    def _join_lanes(self, agent: AgentState) -> None:
        if agent.logged_in:
            for lane in agent.lanes:
                self._lane(lane).staffed += 1

    def _leave_lanes(self, agent: AgentState) -> None:
        if agent.logged_in:
            for lane in agent.lanes:
                self._lane(lane).staffed -= 1

    def _login(self, agent_id: str, out: Outcome) -> None:
        agent = self.agent(agent_id)
        if agent.logged_in:
            out.reply["presence"] = int(agent.shown_presence())
            return
        agent.presence = Presence.NOT_READY
        self._join_lanes(agent)
        out.notices.append(
            Notice("agent_logged_in", "", agent_id=agent_id, data={"site_id": agent.profile.site_id})
        )
        self._presence_notice(agent, out)
        out.reply["presence"] = int(agent.shown_presence())

    def _logout(self, command: Logout, out: Outcome) -> None:
        agent = self.agent(command.agent_id)
        if not agent.logged_in:
            return
        held = [i for i in agent.work if self._work[i].state != "offered"]
        if held:
            raise FailedPrecondition("finish and wrap up the work you hold before logging out")
        self._leave_lanes(agent)
        agent.presence = Presence.OFFLINE
        agent.reason = command.reason
        agent.version += 1
        for interaction_id in list(agent.work):
            self._withdraw_offer(self._work[interaction_id], "agent logged out", "offer_rejected", out)
        out.notices.append(
            Notice("agent_logged_out", "", agent_id=agent.profile.agent_id, data={"reason": command.reason})
        )
        self._presence_notice(agent, out)

    def _set_presence(self, command: SetPresence, out: Outcome) -> None:
        agent = self.agent(command.agent_id)
        if not agent.logged_in:
            raise FailedPrecondition("log in first")
        if command.presence not in (Presence.AVAILABLE, Presence.BREAK, Presence.NOT_READY):
            raise InvalidArgument("presence", "an agent sets AVAILABLE, BREAK or NOT_READY")
        if command.presence is Presence.BREAK and not command.reason:
            raise InvalidArgument("reason", "a break needs a reason")
        if agent.presence is command.presence and agent.reason == command.reason:
            return
        agent.presence = command.presence
        agent.reason = command.reason
        if command.presence is Presence.AVAILABLE and not agent.work:
            agent.idle_since = self._now
        self._changed(agent, out)
        self._presence_notice(agent, out)

    def _presence_notice(self, agent: AgentState, out: Outcome) -> None:
        out.notices.append(
            Notice(
                "agent_presence_changed",
                "",
                agent_id=agent.profile.agent_id,
                data={"presence": int(agent.shown_presence()), "reason": agent.reason},
            )
        )

    def _changed(self, agent: AgentState, out: Outcome) -> None:
        """The agent's state changed: give it work if it has room, then index it where it has room left.

        Matching first means an agent who takes work at once leaves no heap entries behind."""
        agent.version += 1
        if agent.presence is Presence.AVAILABLE:
            self._match_agent(agent, out)
        self._index(agent)

    def _agent_key(self, agent: AgentState, lane: Lane) -> tuple[float, ...]:
        match self.policy.strategy:
            case Strategy.MOST_SKILLED:
                return (-float(agent.skill_score.get(lane[0], 0)), agent.idle_since)
            case Strategy.LEAST_OCCUPIED:
                return (agent.occupancy(), agent.idle_since)
            case _:
                return (agent.idle_since,)

    def _compact(self, lane: _LaneState) -> None:
        lane.agents = [e for e in lane.agents if self._valid_entry(e)]
        heapq.heapify(lane.agents)

    def _valid_entry(self, entry: tuple[tuple[float, ...], int, int, str]) -> bool:
        agent = self._agents.get(entry[3])
        return agent is not None and agent.version == entry[2]

    # ------------------------------------------------------------------ work arriving

    def _submit(self, command: Submit, out: Outcome) -> None:
        held = self._work.get(command.interaction_id)
        if held is not None:
            self._reply_position(held, out)
            out.reply["duplicate"] = True
            return
        queue = self._define_queue(command.queue)
        if command.channel not in queue.channels and command.channel is not Channel.CALLBACK:
            raise InvalidArgument("channel", "the queue does not serve this channel")
        self._seq += 1
        channel = command.channel
        if command.kind in ("callback", "voicemail", "follow_up"):
            channel = Channel.CALLBACK
        work = Work(
            interaction_id=command.interaction_id,
            tenant_id=queue.tenant_id,
            queue_id=queue.queue_id,
            channel=channel,
            customer_ref=command.customer_ref,
            arrived_at=self._now,
            key=self._deadline(queue, channel, self._now, command.priority),
            seq=self._seq,
            kind=command.kind,
            priority=command.priority,
        )
        self._work[work.interaction_id] = work
        out.notices.append(
            Notice(
                "interaction_created",
                work.tenant_id,
                work.interaction_id,
                data={
                    "queue_id": queue.queue_id,
                    "channel": int(command.channel),
                    "language": command.language,
                    "customer_ref": command.customer_ref,
                    "priority": command.priority,
                    "kind": command.kind,
                },
            )
        )
        if command.not_before > self._now:
            self._schedule(work, command.not_before, out)
        else:
            last_agent = self._last_agent_for(work)
            if last_agent:
                work.personal_agent = last_agent
                self._arm(
                    out,
                    self._now + self.policy.last_agent_wait_seconds,
                    LastAgentWaitOver(stable_id("last-agent", work.interaction_id), work.interaction_id),
                )
            self._enqueue(work, out)
            self._arm_overflow(work, out)
        self._reply_position(work, out)

    def _define_queue(self, spec: QueueSpec) -> QueueSpec:
        """Keep the newest configuration of a queue; a change re-indexes the agents of its tenant."""
        if not spec.queue_id or not spec.tenant_id:
            raise InvalidArgument("queue_id", "required")
        held = self._queues.get(spec.queue_id)
        if held is not None and held.version >= spec.version:
            return held
        if held is not None and held.tenant_id != spec.tenant_id:
            raise NotFound(f"queue {spec.queue_id!r} not found")
        self._queues[spec.queue_id] = spec
        self._tenant_queues.setdefault(spec.tenant_id, {})[spec.queue_id] = None
        for agent_id in self._tenant_agents.get(spec.tenant_id, {}):
            agent = self._agents[agent_id]
            self._leave_lanes(agent)
            self._compute_lanes(agent)
            self._join_lanes(agent)
            agent.version += 1
            self._index(agent)  # re-index only; matching happens as work arrives
        return spec

    def _deadline(self, queue: QueueSpec, channel: Channel, arrived: float, priority: int) -> float:
        boost = (queue.priority + priority) * self.policy.priority_weight_seconds
        return arrived + queue.threshold(channel) - boost

    def _last_agent_for(self, work: Work) -> str:
        if self.policy.last_agent_wait_seconds <= 0 or not work.customer_ref:
            return ""
        history = self._history.get((work.tenant_id, work.customer_ref))
        if not history:
            return ""
        agent = self._agents.get(history[-1].agent_id)
        if agent is None or not agent.logged_in:
            return ""
        if (work.queue_id, 0, int(work.channel)) not in agent.lanes:
            return ""
        return agent.profile.agent_id

    def _reply_position(self, work: Work, out: Outcome) -> None:
        queue = self._queues.get(work.queue_id)
        position = self.position(work)
        wait = self._wait_at(work, position) if work.state == "waiting" else self.estimated_wait(work)
        out.reply.update(
            interaction_id=work.interaction_id,
            state=work.state,
            position=position,
            estimated_wait=wait,
            callback_offered=bool(
                queue
                and queue.callback_offer_after_seconds > 0
                and work.channel is Channel.VOICE
                and work.state == "waiting"
                and wait > queue.callback_offer_after_seconds
            ),
        )

    def _lane_of(self, work: Work) -> Lane:
        if work.personal_agent:
            return ("@" + work.personal_agent, 0, int(work.channel))
        return (work.queue_id, work.level, int(work.channel))

    def _lane(self, lane: Lane) -> _LaneState:
        state = self._lanes.get(lane)
        if state is None:
            state = self._lanes[lane] = _LaneState(lane)
        return state

    def _enqueue(self, work: Work, out: Outcome, *, notify: bool = True) -> None:
        """Put waiting work in its lane; offer it at once if an agent is free."""
        work.state = "waiting"
        lane = self._lane_of(work)
        self._lane(lane).add((work.key, work.seq, work.interaction_id))
        if notify:
            self._queued_notice(work, out)
        agent = self._pick_agent(lane, work)
        if agent is not None:
            self._make_offer(work, agent, out)
            self._index(agent)

    def _queued_notice(self, work: Work, out: Outcome) -> None:
        position = self.position(work)
        out.notices.append(
            Notice(
                "interaction_queued",
                work.tenant_id,
                work.interaction_id,
                data={
                    "queue_id": work.queue_id,
                    "position": position,
                    "estimated_wait": self._wait_at(work, position),
                },
            )
        )

    def _dequeue(self, work: Work) -> None:
        if work.state == "waiting":
            self._lanes[self._lane_of(work)].remove((work.key, work.seq, work.interaction_id))

    def _pick_agent(self, lane: Lane, work: Work) -> AgentState | None:
        state = self._lanes.get(lane)
        if state is None:
            return None
        heap = state.agents
        skipped: list[tuple[tuple[float, ...], int, int, str]] = []
        found: AgentState | None = None
        channel = Channel(lane[2])
        while heap:
            entry = heap[0]
            agent = self._agents.get(entry[3])
            if agent is None or agent.version != entry[2] or not agent.can_take(channel):
                heapq.heappop(heap)
                continue
            if entry[3] in work.excluded:
                skipped.append(heapq.heappop(heap))
                continue
            found = agent
            break
        for entry in skipped:
            heapq.heappush(heap, entry)
        return found

    def _match_agent(self, agent: AgentState, out: Outcome) -> None:
        """Give a free agent the most urgent work it may take, as long as it has room."""
        agent_id = agent.profile.agent_id
        while True:
            best: tuple[float, int, str] | None = None
            for channel in agent.channels_with_room():
                for state in agent.lanes_by_channel[channel]:
                    head = state.head
                    if head is None:
                        continue
                    if best is not None and head >= best:
                        continue
                    if agent_id not in self._work[head[2]].excluded:
                        best = head
                        continue
                    for item in state.work:  # rare: the agent turned the head down before
                        if best is not None and item >= best:
                            break
                        if agent_id not in self._work[item[2]].excluded:
                            best = item
                            break
            if best is None:
                return
            self._make_offer(self._work[best[2]], agent, out)

    # ------------------------------------------------------------------ offers

    def _make_offer(self, work: Work, agent: AgentState, out: Outcome) -> None:
        self._dequeue(work)
        work.attempts += 1
        offer = Offer(
            offer_id=stable_id("offer", work.interaction_id, str(work.attempts)),
            interaction_id=work.interaction_id,
            agent_id=agent.profile.agent_id,
            attempt=work.attempts,
            expires_at=self._now + self.policy.offer_timeout_seconds,
        )
        work.state = "offered"
        work.offer = offer
        self._offers[offer.offer_id] = offer
        agent.work[work.interaction_id] = None
        agent.load[work.channel] = agent.load.get(work.channel, 0) + 1
        out.notices.append(
            Notice(
                "interaction_offered",
                work.tenant_id,
                work.interaction_id,
                agent.profile.agent_id,
                data={"offer_id": offer.offer_id, "expires_at": offer.expires_at, "attempt": offer.attempt},
            )
        )
        self._arm(
            out, offer.expires_at, OfferExpired(stable_id("offer-expiry", offer.offer_id), offer.offer_id)
        )
        agent.version += 1  # its heap entries are stale now; whoever made the offer re-indexes it

    def _index(self, agent: AgentState) -> None:
        """Heap entries for the agent's current state in every lane it has room in."""
        shared = self.policy.strategy is Strategy.LONGEST_IDLE
        key = (agent.idle_since,)
        agent_id = agent.profile.agent_id
        for channel in agent.channels_with_room():
            for state in agent.lanes_by_channel[channel]:
                self._seq += 1
                entry = (
                    key if shared else self._agent_key(agent, state.lane),
                    self._seq,
                    agent.version,
                    agent_id,
                )
                heapq.heappush(state.agents, entry)
                if len(state.agents) > 4 * state.staffed + 64:
                    self._compact(state)

    def _own_offer(self, agent_id: str, offer_id: str) -> tuple[AgentState, Offer, Work]:
        agent = self.agent(agent_id)
        offer = self._offers.get(offer_id)
        if offer is None:
            closed = self._closed_offers.get(offer_id)
            if closed is None:
                raise NotFound(f"offer {offer_id!r} not found")
            if closed[1] != agent_id:
                raise PermissionDenied("the offer was made to another agent")
            raise FailedPrecondition(f"offer {offer_id!r} is closed ({closed[0]})")
        if offer.agent_id != agent_id:
            raise PermissionDenied("the offer was made to another agent")
        return agent, offer, self._work[offer.interaction_id]

    def _accept(self, command: Accept, out: Outcome) -> None:
        closed = self._closed_offers.get(command.offer_id)
        if closed is not None and closed == ("accepted", command.agent_id):
            return  # the same accept again
        agent, offer, work = self._own_offer(command.agent_id, command.offer_id)
        self._close_offer(offer, "accepted")
        work.offer = None
        work.state = "connected"
        work.agent_id = agent.profile.agent_id
        work.connected_at = self._now
        data: dict[str, object] = {"offer_id": offer.offer_id}
        out.notices.append(
            Notice("offer_accepted", work.tenant_id, work.interaction_id, agent.profile.agent_id, data)
        )
        kind = "callback_dialled" if work.channel is Channel.CALLBACK else "interaction_connected"
        out.notices.append(
            Notice(
                kind,
                work.tenant_id,
                work.interaction_id,
                agent.profile.agent_id,
                {"agent_id": agent.profile.agent_id} if kind == "callback_dialled" else data,
            )
        )
        out.reply["interaction_id"] = work.interaction_id
        if kind == "callback_dialled":
            out.notices.append(
                Notice(
                    "interaction_connected", work.tenant_id, work.interaction_id, agent.profile.agent_id, data
                )
            )

    def _close_offer(self, offer: Offer, how: str) -> None:
        del self._offers[offer.offer_id]
        self._timers.pop(stable_id("offer-expiry", offer.offer_id), None)
        self._closed_offers[offer.offer_id] = (how, offer.agent_id)
        if len(self._closed_offers) > 100_000:
            self._closed_offers.popitem(last=False)

    def _reject(self, command: Reject, out: Outcome) -> None:
        agent, _, work = self._own_offer(command.agent_id, command.offer_id)
        self._withdraw_offer(work, command.reason or "rejected", "offer_rejected", out)
        self._changed(agent, out)

    def _withdraw_offer(self, work: Work, reason: str, kind: str, out: Outcome) -> AgentState:
        """Take an open offer back: the agent's room returns, the work goes back to its place."""
        offer = work.offer
        if offer is None:  # pragma: no cover  (callers check the state)
            raise FailedPrecondition("no open offer")
        self._close_offer(offer, "rejected" if kind == "offer_rejected" else "expired")
        agent = self._agents[offer.agent_id]
        self._release(agent, work)
        work.offer = None
        work.excluded[agent.profile.agent_id] = None
        data: dict[str, object] = {"offer_id": offer.offer_id}
        if kind == "offer_rejected":
            data["reason"] = reason
        out.notices.append(Notice(kind, work.tenant_id, work.interaction_id, agent.profile.agent_id, data))
        if work.personal_agent == agent.profile.agent_id:
            work.personal_agent = ""
        work.state = "waiting"
        self._apply_due_steps(work, out)
        self._arm_overflow(work, out)
        if len(work.excluded) > 1 and self._everyone_excluded(work):
            # every eligible agent said no: start the round again, the last one still skipped
            work.excluded = {agent.profile.agent_id: None}
        self._enqueue(work, out, notify=False)
        return agent

    def _everyone_excluded(self, work: Work) -> bool:
        lane = self._lanes.get(self._lane_of(work))
        return lane is not None and lane.staffed <= len(work.excluded)

    def _release(self, agent: AgentState, work: Work) -> None:
        agent.work.pop(work.interaction_id, None)
        left = agent.load.get(work.channel, 0) - 1
        if left > 0:
            agent.load[work.channel] = left
        else:
            agent.load.pop(work.channel, None)
        if not agent.work:
            agent.idle_since = self._now

    # ------------------------------------------------------------------ handling

    def _held(self, agent_id: str, interaction_id: str, *states: str) -> tuple[AgentState, Work]:
        agent = self.agent(agent_id)
        work = self._work.get(interaction_id)
        if work is None:
            raise NotFound(f"interaction {interaction_id!r} not found")
        if work.agent_id != agent_id or work.state not in ("connected", "wrap_up"):
            raise PermissionDenied("the agent does not hold this interaction")
        if work.state not in states:
            raise FailedPrecondition(f"the interaction is in {work.state}")
        return agent, work

    def _end(self, command: End, out: Outcome) -> None:
        work = self._work.get(command.interaction_id)
        if work is not None and work.state in ("wrap_up", "done") and work.agent_id == command.agent_id:
            return  # ended already
        agent, work = self._held(command.agent_id, command.interaction_id, "connected")
        self._end_work(agent, work, command.reason, out)

    def _end_work(self, agent: AgentState, work: Work, reason: str, out: Outcome) -> None:
        work.state = "wrap_up"
        work.ended_at = self._now
        out.notices.append(
            Notice(
                "interaction_ended",
                work.tenant_id,
                work.interaction_id,
                agent.profile.agent_id,
                {"reason": reason},
            )
        )
        self._arm(
            out,
            self._now + agent.profile.wrap_up_seconds,
            WrapUpExpired(stable_id("wrap-up", work.interaction_id), work.interaction_id),
        )

    def _wrap_up(self, command: WrapUp, out: Outcome) -> None:
        work = self._work.get(command.interaction_id)
        if work is not None and work.state == "done" and work.agent_id == command.agent_id:
            return
        if len(command.tags) > 20 or any(not t or len(t) > 50 for t in command.tags):
            raise InvalidArgument("tags", "at most 20 tags of 1 to 50 characters")
        if len(command.disposition) > 100:
            raise InvalidArgument("disposition", "at most 100 characters")
        if len(command.notes) > 4000:
            raise InvalidArgument("notes", "at most 4000 characters")
        if command.follow_up_at and command.follow_up_at <= self._now:
            raise InvalidArgument("follow_up_callback_at", "must be in the future")
        agent, work = self._held(command.agent_id, command.interaction_id, "connected", "wrap_up")
        if work.state == "connected":
            self._end_work(agent, work, "completed", out)
        self._finish(agent, work, command.disposition, command.tags, command.notes, command.follow_up_at, out)

    def _finish(
        self,
        agent: AgentState,
        work: Work,
        disposition: str,
        tags: tuple[str, ...],
        notes: str,
        follow_up_at: float,
        out: Outcome,
    ) -> None:
        self._timers.pop(stable_id("wrap-up", work.interaction_id), None)
        work.state = "done"
        out.notices.append(
            Notice(
                "interaction_wrapped_up",
                work.tenant_id,
                work.interaction_id,
                agent.profile.agent_id,
                {
                    "disposition": disposition,
                    "tags": list(tags),
                    "notes": notes,
                    "follow_up_callback_at": follow_up_at,
                },
            )
        )
        handled = self._now - work.connected_at
        key = (work.queue_id, work.channel)
        ema = self._handle_ema.get(key)
        self._handle_ema[key] = handled if ema is None else 0.9 * ema + 0.1 * handled
        self._remember(work, agent.profile.agent_id, disposition)
        self._release(agent, work)
        self._forget(work)
        if follow_up_at:
            queue = self._queues[work.queue_id]
            self._submit(
                Submit(
                    interaction_id=stable_id("follow-up", work.interaction_id),
                    queue=queue,
                    channel=Channel.CALLBACK,
                    customer_ref=work.customer_ref,
                    kind="follow_up",
                    not_before=follow_up_at,
                ),
                out,
            )
            out.reply.clear()
        self._changed(agent, out)

    def _forget(self, work: Work) -> None:
        """Done work leaves memory; a late duplicate of its commands finds nothing to change."""
        del self._work[work.interaction_id]
        self._done_marker(work)

    def _done_marker(self, work: Work) -> None:
        # A compact record so that duplicates of Submit stay duplicates after the work is gone.
        self._work[work.interaction_id] = Work(
            interaction_id=work.interaction_id,
            tenant_id=work.tenant_id,
            queue_id=work.queue_id,
            channel=work.channel,
            customer_ref="",
            arrived_at=work.arrived_at,
            key=0.0,
            seq=0,
            state="done",
            agent_id=work.agent_id,
        )

    def _remember(self, work: Work, agent_id: str, disposition: str) -> None:
        if not work.customer_ref:
            return
        key = (work.tenant_id, work.customer_ref)
        history = self._history.get(key)
        if history is None:
            history = self._history[key] = deque(maxlen=self.policy.history_per_customer)
            if len(self._history) > _MAX_CUSTOMERS_REMEMBERED:
                self._history.popitem(last=False)
        else:
            self._history.move_to_end(key)
        history.append(
            HistoryEntry(work.interaction_id, work.queue_id, work.channel, agent_id, disposition, self._now)
        )

    def _transfer(self, command: Transfer, out: Outcome) -> None:
        if (command.to_queue is None) == (not command.to_agent_id):
            raise InvalidArgument("target", "name exactly one of to_queue_id and to_agent_id")
        agent, work = self._held(command.agent_id, command.interaction_id, "connected")
        if command.to_agent_id:
            target = self.agent(command.to_agent_id)
            if not target.logged_in:
                raise FailedPrecondition("the agent is not logged in")
            if command.to_agent_id == command.agent_id:
                raise InvalidArgument("to_agent_id", "cannot transfer to yourself")
        if command.to_queue is not None:
            if command.to_queue.tenant_id != work.tenant_id:
                raise NotFound(f"queue {command.to_queue.queue_id!r} not found")
            queue = self._define_queue(command.to_queue)
            if work.channel not in queue.channels and work.channel is not Channel.CALLBACK:
                raise InvalidArgument("to_queue_id", "the queue does not serve this channel")
        out.notices.append(
            Notice(
                "interaction_transferred",
                work.tenant_id,
                work.interaction_id,
                agent.profile.agent_id,
                {
                    "to_queue_id": command.to_queue.queue_id if command.to_queue else "",
                    "to_agent_id": command.to_agent_id,
                },
            )
        )
        self._release(agent, work)
        work.agent_id = ""
        work.excluded = {agent.profile.agent_id: None}
        if command.to_queue is not None:
            work.queue_id = command.to_queue.queue_id
            work.level = 0
            work.steps_done = 0
            work.personal_agent = ""
        else:
            work.personal_agent = command.to_agent_id
            work.excluded = {}
        self._enqueue(work, out)
        self._changed(agent, out)

    # ------------------------------------------------------------------ customers

    def tenant_work(self, interaction_id: str, tenant_id: str) -> Work:
        work = self._work.get(interaction_id)
        if work is None or work.tenant_id != tenant_id:
            raise NotFound(f"interaction {interaction_id!r} not found")
        return work

    def _abandon(self, command: Abandon, out: Outcome) -> None:
        work = self.tenant_work(command.interaction_id, command.tenant_id)
        match work.state:
            case "done" | "abandoned":
                return
            case "connected":
                self._end_work(self._agents[work.agent_id], work, "customer_left", out)
                return
            case "wrap_up":
                return
            case "offered" if work.offer is not None:
                agent = self._agents[work.offer.agent_id]
                self._close_offer(work.offer, "withdrawn")
                self._release(agent, work)
                work.offer = None
                out.notices.append(
                    Notice(
                        "interaction_abandoned",
                        work.tenant_id,
                        work.interaction_id,
                        agent.profile.agent_id,
                        {"queue_id": work.queue_id, "waited": self._now - work.arrived_at},
                    )
                )
                self._close(work)
                self._changed(agent, out)
                return
            case _:
                self._dequeue(work)
                out.notices.append(
                    Notice(
                        "interaction_abandoned",
                        work.tenant_id,
                        work.interaction_id,
                        data={"queue_id": work.queue_id, "waited": self._now - work.arrived_at},
                    )
                )
                self._close(work)

    def _close(self, work: Work) -> None:
        # Timers of closed work find it closed and do nothing; drop the ones known by id now.
        for timer_id in (
            stable_id("callback-due", work.interaction_id),
            stable_id("last-agent", work.interaction_id),
            stable_id("widen", work.interaction_id, work.queue_id, str(work.steps_done)),
        ):
            self._timers.pop(timer_id, None)
        work.state = "abandoned"
        self._forget(work)
        self._work[work.interaction_id].state = "abandoned"

    def _request_callback(self, command: RequestCallback, out: Outcome) -> None:
        work = self.tenant_work(command.interaction_id, command.tenant_id)
        if work.channel is Channel.CALLBACK:
            return  # asked twice
        if work.state != "waiting":
            raise FailedPrecondition(
                f"only waiting interactions turn into callbacks (this one is {work.state})"
            )
        self._dequeue(work)
        work.channel = Channel.CALLBACK
        work.kind = "callback"
        work.personal_agent = ""
        out.notices.append(
            Notice(
                "callback_requested",
                work.tenant_id,
                work.interaction_id,
                data={"queue_id": work.queue_id, "not_before": command.not_before},
            )
        )
        if command.not_before > self._now:
            self._schedule(work, command.not_before, out)
        else:
            out.notices.append(
                Notice(
                    "callback_scheduled",
                    work.tenant_id,
                    work.interaction_id,
                    data={"scheduled_for": self._now},
                )
            )
            self._enqueue(work, out)
        self._reply_position(work, out)

    def _schedule(self, work: Work, not_before: float, out: Outcome) -> None:
        work.state = "scheduled"
        work.not_before = not_before
        out.notices.append(
            Notice(
                "callback_scheduled", work.tenant_id, work.interaction_id, data={"scheduled_for": not_before}
            )
        )
        self._arm(
            out, not_before, CallbackDue(stable_id("callback-due", work.interaction_id), work.interaction_id)
        )

    # ------------------------------------------------------------------ timers

    def _arm(self, out: Outcome, due: float, command: TimerCommand) -> None:
        if command.timer_id in self._timers:
            return
        timer = Timer(due, command)
        self._timers[command.timer_id] = timer
        out.timers.append(timer)

    def _arm_overflow(self, work: Work, out: Outcome) -> None:
        queue = self._queues[work.queue_id]
        if work.steps_done < len(queue.overflow):
            step = queue.overflow[work.steps_done]
            self._arm(
                out,
                max(self._now, work.arrived_at + step.after_seconds),
                Widen(
                    stable_id("widen", work.interaction_id, work.queue_id, str(work.steps_done)),
                    work.interaction_id,
                ),
            )

    def _fired(self, handler: Callable[[Any, Outcome], None]) -> Callable[[Any, Outcome], None]:
        """A timer fires once: a timer no longer armed (fired before, or cancelled) changes nothing."""

        def fire(command: TimerCommand, out: Outcome) -> None:
            if self._timers.pop(command.timer_id, None) is not None:
                handler(command, out)

        return fire

    def _offer_expired(self, command: OfferExpired, out: Outcome) -> None:
        offer = self._offers.get(command.offer_id)
        if offer is None:
            return
        agent = self._withdraw_offer(self._work[offer.interaction_id], "no answer", "offer_timed_out", out)
        if self.policy.not_ready_after_missed_offer and agent.presence is Presence.AVAILABLE:
            agent.presence = Presence.NOT_READY
            agent.reason = "missed offer"
            self._presence_notice(agent, out)
        self._changed(agent, out)

    def _widen(self, command: Widen, out: Outcome) -> None:
        work = self._work.get(command.interaction_id)
        if work is not None and work.state == "waiting":
            self._dequeue(work)
            moved = self._apply_due_steps(work, out)
            self._enqueue(work, out, notify=moved)
            self._arm_overflow(work, out)
        # offered: the due steps apply if the offer comes back

    def _callback_due(self, command: CallbackDue, out: Outcome) -> None:
        work = self._work.get(command.interaction_id)
        if work is not None and work.state == "scheduled":
            self._enqueue(work, out)

    def _wrap_up_expired(self, command: WrapUpExpired, out: Outcome) -> None:
        work = self._work.get(command.interaction_id)
        if work is not None and work.state == "wrap_up":
            self._finish(self._agents[work.agent_id], work, "", (), "", 0.0, out)

    def _last_agent_wait_over(self, command: LastAgentWaitOver, out: Outcome) -> None:
        work = self._work.get(command.interaction_id)
        if work is not None and work.state == "waiting" and work.personal_agent:
            self._dequeue(work)
            work.personal_agent = ""
            self._enqueue(work, out, notify=False)

    def _apply_due_steps(self, work: Work, out: Outcome) -> bool:
        """Apply the overflow steps whose time has come; True when the work moved to another queue."""
        moved = False
        waited = self._now - work.arrived_at
        while True:
            queue = self._queues[work.queue_id]
            if work.steps_done >= len(queue.overflow):
                return moved
            step = queue.overflow[work.steps_done]
            if step.after_seconds > waited:
                return moved
            work.steps_done += 1
            if step.to_queue_id:
                target = self._queues.get(step.to_queue_id)
                if target is None or work.moves >= _MAX_QUEUE_MOVES or target.tenant_id != work.tenant_id:
                    continue
                out.notices.append(
                    Notice(
                        "interaction_transferred",
                        work.tenant_id,
                        work.interaction_id,
                        data={"to_queue_id": target.queue_id, "to_agent_id": ""},
                    )
                )
                work.queue_id = target.queue_id
                work.level = 0
                work.steps_done = 0
                work.moves += 1
                moved = True
            elif step.relax_by:
                work.level = min(work.level + 1, queue.relaxations())


__all__ = ["AgentState", "RoutingEngine", "stable_id"]
