"""The onboarding file: one client company as YAML, checked whole before anything is created.

Structure and types are pydantic's job (errors name the field: ``queues[1].channels[0]: ...``);
the rules are the tenant service's own, imported from its pure domain (time zones, languages,
countries, business hours and public-holiday calendars, queue configuration, phone numbers and
addresses, contracts), so a file that passes is refused by the platform only for what depends on
its state, such as an address another tenant already holds.

Skills and queues refer to each other by name in the file; :mod:`vaxel_cli.onboarding` turns the
names into the ids the platform assigns. See ``docs/examples/nordtel.yaml`` and ``docs/cli.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, time
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
from pydantic import model_validator as _model_validator
from pydantic.functional_validators import PlainValidator

from vaxel_cli.errors import SpecError, UsageError
from vaxel_common.errors import InvalidArgument
from vaxel_vocabulary.business_hours import MIDNIGHT, DateException, Shift, business_hours
from vaxel_vocabulary.business_hours import BusinessHours as DomainHours
from vaxel_vocabulary.contact_points import ContactKind, normalise
from vaxel_vocabulary.content import (
    BillingRate,
    BillingUnit,
    ContractVersion,
    TenantLimits,
    validate_contract,
)
from vaxel_vocabulary.model import (
    AfterHoursAction,
    Channel,
    OverflowRule,
    Queue,
    ServiceLevelFormula,
    ServiceLevelTarget,
    SkillRequirement,
)
from vaxel_vocabulary.queue_rules import validate_queue
from vaxel_vocabulary.scopes import ALL_SCOPES, Scope
from vaxel_vocabulary.validation import COUNTRY, validate_language, validate_time_zone

__all__ = [
    "ALL_SCOPES",
    "AfterHoursSpec",
    "ApiKeySpec",
    "BusinessHoursSpec",
    "ContactPointSpec",
    "ContractSpec",
    "OverflowRuleSpec",
    "QueueSpec",
    "RateSpec",
    "RequiredSkillSpec",
    "SkillSpec",
    "TargetSpec",
    "TenantInfo",
    "TenantSpec",
    "load_spec",
    "parse_spec",
]

_DURATION = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?$")
_CLOCK = re.compile(r"^\d{2}:\d{2}$")
_DAYS = {
    name: n
    for n, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}


def _seconds(value: object) -> object:
    """20, "20", "20s", "3m", "4h", "1h30m" -> seconds; anything else is left for int validation."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return int(text)
        match = _DURATION.match(text)
        if not text or match is None:
            raise ValueError(f"expected seconds or a duration such as 20s, 3m, 4h or 1h30m, got {value!r}")
        hours, minutes, seconds = (int(g or 0) for g in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    return value


Seconds = Annotated[int, BeforeValidator(_seconds), Field(ge=0)]


def _clock(text: str, *, end: bool) -> time:
    if end and text == "24:00":
        return MIDNIGHT
    if not _CLOCK.match(text):
        raise ValueError(f"expected HH:MM, got {text!r}")
    parsed = time.fromisoformat(text)  # HH:MM with valid hours and minutes (checked below)
    if end and parsed == MIDNIGHT:
        raise ValueError("the end of the day is written 24:00")
    return parsed


def _shift(value: object) -> Shift:
    """ "08:00-17:30" -> Shift; "24:00" ends a shift at midnight."""
    if not isinstance(value, str):
        raise ValueError(f"expected a shift such as '08:00-17:00', got {value!r}")
    start, dash, end = value.partition("-")
    if not dash:
        raise ValueError(f"expected a shift such as '08:00-17:00', got {value!r}")
    try:
        return Shift(_clock(start.strip(), end=False), _clock(end.strip(), end=True))
    except ValueError as exc:
        raise ValueError(f"shift {value!r}: {exc}") from None


ShiftText = Annotated[Shift, PlainValidator(_shift)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TenantInfo(_Spec):
    """The client company."""

    name: str = Field(min_length=1)
    country: str = Field(description="ISO 3166-1 alpha-2, e.g. SE")
    time_zone: str = Field(description="IANA zone, e.g. Europe/Stockholm")
    languages: list[str] = Field(min_length=1, description="BCP 47 tags, e.g. sv-SE")

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if not COUNTRY.match(value):
            raise ValueError(f"ISO 3166-1 alpha-2 code expected, e.g. 'SE', got {value!r}")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _rule(validate_time_zone, value)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        return [_rule(validate_language, tag) for tag in value]


def _rule(check: Callable[[str, str], str], value: str) -> str:
    """Run a domain check ``check(field, value)``; its InvalidArgument becomes a pydantic error."""
    try:
        check("value", value)
    except InvalidArgument as exc:
        raise ValueError(exc.reason) from None
    return value


class ApiKeySpec(_Spec):
    """The key issued for the tenant (shown once, at the end of onboarding)."""

    scopes: list[Scope] = Field(default_factory=lambda: list(ALL_SCOPES), min_length=1)


class RateSpec(_Spec):
    channel: Channel
    unit: BillingUnit
    amount_minor: int = Field(ge=0, description="öre, cents: minor units of the currency")


class LimitsSpec(_Spec):
    """The tenant's limits on submissions into routing; 0: routing's default (docs/operations.md).
    Checked with the rest of the contract (``validate_contract``)."""

    submissions_per_second: float = 0.0
    burst: int = 0
    max_in_flight: int = 0


class ContractSpec(_Spec):
    """The contract version ops record (AdminService.SetContractVersion)."""

    effective_from: date
    currency: str = Field(description="ISO 4217, e.g. SEK")
    service_level_formula: ServiceLevelFormula = (
        ServiceLevelFormula.ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED
    )
    target_percent: float = 80.0
    threshold: Seconds = 20
    rates: list[RateSpec] = Field(default_factory=list)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)

    def to_domain(self, tenant_id: str = "") -> ContractVersion:
        return ContractVersion(
            tenant_id=tenant_id,
            effective_from=self.effective_from,
            currency=self.currency,
            service_level_formula=self.service_level_formula,
            target_percent=self.target_percent,
            threshold_seconds=self.threshold,
            rates=tuple(BillingRate(r.channel, r.unit, r.amount_minor) for r in self.rates),
            limits=TenantLimits(
                self.limits.submissions_per_second, self.limits.burst, self.limits.max_in_flight
            ),
        )


class SkillSpec(_Spec):
    name: str = Field(min_length=1)
    description: str = ""


class RequiredSkillSpec(_Spec):
    skill: str = Field(description="a name from skills")
    min_proficiency: int = Field(default=1, ge=1, le=5)


class TargetSpec(_Spec):
    """``target_percent`` of the channel's interactions answered within ``threshold``."""

    channel: Channel
    target_percent: float
    threshold: Seconds
    business_hours_clock: bool = False


class AfterHoursSpec(_Spec):
    action: AfterHoursAction = AfterHoursAction.CLOSED_MESSAGE
    overflow_queue: str = Field(default="", description="a queue name, with action overflow")
    message: str = ""


class OverflowRuleSpec(_Spec):
    after: Seconds
    relax_skills: bool = False
    to_queue: str = Field(default="", description="a queue name")


class BusinessHoursSpec(_Spec):
    """Weekly shifts by day (``mon``..``sun``, ranges such as ``mon-fri``), public holidays of a
    country (closed), and dates with their own shifts (none: closed that day)."""

    time_zone: str = Field(default="", description="default: the queue's zone")
    weekly: dict[str, list[ShiftText]] = Field(default_factory=dict)
    holidays_country: str = ""
    holidays_subdivision: str = ""
    exceptions: dict[date, list[ShiftText]] = Field(default_factory=dict)

    @field_validator("weekly")
    @classmethod
    def _days(cls, value: dict[str, list[Shift]]) -> dict[str, list[Shift]]:
        seen: dict[int, str] = {}
        for key in value:
            for day in _weekdays(key):
                if day in seen:
                    raise ValueError(f"{key!r} repeats a day already given by {seen[day]!r}")
                seen[day] = key
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _rule(validate_time_zone, value) if value else value

    @_model_validator(mode="after")
    def _hours(self) -> BusinessHoursSpec:
        try:
            self.to_domain(self.time_zone or "UTC")
        except InvalidArgument as exc:
            raise ValueError(f"{exc.field}: {exc.reason}") from None
        return self

    def to_domain(self, queue_zone: str) -> DomainHours:
        """The tenant service's business hours (validated by its rules)."""
        weekly: dict[int, list[Shift]] = {}
        for key, shifts in self.weekly.items():
            for day in _weekdays(key):
                weekly[day] = list(shifts)
        return business_hours(
            self.time_zone or queue_zone,
            weekly,
            self.holidays_country or None,
            self.holidays_subdivision or None,
            [DateException(day, tuple(shifts)) for day, shifts in self.exceptions.items()],
        )


def _weekdays(key: str) -> list[int]:
    """``mon`` -> [0]; ``mon-fri`` -> [0..4]; ``sat-sun``; full names too (0 = Monday)."""
    first, dash, last = key.strip().lower().partition("-")
    if first not in _DAYS or (dash and last not in _DAYS):
        raise ValueError(
            f"unknown day {key!r}: use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri"
        )
    start, end = _DAYS[first], _DAYS[last] if dash else _DAYS[first]
    if end < start:
        raise ValueError(f"day range {key!r} runs backwards")
    return list(range(start, end + 1))


_CONTACT_KINDS = {
    "phone": ContactKind.PHONE_NUMBER,
    "email": ContactKind.EMAIL_ADDRESS,
    "chat_widget": ContactKind.CHAT_WIDGET,
    "social_handle": ContactKind.SOCIAL_HANDLE,
    "hashtag": ContactKind.HASHTAG,
}


class ContactPointSpec(_Spec):
    """Exactly one of the addresses. ``country``: for phone numbers written without a country code
    (default: the tenant's country)."""

    phone: str | None = None
    email: str | None = None
    chat_widget: str | None = None
    social_handle: str | None = None
    hashtag: str | None = None
    country: str = ""

    @field_validator("phone", mode="before")
    @classmethod
    def _quoted(cls, value: object) -> object:
        if isinstance(value, int):
            raise ValueError("write the phone number in quotes: YAML read it as a number")
        return value

    @_model_validator(mode="after")
    def _one(self) -> ContactPointSpec:
        given = [name for name in _CONTACT_KINDS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"exactly one of {', '.join(_CONTACT_KINDS)}; got {len(given)}")
        return self

    @property
    def field(self) -> str:
        return next(name for name in _CONTACT_KINDS if getattr(self, name) is not None)

    @property
    def kind(self) -> ContactKind:
        return _CONTACT_KINDS[self.field]

    @property
    def address(self) -> str:
        return str(getattr(self, self.field))


class QueueSpec(_Spec):
    """A queue: channels, language, zone, routing configuration, hours and contact points."""

    name: str = Field(min_length=1)
    channels: list[Channel] = Field(min_length=1)
    language: str
    time_zone: str = Field(default="", description="default: the tenant's zone")
    priority: int = 0
    required_skills: list[RequiredSkillSpec] = Field(default_factory=list)
    service_level_targets: list[TargetSpec] = Field(default_factory=list)
    service_level_formula: ServiceLevelFormula = (
        ServiceLevelFormula.ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED
    )
    short_abandon_threshold: Seconds = 5
    callback_offer_after: Seconds = 0
    after_hours: AfterHoursSpec = Field(default_factory=AfterHoursSpec)
    overflow_rules: list[OverflowRuleSpec] = Field(default_factory=list)
    business_hours: BusinessHoursSpec | None = None
    contact_points: list[ContactPointSpec] = Field(default_factory=list)

    def to_domain(self, tenant_zone: str) -> Queue:
        """The tenant service's queue; skills and other queues named by their names in this file."""
        return Queue(
            queue_id=self.name,
            tenant_id="",
            name=self.name,
            channels=tuple(self.channels),
            language=self.language,
            time_zone=self.time_zone or tenant_zone,
            priority=self.priority,
            required_skills=tuple(SkillRequirement(r.skill, r.min_proficiency) for r in self.required_skills),
            service_level_targets=tuple(
                ServiceLevelTarget(t.channel, t.target_percent, t.threshold, t.business_hours_clock)
                for t in self.service_level_targets
            ),
            service_level_formula=self.service_level_formula,
            short_abandon_seconds=self.short_abandon_threshold,
            callback_offer_after_seconds=self.callback_offer_after,
            after_hours_action=self.after_hours.action,
            after_hours_queue_id=self.after_hours.overflow_queue,
            after_hours_message=self.after_hours.message,
            overflow_rules=tuple(
                OverflowRule(r.after, r.relax_skills, r.to_queue) for r in self.overflow_rules
            ),
        )


# Where the tenant service's field names differ from this file's (the others are the same):
# (service field, file field, service sub-field, file sub-field).
_FIELD_NAMES = (
    ("required_skills", "required_skills", ".skill_id", ".skill"),
    ("after_hours_queue_id", "after_hours.overflow_queue", "", ""),
    ("after_hours_message", "after_hours.message", "", ""),
    ("overflow_rules", "overflow_rules", ".to_queue_id", ".to_queue"),
)


def _file_field(field: str) -> str:
    """``required_skills[0].skill_id`` -> ``required_skills[0].skill``, and so on."""
    for service, in_file, sub_service, sub_file in _FIELD_NAMES:
        if field.startswith(service):
            rest = field[len(service) :]
            return in_file + rest.replace(sub_service, sub_file) if sub_service else in_file
    return field


def _file_reason(exc: InvalidArgument, draft: Queue) -> str:
    """The tenant service's reason, with the name the file used where it refers by name."""
    if exc.field.endswith(".skill_id") and exc.reason.startswith("unknown skill"):
        index = int(exc.field.split("[", 1)[1].split("]", 1)[0])
        return f"unknown skill {draft.required_skills[index].skill_id!r}: list it under skills"
    if exc.reason == "no such queue of this tenant":
        return "no queue of that name in this file"
    return exc.reason


class TenantSpec(_Spec):
    """One client company: the tenant, its key, contract, skills and queues."""

    tenant: TenantInfo
    api_key: ApiKeySpec = Field(default_factory=ApiKeySpec)
    contract: ContractSpec | None = None
    skills: list[SkillSpec] = Field(default_factory=list)
    queues: list[QueueSpec] = Field(default_factory=list)

    @_model_validator(mode="after")
    def _rules(self) -> TenantSpec:
        problems = list(self._problems())
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _problems(self) -> Iterator[str]:
        """The tenant service's rules, with references by name; each problem names its field."""
        skills = [s.name for s in self.skills]
        queues = [q.name for q in self.queues]
        for i, name in enumerate(skills):
            if name in skills[:i]:
                yield f"skills[{i}].name: {name!r} is given twice"
        for i, name in enumerate(queues):
            if name in queues[:i]:
                yield f"queues[{i}].name: {name!r} is given twice"
        if self.contract is not None:
            try:
                validate_contract(self.contract.to_domain())
            except InvalidArgument as exc:
                yield f"contract.{exc.field}: {exc.reason}"
        addresses: dict[tuple[ContactKind, str], str] = {}
        for i, queue in enumerate(self.queues):
            draft = queue.to_domain(self.tenant.time_zone)
            try:
                validate_queue(draft, set(skills), set(queues))
            except InvalidArgument as exc:
                yield f"queues[{i}].{_file_field(exc.field)}: {_file_reason(exc, draft)}"
            for j, point in enumerate(queue.contact_points):
                path = f"queues[{i}].contact_points[{j}].{point.field}"
                try:
                    address, _ = normalise(point.kind, point.address, point.country or self.tenant.country)
                except InvalidArgument as exc:
                    yield f"{path}: {exc.reason}"
                    continue
                held = addresses.setdefault((point.kind, address), path)
                if held != path:
                    yield f"{path}: the same address as {held}"

    def queue_drafts(self) -> list[Queue]:
        """Each queue as the tenant service models it (references still by name)."""
        return [q.to_domain(self.tenant.time_zone) for q in self.queues]


def parse_spec(data: object, source: str = "the file") -> TenantSpec:
    """Validate already-parsed YAML; SpecError lists every problem, each naming its field."""
    try:
        return TenantSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(source, list(_problems(exc))) from None


def load_spec(path: Path) -> TenantSpec:
    """Read and validate an onboarding file; SpecError (one line per problem) when it is not right."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"error: cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise SpecError(str(path), [f"{where}not valid YAML: {reason}"]) from None
    return parse_spec(data, str(path))


def _problems(exc: ValidationError) -> Iterator[str]:
    for error in exc.errors(include_url=False):
        path = _path(error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "required"
        elif error["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; see docs/cli.md)"
        for line in message.splitlines():
            yield f"{path}: {line}" if path else line


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
