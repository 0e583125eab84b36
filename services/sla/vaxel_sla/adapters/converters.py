"""Protobuf <-> SLA domain values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp

from vaxel.events.v1 import events_pb2
from vaxel.sla.v1 import sla_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel_sla.domain.alerts import Alert, AlertKind
from vaxel_sla.domain.contracts import ContractTerms, CreditRule
from vaxel_sla.domain.facts import PRESENCE_OFFLINE, AgentFact, InteractionFact, Step
from vaxel_sla.domain.intervals import Formula, IntervalStats, service_level
from vaxel_sla.domain.outlook import LaneProjection
from vaxel_sla.domain.report import CompliancePeriod, QueueCompliance
from vaxel_sla.domain.terms import ChannelTarget, QueueTerms
from vaxel_sla.domain.utilisation import AgentFigures, AgentUtilisation

__all__ = [
    "agent_time_to_pb",
    "agent_to_pb",
    "alert_to_pb",
    "compliance_to_pb",
    "contract_from_pb",
    "fact_of",
    "figures_to_pb",
    "period_to_pb",
    "terms_from_pb",
    "ts",
]

_STEPS = {
    "interaction_created": Step.CREATED,
    "interaction_queued": Step.QUEUED,
    "interaction_connected": Step.CONNECTED,
    "interaction_abandoned": Step.ABANDONED,
    "interaction_ended": Step.ENDED,
    "interaction_wrapped_up": Step.WRAPPED_UP,
    "interaction_transferred": Step.TRANSFERRED,
    "survey_answered": Step.SURVEY_ANSWERED,
    "deflected_by_faq": Step.DEFLECTED,
}


def ts(at: datetime | float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at if isinstance(at, datetime) else datetime.fromtimestamp(at, UTC))
    return stamp


def fact_of(event: events_pb2.Event) -> InteractionFact | AgentFact | None:  # noqa: PLR0911  (one per kind)
    """The fact an event tells the SLA service, or None if it tells nothing of service levels."""
    payload = event.WhichOneof("payload")
    at = event.occurred_at.seconds + event.occurred_at.nanos / 1e9
    match payload:
        case "agent_logged_in":
            return AgentFact(
                event.event_id, event.agent_id, at, 6, event.agent_logged_in.site_id
            )  # NOT_READY
        case "agent_logged_out":
            return AgentFact(event.event_id, event.agent_id, at, PRESENCE_OFFLINE)
        case "agent_presence_changed":
            return AgentFact(event.event_id, event.agent_id, at, int(event.agent_presence_changed.presence))
    step = _STEPS.get(payload or "")
    if step is None or not event.interaction_id:
        return None
    match step:
        case Step.CREATED:
            created = event.interaction_created
            return InteractionFact(
                event.event_id,
                event.tenant_id,
                event.interaction_id,
                step,
                at,
                queue_id=created.queue_id,
                channel=int(created.channel),
                # Routing seals the reference: its pseudonym (the customer's key id) stands for it.
                customer_ref=created.customer_ref or created.customer_pseudonym,
            )
        case Step.QUEUED:
            wait = event.interaction_queued.estimated_wait.ToTimedelta().total_seconds()
            return InteractionFact(
                event.event_id, event.tenant_id, event.interaction_id, step, at, seconds=wait
            )
        case Step.ABANDONED:
            abandoned = event.interaction_abandoned
            return InteractionFact(
                event.event_id,
                event.tenant_id,
                event.interaction_id,
                step,
                at,
                queue_id=abandoned.queue_id,
                seconds=abandoned.waited.ToTimedelta().total_seconds(),
            )
        case Step.SURVEY_ANSWERED:
            score = int(event.survey_answered.score)
            return InteractionFact(
                event.event_id, event.tenant_id, event.interaction_id, step, at, score=score
            )
    return InteractionFact(
        event.event_id, event.tenant_id, event.interaction_id, step, at, agent_id=event.agent_id
    )


def _formula(value: int) -> Formula:
    if value in Formula._value2member_map_:
        return Formula(value)
    return Formula.ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED


def contract_from_pb(message: tenant_pb2.ContractVersion) -> ContractTerms:
    """The service-level part of a published contract version (client-tenant validated it)."""
    return ContractTerms(
        effective_from=date.fromisoformat(message.effective_from),
        formula=_formula(message.service_level_formula),
        target=message.target_percent / 100,
        threshold_seconds=message.threshold.ToTimedelta().total_seconds(),
        currency=message.currency,
        credits=tuple(
            CreditRule(int(c.channel), c.below_percent, c.credit_percent, c.amount_minor)
            for c in message.credits
        ),
    )


def terms_from_pb(queue: tenant_pb2.Queue) -> QueueTerms:
    targets = {
        int(t.channel): ChannelTarget(
            target=t.target_percent / 100,
            threshold_seconds=t.threshold.ToTimedelta().total_seconds(),
            business_clock=t.business_hours_clock,
        )
        for t in queue.service_level_targets
    }
    formula = _formula(queue.service_level_formula)
    short = (
        queue.short_abandon_threshold.ToTimedelta().total_seconds()
        if queue.HasField("short_abandon_threshold")
        else 5.0
    )
    return QueueTerms(
        tenant_id=queue.tenant_id,
        queue_id=queue.queue_id,
        time_zone=queue.time_zone or "UTC",
        formula=formula,
        short_abandon_seconds=short,
        targets=targets,
        channels=tuple(sorted({int(c) for c in queue.channels} | set(targets) - {0})),
        version=queue.version,
    )


def figures_to_pb(
    stats: IntervalStats, terms: QueueTerms, channel: int, start: datetime | None, minutes: int
) -> sla_pb2.IntervalFigures:
    """An interval's figures by the terms in force at its start (a period's: by ``terms`` as given)."""
    if start is not None:
        terms = terms.at(start)
    target = terms.target_for(channel)
    figures = sla_pb2.IntervalFigures(
        interval_minutes=minutes,
        channel=channel,  # type: ignore[arg-type]
        offered=stats.offered,
        answered=stats.answered,
        answered_within=stats.answered_within,
        abandoned=stats.abandoned,
        short_abandoned=stats.short_abandoned,
        target=target.target,
        threshold_seconds=round(target.threshold_seconds),
        longest_wait_seconds=stats.longest_wait_seconds,
        survey_answers=stats.survey_answers,
    )
    if start is not None:
        figures.interval_start.CopyFrom(ts(start))
        figures.local_start = start.astimezone(ZoneInfo(terms.time_zone)).isoformat(timespec="minutes")
    optional = {
        "service_level": service_level(stats, terms.formula),
        "asa_seconds": stats.asa_seconds,
        "aht_seconds": stats.aht_seconds,
        "abandonment_rate": stats.abandonment_rate,
        "transfer_rate": stats.transfer_rate,
        "first_contact_resolution": stats.first_contact_resolution,
        "survey_average": stats.survey_average,
    }
    for name, value in optional.items():
        if value is not None:
            setattr(figures, name, value)
    return figures


def projection_to_pb(lane: LaneProjection) -> list[sla_pb2.ProjectedServiceLevel]:
    """A lane's projection: the current interval, then the next."""
    out = []
    for start, level, target, arrivals, upcoming in (
        (lane.current_start, lane.current, lane.current_target, lane.forecast_now, False),
        (lane.next_start, lane.next, lane.next_target, lane.forecast_next, True),
    ):
        message = sla_pb2.ProjectedServiceLevel(
            channel=lane.channel,  # type: ignore[arg-type]
            interval_start=ts(start),
            next=upcoming,
            target=target,
            forecast_arrivals=arrivals,
            agents=lane.agents,
        )
        if level is not None:
            message.service_level = level
        out.append(message)
    return out


