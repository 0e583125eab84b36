"""Domain objects <-> protobuf messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, time
from typing import TypeVar

from google.protobuf import duration_pb2

from vaxel.tenant.v1 import tenant_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.errors import InvalidArgument
from vaxel_vocabulary.business_hours import (
    MIDNIGHT,
    BusinessHours,
    DateException,
    Shift,
    business_hours,
)
from vaxel_vocabulary.contact_points import ContactKind, ContactPoint
from vaxel_vocabulary.content import (
    BillingRate,
    BillingUnit,
    CallGuidelines,
    ContractVersion,
    CreditRule,
    FaqEntry,
    TenantLimits,
)
from vaxel_vocabulary.limits import excerpt
from vaxel_vocabulary.model import (
    AfterHoursAction,
    Channel,
    OverflowRule,
    Queue,
    ServiceLevelFormula,
    ServiceLevelTarget,
    Skill,
    SkillRequirement,
    Tenant,
    TenantStatus,
)

_CHANNEL_TO_PB = {c: types_pb2.Channel.Value(f"CHANNEL_{c.name}") for c in Channel}
_CHANNEL_FROM_PB = {v: k for k, v in _CHANNEL_TO_PB.items()}
_STATUS_TO_PB = {
    TenantStatus.ACTIVE: tenant_pb2.TENANT_STATUS_ACTIVE,
    TenantStatus.SUSPENDED: tenant_pb2.TENANT_STATUS_SUSPENDED,
}


def channels_from_pb(field: str, values: list[int]) -> list[Channel]:
    try:
        return [_CHANNEL_FROM_PB[types_pb2.Channel.ValueType(v)] for v in values]
    except KeyError as exc:
        raise InvalidArgument(field, f"unknown channel {exc.args[0]}") from None


def tenant_to_pb(tenant: Tenant) -> tenant_pb2.Tenant:
    message = tenant_pb2.Tenant(
        tenant_id=tenant.tenant_id,
        name=tenant.name,
        country=tenant.country,
        time_zone=tenant.time_zone,
        languages=list(tenant.languages),
        status=_STATUS_TO_PB[tenant.status],
        data_retention_days=tenant.data_retention_days,
    )
    message.created_at.FromDatetime(tenant.created_at)
    return message


_FORMULA_TO_PB = {
    f: tenant_pb2.ServiceLevelFormula.Value(f"SERVICE_LEVEL_FORMULA_{f.name}") for f in ServiceLevelFormula
}
_FORMULA_FROM_PB: dict[int, ServiceLevelFormula] = {v: k for k, v in _FORMULA_TO_PB.items()}
_AFTER_HOURS_TO_PB = {
    a: tenant_pb2.AfterHoursAction.Value(f"AFTER_HOURS_ACTION_{a.name}") for a in AfterHoursAction
}
_AFTER_HOURS_FROM_PB: dict[int, AfterHoursAction] = {v: k for k, v in _AFTER_HOURS_TO_PB.items()}
E = TypeVar("E")
_DEFAULTS = Queue("", "", "", (), "", "", 0)

# UpdateQueue mask paths (proto names) -> the Queue attributes they carry.
QUEUE_MASK_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "channels": ("channels",),
    "language": ("language",),
    "time_zone": ("time_zone",),
    "priority": ("priority",),
    "required_skills": ("required_skills",),
    "service_level_targets": ("service_level_targets",),
    "service_level_formula": ("service_level_formula",),
    "short_abandon_threshold": ("short_abandon_seconds",),
    "callback_offer_after": ("callback_offer_after_seconds",),
    "after_hours": ("after_hours_action", "after_hours_queue_id", "after_hours_message"),
    "overflow_rules": ("overflow_rules",),
}


def _enum_from_pb(field: str, value: int, known: Mapping[int, E], default: E) -> E:
    """0 (unspecified) is ``default``; a number the contract does not define is InvalidArgument."""
    if value == 0:
        return default
    if value not in known:
        raise InvalidArgument(field, f"unknown value {value}")
    return known[value]


def formula_from_pb(field: str, value: int) -> ServiceLevelFormula:
    """A service-level formula; unspecified is the platform's default."""
    return _enum_from_pb(field, value, _FORMULA_FROM_PB, _DEFAULTS.service_level_formula)


