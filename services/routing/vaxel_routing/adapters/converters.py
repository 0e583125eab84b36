"""Between routing's protobuf contracts and its domain values."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from vaxel.events.v1 import events_pb2
from vaxel.routing.v1 import inputs_pb2, routing_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.errors import InvalidArgument
from vaxel_routing.domain import commands as c
from vaxel_routing.domain.model import (
    AgentProfile,
    Channel,
    HistoryEntry,
    Offer,
    OverflowStep,
    Presence,
    QueueSpec,
    SkillRequirement,
    Work,
)
from vaxel_routing.domain.replica import QueueConfig

_AFTER_HOURS = {
    tenant_pb2.AFTER_HOURS_ACTION_VOICEMAIL: "voicemail",
    tenant_pb2.AFTER_HOURS_ACTION_CALLBACK: "callback",
    tenant_pb2.AFTER_HOURS_ACTION_OVERFLOW: "overflow",
}


def ts(seconds: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromNanoseconds(round(seconds * 1e9))
    return stamp


def seconds_of(stamp: Timestamp) -> float:
    return stamp.ToNanoseconds() / 1e9


def channel_of(field: str, value: int) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        raise InvalidArgument(field, "an interaction channel is required") from None


def queue_spec_from_pb(queue: tenant_pb2.Queue) -> QueueSpec:
    relax_steps = [r for r in queue.overflow_rules if r.relax_skills and not r.to_queue_id]
    return QueueSpec(
        queue_id=queue.queue_id,
        tenant_id=queue.tenant_id,
        language=queue.language,
        channels=tuple(Channel(ch) for ch in queue.channels if ch in Channel._value2member_map_),
        priority=queue.priority,
        required_skills=tuple(SkillRequirement(r.skill_id, r.min_proficiency) for r in queue.required_skills),
        thresholds=tuple(
            (Channel(t.channel), float(t.threshold.ToTimedelta().total_seconds()))
            for t in queue.service_level_targets
            if t.channel in Channel._value2member_map_ and not t.business_hours_clock
        ),
        overflow=tuple(
            OverflowStep(
                after_seconds=r.after.ToTimedelta().total_seconds(),
                relax_by=1 if r in relax_steps else 0,
                to_queue_id=r.to_queue_id,
            )
            for r in sorted(queue.overflow_rules, key=lambda r: r.after.ToTimedelta())
        ),
        callback_offer_after_seconds=queue.callback_offer_after.ToTimedelta().total_seconds(),
        version=queue.version,
    )


_SUBMITTED_QUEUES: dict[tuple[str, str, int], QueueSpec] = {}


def _submitted_queue(queue: tenant_pb2.Queue) -> QueueSpec:
    """The spec of the queue a submission carries: every submission carries its queue, and a queue's
    version names its content (client-tenant bumps it on every change), so it is converted once."""
    if not queue.version:  # unversioned: nothing names its content
        return queue_spec_from_pb(queue)
    key = (queue.tenant_id, queue.queue_id, queue.version)
    spec = _SUBMITTED_QUEUES.get(key)
    if spec is None:
        if len(_SUBMITTED_QUEUES) >= 10_000:
            _SUBMITTED_QUEUES.clear()
        spec = _SUBMITTED_QUEUES[key] = queue_spec_from_pb(queue)
    return spec


def queue_config_from_pb(queue: tenant_pb2.Queue) -> QueueConfig:
    return QueueConfig(
        spec=queue_spec_from_pb(queue),
        time_zone=queue.time_zone,
        after_hours_action=_AFTER_HOURS.get(queue.after_hours.action, "closed_message"),
        after_hours_queue_id=queue.after_hours.overflow_queue_id,
        after_hours_message=queue.after_hours.message,
    )


def agent_from_pb(agent: routing_pb2.Agent) -> AgentProfile:
    if not agent.agent_id:
        raise InvalidArgument("agent.agent_id", "required")
    if len(agent.agent_id) > 100:
        raise InvalidArgument("agent.agent_id", "at most 100 characters")
    for skill in agent.skills:
        if not skill.skill_id or not 1 <= skill.proficiency <= 5:
            raise InvalidArgument("agent.skills", "each skill needs an id and a proficiency of 1 to 5")
    if not agent.languages:
        raise InvalidArgument("agent.languages", "at least one language")
    if not agent.tenant_ids:
        raise InvalidArgument("agent.tenant_ids", "certified for at least one tenant")
    capacity = []
    for cap in agent.capacity:
        capacity.append((channel_of("agent.capacity", cap.channel), cap.capacity))
        if cap.capacity > 50:
            raise InvalidArgument("agent.capacity", "at most 50 of one channel")
    wrap_up = agent.wrap_up.ToTimedelta().total_seconds() if agent.HasField("wrap_up") else 60.0
    if not 0 <= wrap_up <= 3600:
        raise InvalidArgument("agent.wrap_up", "0 to 3600 seconds")
    return AgentProfile(
        agent_id=agent.agent_id,
        pool=agent.pool or "default",
        site_id=agent.site_id,
        time_zone=agent.time_zone or "UTC",
        languages=tuple(agent.languages),
        skills=tuple((s.skill_id, s.proficiency) for s in agent.skills),
        tenants=tuple(dict.fromkeys(agent.tenant_ids)),
        capacity=tuple(capacity),
        wrap_up_seconds=wrap_up,
        version=agent.version,
    )


def agent_to_pb(profile: AgentProfile) -> routing_pb2.Agent:
    message = routing_pb2.Agent(
        agent_id=profile.agent_id,
        pool=profile.pool,
        site_id=profile.site_id,
        time_zone=profile.time_zone,
        languages=list(profile.languages),
        skills=[routing_pb2.SkillLevel(skill_id=s, proficiency=p) for s, p in profile.skills],
        tenant_ids=list(profile.tenants),
        capacity=[
            routing_pb2.ChannelCapacity(channel=channel_pb(ch), capacity=n) for ch, n in profile.capacity
        ],
        version=profile.version,
    )
    message.wrap_up.FromSeconds(round(profile.wrap_up_seconds))
    return message


def _desk_command(agent: inputs_pb2.AgentInput) -> c.Command:  # noqa: PLR0911  (one case per desk action)
    request = agent.request
    agent_id = agent.agent_id
    match request.WhichOneof("action"):
        case "login":
            return c.Login(agent_id)
        case "logout":
            return c.Logout(agent_id, request.logout.reason)
        case "set_presence":
            try:
                presence = Presence(request.set_presence.presence)
            except ValueError:
                raise InvalidArgument("set_presence.presence", "AVAILABLE, BREAK or NOT_READY") from None
            return c.SetPresence(agent_id, presence, request.set_presence.reason)
        case "accept_offer":
            return c.Accept(agent_id, request.accept_offer.offer_id)
        case "reject_offer":
            return c.Reject(agent_id, request.reject_offer.offer_id, request.reject_offer.reason)
        case "end_interaction":
            end = request.end_interaction
            return c.End(agent_id, end.interaction_id, end.reason or "completed")
        case "wrap_up":
            wrap = request.wrap_up
            return c.WrapUp(
                agent_id,
                wrap.interaction_id,
                wrap.disposition,
                tuple(wrap.tags),
                wrap.notes,
                seconds_of(wrap.follow_up_callback_at) if wrap.HasField("follow_up_callback_at") else 0.0,
            )
        case "transfer":
            return c.Transfer(
                agent_id,
                request.transfer.interaction_id,
                queue_spec_from_pb(agent.to_queue) if agent.HasField("to_queue") else None,
                request.transfer.to_agent_id,
            )
    raise InvalidArgument("action", "one desk action is required")


_TIMERS: dict[str, type[c.TimerCommand]] = {
    "offer_expired": c.OfferExpired,
    "widen": c.Widen,
    "callback_due": c.CallbackDue,
    "wrap_up_expired": c.WrapUpExpired,
    "last_agent_wait_over": c.LastAgentWaitOver,
}


def channel_pb(channel: int) -> types_pb2.Channel.ValueType:
    return types_pb2.Channel.ValueType(int(channel))


def presence_pb(presence: int) -> types_pb2.Presence.ValueType:
    return types_pb2.Presence.ValueType(int(presence))


def command_of(record: inputs_pb2.RoutingInput) -> c.Command:
    """The engine command of an input record; InvalidArgument for one no engine can apply."""
    match record.WhichOneof("command"):
        case "submit":
            s = record.submit
            return c.Submit(
                interaction_id=s.interaction_id,
                queue=_submitted_queue(s.queue),
                channel=channel_of("channel", s.channel),
                language=s.language,
                customer_ref=s.customer_ref,
                priority=s.priority,
                kind=s.kind or "inbound",
                not_before=seconds_of(s.not_before) if s.HasField("not_before") else 0.0,
            )
        case "abandon":
            return c.Abandon(record.abandon.interaction_id, record.abandon.tenant_id)
        case "request_callback":
            cb = record.request_callback
            return c.RequestCallback(
                cb.interaction_id,
                cb.tenant_id,
                seconds_of(cb.not_before) if cb.HasField("not_before") else 0.0,
            )
        case "upsert_agent":
            return c.UpsertAgent(agent_from_pb(record.upsert_agent))
        case "agent":
            return _desk_command(record.agent)
        case "timer":
            make = _TIMERS.get(record.timer.kind)
            if make is None:
                raise InvalidArgument("timer.kind", f"unknown timer {record.timer.kind!r}")
            return make(record.timer.timer_id, record.timer.target)
    raise InvalidArgument("command", "empty routing input")


def timer_input(command: c.TimerCommand) -> inputs_pb2.TimerInput:
    match command:
        case c.OfferExpired():
            return inputs_pb2.TimerInput(
                timer_id=command.timer_id, kind="offer_expired", target=command.offer_id
            )
        case c.Widen():
            kind = "widen"
        case c.CallbackDue():
            kind = "callback_due"
        case c.WrapUpExpired():
            kind = "wrap_up_expired"
        case c.LastAgentWaitOver():
            kind = "last_agent_wait_over"
    return inputs_pb2.TimerInput(timer_id=command.timer_id, kind=kind, target=command.interaction_id)


def notice_payload(notice: c.Notice, record: inputs_pb2.RoutingInput) -> object:  # noqa: PLR0911, PLR0912
    """The event payload of a notice; ``record`` is the input that caused it (for the created event's
    contact and subject, which the engine never sees)."""
    d = notice.data
    match notice.kind:
        case "interaction_created":
            created = events_pb2.InteractionCreated(
                queue_id=str(d["queue_id"]),
                channel=int(d["channel"]),  # type: ignore[call-overload]
                language=str(d["language"]),
                customer_ref=str(d["customer_ref"]),
                priority=int(d["priority"]),  # type: ignore[call-overload]
                attributes={"kind": str(d["kind"])},
            )
            if record.WhichOneof("command") == "submit":
                created.contact.CopyFrom(record.submit.contact)
                created.subject = record.submit.subject
            return created
        case "interaction_queued":
            queued = events_pb2.InteractionQueued(queue_id=str(d["queue_id"]), position=int(d["position"]))  # type: ignore[call-overload]
            queued.estimated_wait.FromNanoseconds(round(float(d["estimated_wait"]) * 1e9))  # type: ignore[arg-type]
            return queued
        case "interaction_offered":
            return events_pb2.InteractionOffered(
                offer_id=str(d["offer_id"]),
                expires_at=ts(float(d["expires_at"])),  # type: ignore[arg-type]
                attempt=int(d["attempt"]),  # type: ignore[call-overload]
            )
        case "offer_accepted":
            return events_pb2.OfferAccepted(offer_id=str(d["offer_id"]))
        case "offer_rejected":
            return events_pb2.OfferRejected(offer_id=str(d["offer_id"]), reason=str(d.get("reason", "")))
        case "offer_timed_out":
            return events_pb2.OfferTimedOut(offer_id=str(d["offer_id"]))
        case "interaction_connected":
            return events_pb2.InteractionConnected(offer_id=str(d["offer_id"]))
        case "interaction_transferred":
            return events_pb2.InteractionTransferred(
                to_queue_id=str(d["to_queue_id"]), to_agent_id=str(d["to_agent_id"])
            )
        case "interaction_abandoned":
            abandoned = events_pb2.InteractionAbandoned(queue_id=str(d["queue_id"]))
            abandoned.waited.FromNanoseconds(round(float(d["waited"]) * 1e9))  # type: ignore[arg-type]
            return abandoned
        case "interaction_ended":
            return events_pb2.InteractionEnded(reason=str(d["reason"]))
        case "interaction_wrapped_up":
            wrapped = events_pb2.InteractionWrappedUp(
                disposition=str(d["disposition"]),
                tags=[str(t) for t in d["tags"]],  # type: ignore[attr-defined]
                notes=str(d["notes"]),
            )
            if d["follow_up_callback_at"]:
                wrapped.follow_up_callback_at.CopyFrom(ts(float(d["follow_up_callback_at"])))  # type: ignore[arg-type]
            return wrapped
        case "callback_requested":
            requested = events_pb2.CallbackRequested(queue_id=str(d["queue_id"]))
            if d["not_before"]:
                requested.not_before.CopyFrom(ts(float(d["not_before"])))  # type: ignore[arg-type]
            return requested
        case "callback_scheduled":
            return events_pb2.CallbackScheduled(scheduled_for=ts(float(d["scheduled_for"])))  # type: ignore[arg-type]
        case "callback_dialled":
            return events_pb2.CallbackDialled(agent_id=str(d["agent_id"]))
        case "agent_logged_in":
            return events_pb2.AgentLoggedIn(site_id=str(d["site_id"]))
        case "agent_logged_out":
            return events_pb2.AgentLoggedOut(reason=str(d["reason"]))
        case "agent_presence_changed":
            return events_pb2.AgentPresenceChanged(presence=int(d["presence"]), reason=str(d["reason"]))  # type: ignore[call-overload]
    raise ValueError(f"no event for notice {notice.kind!r}")


def offer_to_pb(offer: Offer, work: Work, guidelines: str, history: list[HistoryEntry]) -> routing_pb2.Offer:
    return routing_pb2.Offer(
        offer_id=offer.offer_id,
        interaction_id=work.interaction_id,
        tenant_id=work.tenant_id,
        queue_id=work.queue_id,
        channel=channel_pb(work.channel),
        expires_at=ts(offer.expires_at),
        attempt=offer.attempt,
        customer_ref=work.customer_ref,
        guidelines=guidelines,
        kind=work.kind,
        history=[
            routing_pb2.HistoryItem(
                interaction_id=h.interaction_id,
                queue_id=h.queue_id,
                channel=channel_pb(h.channel),
                agent_id=h.agent_id,
                disposition=h.disposition,
                ended_at=ts(h.ended_at),
            )
            for h in history
            if h.interaction_id != work.interaction_id
        ],
    )


def work_item_to_pb(work: Work) -> routing_pb2.WorkItem:
    return routing_pb2.WorkItem(
        interaction_id=work.interaction_id,
        state=work.state,
        offer_id=work.offer.offer_id if work.offer else "",
        tenant_id=work.tenant_id,
        queue_id=work.queue_id,
        channel=channel_pb(work.channel),
    )


def utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