def compliance_to_pb(row: QueueCompliance, minutes: int) -> sla_pb2.QueueCompliance:
    return sla_pb2.QueueCompliance(
        queue_id=row.terms.queue_id,
        channel=row.channel,  # type: ignore[arg-type]
        formula=row.terms.formula.name,
        period=figures_to_pb(row.period, row.terms, row.channel, None, minutes),
        intervals_with_traffic=row.intervals_with_traffic,
        intervals_met=row.intervals_met,
        met=row.met,
    )


def period_to_pb(row: CompliancePeriod, minutes: int) -> sla_pb2.CompliancePeriod:
    judged = row.compliance
    zone = ZoneInfo(row.zone)
    message = sla_pb2.CompliancePeriod(
        queue_id=judged.terms.queue_id,
        channel=judged.channel,  # type: ignore[arg-type]
        period_start=ts(row.start),
        period_end=ts(row.end),
        local_start=row.start.astimezone(zone).isoformat(timespec="minutes"),
        local_end=row.end.astimezone(zone).isoformat(timespec="minutes"),
        contract_effective_from=row.contract.effective_from.isoformat() if row.contract else "",
        formula=judged.terms.formula.name,
        figures=figures_to_pb(judged.period, judged.terms, judged.channel, None, minutes),
        target=judged.target,
        threshold_seconds=round(judged.terms.target_for(judged.channel).threshold_seconds),
        intervals_with_traffic=judged.intervals_with_traffic,
        intervals_met=judged.intervals_met,
        met=judged.met,
    )
    if row.credit is not None:
        message.credit.CopyFrom(
            sla_pb2.ServiceCredit(
                below_percent=row.credit.rule.below_percent,
                credit_percent=row.credit.rule.credit_percent,
                amount_minor=row.credit.rule.amount_minor,
                currency=row.credit.currency,
            )
        )
    return message