def _seconds(duration: duration_pb2.Duration) -> int:
    return int(duration.seconds)


def queue_to_pb(queue: Queue) -> tenant_pb2.Queue:
    message = tenant_pb2.Queue(
        queue_id=queue.queue_id,
        tenant_id=queue.tenant_id,
        name=queue.name,
        channels=[_CHANNEL_TO_PB[c] for c in queue.channels],
        language=queue.language,
        time_zone=queue.time_zone,
        priority=queue.priority,
        required_skills=[
            tenant_pb2.SkillRequirement(skill_id=r.skill_id, min_proficiency=r.min_proficiency)
            for r in queue.required_skills
        ],
        service_level_formula=_FORMULA_TO_PB[queue.service_level_formula],
        after_hours=tenant_pb2.AfterHours(
            action=_AFTER_HOURS_TO_PB[queue.after_hours_action],
            overflow_queue_id=queue.after_hours_queue_id,
            message=queue.after_hours_message,
        ),
        version=queue.version,
    )
    for target in queue.service_level_targets:
        t = message.service_level_targets.add(
            channel=_CHANNEL_TO_PB[target.channel],
            target_percent=target.target_percent,
            business_hours_clock=target.business_hours_clock,
        )
        t.threshold.FromSeconds(target.threshold_seconds)
    for rule in queue.overflow_rules:
        r = message.overflow_rules.add(relax_skills=rule.relax_skills, to_queue_id=rule.to_queue_id)
        r.after.FromSeconds(rule.after_seconds)
    message.short_abandon_threshold.FromSeconds(queue.short_abandon_seconds)
    message.callback_offer_after.FromSeconds(queue.callback_offer_after_seconds)
    return message


def queue_from_pb(message: tenant_pb2.Queue, field: str = "queue") -> Queue:
    """Every field of a Queue message as domain values (ids and version are the caller's business)."""
    targets = []
    for i, t in enumerate(message.service_level_targets):
        channel = channels_from_pb(f"{field}.service_level_targets[{i}].channel", [t.channel])[0]
        targets.append(
            ServiceLevelTarget(channel, t.target_percent, _seconds(t.threshold), t.business_hours_clock)
        )
    formula = formula_from_pb(f"{field}.service_level_formula", message.service_level_formula)
    action = _enum_from_pb(
        f"{field}.after_hours.action",
        message.after_hours.action,
        _AFTER_HOURS_FROM_PB,
        _DEFAULTS.after_hours_action,
    )
    return Queue(
        queue_id=message.queue_id,
        tenant_id=message.tenant_id,
        name=message.name,
        channels=tuple(channels_from_pb(f"{field}.channels", list(message.channels))),
        language=message.language,
        time_zone=message.time_zone,
        priority=message.priority,
        required_skills=tuple(
            SkillRequirement(r.skill_id, r.min_proficiency) for r in message.required_skills
        ),
        service_level_targets=tuple(targets),
        service_level_formula=formula,
        short_abandon_seconds=(
            _seconds(message.short_abandon_threshold)
            if message.HasField("short_abandon_threshold")
            else _DEFAULTS.short_abandon_seconds
        ),
        callback_offer_after_seconds=_seconds(message.callback_offer_after),
        after_hours_action=action,
        after_hours_queue_id=message.after_hours.overflow_queue_id,
        after_hours_message=message.after_hours.message,
        overflow_rules=tuple(
            OverflowRule(_seconds(r.after), r.relax_skills, r.to_queue_id) for r in message.overflow_rules
        ),
    )


def queue_mask_fields(paths: Sequence[str]) -> list[str]:
    """Queue attributes named by an UpdateQueue mask; InvalidArgument("update_mask") for unknown paths."""
    fields: list[str] = []
    for path in paths:
        if path not in QUEUE_MASK_FIELDS:
            raise InvalidArgument(
                "update_mask", f"cannot update {excerpt(path)}; updatable: {sorted(QUEUE_MASK_FIELDS)}"
            )
        fields += QUEUE_MASK_FIELDS[path]
    return fields


