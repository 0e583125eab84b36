"""Between routing's protobuf contracts and its domain values."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from vaxel.events.v1 import events_pb2
from vaxel.routing.v1 import inputs_pb2, routing_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.errors import InvalidArgument
from vaxel_routing.domain import commands as c
from vaxel_routing.domain import notices as n
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
    "desk_grace_over": c.DeskGraceOver,
}


def channel_pb(channel: int) -> types_pb2.Channel.ValueType:
    return types_pb2.Channel.ValueType(int(channel))


def presence_pb(presence: int) -> types_pb2.Presence.ValueType:
    return types_pb2.Presence.ValueType(int(presence))


def command_of(  # noqa: PLR0911  (one return per kind of record)
    record: inputs_pb2.RoutingInput, personal: types_pb2.PersonalFields | None = None
) -> c.Command:
    """The engine command of an input record whose sealed fields were opened (``personal``, see
    :mod:`.personal`); InvalidArgument for one no engine can apply."""
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
        case "erase":
            return c.EraseCustomer(record.erase.tenant_id, personal.customer_ref if personal else "")
        case "desk_dropped":
            dropped = record.desk_dropped
            return c.DeskDropped(dropped.agent_id, dropped.grace.ToNanoseconds() / 1e9)
    raise InvalidArgument("command", "empty routing input")


def timer_input(command: c.TimerCommand) -> inputs_pb2.TimerInput:
    match command:
        case c.OfferExpired():
            return inputs_pb2.TimerInput(
                timer_id=command.timer_id, kind="offer_expired", target=command.offer_id
            )
        case c.DeskGraceOver():
            return inputs_pb2.TimerInput(
                timer_id=command.timer_id, kind="desk_grace_over", target=command.agent_id
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


def desk_dropped_input(agent_id: str, grace_seconds: float) -> inputs_pb2.DeskDroppedInput:
    return inputs_pb2.DeskDroppedInput(agent_id=agent_id, grace=_seconds(grace_seconds))


def _seconds(seconds: float) -> Duration:
    duration = Duration()
    duration.FromNanoseconds(round(seconds * 1e9))
    return duration


def notice_payload(notice: n.Notice, record: inputs_pb2.RoutingInput) -> Message:  # noqa: PLR0911, PLR0912  (one case per notice)
    """The event payload of a notice; ``record`` is the input that caused it (for the created event's
    contact and subject, which the engine never sees)."""
    match notice:
        case n.InteractionCreated():
            created = events_pb2.InteractionCreated(
                queue_id=notice.queue_id,
                channel=channel_pb(notice.channel),
                language=notice.language,
                customer_ref=notice.customer_ref,
                priority=notice.priority,
                attributes={"kind": notice.work_kind},
            )
            if record.WhichOneof("command") == "submit":
                created.contact.CopyFrom(record.submit.contact)
                created.subject = record.submit.subject
            return created
        case n.InteractionQueued():
            return events_pb2.InteractionQueued(
                queue_id=notice.queue_id,
                position=notice.position,
                estimated_wait=_seconds(notice.estimated_wait),
            )
        case n.InteractionOffered():
            return events_pb2.InteractionOffered(
                offer_id=notice.offer_id, expires_at=ts(notice.expires_at), attempt=notice.attempt
            )
        case n.OfferAccepted():
            return events_pb2.OfferAccepted(offer_id=notice.offer_id)
        case n.OfferRejected():
            return events_pb2.OfferRejected(offer_id=notice.offer_id, reason=notice.reason)
        case n.OfferTimedOut():
            return events_pb2.OfferTimedOut(offer_id=notice.offer_id)
        case n.InteractionConnected():
            return events_pb2.InteractionConnected(offer_id=notice.offer_id)
        case n.InteractionTransferred():
            return events_pb2.InteractionTransferred(
                to_queue_id=notice.to_queue_id, to_agent_id=notice.to_agent_id
            )
        case n.InteractionAbandoned():
            return events_pb2.InteractionAbandoned(queue_id=notice.queue_id, waited=_seconds(notice.waited))
        case n.InteractionEnded():
            return events_pb2.InteractionEnded(reason=notice.reason)
        case n.InteractionWrappedUp():
            wrapped = events_pb2.InteractionWrappedUp(
                disposition=notice.disposition, tags=list(notice.tags), notes=notice.notes
            )
            if notice.follow_up_callback_at:
                wrapped.follow_up_callback_at.CopyFrom(ts(notice.follow_up_callback_at))
            return wrapped
        case n.CallbackRequested():
            requested = events_pb2.CallbackRequested(queue_id=notice.queue_id)
            if notice.not_before:
                requested.not_before.CopyFrom(ts(notice.not_before))
            return requested
        case n.CallbackScheduled():
            return events_pb2.CallbackScheduled(scheduled_for=ts(notice.scheduled_for))
        case n.CallbackDialled():
            return events_pb2.CallbackDialled(agent_id=notice.agent_id)
        case n.AgentLoggedIn():
            return events_pb2.AgentLoggedIn(site_id=notice.site_id)
        case n.AgentLoggedOut():
            return events_pb2.AgentLoggedOut(reason=notice.reason)
        case n.AgentPresenceChanged():
            return events_pb2.AgentPresenceChanged(
                presence=presence_pb(notice.presence), reason=notice.reason
            )
    raise TypeError(f"no event for notice {type(notice).__name__}")


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