_KIND_PB = {
    AlertKind.BREACH: sla_pb2.ALERT_KIND_BREACH,
    AlertKind.PREDICTED_BREACH: sla_pb2.ALERT_KIND_PREDICTED_BREACH,
}
_KIND_EVENT = {
    AlertKind.BREACH: events_pb2.ServiceLevelAlert.KIND_BREACH,
    AlertKind.PREDICTED_BREACH: events_pb2.ServiceLevelAlert.KIND_PREDICTED_BREACH,
}
KIND_OF_EVENT = {v: k for k, v in _KIND_EVENT.items()}


def alert_to_pb(alert: Alert) -> sla_pb2.Alert:
    return sla_pb2.Alert(
        alert_id=alert.alert_id,
        tenant_id=alert.key.tenant_id,
        queue_id=alert.key.queue_id,
        channel=alert.key.channel,  # type: ignore[arg-type]
        kind=_KIND_PB[alert.key.kind],
        interval_start=ts(alert.interval_start),
        raised_at=ts(alert.raised_at),
        service_level=alert.service_level,
        target=alert.target,
    )


def alert_payload(alert: Alert, raised: bool, level: float) -> events_pb2.ServiceLevelAlert:
    return events_pb2.ServiceLevelAlert(
        alert_id=alert.alert_id,
        queue_id=alert.key.queue_id,
        channel=alert.key.channel,  # type: ignore[arg-type]
        kind=_KIND_EVENT[alert.key.kind],
        state=events_pb2.ServiceLevelAlert.STATE_RAISED
        if raised
        else events_pb2.ServiceLevelAlert.STATE_CLEARED,
        interval_start=ts(alert.interval_start),
        service_level=level,
        target=alert.target,
    )


def agent_time_to_pb(figures: AgentFigures) -> sla_pb2.AgentTime:
    return sla_pb2.AgentTime(
        logged_in_seconds=figures.logged_in_seconds,
        available_seconds=figures.available_seconds,
        handling_seconds=figures.handling_seconds,
        occupancy=figures.occupancy,
        utilisation=figures.utilisation,
    )


def agent_to_pb(agent: AgentUtilisation) -> sla_pb2.AgentUtilisation:
    return sla_pb2.AgentUtilisation(
        agent_id=agent.agent_id,
        site_id=agent.site_id,
        time=agent_time_to_pb(agent.figures),
        tenants={t: agent_time_to_pb(agent.tenant_figures(t)) for t in agent.tenant_handling_seconds},
    )