def skill_to_pb(skill: Skill) -> tenant_pb2.Skill:
    return tenant_pb2.Skill(skill_id=skill.skill_id, name=skill.name, description=skill.description)


def _clock_time(field: str, text: str, *, end: bool) -> time:
    if end and text == "24:00":
        return MIDNIGHT
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(field, f"expected HH:MM, got {excerpt(text)}") from None
    if len(text) != 5 or (parsed == MIDNIGHT and end):
        raise InvalidArgument(field, f"expected HH:MM (end of day: 24:00), got {excerpt(text)}")
    return parsed


def _shifts_from_pb(field: str, shifts: Sequence[tenant_pb2.Shift]) -> list[Shift]:
    return [
        Shift(
            _clock_time(f"{field}.shifts[{i}].start", s.start, end=False),
            _clock_time(f"{field}.shifts[{i}].end", s.end, end=True),
        )
        for i, s in enumerate(shifts)
    ]


def hours_from_pb(message: tenant_pb2.BusinessHours, default_zone: str) -> BusinessHours:
    """Validated domain hours; every error names the field path."""
    field = "business_hours"
    weekly: dict[int, list[Shift]] = {}
    for i, day in enumerate(message.weekly):
        path = f"{field}.weekly[{i}]"
        if not 1 <= day.iso_weekday <= 7:
            raise InvalidArgument(f"{path}.iso_weekday", "must be 1 (Monday) to 7 (Sunday)")
        if day.iso_weekday - 1 in weekly:
            raise InvalidArgument(f"{path}.iso_weekday", f"day {day.iso_weekday} is given twice")
        weekly[day.iso_weekday - 1] = _shifts_from_pb(path, day.shifts)
    exceptions = []
    for i, exception in enumerate(message.exceptions):
        path = f"{field}.exceptions[{i}]"
        try:
            day_of = date.fromisoformat(exception.date)
        except ValueError:
            raise InvalidArgument(
                f"{path}.date", f"expected YYYY-MM-DD, got {excerpt(exception.date)}"
            ) from None
        exceptions.append(DateException(day_of, tuple(_shifts_from_pb(path, exception.shifts))))
    try:
        return business_hours(
            message.time_zone or default_zone,
            weekly,
            message.holidays_country or None,
            message.holidays_subdivision or None,
            exceptions,
        )
    except InvalidArgument as exc:
        raise InvalidArgument(f"{field}.{exc.field}", exc.reason) from None


def _shifts_to_pb(shifts: Sequence[Shift]) -> list[tenant_pb2.Shift]:
    return [
        tenant_pb2.Shift(start=f"{s.start:%H:%M}", end="24:00" if s.end == MIDNIGHT else f"{s.end:%H:%M}")
        for s in shifts
    ]


def hours_to_pb(queue_id: str, hours: BusinessHours) -> tenant_pb2.BusinessHours:
    return tenant_pb2.BusinessHours(
        queue_id=queue_id,
        time_zone=hours.time_zone,
        weekly=[
            tenant_pb2.DaySchedule(iso_weekday=weekday + 1, shifts=_shifts_to_pb(shifts))
            for weekday, shifts in enumerate(hours.weekly)
            if shifts
        ],
        holidays_country=hours.holidays_country or "",
        holidays_subdivision=hours.holidays_subdivision or "",
        exceptions=[
            tenant_pb2.DateException(date=e.day.isoformat(), shifts=_shifts_to_pb(e.shifts))
            for e in hours.exceptions
        ],
    )


_KIND_TO_PB = {k: tenant_pb2.ContactKind.Value(f"CONTACT_KIND_{k.name}") for k in ContactKind}
_KIND_FROM_PB = {v: k for k, v in _KIND_TO_PB.items()}


def contact_kind_from_pb(field: str, value: int) -> ContactKind:
    kind = _KIND_FROM_PB.get(tenant_pb2.ContactKind.ValueType(value))
    if kind is None:
        raise InvalidArgument(
            field, "required: one of phone number, e-mail address, chat widget, handle, hashtag"
        )
    return kind


