"""Agents and presence: profiles, login, logout, presence changes and their notices."""

from __future__ import annotations

from vaxel_common.errors import FailedPrecondition, InvalidArgument
from vaxel_routing.domain.commands import DeskDropped, DeskGraceOver, Logout, Outcome, SetPresence
from vaxel_routing.domain.engine import eligibility, matching, offers, timers, widening
from vaxel_routing.domain.engine._state import AgentState, EngineState, stable_id
from vaxel_routing.domain.model import AgentProfile, Channel, Presence
from vaxel_routing.domain.notices import AgentLoggedIn, AgentLoggedOut, AgentPresenceChanged
from vaxel_routing.domain.replies import AgentVersion, LoggedIn


def upsert_agent(st: EngineState, profile: AgentProfile, out: Outcome) -> None:
    if not profile.agent_id:
        raise InvalidArgument("agent_id", "required")
    if profile.pool != st.pool:
        raise InvalidArgument("pool", f"this engine runs pool {st.pool!r}")
    held = st.agents.get(profile.agent_id)
    if held is not None and held.profile.version > profile.version:
        out.reply = AgentVersion(held.profile.version)
        return
    if held is None:
        held = AgentState(profile=profile, idle_since=st.now)
        st.agents[profile.agent_id] = held
    else:
        eligibility.leave_lanes(st, held)
        for tenant in held.profile.tenants:
            st.tenant_agents.get(tenant, {}).pop(profile.agent_id, None)
        held.profile = profile
    for tenant in profile.tenants:
        st.tenant_agents.setdefault(tenant, {})[profile.agent_id] = None
    eligibility.compute_lanes(st, held)
    eligibility.join_lanes(st, held)
    matching.changed(st, held, out)
    out.reply = AgentVersion(profile.version)


# The reason shown (presence, logout, withdrawn offers) when a desk dropped and did not come back.
DESK_DROPPED_REASON = "desk disconnected"


def login(st: EngineState, agent_id: str, out: Outcome) -> None:
    agent = st.agent(agent_id)
    grace = st.desk_grace.pop(agent_id, None)
    if grace is not None:  # the desk is back within the grace: nothing happens to the agent
        st.timers.pop(grace[0], None)
    if agent.logged_in:
        out.reply = LoggedIn(agent.shown_presence())
        return
    agent.presence = Presence.NOT_READY
    eligibility.join_lanes(st, agent)
    out.notices.append(AgentLoggedIn(tenant_id="", agent_id=agent_id, site_id=agent.profile.site_id))
    presence_notice(st, agent, out)
    out.reply = LoggedIn(agent.shown_presence())


def logout(st: EngineState, command: Logout, out: Outcome) -> None:
    agent = st.agent(command.agent_id)
    if not agent.logged_in:
        return
    held = [i for i in agent.work if st.work[i].state != "offered"]
    if held:
        raise FailedPrecondition("finish and wrap up the work you hold before logging out")
    eligibility.leave_lanes(st, agent)
    agent.presence = Presence.OFFLINE
    agent.reason = command.reason
    agent.version += 1
    for interaction_id in list(agent.work):
        offers.withdraw_offer(st, st.work[interaction_id], out, reason="agent logged out")
    for channel in Channel:  # work waiting for this agent alone (transferred to them) waits for others now
        personal = st.lanes.get(("@" + agent.profile.agent_id, 0, int(channel)))
        for _, _, interaction_id in list(personal.work) if personal is not None else ():
            widening.back_to_queue(st, st.work[interaction_id], out)
    out.notices.append(AgentLoggedOut(tenant_id="", agent_id=agent.profile.agent_id, reason=command.reason))
    presence_notice(st, agent, out)


def desk_dropped(st: EngineState, command: DeskDropped, out: Outcome) -> None:
    """The agent's last desk stream ended without a sign-out: arm the grace (a Login cancels it)."""
    agent = st.agent(command.agent_id)
    if not agent.logged_in:
        return
    earlier = st.desk_grace.pop(command.agent_id, None)
    if earlier is not None:
        st.timers.pop(earlier[0], None)
    _arm_grace(st, command.agent_id, command.grace, out)


def _arm_grace(st: EngineState, agent_id: str, grace: float, out: Outcome) -> None:
    timer_id = stable_id("desk-grace", agent_id, repr(st.record_at))
    due = st.record_at + grace
    st.desk_grace[agent_id] = (timer_id, due, grace)
    timers.arm(st, out, due, DeskGraceOver(timer_id, agent_id))


def desk_grace_over(st: EngineState, command: DeskGraceOver, out: Outcome) -> None:
    """The desk did not come back: what a contact centre does with an agent whose desktop is gone.
    Holding no work, the agent is logged out; holding work (a call still connected, wrap-up to do), the
    agent stays logged in NOT_READY with that work, to finish it on reconnecting. Either way their open
    offers go back to the queue, offered to the next agent at once.

    Written late (its record's time after its due time: routing was down or paused when it came due, as
    after a restart that dropped every desk on its way down), the desk could not have come back in time:
    the grace starts again from the record instead. Only record times decide, so a replay repeats it."""
    grace = st.desk_grace.get(command.agent_id)
    if grace is None or grace[0] != command.timer_id:
        return  # cancelled (a Login), or replaced by a later drop
    del st.desk_grace[command.agent_id]
    agent = st.agents.get(command.agent_id)
    if agent is None or not agent.logged_in:
        return
    if st.record_at > grace[1]:
        _arm_grace(st, command.agent_id, grace[2], out)
        return
    if all(st.work[i].state == "offered" for i in agent.work):
        logout(st, Logout(command.agent_id, DESK_DROPPED_REASON), out)
        return
    agent.presence = Presence.NOT_READY  # first: the offers taken back are not offered to it again
    agent.reason = DESK_DROPPED_REASON
    for interaction_id in list(agent.work):
        work = st.work[interaction_id]
        if work.state == "offered":
            offers.withdraw_offer(st, work, out, reason=DESK_DROPPED_REASON)
    matching.changed(st, agent, out)
    presence_notice(st, agent, out)


def set_presence(st: EngineState, command: SetPresence, out: Outcome) -> None:
    agent = st.agent(command.agent_id)
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
        agent.idle_since = st.now
    matching.changed(st, agent, out)
    presence_notice(st, agent, out)


def presence_notice(st: EngineState, agent: AgentState, out: Outcome) -> None:
    out.notices.append(
        AgentPresenceChanged(
            tenant_id="",
            agent_id=agent.profile.agent_id,
            presence=agent.shown_presence(),
            reason=agent.reason,
        )
    )


__all__ = [
    "DESK_DROPPED_REASON",
    "desk_dropped",
    "desk_grace_over",
    "login",
    "logout",
    "presence_notice",
    "set_presence",
    "upsert_agent",
]
