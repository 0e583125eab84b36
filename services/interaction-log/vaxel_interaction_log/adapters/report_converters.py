"""Protobuf <-> domain for surveys and the tenant reports, and the tariffs from the contract."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from vaxel.events.v1 import events_pb2
from vaxel.interactions.v1 import interactions_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel_common.errors import InvalidArgument
from vaxel_common.events import new_event
from vaxel_common.personal_events import seal_survey_answered
from vaxel_interaction_log import SERVICE_NAME
from vaxel_interaction_log.domain.calendar import LocalPeriod, local_midnight, week_label
from vaxel_interaction_log.domain.search import from_micros
from vaxel_interaction_log.domain.surveys import SurveyAnswer, SurveyRequest
from vaxel_interaction_log.domain.usage import Granularity, Rate, Tariff, Unit, UsageReport
from vaxel_interaction_log.domain.voc import TopicKind, VocRow

__all__ = [
    "answer_to_pb",
    "granularity_from_pb",
    "survey_answered_event",
    "survey_sent_event",
    "tariff_from_pb",
    "usage_to_pb",
    "voc_granularity_from_pb",
    "voc_to_pb",
]

_UNITS = {
    tenant_pb2.BILLING_UNIT_PER_HANDLED_MINUTE: Unit.PER_HANDLED_MINUTE,
    tenant_pb2.BILLING_UNIT_PER_INTERACTION: Unit.PER_INTERACTION,
}
_UNITS_TO_PB = {v: k for k, v in _UNITS.items()}
_KINDS = {
    TopicKind.DISPOSITION: interactions_pb2.TOPIC_KIND_DISPOSITION,
    TopicKind.TAG: interactions_pb2.TOPIC_KIND_TAG,
}
_GRANULARITY = {
    interactions_pb2.USAGE_GRANULARITY_UNSPECIFIED: Granularity.DAY,
    interactions_pb2.USAGE_GRANULARITY_DAY: Granularity.DAY,
    interactions_pb2.USAGE_GRANULARITY_MONTH: Granularity.MONTH,
}


def _ts(when: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp


def survey_sent_event(request: SurveyRequest, at: datetime) -> events_pb2.Event:
    return new_event(
        events_pb2.SurveySent(channel=request.channel),  # type: ignore[arg-type]  # enum values are ints
        tenant_id=request.tenant_id,
        producer=SERVICE_NAME,
        interaction_id=request.interaction_id,
        agent_id=request.agent_id,
        event_id=request.event_id,
        occurred_at=at,
    )


def survey_answered_event(answer: SurveyAnswer, sealing: tuple[str, bytes] | None = None) -> events_pb2.Event:
    """The answer's event; its comment sealed under ``sealing`` (key id, key) when given."""
    answered = events_pb2.SurveyAnswered(score=answer.score, comment=answer.comment)
    if sealing is not None:
        seal_survey_answered(answered, *sealing)
    return new_event(
        answered,
        tenant_id=answer.tenant_id,
        producer=SERVICE_NAME,
        interaction_id=answer.interaction_id,
        agent_id=answer.agent_id,
        correlation_id=answer.request_event_id,
        event_id=answer.event_id,
        occurred_at=answer.answered_at,
    )


def answer_to_pb(answer: SurveyAnswer) -> interactions_pb2.RecordSurveyAnswerResponse:
    return interactions_pb2.RecordSurveyAnswerResponse(
        event_id=answer.event_id, answered_at=_ts(answer.answered_at)
    )


def tariff_from_pb(message: tenant_pb2.ContractVersion) -> Tariff:
    """The billing part of a published contract version (client-tenant validated it)."""
    rates: dict[int, Rate] = {}
    for rate in message.rates:
        unit = _UNITS.get(rate.unit)
        if unit is not None:
            rates.setdefault(int(rate.channel), Rate(unit, rate.amount_minor))  # the first rate per channel
    return Tariff(date.fromisoformat(message.effective_from), message.currency, rates)


