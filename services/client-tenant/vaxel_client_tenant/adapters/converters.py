"""Domain objects <-> protobuf messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time

from vaxel.tenant.v1 import tenant_pb2
from vaxel.types.v1 import types_pb2
from vaxel_client_tenant.domain.business_hours import (
    MIDNIGHT,
    BusinessHours,
    DateException,
    Shift,
    business_hours,
)
from vaxel_client_tenant.domain.contact_points import ContactKind, ContactPoint
from vaxel_client_tenant.domain.model import Channel, Queue, Tenant, TenantStatus
from vaxel_common.errors import InvalidArgument

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
    )
    message.created_at.FromDatetime(tenant.created_at)
    return message


def queue_to_pb(queue: Queue) -> tenant_pb2.Queue:
    return tenant_pb2.Queue(
        queue_id=queue.queue_id,
        tenant_id=queue.tenant_id,
        name=queue.name,
        channels=[_CHANNEL_TO_PB[c] for c in queue.channels],
        language=queue.language,
        time_zone=queue.time_zone,
        priority=queue.priority,
    )


def _clock_time(field: str, text: str, *, end: bool) -> time:
    if end and text == "24:00":
        return MIDNIGHT
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        raise InvalidArgument(field, f"expected HH:MM, got {text!r}") from None
    if len(text) != 5 or (parsed == MIDNIGHT and end):
        raise InvalidArgument(field, f"expected HH:MM (end of day: 24:00), got {text!r}")
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
            raise InvalidArgument(f"{path}.date", f"expected YYYY-MM-DD, got {exception.date!r}") from None
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