def contact_point_to_pb(point: ContactPoint) -> tenant_pb2.ContactPoint:
    return tenant_pb2.ContactPoint(
        contact_point_id=point.contact_point_id,
        queue_id=point.queue_id,
        kind=_KIND_TO_PB[point.kind],
        address=point.address,
        country=point.country,
    )


def faq_to_pb(entry: FaqEntry) -> tenant_pb2.FaqEntry:
    return tenant_pb2.FaqEntry(
        faq_id=entry.faq_id,
        language=entry.language,
        question=entry.question,
        answer=entry.answer,
        keywords=list(entry.keywords),
    )


def guidelines_to_pb(guidelines: CallGuidelines) -> tenant_pb2.CallGuidelines:
    return tenant_pb2.CallGuidelines(
        queue_id=guidelines.queue_id, text=guidelines.text, version=guidelines.version
    )


_UNIT_TO_PB = {u: tenant_pb2.BillingUnit.Value(f"BILLING_UNIT_{u.name}") for u in BillingUnit}
_UNIT_FROM_PB = {v: k for k, v in _UNIT_TO_PB.items()}


def parse_date(field: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(field, f"expected YYYY-MM-DD, got {excerpt(text)}") from None


def contract_from_pb(tenant_id: str, message: tenant_pb2.ContractVersion) -> ContractVersion:
    rates = []
    for i, rate in enumerate(message.rates):
        unit = _UNIT_FROM_PB.get(rate.unit)
        if unit is None:
            raise InvalidArgument(f"version.rates[{i}].unit", "per handled minute or per interaction")
        channel = channels_from_pb(f"version.rates[{i}].channel", [rate.channel])[0]
        rates.append(BillingRate(channel, unit, rate.amount_minor))
    return ContractVersion(
        tenant_id=tenant_id,
        effective_from=parse_date("version.effective_from", message.effective_from),
        currency=message.currency,
        service_level_formula=formula_from_pb("version.service_level_formula", message.service_level_formula),
        target_percent=message.target_percent,
        threshold_seconds=_seconds(message.threshold),
        rates=tuple(rates),
        credits=tuple(
            CreditRule(
                channels_from_pb(f"version.credits[{i}].channel", [c.channel])[0] if c.channel else None,
                c.below_percent,
                c.credit_percent,
                c.amount_minor,
            )
            for i, c in enumerate(message.credits)
        ),
        limits=limits_from_pb(message.limits),
    )


def limits_from_pb(message: tenant_pb2.TenantLimits) -> TenantLimits:
    return TenantLimits(message.submissions_per_second, message.burst, message.max_in_flight)


def limits_to_pb(limits: TenantLimits) -> tenant_pb2.TenantLimits:
    return tenant_pb2.TenantLimits(
        submissions_per_second=limits.submissions_per_second,
        burst=limits.burst,
        max_in_flight=limits.max_in_flight,
    )


def contract_to_pb(contract: ContractVersion) -> tenant_pb2.ContractVersion:
    message = tenant_pb2.ContractVersion(
        effective_from=contract.effective_from.isoformat(),
        currency=contract.currency,
        service_level_formula=_FORMULA_TO_PB[contract.service_level_formula],
        target_percent=contract.target_percent,
        rates=[
            tenant_pb2.BillingRate(
                channel=_CHANNEL_TO_PB[r.channel], unit=_UNIT_TO_PB[r.unit], amount_minor=r.amount_minor
            )
            for r in contract.rates
        ],
        credits=[
            tenant_pb2.ServiceCreditRule(
                channel=_CHANNEL_TO_PB[c.channel] if c.channel else types_pb2.CHANNEL_UNSPECIFIED,
                below_percent=c.below_percent,
                credit_percent=c.credit_percent,
                amount_minor=c.amount_minor,
            )
            for c in contract.credits
        ],
    )
    if contract.limits != TenantLimits():
        message.limits.CopyFrom(limits_to_pb(contract.limits))
    message.threshold.FromSeconds(contract.threshold_seconds)
    return message
