"""The rules a queue's configuration must satisfy; every error names the field."""

from __future__ import annotations

from collections.abc import Collection

from vaxel_common.errors import InvalidArgument
from vaxel_vocabulary.limits import FIELD_LIMITS, MAX_NAME, check_text
from vaxel_vocabulary.model import AfterHoursAction, Channel, Queue
from vaxel_vocabulary.validation import validate_language, validate_time_zone

MAX_THRESHOLD_SECONDS = 30 * 24 * 3600
TEXT_CHANNELS = frozenset({Channel.EMAIL, Channel.SOCIAL})


def validate_queue(queue: Queue, known_skills: Collection[str], tenant_queues: Collection[str]) -> None:
    """Raise InvalidArgument for the first broken rule. ``tenant_queues``: ids of the tenant's other queues."""
    _basics(queue)
    _skills(queue, known_skills)
    _targets(queue)
    _routing(queue, tenant_queues)


def _basics(queue: Queue) -> None:
    if not check_text("name", queue.name, MAX_NAME).strip():
        raise InvalidArgument("name", "required")
    check_text("after_hours.message", queue.after_hours_message, FIELD_LIMITS["message"], multiline=True)
    if not queue.channels:
        raise InvalidArgument("channels", "at least one channel")
    validate_language("language", queue.language)
    validate_time_zone("time_zone", queue.time_zone)
    if not -100 <= queue.priority <= 100:
        raise InvalidArgument("priority", "must be between -100 and 100")


def _skills(queue: Queue, known_skills: Collection[str]) -> None:
    seen_skills: set[str] = set()
    for i, need in enumerate(queue.required_skills):
        field = f"required_skills[{i}]"
        if need.skill_id not in known_skills:
            raise InvalidArgument(
                f"{field}.skill_id", "unknown skill (create it in the skills catalogue first)"
            )
        if need.skill_id in seen_skills:
            raise InvalidArgument(f"{field}.skill_id", "listed twice")
        seen_skills.add(need.skill_id)
        if not 1 <= need.min_proficiency <= 5:
            raise InvalidArgument(f"{field}.min_proficiency", "must be 1 to 5")


def _targets(queue: Queue) -> None:
    seen_channels: set[Channel] = set()
    for i, target in enumerate(queue.service_level_targets):
        field = f"service_level_targets[{i}]"
        if target.channel not in queue.channels:
            raise InvalidArgument(f"{field}.channel", "the queue does not serve this channel")
        if target.channel in seen_channels:
            raise InvalidArgument(f"{field}.channel", "one target per channel")
        seen_channels.add(target.channel)
        if not 0 < target.target_percent <= 100:
            raise InvalidArgument(f"{field}.target_percent", "must be above 0 and at most 100")
        if not 0 < target.threshold_seconds <= MAX_THRESHOLD_SECONDS:
            raise InvalidArgument(f"{field}.threshold", "must be above 0 and at most 30 days")
        if target.business_hours_clock and target.channel not in TEXT_CHANNELS:
            raise InvalidArgument(
                f"{field}.business_hours_clock", "only e-mail and social run on business hours"
            )


def _routing(queue: Queue, tenant_queues: Collection[str]) -> None:
    if not 0 <= queue.short_abandon_seconds <= 120:
        raise InvalidArgument("short_abandon_threshold", "must be 0 to 120 seconds")
    if not 0 <= queue.callback_offer_after_seconds <= 24 * 3600:
        raise InvalidArgument("callback_offer_after", "must be 0 (never) to 24 hours")
    if queue.after_hours_action is AfterHoursAction.OVERFLOW:
        _other_queue("after_hours_queue_id", queue.after_hours_queue_id, queue, tenant_queues)
    elif queue.after_hours_queue_id:
        raise InvalidArgument("after_hours_queue_id", "only with the overflow after-hours action")
    previous = 0
    for i, rule in enumerate(queue.overflow_rules):
        field = f"overflow_rules[{i}]"
        if rule.after_seconds <= previous:
            raise InvalidArgument(f"{field}.after", "must be above 0 and later than the rule before")
        previous = rule.after_seconds
        if rule.relax_skills == bool(rule.to_queue_id):
            raise InvalidArgument(field, "either relax skills or move to another queue")
        if rule.to_queue_id:
            _other_queue(f"{field}.to_queue_id", rule.to_queue_id, queue, tenant_queues)


def _other_queue(field: str, queue_id: str, queue: Queue, tenant_queues: Collection[str]) -> None:
    if not queue_id:
        raise InvalidArgument(field, "required")
    if queue_id == queue.queue_id:
        raise InvalidArgument(field, "must be another queue")
    if queue_id not in tenant_queues:
        raise InvalidArgument(field, "no such queue of this tenant")