def voc_granularity_from_pb(value: int) -> None:
    if value not in (interactions_pb2.VOC_GRANULARITY_UNSPECIFIED, interactions_pb2.VOC_GRANULARITY_WEEK):
        raise InvalidArgument("granularity", "VOC_GRANULARITY_WEEK")


def granularity_from_pb(value: int) -> Granularity:
    if value not in _GRANULARITY:
        raise InvalidArgument("granularity", "USAGE_GRANULARITY_DAY or USAGE_GRANULARITY_MONTH")
    return _GRANULARITY[value]  # type: ignore[index]


def _row_to_pb(row: VocRow, period: LocalPeriod) -> interactions_pb2.VocRow:
    monday = row.monday
    message = interactions_pb2.VocRow(
        queue_id=row.queue_id,
        week=week_label(monday),
        week_start=monday.isoformat(),
        starts_at=_ts(local_midnight(monday, period.zone)),
        ends_at=_ts(local_midnight(monday + timedelta(days=7), period.zone)),
        interactions=row.interactions,
        wrapped_up=row.wrapped_up,
        dispositions=[
            interactions_pb2.TopicCount(kind=_KINDS[t.kind], name=t.name, count=t.count, share=t.share)
            for t in row.dispositions
        ],
        tags=[
            interactions_pb2.TopicCount(kind=_KINDS[t.kind], name=t.name, count=t.count, share=t.share)
            for t in row.tags
        ],
        survey=interactions_pb2.SurveyFigures(
            answers=row.survey.answers, score_counts=list(row.survey.score_counts)
        ),
        latest_comments=[
            interactions_pb2.SurveyComment(
                interaction_id=c.interaction_id,
                score=c.score,
                comment=c.text,
                interaction_started_at=_ts(from_micros(c.started_us)),
                queue_id=c.queue_id,
            )
            for c in row.comments
        ],
        rising_topics=[
            interactions_pb2.RisingTopic(
                kind=_KINDS[r.kind],
                name=r.name,
                count=r.count,
                share=r.share,
                baseline_share=r.baseline_share,
                rise=r.rise,
            )
            for r in row.rising
        ],
    )
    if row.survey.average is not None:
        message.survey.average_score = row.survey.average
    return message


def voc_to_pb(
    zone: str, period: LocalPeriod, rows: list[VocRow], *, comments_included: bool
) -> interactions_pb2.GetVoiceOfCustomerResponse:
    return interactions_pb2.GetVoiceOfCustomerResponse(
        time_zone=zone, rows=[_row_to_pb(r, period) for r in rows], comments_included=comments_included
    )


def usage_to_pb(zone: str, report: UsageReport) -> interactions_pb2.GetUsageResponse:
    lines = []
    for line in report.lines:
        message = interactions_pb2.UsageLine(
            start_date=line.start_date.isoformat(),
            end_date=line.end_date.isoformat(),
            channel=line.channel,  # type: ignore[arg-type]  # enum values are ints
            handled_interactions=line.interactions,
            handled_minutes=line.minutes,
            amount_minor=line.amount_minor,
            priced=line.priced,
        )
        if line.tariff is not None:
            message.contract_effective_from = line.tariff.effective_from.isoformat()
            message.currency = line.tariff.currency
        if line.rate is not None:
            message.unit = _UNITS_TO_PB[line.rate.unit]
            message.rate_minor = line.rate.amount_minor
        lines.append(message)
    return interactions_pb2.GetUsageResponse(
        time_zone=zone,
        start_date=report.first_day.isoformat(),
        end_date=report.last_day.isoformat(),
        lines=lines,
        totals=[
            interactions_pb2.UsageTotal(
                channel=t.channel,  # type: ignore[arg-type]
                handled_interactions=t.interactions,
                handled_minutes=t.minutes,
            )
            for t in report.totals
        ],
        amounts=[interactions_pb2.MoneyAmount(currency=c, amount_minor=a) for c, a in report.amounts.items()],
        unpriced_interactions=report.unpriced_interactions,
    )
